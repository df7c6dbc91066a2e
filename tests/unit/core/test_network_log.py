"""The Network log file: JSON lines appended by any process, read back oldest first, rotated when large."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from slmdesk.core.network_log import (
    LOG_ENV,
    LOG_NAME,
    NetworkEvent,
    append_event,
    log_path,
    read_events,
    rotate_if_large,
)
from slmdesk.paths import AppPaths


def event(host: str, blocked: bool = True, port: int | None = 443) -> NetworkEvent:
    return NetworkEvent(time="2026-03-01T12:00:00.123Z", action="connect", host=host, port=port, blocked=blocked,
                        offline=blocked, process="slmdesk serve", pid=4242, thread="MainThread",
                        module="httpcore2._backends.sync", caller="slmdesk.hub.search.search_models")


def test_entries_round_trip_as_one_json_line_each(tmp_path: Path) -> None:
    path = tmp_path / "data" / LOG_NAME  # the folder is created
    append_event(path, event("huggingface.co"))
    append_event(path, event("203.0.113.9", blocked=False, port=None))
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["host"] == "huggingface.co"
    assert path.stat().st_mode & 0o777 == 0o600  # it tells which hosts this user's models were fetched from
    assert read_events(path) == [event("huggingface.co"), event("203.0.113.9", blocked=False, port=None)]
    assert read_events(path, limit=1) == [event("203.0.113.9", blocked=False, port=None)]
    assert read_events(tmp_path / "missing.jsonl") == []


def test_a_damaged_line_is_skipped_with_a_warning(tmp_path: Path, caplog) -> None:
    path = tmp_path / LOG_NAME
    append_event(path, event("a.example"))
    with path.open("a") as handle:
        handle.write('{"time": "2026-03-01T12:00:01Z", "action": "conn\n')  # cut short by a crash
        handle.write('{"time": "x", "action": "teleport", "host": "h", "port": 1, "blocked": true, "offline": true,'
                     ' "process": "p", "pid": 1, "thread": "t", "module": "m", "caller": null}\n')
        handle.write("[1, 2]\n\n")
    append_event(path, event("b.example"))
    with caplog.at_level(logging.WARNING, logger="slmdesk.core.network_log"):
        assert [e.host for e in read_events(path)] == ["a.example", "b.example"]
    assert "line 2 skipped" in caplog.text and "unknown action 'teleport'" in caplog.text
    assert "line 4 skipped (not a JSON object)" in caplog.text


def test_targets_read_as_people_write_them() -> None:
    assert event("huggingface.co").target == "huggingface.co:443"
    assert event("2001:db8::1", port=53).target == "[2001:db8::1]:53"
    assert event("example.org", port=None).target == "example.org"


def test_the_log_lives_in_the_data_folder_unless_the_environment_names_a_file(app_paths: AppPaths,
                                                                             tmp_path: Path) -> None:
    assert log_path(app_paths, {}) == app_paths.data / "network-log.jsonl"
    assert log_path(app_paths, {LOG_ENV: str(tmp_path / "all.jsonl")}) == tmp_path / "all.jsonl"
    assert log_path(app_paths, {LOG_ENV: "  "}) == app_paths.data / LOG_NAME


def test_a_large_log_is_rotated_once(tmp_path: Path) -> None:
    path = tmp_path / LOG_NAME
    assert rotate_if_large(path, max_bytes=100) is False  # no file yet
    for index in range(3):
        append_event(path, event(f"host{index}.example"))
    assert rotate_if_large(path, max_bytes=10_000) is False
    assert rotate_if_large(path, max_bytes=100) is True
    assert not path.exists() and len(read_events(tmp_path / f"{LOG_NAME}.1")) == 3
