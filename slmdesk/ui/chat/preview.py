"""Fake data for previewing the Chat pane alone: an engine client that streams canned replies,
a made-up model and a few stored conversations, for a throw-away inventory.

Used by ``python -m slmdesk.ui.chat`` and by GUI tests that need a chat without a real model.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence

from slmdesk.chat import ChatSession
from slmdesk.engine.types import (
    Done,
    Event,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    Message,
    PromptReady,
    SamplingParams,
    Token,
)
from slmdesk.inventory.repository import Inventory

CANNED_REPLY = """You asked: *{question}*

This is a **preview**: no model runs. A real reply streams the same way, a few tokens at a
time, and code blocks get a *Copy code* link:

```python
def tokens_per_second(tokens: int, seconds: float) -> float:
    return tokens / seconds
```

- Stop (Esc) ends the reply within one token.
- Regenerate asks again; Edit last puts your message back in the box.
"""

CONVERSATIONS = [
    ("Which quantization for a laptop?", "You are concise.", [
        ("user", "Which quantization should I use for an 8 GB laptop?"),
        ("assistant", ("For a 7B model, **Q4_K_M** is the usual choice: about 4.4 GB of weights, "
                       "leaving room for the KV cache.\n\n| Type | Size (7B) |\n|---|---|\n"
                       "| Q4_K_M | 4.4 GB |\n| Q5_K_M | 5.1 GB |\n| Q8_0 | 7.2 GB |")),
    ]),
    ("Count tokens in Python", None, [
        ("user", "How do I count tokens with llama-cpp-python?"),
        ("assistant", ("Tokenize the text and take the length:\n\n```python\nfrom llama_cpp import Llama\n"
                       "llm = Llama(model_path=\"model.gguf\", vocab_only=True)\n"
                       "print(len(llm.tokenize(b\"Hello world\")))\n```")),
        ("user", "And without loading the weights?"),
        ("assistant", "`vocab_only=True` already skips them: only the tokenizer is read."),
    ]),
]


class FakeEngineClient:
    """Stands in for :class:`slmdesk.engine.EngineClient` inside an ``EngineSession``: loads
    anything in no time, answers with :data:`CANNED_REPLY` in batches of ``batch_chars``
    characters every ``interval_s`` seconds, and honours cancel within one batch."""

    def __init__(self, interval_s: float = 0.05, batch_chars: int = 12) -> None:
        self.interval_s = interval_s
        self.batch_chars = batch_chars
        self.load_info: LoadInfo | None = None
        self.requests: list[list[Message]] = []  # every generate's messages, for tests
        self._cancel = threading.Event()
        self.pid = os.getpid()
        self._ids = 0

    @property
    def running(self) -> bool:
        """Always "running": there is no process to lose."""
        return True

    def load(
        self, path: str | os.PathLike[str], settings: LoadSettings | None = None, backend: str = "auto"
    ) -> LoadInfo:
        """Pretend to load ``path``."""
        settings = settings or LoadSettings()
        self.load_info = LoadInfo(path=str(path), backend="llama.cpp", backend_version="preview",
                                  n_ctx=settings.n_ctx, load_s=0.01, settings=settings)
        return self.load_info

    def new_request_id(self) -> int:
        """A request id, as :meth:`slmdesk.engine.EngineClient.new_request_id` gives."""
        self._ids += 1
        return self._ids

    def generate(self, messages: Sequence[Message], params: SamplingParams | None = None, *,
                 request_id: int | None = None) -> Iterator[Event]:
        """Stream :data:`CANNED_REPLY` (quoting the last message), at most ``params.max_tokens``
        batches."""
        params = params or SamplingParams()
        self.requests.append([dict(m) for m in messages])
        self._cancel.clear()
        question = str(messages[-1]["content"]).splitlines()[0][:80] if messages else ""
        reply = CANNED_REPLY.format(question=question)
        prompt_tokens = sum(len(str(m["content"])) for m in messages) // 4 + 3 * len(messages)
        yield PromptReady(prompt_tokens)
        sent, batches, reason = 0, 0, "stop"
        started = time.perf_counter()
        while sent < len(reply):
            if self._cancel.is_set():
                reason = "cancelled"
                break
            if batches == params.max_tokens:
                reason = "length"
                break
            time.sleep(self.interval_s)
            yield Token(reply[sent : sent + self.batch_chars])
            sent += self.batch_chars
            batches += 1
        seconds = max(time.perf_counter() - started, 1e-6)
        yield Done(reply[:sent], GenerationStats(
            prompt_tokens=prompt_tokens, completion_tokens=batches, ttft_s=self.interval_s,
            tg_tokens_per_s=batches / seconds, backend="llama.cpp", backend_version="preview", finish_reason=reason,
        ))

    def cancel(self, request_id: int | None = None) -> None:
        """Stop the reply at the next batch (the one running: this client has one user)."""
        self._cancel.set()

    def unload(self) -> None:
        """Forget the pretend model."""
        self.load_info = None

    def close(self) -> None:
        """Nothing to stop."""
        self.load_info = None


def add_fake_model(inventory: Inventory) -> int:
    """Record a made-up GGUF (no file behind it: only the fake client can "load" it) in a
    throw-away inventory; returns its artifact id."""
    from slmdesk.inventory.orm import Artifact

    with inventory.session() as session:
        row = Artifact(
            path="/models/SmolLM2-135M-Instruct-Q4_K_M.gguf", format="gguf", status="ok", size_bytes=105 << 20,
            name="SmolLM2 135M Instruct (preview)", architecture="llama", quantization="Q4_K_M",
            n_params=135_000_000, context_length=8192,
        )
        session.add(row)
        session.flush()
        return row.id


def store_fake_conversations(inventory: Inventory) -> list[int]:
    """Store :data:`CONVERSATIONS` (finished replies with stats); returns their ids."""
    from slmdesk.inventory import conversations as store

    ids = []
    for title, system_prompt, messages in CONVERSATIONS:
        chat = ChatSession.create(inventory, system_prompt=system_prompt, title=title)
        for role, content in messages:
            stats = {"completion_tokens": len(content) // 4, "tg_tokens_per_s": 61.5, "ttft_s": 0.11,
                     "note": ""} if role == "assistant" else None
            store.add_message(inventory, chat.id, role, content, stats=stats)
        ids.append(chat.id)
    return ids
