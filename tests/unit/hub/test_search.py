"""Hub search: refused without a connection in offline mode; against a fake Hub on loopback, the
models, the Hub's errors and a Hub that does not answer, each with a message a person can act on."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from slmdesk.core import netguard, offline
from slmdesk.core.errors import UserError
from slmdesk.core.network_log import read_events
from slmdesk.hub.search import EXPAND, HubModel, HubOffline, HubUnreachable, search_models

MODELS = [
    {"id": "HuggingFaceTB/SmolLM2-135M-Instruct", "downloads": 123456, "likes": 200, "library_name": "transformers",
     "pipeline_tag": "text-generation", "tags": ["transformers", "safetensors"],
     "lastModified": "2025-02-19T10:00:00.000Z", "gated": False},
    {"id": "someone/smollm2-gguf", "downloads": "many", "tags": None, "gated": "manual"},
]


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch):
    """Offline mode off here (the test rig exports HF_HUB_OFFLINE=1 for every test)."""
    from huggingface_hub import constants

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return constants


Answer = Callable[[BaseHTTPRequestHandler], None]
"""Writes the fake Hub's reply to one request."""


@pytest.fixture
def fake_hub(online, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Answer], list[str]]]:
    """Start a Hub on 127.0.0.1 that answers with the given handler; returns the paths it was asked."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> list[str]:
        asked: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                asked.append(self.path)
                answer(self)

            def log_message(self, *_args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        monkeypatch.setattr(online, "ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
        return asked

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def reply_json(status: int, body: object) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def test_offline_mode_refuses_without_a_connection(app_paths, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SLMDESK_NETWORK_LOG", str(tmp_path / "attempts.jsonl"))
    offline.apply_network_policy(True, process="slmdesk hub search", app_paths=app_paths)
    with pytest.raises(HubOffline) as refused:
        search_models("smollm2")
    assert refused.value.message == ("Offline mode is on (Settings). slmdesk does not connect to the Hugging Face Hub, "
                                     "so it cannot search it.")
    assert refused.value.hint.startswith("To connect, clear Settings > Offline mode")
    assert netguard.current() is not None and read_events(tmp_path / "attempts.jsonl") == []  # nothing was tried


def test_hf_hub_offline_set_outside_slmdesk_is_named(monkeypatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # as the user's exported HF_HUB_OFFLINE=1 does
    with pytest.raises(HubOffline, match=r"^HF_HUB_OFFLINE is set in the environment"):
        search_models("smollm2")


def test_models_come_back_most_downloaded_first(fake_hub) -> None:
    asked = fake_hub(reply_json(200, MODELS))
    models = search_models("smollm2", limit=2, timeout_s=5)
    assert models == [
        HubModel(repo_id="HuggingFaceTB/SmolLM2-135M-Instruct", downloads=123456, likes=200, library="transformers",
                 pipeline_tag="text-generation", tags=("transformers", "safetensors"),
                 last_modified="2025-02-19T10:00:00.000Z", gated=False),
        HubModel(repo_id="someone/smollm2-gguf", downloads=None, likes=None, library=None, pipeline_tag=None, tags=(),
                 last_modified=None, gated=True),
    ]
    [path] = asked
    assert urlsplit(path).path == "/api/models"
    assert parse_qs(urlsplit(path).query) == {"search": ["smollm2"], "sort": ["downloads"], "limit": ["2"],
                                              "expand": list(EXPAND)}
    assert {"lastModified", "gated"} <= set(EXPAND)  # the Hub's default listing leaves them out
    assert models[0].to_json()["tags"] == ["transformers", "safetensors"]


def test_hub_errors_and_wrong_answers_say_what_happened(fake_hub) -> None:
    fake_hub(reply_json(503, {"error": "maintenance"}))
    with pytest.raises(UserError, match=r"^The Hugging Face Hub at http://127\.0\.0\.1:\d+ answered "
                                        r"503 Service Unavailable to the search\. Try again later"):
        search_models("smollm2", timeout_s=5)
    fake_hub(reply_json(200, {"models": []}))
    with pytest.raises(UserError, match="did not answer with a list of models"):
        search_models("smollm2", timeout_s=5)


def test_a_hub_that_does_not_answer_times_out(fake_hub) -> None:
    release = threading.Event()
    fake_hub(lambda _handler: release.wait(10))
    try:
        with pytest.raises(HubUnreachable, match=r"did not answer within 0\.3 s\. Check") as slow:
            search_models("smollm2", timeout_s=0.3)
    finally:
        release.set()
    assert "models already on this computer keep working" in slow.value.hint


def test_no_connection_is_a_clear_error(online, monkeypatch) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    monkeypatch.setattr(online, "ENDPOINT", f"http://127.0.0.1:{port}")  # nothing listens there any more
    with pytest.raises(HubUnreachable, match=rf"^Cannot reach the Hugging Face Hub at http://127\.0\.0\.1:{port}: "):
        search_models("smollm2", timeout_s=5)


@pytest.mark.parametrize(("query", "limit", "message"), [
    ("  ", 20, "The search is empty."),
    ("gemma", 0, "A limit of 0 models is out of range."),
    ("gemma", 1001, "A limit of 1001 models is out of range."),
])
def test_bad_input_is_refused_before_asking(online, query: str, limit: int, message: str) -> None:
    with pytest.raises(UserError) as refused:
        search_models(query, limit=limit)
    assert refused.value.message == message
