import hashlib
from pathlib import Path

import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.core.units import format_bytes, format_duration, format_rate
from slmdesk.formats.checksum import sha256_task


def test_progress_of_bytes() -> None:
    event = Progress.of_bytes(25, 100, "x")
    assert event.fraction == 0.25 and event.bytes_done == 25 and event.bytes_total == 100
    assert Progress.of_bytes(5, None).fraction is None
    assert Progress.of_bytes(5, 0).fraction is None


def test_sha256_task_matches_hashlib_and_reports_bytes(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000  # 2.56 MB, several chunks
    path = tmp_path / "model.gguf"
    path.write_bytes(data)
    events: list[Progress] = []
    digest = run_inline(sha256_task(path, chunk_bytes=1 << 20), on_progress=events.append)
    assert digest == hashlib.sha256(data).hexdigest()
    assert events[-1].bytes_done == len(data) == events[-1].bytes_total
    assert events[-1].fraction == 1.0


def test_sha256_of_a_split_set_is_the_hash_of_the_concatenation(tmp_path: Path) -> None:
    parts = []
    for i in range(3):
        part = tmp_path / f"m-0000{i + 1}-of-00003.gguf"
        part.write_bytes(bytes([i]) * 1000)
        parts.append(part)
    expected = hashlib.sha256(b"".join(p.read_bytes() for p in parts)).hexdigest()
    assert run_inline(sha256_task(parts)) == expected


def test_sha256_task_cancels_between_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * (4 << 20))
    token = CancelToken()
    seen = []

    def cancel_after_first(event: Progress) -> None:
        seen.append(event)
        if len(seen) == 2:
            token.cancel()

    with pytest.raises(Cancelled, match=r"^cancelled$"):
        run_inline(sha256_task(path, chunk_bytes=1 << 20), token, cancel_after_first)
    assert seen[-1].bytes_done < 4 << 20


def test_sha256_task_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="Cannot read"):
        run_inline(sha256_task(tmp_path / "gone.gguf"))


def test_units() -> None:
    assert format_bytes(512) == "512 B"
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(5 * 1024**3) == "5.0 GiB"
    assert format_bytes(None) == "-"
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(-1) == "-"
    assert format_rate(2.5 * 1024**2) == "2.5 MiB/s"
