"""The engine client without an engine process: its start command, exit descriptions, settings
validation and the wire protocol. (Stand-in engine processes: tests/integration.)"""

from __future__ import annotations

import sys

import pytest

from slmdesk.core.errors import UserError
from slmdesk.engine import protocol
from slmdesk.engine.client import EngineClient
from slmdesk.engine.process import describe_exit, host_command
from slmdesk.engine.types import (
    GenerationStats,
    LoadInfo,
    LoadSettings,
    SamplingParams,
    from_dict,
    to_dict,
)


def test_generate_without_a_running_engine_says_load_first() -> None:
    client = EngineClient(command=[sys.executable, "-c", "raise SystemExit('never started')"])
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
    with pytest.raises(UserError, match=r"^A quantized V cache \(q8_0\) needs flash attention") as caught:
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
    with pytest.raises(protocol.ProtocolError, match=r"^not JSON: b'llama_model_load: printf on stdout"):
        protocol.decode(b"llama_model_load: printf on stdout\n")


def test_the_request_lock_is_granted_first_come_first_served() -> None:
    import threading
    import time

    from slmdesk.engine.process import FairLock

    lock = FairLock()
    assert lock.acquire(1.0)
    order: list[int] = []

    def take(n: int) -> None:
        assert lock.acquire(10.0)
        order.append(n)
        lock.release()

    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=take, args=(n,)))
        threads[-1].start()
        time.sleep(0.05)  # each asks after the one before
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert lock.acquire(0.1)
    assert not lock.acquire(0.05)  # held: a second caller gives up after its timeout
    lock.release()


def test_cancel_by_id_names_only_that_request(monkeypatch: pytest.MonkeyPatch) -> None:
    client = EngineClient(command=[sys.executable, "-c", "pass"])
    written: list[dict[str, object]] = []
    monkeypatch.setattr(client, "_write", written.append)
    chat_id, api_id = client.new_request_id(), client.new_request_id()
    client._send("generate", "generating", chat_id, cancellable=True)  # Chat's reply runs
    client.cancel(api_id)  # the API request still waits for the engine: nothing sent yet
    assert written == [{"id": chat_id, "op": "generate"}]
    client._send("generate", "generating", api_id, cancellable=True)
    assert written[1:] == [{"id": api_id, "op": "generate"}, {"id": written[2]["id"], "op": "cancel", "target": api_id}]
    client.cancel(chat_id)  # ended (another request is the one running): nothing to stop
    assert len(written) == 3
    client.cancel()  # the old behaviour: whatever runs
    assert written[3]["target"] == api_id
