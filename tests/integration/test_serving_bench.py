"""The serving benchmark over HTTP: slmdesk's server over stand-in engines, a faulty server (500s and
streams cut mid-reply), cancel mid-run, and ``slmdesk serve-bench --json``."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from slmdesk.bench.serving import ServingSettings, list_models, serving_task
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from tests.integration.api_rig import KEY, Rig


def test_a_sweep_against_slmdesks_server_measures_every_request(rig: Callable[..., Rig]) -> None:
    server = rig(n_ctx=4096, token_s=0.003)
    assert list_models(server.server.address, KEY) == ["alpha", "beta"]
    settings = ServingSettings(server.server.address, "alpha", concurrency=(1, 2), num_requests=4, input_len=8,
                               output_len=5)
    events: list[Progress] = []
    runs = run_inline(serving_task(settings, KEY), on_progress=events.append)
    assert [r.concurrency for r in runs] == [1, 2]
    for run in runs:
        m = run.metrics
        assert (m.completed, m.failed, m.errors) == (4, 0, ())
        assert m.output_lens == (5, 5, 5, 5) and m.usage_reported == 4  # the fake writes past 5 tokens
        assert m.finish_reasons == {"length": 4}
        assert m.ttft is not None and m.ttft.p50 > 0 and m.itl is not None and m.itl.count == 4 * 4
        assert m.itl.mean >= 0.002  # the fake engine's 3 ms per token, measured across HTTP
        assert m.tpot is not None and m.tpot.mean == pytest.approx(m.itl.mean, rel=0.5)
        assert m.output_throughput > 0 and m.request_throughput > 0
    assert events[-1].fraction == 1.0
    # Five requests per engine call: the warm-up and 2 x 4 measured.
    assert len(server.engines[0].params) == 9 and server.engines[0].params[0].max_tokens == 5


class Faulty(http.server.BaseHTTPRequestHandler):
    """Answers every third chat request with 500, every third with a stream cut after two chunks,
    the rest with a good 3-token stream."""

    calls = 0
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        with Faulty.lock:
            Faulty.calls += 1
            call = Faulty.calls
        if call > 1 and call % 3 == 2:
            body = json.dumps({"error": {"message": "the model fell over"}}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        cut = call > 1 and call % 3 == 0
        for index in range(3):
            chunk = {"choices": [{"index": 0, "delta": {"content": f"t{index}"}, "finish_reason": None}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
            time.sleep(0.01)
            if cut and index == 1:
                return  # the connection closes mid-reply
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def faulty() -> Iterator[str]:
    Faulty.calls = 0
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Faulty)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_errors_and_cut_streams_are_counted_with_their_messages_and_the_run_completes(faulty: str) -> None:
    settings = ServingSettings(faulty, "m", concurrency=(1,), num_requests=6, output_len=3)
    (run,) = run_inline(serving_task(settings))
    m = run.metrics
    assert (m.completed, m.failed) == (2, 4)
    assert m.errors == ("HTTP 500: the model fell over",
                        "the stream ended without [DONE] (the connection was cut mid-reply)")
    assert m.output_lens.count(3) == 2 and m.usage_reported == 0  # no usage: counted chunks
    assert any("reports no usage" in note for note in run.notes)


def test_a_failed_warm_up_stops_the_benchmark_with_the_servers_message(rig: Callable[..., Rig]) -> None:
    server = rig()
    with pytest.raises(UserError, match=r"warm-up request .* failed: HTTP 401"):
        run_inline(serving_task(ServingSettings(server.server.address, "alpha", num_requests=1), "sk-wrong-key-1"))
    with pytest.raises(UserError, match="answered HTTP 401"):
        list_models(server.server.address, "sk-wrong-key-1")


def test_cancel_mid_run_stops_within_a_tenth_of_a_second(rig: Callable[..., Rig]) -> None:
    server = rig(n_ctx=4096, token_s=0.05)  # 50 ms a token: 40 tokens take 2 s
    token = CancelToken()
    settings = ServingSettings(server.server.address, "alpha", concurrency=(2,), num_requests=8, output_len=40)
    seen: list[float] = []

    def progress(event: Progress) -> None:
        seen.append(time.perf_counter())
        if "Concurrency" in event.message and not token.cancelled:
            token.cancel()

    with pytest.raises(Cancelled):
        run_inline(serving_task(settings, KEY), token, progress)
    cancelled_at = seen[-1]
    assert time.perf_counter() - cancelled_at < 1.0
    deadline = time.monotonic() + 5
    while server.server.stats()["busy"] and time.monotonic() < deadline:  # the server sees the clients go
        time.sleep(0.02)
    assert server.server.stats()["busy"] == 0


def test_cli_serve_bench_json_takes_the_key_from_the_environment(rig: Callable[..., Rig], tmp_path: Any) -> None:
    server = rig(n_ctx=4096)
    env = {**os.environ, "SLMDESK_API_KEY": KEY, "SLMDESK_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "slmdesk", "serve-bench", server.server.address, "--model", "alpha",
                           "--concurrency", "1,2", "--requests", "2", "--output-len", "4", "--input-len", "6",
                           "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    runs = json.loads(done.stdout)
    assert [r["concurrency"] for r in runs] == [1, 2] and all(r["failed"] == 0 for r in runs)
    assert runs[0]["output_lens"] == [4, 4] and runs[0]["ttft"]["p99"] > 0 and runs[0]["run_id"] is not None
    assert KEY not in done.stdout + done.stderr
    wrong = subprocess.run([sys.executable, "-m", "slmdesk", "serve-bench", server.server.address, "--model", "nope",
                            "--requests", "1"], capture_output=True, text=True, env=env, timeout=120)
    assert wrong.returncode == 1 and "warm-up request" in wrong.stderr and "model" in wrong.stderr
