"""Chat with a model on a remote OpenAI-compatible server (the fake server of
tests/integration/test_remote_server.py on 127.0.0.1): the picker marks it remote with its host,
it streams, stops and regenerates like a local model, a failing server keeps the conversation,
offline mode disables servers off this computer, and exports name the server's model and address."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.core import offline
from slmdesk.engine.remote import normalize_base_url
from slmdesk.inventory import remotes
from slmdesk.inventory.repository import Inventory
from slmdesk.ui.chat.exporter import JSON, MARKDOWN
from slmdesk.ui.chat.pane import ChatPane
from tests.integration.test_remote_server import WORDS, FakeOpenAIServer

KEY = "sk-remote-gui"
REPLY = "".join(WORDS)


@pytest.fixture
def remote_chat(fake_chat, qtbot) -> Iterator[tuple[ChatPane, Inventory, object, object, FakeOpenAIServer]]:
    pane, inventory, session, runner, _clients = fake_chat
    with FakeOpenAIServer(owned_by="vllm", key=KEY) as server:
        record = remotes.add_connection(inventory, "gpu-box", normalize_base_url(server.base_url), "vllm")
        remotes.key_store().set(record.id, KEY)
        with qtbot.waitSignal(pane.remotes.models_changed, timeout=10_000):
            pane.refresh_remotes()
        yield pane, inventory, session, runner, server


def _connect(qtbot, pane: ChatPane, session) -> None:
    key = next(p.key for p in pane.remotes.picks() if p.usable)
    pane.model_bar.select(key)
    with qtbot.waitSignal(session.loaded, timeout=10_000):
        pane.load_selected()


def _send(qtbot, pane: ChatPane, session, text: str, signal: str = "reply_finished") -> None:
    pane.composer.input_edit.setPlainText(text)
    with qtbot.waitSignal(getattr(session, signal), timeout=15_000):
        pane.send()


def _export(qtbot, pane: ChatPane, runner, path: Path, render) -> None:
    from slmdesk.jobs.runner import JobState

    job_id = pane.export_to(path, render)
    qtbot.waitUntil(lambda: runner.job(job_id).state is JobState.SUCCEEDED, timeout=10_000)


def test_the_picker_marks_the_remote_model_with_its_host(remote_chat) -> None:
    pane, _inventory, _session, _runner, server = remote_chat
    combo = pane.model_bar.combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert f"fake-model @ 127.0.0.1:{server.port} · remote vLLM · n_ctx 2048" in labels


def test_a_remote_model_streams_stops_regenerates_and_exports_with_provenance(remote_chat, qtbot,
                                                                              tmp_path: Path) -> None:
    pane, _inventory, session, runner, server = remote_chat
    _connect(qtbot, pane, session)
    status = pane.model_bar.status_label.text()
    assert status.startswith(f"Connected to fake-model at {server.base_url} · vLLM 0.6.3 · n_ctx 2048 · answered in")
    assert session.loaded_client() is None  # the API server never borrows a remote model

    pane.new_conversation()
    _send(qtbot, pane, session, "Capital of France?")
    assert pane.transcript.messages()[-1].content == REPLY
    assert server.requests[-1]["messages"][-1] == {"role": "user", "content": "Capital of France?"}
    assert server.headers[-1]["authorization"] == f"Bearer {KEY}"

    server.token_s = 0.2  # slow enough to stop in the middle
    _send(qtbot, pane, session, "Again, slowly.", "tokens_received")
    with qtbot.waitSignal(session.reply_finished, timeout=10_000) as stopped:
        pane.stop()
    assert stopped.args[0].stats.finish_reason == "cancelled"
    assert server.disconnected.wait(5)
    assert pane.transcript.messages()[-1].note == "Stopped by you."

    server.token_s = 0.0
    with qtbot.waitSignal(session.reply_finished, timeout=15_000):
        pane.regenerate()
    assert pane.transcript.messages()[-1].content == REPLY
    assert pane.transcript.messages()[-1].versions == (2, 2)

    path = tmp_path / "remote.json"
    _export(qtbot, pane, runner, path, JSON.render)
    exported = json.loads(path.read_text())
    assert exported["model"] == {"name": "fake-model", "remote": True, "base_url": server.base_url,
                                 "server": "vLLM", "server_kind": "vllm", "server_version": "0.6.3"}
    markdown = tmp_path / "remote.md"
    _export(qtbot, pane, runner, markdown, MARKDOWN.render)
    assert f"- Model: fake-model (remote: vLLM 0.6.3 at {server.base_url})" in markdown.read_text()


@pytest.mark.parametrize(("mode", "message"), [
    ("500", "answered 500 while generating a reply: CUDA out of memory"),
    ("drop", "closed the connection in the middle of the reply (after 9 characters)"),
])
def test_a_failing_server_keeps_the_conversation_and_the_connection(remote_chat, qtbot, mode: str,
                                                                   message: str) -> None:
    pane, _inventory, session, _runner, server = remote_chat
    _connect(qtbot, pane, session)
    pane.new_conversation()
    server.mode = mode
    _send(qtbot, pane, session, "Capital of France?", "reply_failed")
    shown = pane.transcript.messages()
    assert shown[-2].content == "Capital of France?"
    assert shown[-1].error and message in shown[-1].note
    assert shown[-1].content == ("" if mode == "500" else "Paris is ")
    assert message in pane.composer.notice_label.text()
    server.mode = "ok"  # still connected: the next message gets its reply
    _send(qtbot, pane, session, "Try again.")
    assert pane.transcript.messages()[-1].content == REPLY


def test_offline_mode_disables_servers_off_this_computer(fake_chat, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    pane, inventory, _session, _runner, _clients = fake_chat
    remotes.add_connection(inventory, "far", "http://gpu-box.example:8000/v1", "vllm")
    monkeypatch.setenv(offline.OFFLINE_ENV, "1")
    assert offline.current().on
    with qtbot.waitSignal(pane.remotes.models_changed, timeout=10_000):
        pane.refresh_remotes()
    combo = pane.model_bar.combo
    index = combo.findData(pane.remotes.picks()[0].key)
    assert combo.itemText(index) == "far @ gpu-box.example:8000 · remote: offline mode: only servers on this computer"
    assert not combo.model().item(index).isEnabled()
    assert os.environ[offline.OFFLINE_ENV] == "1"
