"""The engine client against small stand-in engine processes (no model; each starts in about
0.1 s): a native abort while loading, an exit code, a silent engine, one that never greets."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from slmdesk.engine.client import EngineClient
from slmdesk.engine.process import Timeouts
from slmdesk.engine.types import EngineCrashed, EngineTimeout

# A stand-in engine: greets, then answers requests per MODE (no model, starts in ~0.1 s).
FAKE_HOST = textwrap.dedent(
    """
    import json, os, sys
    mode = sys.argv[1]
    def send(m):
        sys.stdout.write(json.dumps(m) + "\\n"); sys.stdout.flush()
    if mode == "no_hello":
        sys.stdin.read(); sys.exit(0)
    send({"id": 0, "ev": "hello", "protocol": 1, "pid": os.getpid()})
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "shutdown":
            send({"id": request["id"], "ev": "bye"}); sys.exit(0)
        if mode == "abort_on_load" and request["op"] == "load":
            sys.stderr.write("llama_model_load: loading tensors\\n")
            sys.stderr.write("ggml.c:1234: GGML_ASSERT(ne % ggml_blck_size(type) == 0) failed\\n")
            sys.stderr.flush()
            os.abort()
        if mode == "exit3":
            sys.exit(3)
        if mode == "silent":
            continue
        send({"id": request["id"], "ev": "stats", "stats": {"pid": os.getpid(), "rss_bytes": 1, "peak_rss_bytes": 2}})
    """
)


def _client(mode: str, **timeouts: float) -> EngineClient:
    return EngineClient(command=[sys.executable, "-c", FAKE_HOST, mode], timeouts=Timeouts(**timeouts))


def test_a_native_abort_while_loading_is_reported_with_the_log_tail(tmp_path: Path) -> None:
    client = _client("abort_on_load")
    with pytest.raises(EngineCrashed, match=r"^The engine stopped while loading broken\.gguf: signal 6") as caught:
        client.load(tmp_path / "broken.gguf")
    error = caught.value
    assert error.message == (
        "The engine stopped while loading broken.gguf: signal 6 (SIGABRT: aborted by the inference library)."
    )
    assert error.returncode == -6
    assert "GGML_ASSERT(ne % ggml_blck_size(type) == 0) failed" in error.hint
    assert "Load the model again" in error.hint
    assert not client.running
    client.start()  # the client stays usable: a fresh engine process
    assert client.running and client.stats().peak_rss_bytes == 2
    client.close()
    assert not client.running


def test_an_engine_that_exits_reports_its_exit_code() -> None:
    client = _client("exit3")
    client.start()
    with pytest.raises(EngineCrashed, match="while reporting stats: exit code 3") as caught:
        client.stats()
    assert caught.value.message == "The engine stopped while reporting stats: exit code 3."
    client.close()


def test_a_silent_engine_times_out_and_is_stopped() -> None:
    client = _client("silent", request_s=0.5)
    client.start()
    pid = client.pid
    with pytest.raises(EngineTimeout, match=r"did not answer for 0\.5 s while counting tokens") as caught:
        client.count_tokens([{"role": "user", "content": "hi"}])
    assert caught.value.message == "The engine did not answer for 0.5 s while counting tokens."
    assert not client.running
    assert pid is not None
    with pytest.raises(ProcessLookupError, match="No such process"):  # the engine was stopped
        os.kill(pid, 0)


def test_an_engine_that_never_greets_times_out_at_start() -> None:
    client = _client("no_hello", start_s=0.5)
    with pytest.raises(EngineTimeout, match=r"did not answer for 0\.5 s while starting"):
        client.start()
    assert not client.running
