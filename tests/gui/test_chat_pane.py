"""The Chat pane with the real engine process and the real SmolLM2 model."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer

from slmdesk.core.tasks import run_inline
from slmdesk.engine.types import LoadSettings
from slmdesk.inventory import conversations as store
from slmdesk.inventory import fit_records
from slmdesk.inventory.repository import open_inventory
from slmdesk.inventory.scanners import add_paths, scan_task
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.chat.export import conversation_json
from slmdesk.ui.chat.pane import ChatPane
from slmdesk.ui.i18n import format_number

pytestmark = pytest.mark.slow

LOAD_TIMEOUT_MS = 60_000
REPLY_TIMEOUT_MS = 90_000


@pytest.fixture
def chat(qtbot, app_paths: AppPaths, smollm2_gguf: Path):
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    run_inline(scan_task(inventory, [smollm2_gguf], mark_missing=False))
    runner = JobRunner()
    session = EngineSession()
    pane = ChatPane(inventory, session, runner, lambda artifact: LoadSettings(n_ctx=1024, n_threads=2, seed=1))
    qtbot.addWidget(pane)
    pane.resize(1300, 800)
    pane.show()
    qtbot.waitUntil(lambda: pane.selected_artifact() is not None)  # the model list is read in a job
    yield pane, inventory, session, runner
    session.shutdown()
    assert runner.shutdown(10_000)
    inventory.close()


def _load(qtbot, pane: ChatPane, session: EngineSession) -> None:
    with qtbot.waitSignal(session.loaded, timeout=LOAD_TIMEOUT_MS):
        pane.load_selected()
    assert "Loaded" in pane.model_bar.status_label.text()
    assert pane.composer.send_button.isEnabled()


def _ask(qtbot, pane: ChatPane, session: EngineSession, text: str) -> None:
    pane.composer.input_edit.setPlainText(text)
    with qtbot.waitSignal(session.reply_finished, timeout=REPLY_TIMEOUT_MS):
        pane.send()


def test_answers_streams_persists_and_exports(qtbot, chat, tmp_path: Path) -> None:
    pane, inventory, session, runner = chat
    _load(qtbot, pane, session)
    at_load = fit_records.latest_measurement(inventory, pane.selected_artifact().id)
    assert at_load is not None and at_load.peak_rss_bytes > 50 * 2**20 and at_load.tg_tps is None  # every load
    pane.generation.temperature.setValue(0.0)
    pane.generation.max_tokens.setValue(24)

    # Heartbeat on the GUI thread while the reply streams (issue 5: never stalls > 50 ms).
    clock, gaps, last = QElapsedTimer(), [], [0]
    clock.start()
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: (gaps.append(clock.elapsed() - last[0]), last.__setitem__(0, clock.elapsed())))

    def start_heartbeat(_text: str) -> None:  # measure while the reply streams
        if not heartbeat.isActive():
            clock.restart()
            last[0] = 0
            heartbeat.start()

    session.tokens_received.connect(start_heartbeat)
    _ask(qtbot, pane, session, "What is the capital of France? Answer in one word.")
    heartbeat.stop()
    session.tokens_received.disconnect(start_heartbeat)

    messages = store.list_messages(inventory, pane.current_conversation_id())
    assert [m.role for m in messages] == ["user", "assistant"]
    assert "Paris" in messages[1].content
    assert messages[1].stats["completion_tokens"] > 0
    assert "<|im_end|>" not in messages[1].content
    assert "tok/s" in pane.transcript.toPlainText()
    tokens = pane.composer.token_label.text()
    assert "Conversation:" in tokens and f"/ {format_number(1024)} token" in tokens
    assert max(gaps) < 50, f"GUI thread stalled {max(gaps)} ms while streaming"
    measured = fit_records.latest_measurement(inventory, pane.selected_artifact().id)
    assert measured is not None and measured.peak_rss_bytes > 50 * 2**20  # stored beside the estimate
    assert measured.load_settings["n_ctx"] == 1024 and measured.backend == "llama.cpp"
    assert measured.id != at_load.id and measured.tg_tps and measured.peak_rss_bytes >= at_load.peak_rss_bytes
    [conversation] = store.list_conversations(inventory)
    assert conversation.title.startswith("What is the capital of France")

    out = tmp_path / "chat.json"
    job_id = pane.export_to(out, lambda c, m, model: json.dumps(conversation_json(c, m, model)))
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=30_000)
    data = json.loads(out.read_text())
    assert data["model"]["sha256"] and len(data["model"]["sha256"]) == 64
    assert data["model"]["quantization"] == "Q4_1" and data["model"]["backend"] == "llama.cpp"
    assert data["sampling"]["temperature"] == 0.0 and "Paris" in data["messages"][1]["content"]


def test_an_onnx_model_turns_off_what_its_engine_lacks(qtbot, chat, smollm2_onnx: Path) -> None:
    pane, inventory, session, _ = chat
    onnx = add_paths(inventory, [smollm2_onnx])[0]
    pane.artifacts.refresh()  # the Library reloads the shared list after a scan; alone, the pane does
    qtbot.waitUntil(lambda: pane.model_bar.combo.findData(onnx.id) >= 0, timeout=10_000)
    pane.select_artifact(onnx.id)
    _load(qtbot, pane, session)
    assert "onnxruntime-genai" in pane.model_bar.status_label.text()
    assert not pane.generation.min_p.isEnabled() and "no min-p" in pane.generation.min_p.toolTip()
    with qtbot.waitSignal(session.unloaded, timeout=LOAD_TIMEOUT_MS):
        pane.unload()
    assert pane.generation.min_p.isEnabled() and "no min-p" not in pane.generation.min_p.toolTip()


def test_stop_keeps_partial_reply(qtbot, chat) -> None:
    pane, inventory, session, _ = chat
    _load(qtbot, pane, session)
    pane.generation.max_tokens.setValue(400)
    pane.composer.input_edit.setPlainText("Write a long story about a lighthouse keeper.")
    with qtbot.waitSignal(session.reply_finished, timeout=REPLY_TIMEOUT_MS) as blocker:
        pane.send()
        qtbot.waitUntil(lambda: pane._reply is not None and len(pane._reply.content) > 20, timeout=REPLY_TIMEOUT_MS)
        pane.stop()
    done = blocker.args[0]
    assert done.stats.finish_reason == "cancelled"
    assert done.stats.tokens_after_cancel in (0, 1)  # Stop takes effect within one token
    assert done.stats.completion_tokens < 400
    stored = store.list_messages(inventory, pane.current_conversation_id())[-1]
    assert stored.content and stored.stats["note"] == "Stopped by you."


def test_engine_killed_mid_reply_keeps_conversation_and_reloads(qtbot, chat) -> None:
    pane, inventory, session, _ = chat
    _load(qtbot, pane, session)
    pane.generation.max_tokens.setValue(400)
    pane.composer.input_edit.setPlainText("Count from one to two hundred in words.")
    with qtbot.waitSignal(session.reply_failed, timeout=REPLY_TIMEOUT_MS) as blocker:
        pane.send()
        qtbot.waitUntil(lambda: pane._reply is not None and len(pane._reply.content) > 10, timeout=REPLY_TIMEOUT_MS)
        os.kill(session.engine_pid(), signal.SIGKILL)
    message, _hint, crashed = blocker.args
    assert crashed
    assert "engine stopped" in message.lower()
    assert "signal 9" in message.lower() or "sigkill" in message.lower()
    messages = store.list_messages(inventory, pane.current_conversation_id())
    assert messages[0].content.startswith("Count from one")
    assert messages[1].content  # the partial reply is kept
    assert messages[1].stats.get("error") is True
    assert "Load" in pane.model_bar.status_label.text()
    assert not pane.composer.send_button.isEnabled()

    _load(qtbot, pane, session)  # reloading works
    pane.generation.max_tokens.setValue(8)
    _ask(qtbot, pane, session, "Say hello.")
    assert store.list_messages(inventory, pane.current_conversation_id())[-1].content


def test_model_picker_shows_verdict_and_load_settings(qtbot, chat) -> None:
    pane, inventory, session, runner = chat
    verdicts = {pane.selected_artifact().id: "CPU only"}
    picker = ChatPane(inventory, session, runner, lambda a: LoadSettings(n_ctx=2048, type_k="q8_0", type_v="q8_0",
                                                                          flash_attn=True),
                      verdict_for=verdicts.get, artifacts=pane.artifacts)  # the shared list: filled at once
    qtbot.addWidget(picker)
    text = picker.model_bar.combo.currentText()
    assert "Q4_1" in text and "n_ctx 2048" in text and "KV q8_0" in text and text.endswith("CPU only")
