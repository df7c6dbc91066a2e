"""The repo view: files grouped into loadable items (quantizations, split sets as one item with
their missing parts, mmproj, ONNX folders, safetensors shards), unsafe names marked, and
``list_repo`` against the fake Hub (one request; licence, gated, private, commit; errors)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.hub.errors import HubAccessDenied, HubNotFound, HubOffline
from slmdesk.hub.repo import RepoFile, gguf_label, group_files, list_repo, unsafe_path_reason
from slmdesk.paths import AppPaths
from tests.fake_hub import FakeFile, FakeHub, FakeRepo, point_at

SHA = "ab" * 32


def f(path: str, size: int = 10, sha: str | None = SHA) -> RepoFile:
    return RepoFile(path, size, sha)


@pytest.mark.parametrize(("name", "label"), [
    ("SmolLM2-135M-Instruct-Q4_1.gguf", "Q4_1"),
    ("gemma-3-270m-it-q4_k_m.gguf", "Q4_K_M"),
    ("Qwen2.5-0.5B-Instruct.IQ4_XS.gguf", "IQ4_XS"),
    ("Llama-3.2-1B-Instruct-UD-Q4_K_XL.gguf", "Q4_K_XL"),
    ("ggml-model-f16.gguf", "F16"),
    ("model-bf16-00001-of-00002.gguf", "BF16"),
    ("mmproj-model-fp16.gguf", "F16"),
    ("Q8_0/model-Q8_0-00002-of-00003.gguf", "Q8_0"),
    ("tinymodel.gguf", "tinymodel"),
])
def test_quantization_labels_come_from_the_name(name: str, label: str) -> None:
    assert gguf_label(name) == label


def test_split_sets_are_one_item_and_missing_parts_are_named() -> None:
    files = [
        f("README.md", 5, None),
        f("m-Q4_K_M.gguf", 300),
        f("Q8_0/m-Q8_0-00002-of-00003.gguf", 200),
        f("Q8_0/m-Q8_0-00001-of-00003.gguf", 100),
        f("m-F16-00001-of-00002.gguf", 400),
        f("m-F16-00002-of-00002.gguf", 401),
        f("mmproj-m-f16.gguf", 50),
    ]
    items, others = group_files(files)
    assert [(i.kind, i.label, i.size_bytes, i.is_split, i.first_path) for i in items] == [
        ("gguf", "Q8_0", 300, True, "Q8_0/m-Q8_0-00001-of-00003.gguf"),
        ("gguf", "Q4_K_M", 300, False, "m-Q4_K_M.gguf"),
        ("gguf", "F16", 801, True, "m-F16-00001-of-00002.gguf"),
        ("mmproj", "F16", 50, False, "mmproj-m-f16.gguf"),
    ]
    q8 = items[0]
    assert [p.path for p in q8.files] == ["Q8_0/m-Q8_0-00001-of-00003.gguf", "Q8_0/m-Q8_0-00002-of-00003.gguf"]
    assert q8.missing_parts == ("Q8_0/m-Q8_0-00003-of-00003.gguf",) and not q8.usable
    assert items[2].missing_parts == () and items[2].usable
    assert others == (f("README.md", 5, None),)


def test_a_split_set_without_its_first_part_still_points_at_it() -> None:
    [item], _ = group_files([f("x-00002-of-00002.gguf")])
    assert item.first_path == "x-00001-of-00002.gguf" and item.missing_parts == ("x-00001-of-00002.gguf",)


def test_onnx_genai_folders_and_safetensors_shards() -> None:
    folder = "cpu_and_mobile/cpu-int4-rtn-block-32"
    files = [
        f(f"{folder}/genai_config.json", 1, None), f(f"{folder}/model.onnx", 2), f(f"{folder}/model.onnx.data", 900),
        f(f"{folder}/tokenizer.json", 3, None),
        f("onnx/model_q4.onnx", 20), f("onnx/model_q4.onnx_data", 80), f("onnx/model_fp16.onnx", 200),
        f("model-00001-of-00003.safetensors", 1000), f("model-00002-of-00003.safetensors", 1000),
        f("config.json", 1, None),
    ]
    items, others = group_files(files)
    assert [(i.kind, i.label, i.size_bytes, len(i.files), i.missing_parts) for i in items] == [
        ("onnx", "cpu-int4-rtn-block-32", 906, 4, ()),
        ("onnx", "model_q4", 100, 2, ()),
        ("onnx", "model_fp16", 200, 1, ()),
        ("safetensors", "safetensors", 2000, 2, ("model-00003-of-00003.safetensors",)),
    ]
    assert items[0].first_path == folder
    assert [o.path for o in others] == ["config.json"]


@pytest.mark.parametrize("name", ["../evil.gguf", "/etc/evil.gguf", "a\\b.gguf", "a\x00.gguf", "a//b.gguf",
                                  "C:evil.gguf", "./x.gguf", ""])
def test_unsafe_names_mark_the_item_unusable(name: str) -> None:
    assert unsafe_path_reason(name) is not None
    if name:
        [item], _ = group_files([f(name)]) if name.endswith(".gguf") else ([], ())
        assert item.problem is not None and repr(name) in item.problem and not item.usable
    assert unsafe_path_reason("Q4_K_M/model-Q4_K_M.gguf") is None


# -- against the fake Hub -------------------------------------------------------------------------

@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    files = [FakeFile("m-Q4_K_M.gguf", data=b"GGUF" + b"\0" * 60), FakeFile("README.md", data=b"# hi", lfs=False),
             FakeFile("m-F16-00001-of-00002.gguf", data=b"1" * 100),
             FakeFile("m-F16-00002-of-00002.gguf", data=b"2" * 50)]
    repos = [
        FakeRepo("org/open", files=files, license="apache-2.0"),
        FakeRepo("org/gated", files=files[:2], license="gemma", gated=True, token="hf_right"),
        FakeRepo("org/private", files=files[:1], private=True, token="hf_right"),
    ]
    with FakeHub(repos) as fake:
        point_at(fake, monkeypatch)
        yield fake


def test_list_repo_in_one_request(hub: FakeHub) -> None:
    listing = list_repo("org/open", timeout_s=5)
    repo = hub.repos["org/open"]
    assert (listing.repo_id, listing.commit, listing.license, listing.gated, listing.private) == (
        "org/open", repo.sha, "apache-2.0", False, False)
    assert [(i.label, i.size_bytes, i.is_split) for i in listing.items] == [("Q4_K_M", 64, False), ("F16", 150, True)]
    assert listing.items[0].files[0].sha256 == repo.files[0].sha256
    assert listing.other_files == (RepoFile("README.md", 4, None),)
    [request] = hub.requests
    assert request.path == "/api/models/org/open?blobs=true"
    data = listing.to_json()
    assert data["items"][1]["usable"] is True and data["items"][1]["files"][1]["size_bytes"] == 50


def test_revision_is_asked_and_checked(hub: FakeHub) -> None:
    sha = hub.repos["org/open"].sha
    assert list_repo("org/open", sha, timeout_s=5).commit == sha
    assert hub.requests[-1].path == f"/api/models/org/open/revision/{sha}?blobs=true"
    with pytest.raises(HubNotFound, match="org/open has no such revision"):
        list_repo("org/open", "v9", timeout_s=5)


def test_gated_metadata_is_public_and_private_needs_the_token(hub: FakeHub,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    gated = list_repo("org/gated", timeout_s=5)
    assert gated.gated and gated.license == "gemma"
    with pytest.raises(HubAccessDenied) as denied:
        list_repo("org/private", timeout_s=5)
    assert "it is private and nobody is signed in" in denied.value.message
    assert "hf auth login" in denied.value.hint
    monkeypatch.setenv("HF_TOKEN", "hf_right")
    assert list_repo("org/private", timeout_s=5).private is True
    assert hub.requests[-1].headers["Authorization"] == "Bearer hf_right"


def test_missing_repo_and_bad_ids(hub: FakeHub) -> None:
    with pytest.raises(HubAccessDenied):  # the Hub answers 401 for an unknown repo without a token
        list_repo("org/nothing", timeout_s=5)
    with pytest.raises(UserError, match="is not a Hugging Face repository id"):
        list_repo("../etc", timeout_s=5)
    assert all("etc" not in r.path for r in hub.requests)


def test_offline_mode_refuses_before_any_connection(hub: FakeHub, app_paths: AppPaths,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLMDESK_NETWORK_LOG", str(app_paths.logs / "x.jsonl"))
    offline.apply_network_policy(True, process="test", app_paths=app_paths)
    with pytest.raises(HubOffline, match="so it cannot list that repository"):
        list_repo("org/open")
    assert hub.requests == []
