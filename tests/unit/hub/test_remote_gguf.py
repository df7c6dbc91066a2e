"""Remote GGUF headers from the fake Hub: ranged reads that grow only while the header continues,
the spec equal to the local one, the disk cache (a hit asks nothing, a damaged entry is read
again), split sets, servers that ignore or misplace ranges, the size cap, gated access and the
token kept out of every message."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.formats.gguf import GGUFFormatError, read_gguf
from slmdesk.formats.split import read_split_set
from slmdesk.hub import remote_gguf
from slmdesk.hub.errors import HubAccessDenied, HubNotFound, HubOffline
from slmdesk.hub.remote_gguf import read_remote_spec, remote_path
from slmdesk.paths import AppPaths
from tests.fake_hub import FakeFile, FakeHub, FakeRepo, point_at
from tests.gguf_factory import write_gguf

TOKEN = "hf_SecretToken123"


def _ranges(hub: FakeHub) -> list[tuple[int, int]]:
    out = []
    for request in hub.asked("GET", "/resolve/"):
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers.get("Range", ""))
        assert match is not None, request.headers
        out.append((int(match[1]), int(match[2])))
    return out


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    [path] = write_gguf(tmp_path / "toy-Q8_0.gguf", n_vocab=2000, n_layer=4)
    return path


@pytest.fixture
def hub(toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    (tmp_path / "split").mkdir()
    parts = write_gguf(tmp_path / "split" / "big.gguf", split=3, n_layer=4)
    repos = [
        FakeRepo("org/toy", files=[FakeFile(toy.name, source=toy)]),
        FakeRepo("org/split", files=[FakeFile(f"F16/{p.name}", source=p) for p in parts]),
        FakeRepo("org/gated", files=[FakeFile(toy.name, source=toy)], gated=True, token=TOKEN),
    ]
    with FakeHub(repos) as fake:
        point_at(fake, monkeypatch)
        yield fake


def test_header_grows_geometrically_and_equals_the_local_spec(hub: FakeHub, toy: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_gguf, "FIRST_RANGE_BYTES", 1024)
    commit = hub.repos["org/toy"].sha
    spec = read_remote_spec("org/toy", toy.name, commit, toy.stat().st_size, timeout_s=5)
    local = read_gguf(toy)
    assert spec.path == remote_path("org/toy", toy.name) and spec.path.name == toy.name
    assert replace(spec, path=local.path, files=local.files) == local
    assert spec.file_bytes == toy.stat().st_size
    ranges = _ranges(hub)
    assert ranges[0] == (0, 1023) and len(ranges) >= 2
    for (_a, end), (start, _b) in itertools.pairwise(ranges):
        assert start == end + 1  # never the same byte twice
    asked = sum(b - a + 1 for a, b in ranges)
    assert spec.data_offset is not None and asked < 4 * spec.data_offset  # the header, not the file
    assert all(f"/resolve/{commit}/" in r.path for r in hub.asked("GET", "/resolve/"))


def test_second_read_is_served_from_the_cache(hub: FakeHub, toy: Path, app_paths: AppPaths) -> None:
    commit = hub.repos["org/toy"].sha
    first = read_remote_spec("org/toy", toy.name, commit, timeout_s=5)
    asked = len(hub.requests)
    assert asked == 1 and _ranges(hub) == [(0, remote_gguf.FIRST_RANGE_BYTES - 1)]
    assert read_remote_spec("org/toy", toy.name, commit, timeout_s=5) == first
    assert len(hub.requests) == asked
    [entry] = (app_paths.cache / remote_gguf.CACHE_FOLDER).rglob("*.header")
    assert entry.stat().st_size < toy.stat().st_size
    entry.write_bytes(entry.read_bytes()[:200])  # damaged: ignored and read again
    assert read_remote_spec("org/toy", toy.name, commit, timeout_s=5) == first
    assert len(hub.requests) == asked + 1


def test_offline_uses_the_cache_and_refuses_otherwise(hub: FakeHub, toy: Path, app_paths: AppPaths,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    commit = hub.repos["org/toy"].sha
    spec = read_remote_spec("org/toy", toy.name, commit, timeout_s=5)
    hub.requests.clear()
    monkeypatch.setenv("SLMDESK_NETWORK_LOG", str(app_paths.logs / "x.jsonl"))
    offline.apply_network_policy(True, process="test", app_paths=app_paths)
    assert read_remote_spec("org/toy", toy.name, commit) == spec  # no connection needed
    with pytest.raises(HubOffline, match="so it cannot read that model's header"):
        read_remote_spec("org/gated", toy.name, hub.repos["org/gated"].sha)
    assert hub.requests == []


def test_split_set_reads_every_part_header(hub: FakeHub, tmp_path: Path) -> None:
    parts = sorted((tmp_path / "split").glob("*.gguf"))
    commit = hub.repos["org/split"].sha
    total = sum(p.stat().st_size for p in parts)
    spec = read_remote_spec("org/split", f"F16/{parts[1].name}", commit, total, timeout_s=5)  # as RepoItem gives it
    local = read_split_set(parts[0])
    assert spec.files == tuple(remote_path("org/split", f"F16/{p.name}") for p in parts)
    assert replace(spec, path=local.path, files=local.files) == local
    assert spec.file_bytes == sum(p.stat().st_size for p in parts)
    assert len(hub.asked("GET", "/resolve/")) == 3
    with pytest.raises(UserError, match="but its listing said 12"):
        read_remote_spec("org/split", f"F16/{parts[0].name}", commit, 12)  # from the cache, still checked


def test_split_set_with_a_missing_part(hub: FakeHub) -> None:
    repo = hub.repos["org/split"]
    gone = repo.files.pop()
    with pytest.raises(HubNotFound) as missing:
        read_remote_spec("org/split", repo.files[0].path, repo.sha, timeout_s=5)
    assert missing.value.message == f"{gone.path} is not in org/split on the Hugging Face Hub."


def test_a_server_that_ignores_range_is_read_only_as_far_as_needed(hub: FakeHub, toy: Path) -> None:
    big = FakeFile("big-Q4_0.gguf", data=toy.read_bytes() + b"\0" * (8 << 20), ignore_range=True)
    hub.repos["org/toy"].files.append(big)
    spec = read_remote_spec("org/toy", big.path, hub.repos["org/toy"].sha, timeout_s=5)
    assert spec.file_bytes == big.size and spec.n_layer == 4


def test_a_misplaced_content_range_is_an_error(hub: FakeHub, toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_gguf, "FIRST_RANGE_BYTES", 2048)
    hub.repos["org/toy"].files.append(FakeFile("w.gguf", source=toy, wrong_content_range=True))
    with pytest.raises(UserError, match="with other bytes"):
        read_remote_spec("org/toy", "w.gguf", hub.repos["org/toy"].sha, timeout_s=5)


def test_headers_above_the_cap_are_refused(hub: FakeHub, toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_gguf, "FIRST_RANGE_BYTES", 512)
    monkeypatch.setattr(remote_gguf, "MAX_REMOTE_HEADER_BYTES", 4096)
    with pytest.raises(GGUFFormatError, match="the header is larger than 0 MiB"):
        read_remote_spec("org/toy", toy.name, hub.repos["org/toy"].sha, timeout_s=5)
    assert max(b for _a, b in _ranges(hub)) == 4095


def test_not_a_gguf_file(hub: FakeHub) -> None:
    hub.repos["org/toy"].files.append(FakeFile("fake.gguf", data=b"not a gguf file at all" * 10))
    with pytest.raises(GGUFFormatError, match=r"^fake\.gguf is not a readable GGUF file"):
        read_remote_spec("org/toy", "fake.gguf", hub.repos["org/toy"].sha, timeout_s=5)


def test_gated_401_then_403_then_access_with_hf_token(hub: FakeHub, toy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commit = hub.repos["org/gated"].sha
    with pytest.raises(HubAccessDenied) as anonymous:
        read_remote_spec("org/gated", toy.name, commit, timeout_s=5)
    assert anonymous.value.message == (f"This model is gated: accept its licence at {hub.endpoint}/org/gated (signed "
                                       "in), then sign in here with `hf auth login` or set HF_TOKEN.")
    monkeypatch.setenv("HF_TOKEN", "hf_wrong")
    with pytest.raises(HubAccessDenied, match="has no access to it yet") as wrong:
        read_remote_spec("org/gated", toy.name, commit, timeout_s=5)
    assert "hf_wrong" not in str(wrong.value)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    spec = read_remote_spec("org/gated", toy.name, commit, timeout_s=5)
    assert spec.n_layer == 4
    assert [r.headers.get("Authorization") for r in hub.asked("GET", "/resolve/")] == [
        None, "Bearer hf_wrong", f"Bearer {TOKEN}"]


def test_unsafe_names_and_bad_commits_are_refused(hub: FakeHub) -> None:
    with pytest.raises(UserError, match="cannot be read as a GGUF file"):
        read_remote_spec("org/toy", "../x.gguf", hub.repos["org/toy"].sha)
    with pytest.raises(ValueError, match="40 lowercase hex"):
        read_remote_spec("org/toy", "x.gguf", "main")
    assert hub.requests == []
