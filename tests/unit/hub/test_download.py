"""The resumable downloader against the fake Hub on loopback: the HF cache layout, resume after a
drop, servers that get Range wrong, corrupt bytes, access errors, hostile names, split sets,
pause and resume, offline mode, the lock, and the Network log's request entries."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.core import netguard, offline
from slmdesk.core.errors import Cancelled
from slmdesk.core.network_log import read_events
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.hub.download import (
    DownloadFailed,
    DownloadPlan,
    DownloadRefused,
    DownloadRequest,
    DownloadResult,
    HubAccessDenied,
    HubNotFound,
    HubOffline,
    discard_partial,
    download_task,
    plan_download,
)
from slmdesk.hub.http import install_request_log, redact_url, uninstall_request_log
from tests.fake_hub import FakeFile, FakeHub, FakeRepo

SIZE = 3_000_000
DATA = bytes(range(256)) * (SIZE // 256) + b"\x07" * (SIZE % 256)
TOKEN = "hf_secretTOKENvalue123"


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeHub]:
    """A started fake Hub, huggingface_hub pointed at it, offline mode off, the HF cache in tmp_path."""
    from huggingface_hub import constants

    for name in (offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with FakeHub() as fake:
        monkeypatch.setattr(constants, "ENDPOINT", fake.endpoint)
        monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                            fake.endpoint + "/{repo_id}/resolve/{revision}/{filename}")
        yield fake


def repo(hub: FakeHub, *files: FakeFile, **options: object) -> FakeRepo:
    return hub.add(FakeRepo("org/model", files=list(files), **options))  # type: ignore[arg-type]


def download(request: DownloadRequest, token: CancelToken | None = None,
             events: list[Progress] | None = None) -> DownloadResult:
    plan = plan_download(request)
    return run_inline(download_task(plan), token, events.append if events is not None else None)


def gets(hub: FakeHub) -> list[str | None]:
    """The Range header of each file GET, in order (None: no Range)."""
    return [r.headers.get("Range") for r in hub.asked("GET", "/resolve/")]


def test_lands_in_the_hf_cache_layout_and_huggingface_hub_finds_it(hub: FakeHub, tmp_path: Path) -> None:
    from huggingface_hub import scan_cache_dir, try_to_load_from_cache

    fake = repo(hub, FakeFile("m-Q4_K_M.gguf", data=DATA))
    events: list[Progress] = []
    result = download(DownloadRequest("org/model", "m-Q4_K_M.gguf"), events=events)
    cache = tmp_path / "hf" / "hub"
    folder = cache / "models--org--model"
    assert result.path == folder / "snapshots" / fake.sha / "m-Q4_K_M.gguf"
    assert result.path.is_symlink() and result.path.read_bytes() == DATA
    assert os.readlink(result.path) == f"../../blobs/{hashlib.sha256(DATA).hexdigest()}"
    assert (folder / "refs" / "main").read_text() == fake.sha
    assert result.sha256 == result.artifact_sha256 == hashlib.sha256(DATA).hexdigest()
    assert (result.revision, result.size_bytes, result.resumed_from_bytes) == (fake.sha, SIZE, 0)
    assert try_to_load_from_cache("org/model", "m-Q4_K_M.gguf", cache_dir=cache) == str(result.path)
    [cached] = scan_cache_dir(cache).repos
    assert cached.repo_id == "org/model" and cached.size_on_disk == SIZE
    assert not list(folder.glob("blobs/*.incomplete*"))
    assert events[-1].bytes_done == SIZE and events[-1].fraction == 1.0
    assert gets(hub) == [None]


def test_a_connection_dropped_at_60_percent_resumes_with_a_range_request(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA, drop_at=int(SIZE * 0.6)))
    events: list[Progress] = []
    result = download(DownloadRequest("org/model", "m.gguf"), events=events)
    assert result.path.read_bytes() == DATA
    first, second = gets(hub)
    assert first is None and second is not None
    resumed_at = int(second.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= SIZE * 0.6
    assert any("connection lost" in e.message and "retrying" in e.message for e in events)


@pytest.mark.parametrize("fault", ["ignore_range", "wrong_content_range"])
def test_a_server_that_gets_range_wrong_makes_it_start_again_from_zero(hub: FakeHub, fault: str) -> None:
    fake = FakeFile("m.gguf", data=DATA, drop_at=SIZE // 2, **{fault: True})  # type: ignore[arg-type]
    repo(hub, fake)
    result = download(DownloadRequest("org/model", "m.gguf"))
    assert result.path.read_bytes() == DATA and result.sha256 == hashlib.sha256(DATA).hexdigest()
    assert result.resumed_from_bytes == 0
    ranges = gets(hub)
    assert ranges[0] is None and ranges[1] is not None  # it asked to resume, got something else, restarted


def test_right_size_wrong_bytes_keeps_nothing_and_says_so(hub: FakeHub, tmp_path: Path) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA, corrupt=True))
    with pytest.raises(DownloadFailed, match="right size but the wrong content") as caught:
        download(DownloadRequest("org/model", "m.gguf"))
    assert "deleted and nothing was added" in caught.value.message
    assert [p for p in (tmp_path / "hf").rglob("*") if p.is_file() and not p.name.endswith(".lock")] == []


def test_a_missing_file_is_not_found(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA))
    with pytest.raises(HubNotFound, match=r"not in org/model|That file is not in org/model"):
        plan_download(DownloadRequest("org/model", "other.gguf"))


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("hf_wrongTOKENvalue999", 403)])
def test_a_gated_repo_says_what_to_do_and_never_shows_the_token(
        hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str | None, status: int) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA), gated=True, token=TOKEN)
    if token:
        monkeypatch.setenv("HF_TOKEN", token)
    log_file = tmp_path / "net.jsonl"
    install_request_log(log_file, "test")
    try:
        with pytest.raises(HubAccessDenied) as caught:
            plan_download(DownloadRequest("org/model", "m.gguf"))
    finally:
        uninstall_request_log()
    text = str(caught.value)
    assert "licence" in text and ("hf auth login" in text or "HF_TOKEN" in text)
    assert (token or TOKEN) not in text
    entries = [e for e in read_events(log_file) if e.action == "request" and "/resolve/" in (e.url or "")]
    assert [e.status for e in entries] == [status]
    assert token is None or token not in log_file.read_text()


def test_the_right_token_opens_a_gated_repo(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA), gated=True, token=TOKEN)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    assert download(DownloadRequest("org/model", "m.gguf")).path.read_bytes() == DATA


@pytest.mark.parametrize("name", ["../x.gguf", "/abs.gguf", "a\\b.gguf", "sub/../../x.gguf", "C:x.gguf", "a\x00.gguf"])
def test_hostile_names_are_refused_before_any_request(hub: FakeHub, name: str) -> None:
    repo(hub, FakeFile(name, data=DATA))
    with pytest.raises(DownloadRefused, match="refuses to write"):
        plan_download(DownloadRequest("org/model", name, target_dir=Path("/tmp/never-written")))
    assert hub.asked(contains="/resolve/") == []


def test_a_split_set_downloads_as_one_job(hub: FakeHub) -> None:
    parts = [DATA[i::3] for i in range(3)]
    repo(hub, *(FakeFile(f"m-Q8_0-0000{i + 1}-of-00003.gguf", data=p) for i, p in enumerate(parts)))
    plan = plan_download(DownloadRequest("org/model", "m-Q8_0-00001-of-00003.gguf"))
    assert [f.path_in_repo for f in plan.files] == [f"m-Q8_0-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    assert plan.total_bytes == SIZE
    result = run_inline(download_task(plan))
    assert [p.read_bytes() for p in result.paths] == parts
    assert result.sha256s == tuple(hashlib.sha256(p).hexdigest() for p in parts)
    assert result.artifact_sha256 == hashlib.sha256(b"".join(parts)).hexdigest()


def test_a_split_set_with_a_missing_part_is_refused_naming_it(hub: FakeHub) -> None:
    repo(hub, FakeFile("m-00001-of-00003.gguf", data=DATA), FakeFile("m-00003-of-00003.gguf", data=DATA))
    with pytest.raises(DownloadRefused, match=r"m-00002-of-00003\.gguf is missing"):
        plan_download(DownloadRequest("org/model", "m-00001-of-00003.gguf"))
    assert hub.asked("GET", "/resolve/") == []


def test_pause_then_resume(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA * 4, rate_bytes_per_s=8_000_000))
    request = DownloadRequest("org/model", "m.gguf")
    token = CancelToken()

    def pause_at_a_third(event: Progress) -> None:
        if (event.bytes_done or 0) > len(DATA):
            token.cancel()

    with pytest.raises(Cancelled):
        run_inline(download_task(plan_download(request)), token, pause_at_a_third)
    plan = plan_download(request)
    assert plan.partial_bytes > len(DATA) and plan.files[0].partial_path.is_file()
    result = run_inline(download_task(plan))
    assert result.resumed_from_bytes == plan.partial_bytes
    assert result.path.read_bytes() == DATA * 4
    assert gets(hub)[-1] == f"bytes={plan.partial_bytes}-"


def test_discard_partial_removes_the_bytes(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA, drop_at=SIZE // 2, drop_times=-1))
    plan = plan_download(DownloadRequest("org/model", "m.gguf"))
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_inline(download_task(plan), token)
    plan.files[0].partial_path.write_bytes(DATA[:1000])
    assert discard_partial(plan) == 1000
    assert not plan.files[0].partial_path.exists()


def test_offline_mode_refuses_with_no_request(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA))
    offline.apply_network_policy(False)
    import os as _os

    _os.environ[offline.OFFLINE_ENV] = "1"
    offline.apply_network_policy(False)
    with pytest.raises(HubOffline, match="Offline mode is on"):
        plan_download(DownloadRequest("org/model", "m.gguf"))
    assert hub.requests == []


def test_two_jobs_on_the_same_file_are_refused(hub: FakeHub) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA))
    plan = plan_download(DownloadRequest("org/model", "m.gguf"))
    from filelock import FileLock

    with FileLock(str(plan.files[0].lock_path)), pytest.raises(DownloadRefused, match="already being downloaded"):
        run_inline(download_task(plan))


def test_download_into_a_folder(hub: FakeHub, tmp_path: Path) -> None:
    repo(hub, FakeFile("sub/m.gguf", data=DATA))
    result = download(DownloadRequest("org/model", "sub/m.gguf", target_dir=tmp_path / "models"))
    assert result.path == tmp_path / "models" / "sub" / "m.gguf" and not result.path.is_symlink()
    assert result.path.read_bytes() == DATA and result.cache_dir is None
    assert sorted(p.name for p in result.path.parent.iterdir()) == ["m.gguf", "m.gguf.incomplete.lock"]


def test_not_enough_free_disk_is_refused_up_front(hub: FakeHub, monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    import shutil

    repo(hub, FakeFile("m.gguf", data=DATA))
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(DownloadRefused, match="Not enough free disk space"):
        plan_download(DownloadRequest("org/model", "m.gguf", target_dir=tmp_path))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MiB tmpfs (root only); skipped where mounting is not permitted."""
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(folder)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'mount failed'})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_small_disk_refuses_then_fills_up_midway(hub: FakeHub, small_disk: Path) -> None:
    big = os.urandom(15 << 20)
    fits = os.urandom(8 << 20)
    repo(hub, FakeFile("big.gguf", data=big), FakeFile("fits.gguf", data=fits))
    with pytest.raises(DownloadRefused, match="Not enough free disk space"):
        plan_download(DownloadRequest("org/model", "big.gguf", target_dir=small_disk))
    assert list(small_disk.iterdir()) == []
    plan = plan_download(DownloadRequest("org/model", "fits.gguf", target_dir=small_disk))
    (small_disk / "filler").write_bytes(b"\0" * (15 << 20))  # the disk fills after planning
    with pytest.raises(DownloadFailed, match="The disk is full") as caught:
        run_inline(download_task(plan))
    partial = plan.files[0].partial_path
    kept = partial.stat().st_size
    assert 0 < kept < len(fits) and partial.read_bytes() == fits[:kept]  # whole chunks only, resumable
    assert str(partial) in caught.value.message
    (small_disk / "filler").unlink()
    result = run_inline(download_task(plan_download(DownloadRequest("org/model", "fits.gguf",
                                                                    target_dir=small_disk))))
    assert result.resumed_from_bytes == kept and result.path.read_bytes() == fits


def test_the_network_log_lists_requests_with_status_and_bytes_without_the_token(
        hub: FakeHub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA), gated=True, token=TOKEN)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    log_file = tmp_path / "net.jsonl"
    netguard.install(offline=False, process="slmdesk download", log_file=log_file)
    install_request_log()
    try:
        download(DownloadRequest("org/model", "m.gguf"))
    finally:
        uninstall_request_log()
    requests = [e for e in read_events(log_file) if e.action == "request"]
    rows = [(e.method, (e.url or "").removeprefix(hub.endpoint), e.status) for e in requests]
    assert ("HEAD", "/org/model/resolve/main/m.gguf", 200) in rows
    [get] = [e for e in requests if e.method == "GET" and "/resolve/" in (e.url or "")]
    assert (get.status, get.bytes, get.process, get.host) == (200, SIZE, "slmdesk download", "127.0.0.1")
    assert get.duration_s is not None and get.duration_s >= 0
    assert TOKEN not in log_file.read_text()


def test_redact_url_drops_credentials_and_secret_query_values() -> None:
    assert redact_url("https://user:pw@cdn.example:8443/f?X-Amz-Signature=abc&search=smol") == (
        "https://cdn.example:8443/f?X-Amz-Signature=***&search=smol")


def test_plan_reports_bytes_already_there(hub: FakeHub, tmp_path: Path) -> None:
    repo(hub, FakeFile("m.gguf", data=DATA))
    result = download(DownloadRequest("org/model", "m.gguf"))
    plan: DownloadPlan = plan_download(DownloadRequest("org/model", "m.gguf"))
    assert plan.partial_bytes == SIZE and plan.destination == result.path
    again = run_inline(download_task(plan))
    assert again.resumed_from_bytes == SIZE and len(gets(hub)) == 1  # checked, not fetched again
