"""Generation speed through the app's engine path vs a bare llama-cpp-python loop in one process.

Three ways to generate the same greedy reply from the same prompt tokens, same settings:

- ``bare-generate``: ``Llama.generate`` in this process, detokenizing each token (the
  efficient high-level loop of llama-cpp-python);
- ``bare-stream``: ``Llama.create_completion(stream=True)`` in this process;
- ``engine``: ``EngineClient.generate`` (child process, JSON-lines protocol, token events).

Every loop stops at an end-of-generation token or ``--tokens`` tokens, and speeds are taken
the same way for all three, by the consumer's wall clock: tg = (tokens - 1) / (time of the
last token - time of the first token), like llama-bench's tg (the first token comes from the
prompt pass). Runs alternate between the paths (one warm-up each first) so that load from
other processes on a shared machine hits all of them alike; the medians are compared.

Run: .venv/bin/python benchmarks/engine_speed.py                  (SmolLM2, 2 threads, 128 tokens, 5 reps)
     .venv/bin/python benchmarks/engine_speed.py --threads 1 --reps 9
Target (issue 5): engine tg >= 95 % of bare-generate tg. Check ``uptime`` first: with two
cores, any other busy process makes two-thread numbers swing by 2-10x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from slmdesk.core.tasks import run_inline  # noqa: E402
from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Token  # noqa: E402
from slmdesk.hub import starter  # noqa: E402

PROMPT = [{"role": "user", "content": "Write a very long story about a dragon who learns to bake bread."}]

Run = Callable[[], tuple[int, float, float]]
"""One generation -> (tokens, seconds to the first token, seconds from first to last token)."""


def _bare_runs(path: Path, settings: LoadSettings, max_tokens: int) -> tuple[Run, Run, Callable[[], None]]:
    import llama_cpp

    from slmdesk.engine.templates import ChatTemplate

    llm = llama_cpp.Llama(
        str(path), n_ctx=settings.n_ctx, n_threads=settings.n_threads, n_threads_batch=settings.n_threads,
        n_batch=settings.n_batch, n_ubatch=settings.n_ubatch, swa_full=settings.swa_full, verbose=False,
    )
    template = ChatTemplate(llm.metadata["tokenizer.chat_template"])
    prompt_text = template.render(PROMPT)
    prompt = llm.tokenize(prompt_text.encode(), add_bos=False, special=True)
    vocab = llama_cpp.llama_model_get_vocab(llm.model)

    def bare_generate() -> tuple[int, float, float]:
        started = time.perf_counter()
        first = last = 0.0
        n = 0
        text = b""
        for token in llm.generate(prompt, temp=0.0, top_k=40, top_p=0.95, min_p=0.05, repeat_penalty=1.0):
            last = time.perf_counter()
            n += 1
            if n == 1:
                first = last
            if llama_cpp.llama_vocab_is_eog(vocab, token) or n >= max_tokens:
                break
            text += llm.detokenize([token])
        return n, first - started, last - first

    def bare_stream() -> tuple[int, float, float]:
        started = time.perf_counter()
        first = last = 0.0
        n = 0
        for chunk in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, stream=True):
            if chunk["choices"][0]["finish_reason"] is not None:
                break  # the closing chunk carries no token
            last = time.perf_counter()
            n += 1
            if n == 1:
                first = last
        return n, first - started, last - first

    return bare_generate, bare_stream, llm.close


def _engine_run(client: EngineClient, max_tokens: int) -> Run:
    params = SamplingParams(temperature=0.0, max_tokens=max_tokens)

    def engine() -> tuple[int, float, float]:
        started = time.perf_counter()
        first = last = 0.0
        done: Done | None = None
        for event in client.generate(PROMPT, params):
            if isinstance(event, Token):
                last = time.perf_counter()
                if not first:
                    first = last
            elif isinstance(event, Done):
                done = event
        assert done is not None
        # Token events are coalesced (one per 50 ms): the first event is the first token, the
        # last event arrives with the last token, so the first-to-last interval is the same.
        return done.stats.completion_tokens, first - started, last - first

    return engine


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="GGUF file (default: the SmolLM2 starter model)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--ctx", type=int, default=1024)
    args = parser.parse_args()
    path = args.model or run_inline(starter.prepare_task(starter.SMOLLM2, REPO_ROOT / ".test-cache" / "models"))
    settings = LoadSettings(n_ctx=args.ctx, n_threads=args.threads)
    print(f"model {path.name}, n_threads {args.threads}, n_ctx {args.ctx}, up to {args.tokens} tokens, greedy")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)", flush=True)

    bare_generate, bare_stream, close_bare = _bare_runs(path, settings, args.tokens)
    client = EngineClient()
    client.load(path, settings)
    runs: dict[str, Run] = {
        "bare-generate": bare_generate,
        "bare-stream": bare_stream,
        "engine": _engine_run(client, args.tokens),
    }
    speeds: dict[str, list[float]] = {name: [] for name in runs}
    ttfts: dict[str, list[float]] = {name: [] for name in runs}
    counts: dict[str, int] = {}
    try:
        for run in runs.values():
            run()  # warm-up: page in the weights, fill the prompt cache
        for rep in range(args.reps):
            for name, run in runs.items():
                n, ttft, span = run()
                counts[name] = n
                speeds[name].append((n - 1) / span if span > 0 else 0.0)
                ttfts[name].append(ttft)
            line = "  ".join(f"{name} {speeds[name][-1]:.1f}" for name in runs)
            print(f"rep {rep + 1}: tg t/s {line}", flush=True)
    finally:
        client.close()
        close_bare()
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'path':<14} {'tokens':>6} {'tg median t/s':>14} {'min':>7} {'max':>7} {'TTFT ms':>8}")
    for name in runs:
        values = speeds[name]
        print(
            f"{name:<14} {counts[name]:>6} {statistics.median(values):>14.1f} {min(values):>7.1f} {max(values):>7.1f}"
            f" {1000 * statistics.median(ttfts[name]):>8.1f}"
        )
    ratio = statistics.median(speeds["engine"]) / statistics.median(speeds["bare-generate"])
    ratio_stream = statistics.median(speeds["engine"]) / statistics.median(speeds["bare-stream"])
    print(f"engine / bare-generate = {ratio:.3f}   engine / bare-stream = {ratio_stream:.3f}   (target >= 0.95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
