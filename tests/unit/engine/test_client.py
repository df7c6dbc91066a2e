"""The engine client against small stand-in engine processes: crashes, timeouts, start commands."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.engine import protocol
from slmdesk.engine.client import EngineClient, Timeouts, describe_exit, host_command
from slmdesk.engine.types import (
    EngineCrashed,
    EngineTimeout,
    GenerationStats,
    LoadInfo,
    LoadSettings,
    SamplingParams,
    from_dict,
    to_dict,
)

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
    with pytest.raises(EngineCrashed) as caught:
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
    with pytest.raises(EngineCrashed) as caught:
        client.stats()
    assert caught.value.message == "The engine stopped while reporting stats: exit code 3."
    client.close()


def test_a_silent_engine_times_out_and_is_stopped() -> None:
    client = _client("silent", request_s=0.5)
    client.start()
    pid = client.pid
    with pytest.raises(EngineTimeout) as caught:
        client.count_tokens([{"role": "user", "content": "hi"}])
    assert caught.value.message == "The engine did not answer for 0.5 s while counting tokens."
    assert not client.running
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(pid, 0)


def test_an_engine_that_never_greets_times_out_at_start() -> None:
    client = _client("no_hello", start_s=0.5)
    with pytest.raises(EngineTimeout, match="while starting"):
        client.start()
    assert not client.running


def test_generate_without_a_running_engine_says_load_first() -> None:
    client = EngineClient(command=[sys.executable, "-c", FAKE_HOST, "silent"])
    with pytest.raises(UserError, match="No model is loaded"):
        list(client.generate([{"role": "user", "content": "hi"}]))


def test_host_command_runs_the_app_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    assert host_command() == [sys.executable, "-m", "slmdesk", "engine-host"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert host_command() == [sys.executable, "engine-host"]


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-9, "signal 9 (SIGKILL: killed (by the user, or by the system when memory ran out))"),
        (-11, "signal 11 (SIGSEGV: crashed in native code (segmentation fault))"),
        (1, "exit code 1"),
        (None, "it stopped answering"),
    ],
)
def test_exit_descriptions(code: int | None, text: str) -> None:
    assert describe_exit(code) == text


def test_settings_validation_explains_the_fix() -> None:
    with pytest.raises(UserError) as caught:
        LoadSettings(type_v="q8_0")
    assert caught.value.message == "A quantized V cache (q8_0) needs flash attention."
    assert LoadSettings(type_k="q4_0", type_v="q8_0", flash_attn=True).type_v == "q8_0"
    with pytest.raises(UserError, match="Unknown KV cache type 'q5_0'"):
        LoadSettings(type_k="q5_0")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="Sampling settings out of range"):
        SamplingParams(temperature=-1)


def test_dataclasses_survive_the_protocol() -> None:
    info = LoadInfo(
        path="/m.gguf", backend="llama.cpp", backend_version="0.3.36", n_ctx=512,
        template_notes=("a", "b"), settings=LoadSettings(n_ctx=512, type_k="q8_0"),
    )
    wire = protocol.decode(protocol.encode({"id": 1, "info": to_dict(info)}))
    assert from_dict(LoadInfo, wire["info"]) == info
    stats = GenerationStats(prompt_tokens=5, dropped_messages=(1, 2), tokens_after_cancel=0)
    assert from_dict(GenerationStats, protocol.decode(protocol.encode({"id": 2, **to_dict(stats)}))) == stats
    params = SamplingParams(stop=("x", ""), seed=3)
    assert params.stop == ("x",)
    assert from_dict(SamplingParams, to_dict(params)) == params


def test_protocol_lines_are_ascii_and_one_per_message() -> None:
    line = protocol.encode({"id": 7, "ev": "token", "text": "🌍\nこんにちは"})
    assert line.count(b"\n") == 1 and line.isascii()
    assert protocol.decode(line)["text"] == "🌍\nこんにちは"
    with pytest.raises(protocol.ProtocolError):
        protocol.decode(b"llama_model_load: printf on stdout\n")


def test_the_client_side_never_loads_an_inference_library() -> None:
    """The GUI process imports slmdesk.engine; llama_cpp / onnxruntime_genai stay out of it."""
    import subprocess

    code = (
        "import sys\n"
        "import slmdesk.engine, slmdesk.engine.client, slmdesk.engine.templates, slmdesk.engine.host\n"
        "import slmdesk.cli; slmdesk.cli.build_parser()\n"
        "print(sorted(m for m in ('llama_cpp', 'onnxruntime_genai', 'onnxruntime', 'torch') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_engine_host_is_a_hidden_command() -> None:
    from slmdesk.cli import build_parser

    parser = build_parser()
    assert "engine-host" not in parser.format_help()
    assert "chat" in parser.format_help()
    args = parser.parse_args(["engine-host"])
    assert args.handler.__name__ == "_cmd_engine_host"
    chat = parser.parse_args(["chat", "3", "-p", "hi", "--temperature", "0", "--max-tokens", "5", "--seed", "1", "--ctx", "256", "--json"])
    assert (chat.target, chat.prompt, chat.temperature, chat.max_tokens, chat.seed, chat.ctx, chat.json) == (
        "3", "hi", 0.0, 5, 1, 256, True,
    )
