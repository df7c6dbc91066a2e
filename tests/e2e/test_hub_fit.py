"""The starter GGUFs served by the fake Hub: the remote header gives the same spec as the local
file, for a small fraction of its bytes, and a second read asks nothing (cache)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from slmdesk.core import fit
from slmdesk.core.load_plan import LoadPlan
from slmdesk.core.profiles import PRESETS
from slmdesk.formats.gguf import read_gguf
from slmdesk.hub.remote_gguf import read_remote_spec, remote_path
from slmdesk.hub.repo import list_repo
from tests.fake_hub import FakeHub, gguf_repo, point_at


def _asked_bytes(hub: FakeHub) -> int:
    total = 0
    for request in hub.asked("GET", "/resolve/"):
        match = re.fullmatch(r"bytes=(\d+)-(\d+)", request.headers["Range"])
        assert match is not None
        total += int(match[2]) - int(match[1]) + 1
    return total


@pytest.mark.parametrize("fixture", ["smollm2_gguf", "gemma3_gguf"])
def test_remote_header_spec_equals_the_local_one(fixture: str, request: pytest.FixtureRequest,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    model: Path = request.getfixturevalue(fixture)
    with FakeHub([gguf_repo("starter/model-GGUF", model)]) as hub:
        point_at(hub, monkeypatch)
        listing = list_repo("starter/model-GGUF", timeout_s=10)
        [item] = listing.items
        assert (item.first_path, item.size_bytes) == (model.name, model.stat().st_size)
        spec = read_remote_spec(listing.repo_id, item.first_path, listing.commit, item.size_bytes, timeout_s=10)
        local = read_gguf(model)
        assert spec.path == remote_path("starter/model-GGUF", model.name)
        assert replace(spec, path=local.path, files=local.files) == local
        assert spec.file_bytes == model.stat().st_size
        asked = _asked_bytes(hub)
        print(f"{model.name}: {asked} bytes asked of {model.stat().st_size} ({asked / model.stat().st_size:.1%})")
        assert asked <= 8 * 2**20 and asked < model.stat().st_size / 10
        requests = len(hub.requests)
        assert read_remote_spec(listing.repo_id, item.first_path, listing.commit, timeout_s=10) == spec
        assert len(hub.requests) == requests  # from the cache
        options = LoadPlan.default_for(spec.context_length).fit_options()
        remote_fit = fit.estimate(spec, options, PRESETS["laptop-8gb"])
        assert remote_fit == fit.estimate(local, options, PRESETS["laptop-8gb"])
