"""``--offline`` on every command, ``slmdesk hub search`` refusing in offline mode, and
``slmdesk network-log`` printing what the guard recorded (all in this process, no child)."""

from __future__ import annotations

import json
import os
import socket

import pytest

from slmdesk.cli import build_parser, process_name, run_headless
from slmdesk.core import netguard, offline
from slmdesk.core.network_log import read_events
from slmdesk.paths import AppPaths


@pytest.mark.parametrize("argv", [
    ["--offline", "scan", "x.gguf"],
    ["scan", "--offline", "x.gguf"],
    ["scan", "x.gguf", "--offline"],
    ["hub", "search", "smollm2", "--offline"],
    ["hub", "--offline", "search", "smollm2"],
    ["--offline", "network-log"],
    ["serve", "--offline"],
    ["engine-host", "--offline"],
])
def test_offline_is_accepted_before_or_after_any_command(argv: list[str]) -> None:
    assert build_parser().parse_args(argv).offline is True


def test_without_it_offline_is_false_and_commands_have_names() -> None:
    parser = build_parser()
    assert parser.parse_args(["scan", "x.gguf"]).offline is False
    assert parser.parse_args([]).offline is False  # the GUI
    assert process_name(parser.parse_args(["hub", "search", "gemma"])) == "slmdesk hub search"
    assert process_name(parser.parse_args(["engine-host"])) == "slmdesk engine-host"
    assert "--offline" in parser.format_help() and "SLMDESK_OFFLINE=1" in parser.format_help()


def test_hub_search_with_offline_refuses_and_says_how_to_connect(app_paths: AppPaths, capsys) -> None:
    code, _ = run_headless(["hub", "search", "smollm2", "--json", "--offline"])
    assert code == 1
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "error": "Offline mode is on (--offline or SLMDESK_OFFLINE=1). slmdesk does not connect to the Hugging Face "
                 "Hub, so it cannot search it.",
        "hint": "To connect, run without --offline and with SLMDESK_OFFLINE unset. Models already on this computer "
                "keep working.",
    }
    assert err.startswith("slmdesk: error: Offline mode is on")
    assert os.environ[offline.OFFLINE_ENV] == "1"  # children of this run inherit it
    guard = netguard.current()
    assert guard is not None and guard.offline and guard.process == "slmdesk hub search"
    assert guard.log_file is not None and read_events(guard.log_file) == []  # nothing was attempted


def test_network_log_prints_the_blocked_attempts_with_their_origin(app_paths: AppPaths, capsys) -> None:
    code, _ = run_headless(["network-log", "--offline"])
    assert code == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Offline mode is on (--offline or SLMDESK_OFFLINE=1). Log: {app_paths.data / 'network-log.jsonl'}",
        "No connection beyond this computer was attempted.",
    ]
    with pytest.raises(netguard.NetworkBlocked):  # the guard the command installed is still on
        socket.getaddrinfo("huggingface.co", 443)
    code, _ = run_headless(["network-log", "--blocked"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[1].split() == ["TIME", "(UTC)", "RESULT", "ACTION", "TARGET", "PROCESS", "ORIGIN"]
    assert lines[2].split()[2:] == ["blocked", "resolve", "huggingface.co:443", "slmdesk", "network-log",
                                    f"[{os.getpid()}]", __name__]
    assert lines[3] == "1 attempt(s) shown, 1 blocked."
    code, _ = run_headless(["network-log", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["offline"] is True and data["log_file"] == str(app_paths.data / "network-log.jsonl")
    [entry] = data["entries"]
    assert (entry["action"], entry["host"], entry["port"], entry["blocked"]) == ("resolve", "huggingface.co", 443, True)
