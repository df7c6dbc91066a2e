"""Chat transcript while a reply streams: GUI-thread time per token batch on a 200-message chat.

Run: .venv/bin/python benchmarks/chat_transcript_speed.py [--transcript path/to/transcript.py]
Target (issue "One renovation before the next panes", finding 7): under 5 ms per batch.

A real, shown, offscreen :class:`TranscriptView` holds a 200-message conversation of realistic
lengths (user questions of 40-400 characters, replies of 300-3,000 with lists, headings and
a code block in about a third of them). A ~1,500-token reply then streams into it the way the
engine delivers it: one batch of about 5 tokens every 50 ms
(``slmdesk.engine.backend_base.FLUSH_INTERVAL_S``). For each batch three figures are taken:

- ``window``: CPU time of the GUI thread over the whole batch interval: ``update_last``, its
  paint, and whatever Qt defers to its event loop (timer-driven layout, repaints) while it
  waits for the next batch. The headline figure; the target applies to it.
- ``update cpu``: GUI-thread CPU time of ``update_last`` plus the ``processEvents`` that paints it.
- ``update wall``: the same in wall time, which also counts waiting for a CPU on a busy machine.

Figures are printed, not asserted. ``--transcript`` loads the view from another file (the
pre-renovation ``transcript.py`` copied aside), so before and after run the same script.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

WORDS = [
    "the",
    "model",
    "context",
    "window",
    "tokens",
    "quantization",
    "memory",
    "layer",
    "cache",
    "prompt",
    "reply",
    "a",
    "of",
    "to",
    "and",
    "in",
    "is",
    "for",
    "with",
    "that",
    "this",
    "on",
    "it",
    "as",
    "be",
    "are",
    "by",
    "from",
    "can",
    "you",
    "your",
    "we",
    "use",
    "when",
    "which",
    "more",
    "than",
    "each",
    "runs",
    "faster",
    "smaller",
    "file",
    "weights",
    "offload",
    "GPU",
    "CPU",
    "speed",
    "latency",
    "batch",
    "sampling",
    "temperature",
]


def sentence(rng: random.Random) -> str:
    """One plain sentence of 6-18 words."""
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    if rng.random() < 0.2:
        words[rng.randrange(len(words))] = f"`{rng.choice(WORDS)}_{rng.randint(1, 9)}`"
    return " ".join(words).capitalize() + "."


def code_block(rng: random.Random) -> str:
    """A fenced Python block of 4-14 lines."""
    lines = [f"def {rng.choice(WORDS)}_{i}(x):" if i % 4 == 0 else f"    y = x * {i} + {rng.randint(1, 99)}"
             for i in range(rng.randint(4, 14))]
    return "```python\n" + "\n".join(lines) + "\n```"


def reply_text(rng: random.Random, target_chars: int, code_blocks: int) -> str:
    """Markdown of about ``target_chars`` characters: paragraphs, a list, maybe a heading and
    ``code_blocks`` fenced blocks spread through it."""
    parts: list[str] = []
    size = 0
    code_at = sorted(rng.sample(range(1, 8), code_blocks)) if code_blocks else []
    index = 0
    while size < target_chars:
        index += 1
        if code_at and index == code_at[0]:
            code_at.pop(0)
            part = code_block(rng)
        elif index % 5 == 3:
            part = "\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5)))
        elif index % 7 == 6:
            part = f"## {sentence(rng)[:40]}"
        else:
            part = " ".join(sentence(rng) for _ in range(rng.randint(2, 5)))
        parts.append(part)
        size += len(part) + 2
    return "\n\n".join(parts)


def conversation(rng: random.Random, messages: int = 200) -> list[tuple[str, str]]:
    """``messages`` alternating (role, text) pairs, user first."""
    out = []
    for i in range(messages):
        if i % 2 == 0:
            text = " ".join(sentence(rng) for _ in range(rng.randint(1, 4)))[: rng.randint(40, 400)]
            out.append(("user", text))
        else:
            out.append(("assistant", reply_text(rng, rng.randint(300, 3000), 1 if rng.random() < 0.33 else 0)))
    return out


def token_batches(text: str, tokens_per_batch: int = 5) -> list[str]:
    """``text`` cut into pieces of about ``tokens_per_batch`` tokens (a word or a run of
    punctuation/space counts as one token, about 4 characters, as for English with BPE)."""
    tokens = re.findall(r"\s*\w+|\s*[^\w\s]+|\s+", text)
    return ["".join(tokens[i : i + tokens_per_batch]) for i in range(0, len(tokens), tokens_per_batch)]


def load_transcript_module(path: Path | None) -> ModuleType:
    """The module holding ``TranscriptView``: the package's, or the one at ``path``."""
    if path is None:
        from slmdesk.ui.chat import transcript

        return transcript
    spec = importlib.util.spec_from_file_location("transcript_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transcript", type=Path, help="transcript.py to benchmark (default: the package's)")
    parser.add_argument("--messages", type=int, default=200, help="messages already in the chat (default 200)")
    parser.add_argument("--reply-chars", type=int, default=6000, help="length of the streamed reply (default 6000)")
    parser.add_argument("--interval-ms", type=int, default=50, help="time between batches (default 50)")
    args = parser.parse_args(argv)

    module = load_transcript_module(args.transcript)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    rng = random.Random(7)
    history = [module.TranscriptMessage(role, text) for role, text in conversation(rng, args.messages)]
    reply_source = reply_text(rng, args.reply_chars, 2)
    batches = token_batches(reply_source)

    view = module.TranscriptView()
    view.resize(900, 700)
    view.show()
    app.processEvents()
    started = time.perf_counter()
    view.set_messages(history)
    app.processEvents()
    open_ms = (time.perf_counter() - started) * 1000

    reply = module.TranscriptMessage("assistant", "")
    view.update_last(reply)
    app.processEvents()
    update_ms: list[float] = []
    cpu_ms: list[float] = []
    update_cpu_ms: list[float] = []
    window = QElapsedTimer()
    wait = QEventLoop()
    for piece in batches:
        cpu0 = time.thread_time()
        window.start()
        t0 = time.perf_counter()
        reply.content += piece
        view.update_last(reply)
        app.processEvents()
        update_ms.append((time.perf_counter() - t0) * 1000)
        update_cpu_ms.append((time.thread_time() - cpu0) * 1000)
        # Wait out the batch interval in Qt's event loop (asleep unless Qt has deferred work,
        # such as timer-driven layout or a repaint, which then counts as GUI-thread time).
        QTimer.singleShot(max(0, args.interval_ms - window.elapsed()), wait.quit)
        wait.exec()
        cpu_ms.append((time.thread_time() - cpu0) * 1000)
    reply.stats = "1500 tokens · TTFT 0.12 s · 63.1 tok/s"
    view.update_last(reply)
    app.processEvents()
    shown = view.toPlainText()
    assert reply_source.splitlines()[-1].strip("`# -")[:20] in shown, "the streamed reply is not on screen"

    source = args.transcript or "slmdesk/ui/chat/transcript.py"
    print(f"transcript: {source}")
    print(f"chat: {args.messages} messages, {sum(len(m.content) for m in history):,} characters; "
          f"opened in {open_ms:.0f} ms")
    print(f"reply: {len(reply_source):,} characters in {len(batches)} batches of ~5 tokens")
    for name, values in (
        (f"window: GUI-thread CPU per {args.interval_ms} ms batch", cpu_ms),
        ("update cpu: update_last + paint, GUI-thread CPU", update_cpu_ms),
        ("update wall: update_last + paint, wall time", update_ms),
    ):
        print(f"{name:<48} median {statistics.median(values):6.2f} ms, p95 {percentile(values, 0.95):6.2f} ms, "
              f"max {max(values):6.2f} ms")
    view.close()
    view.deleteLater()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
