"""Scanning real (synthetic) GGUF files into a real SQLite inventory: every store layout,
rescans (unchanged, missing, moved, new), corrupt files, verification, deletion."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.inventory import scanners
from slmdesk.inventory.records import ArtifactRecord, ScanSummary
from slmdesk.inventory.repository import Inventory, open_inventory
from tests.gguf_factory import write_gguf


def make_gguf(path: Path, name: str = "Tiny", n_layer: int = 2, context_length: int = 2048, pad: int = 0) -> Path:
    """A small valid llama GGUF; ``pad`` extra embedding rows change its size and bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_gguf(path, name=name, n_layer=n_layer, context_length=context_length, n_vocab=32 + pad)
    return path


@pytest.fixture
def inventory(tmp_path: Path) -> Inventory:
    inv = open_inventory(tmp_path / "inventory.sqlite3")
    yield inv
    inv.close()


def scan(inventory: Inventory, *targets: object, mark_missing: bool = True) -> ScanSummary:
    return run_inline(scanners.scan_task(inventory, list(targets), mark_missing=mark_missing))  # type: ignore[arg-type]


def by_name(inventory: Inventory) -> dict[str, ArtifactRecord]:
    return {r.path.name: r for r in inventory.list_artifacts()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- plain folders -------------------------------------------------------------------------


def test_folder_scan_adopts_every_gguf_by_reference(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    one = make_gguf(root / "a" / "one.gguf", "One", n_layer=3, context_length=4096)
    two = make_gguf(root / "two.gguf", "Two", pad=1)
    summary = scan(inventory, root)
    assert (summary.added, summary.corrupt, summary.warnings) == (2, 0, ())
    records = by_name(inventory)
    assert records["one.gguf"].path == one  # adopted in place, not copied
    assert (records["one.gguf"].architecture, records["one.gguf"].n_layer) == ("llama", 3)
    assert records["one.gguf"].context_length == 4096
    assert records["two.gguf"].size_bytes == two.stat().st_size
    assert records["one.gguf"].source_kind == "folder"
    assert records["one.gguf"].source_detail == {"root": str(root)}
    assert records["one.gguf"].model_name == "One"
    assert records["one.gguf"].status == "ok" and records["one.gguf"].sha256 is None
    assert sorted(summary.artifact_ids) == sorted(r.id for r in records.values())
    assert sorted(p.name for p in tmp_path.rglob("*.gguf")) == ["one.gguf", "two.gguf"]


def test_rescan_unchanged_missing_moved_and_new(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    keep = make_gguf(root / "keep.gguf", "Keep")
    gone = make_gguf(root / "gone.gguf", "Gone", pad=1)
    move = make_gguf(root / "move.gguf", "Move", pad=2)
    scan(inventory, root)
    ids = {name: r.id for name, r in by_name(inventory).items()}
    verified = run_inline(scanners.verify_task(inventory, ids["move.gguf"]))
    assert verified.sha256 == sha256(move)

    again = scan(inventory, root)
    assert (again.unchanged, again.added, again.missing, again.moved) == (3, 0, 0, 0)

    gone.unlink()
    moved_to = root / "elsewhere" / "renamed.gguf"
    moved_to.parent.mkdir()
    move.rename(moved_to)
    make_gguf(root / "new.gguf", "New", pad=3)
    summary = scan(inventory, root)
    assert (summary.added, summary.missing, summary.moved, summary.unchanged) == (1, 1, 1, 1)

    records = {r.id: r for r in inventory.list_artifacts()}
    assert len(records) == 4  # the missing one is kept as history
    assert records[ids["gone.gguf"]].status == "missing"
    assert records[ids["move.gguf"]].path == moved_to  # same id, new path
    assert records[ids["move.gguf"]].status == "ok"
    assert records[ids["move.gguf"]].sha256 == sha256(moved_to)
    assert records[ids["keep.gguf"]].path == keep


def test_a_moved_file_without_a_recorded_hash_is_a_new_artifact(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    old = make_gguf(root / "old.gguf")
    scan(inventory, root)
    old.rename(root / "new.gguf")
    summary = scan(inventory, root)
    assert (summary.added, summary.missing, summary.moved) == (1, 1, 0)
    assert {n: r.status for n, r in by_name(inventory).items()} == {"old.gguf": "missing", "new.gguf": "ok"}


def test_only_new_files_of_a_missing_artifacts_size_are_hashed(
    inventory: Inventory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "models"
    verified = make_gguf(root / "verified.gguf", pad=4)
    scan(inventory, root)
    run_inline(scanners.verify_task(inventory, by_name(inventory)["verified.gguf"].id))
    verified.unlink()
    same_size = make_gguf(root / "same-size.gguf", "Tinz", pad=4)  # same length, other bytes
    other_size = make_gguf(root / "other-size.gguf", pad=9)
    assert same_size.stat().st_size == verified_size(inventory)
    assert other_size.stat().st_size != verified_size(inventory)

    hashed: list[list[str]] = []
    real = scanners._hash_task

    def spy(files: list[Path]):  # type: ignore[no-untyped-def]
        hashed.append([f.name for f in files])
        return real(files)

    monkeypatch.setattr(scanners, "_hash_task", spy)
    summary = scan(inventory, root)
    assert hashed == [["same-size.gguf"]]
    assert (summary.moved, summary.added, summary.missing) == (0, 2, 1)  # bytes differ: no move


def verified_size(inventory: Inventory) -> int:
    return by_name(inventory)["verified.gguf"].size_bytes


def test_a_corrupt_gguf_is_recorded_with_the_readers_message(inventory: Inventory, tmp_path: Path) -> None:
    root = tmp_path / "models"
    make_gguf(root / "good.gguf")
    (root / "junk.gguf").write_bytes(b"not a model at all" * 10)
    truncated = root / "truncated.gguf"
    truncated.write_bytes(make_gguf(tmp_path / "full.gguf").read_bytes()[:100])
    summary = scan(inventory, root)
    assert (summary.added, summary.corrupt) == (3, 2)
    records = by_name(inventory)
    assert records["good.gguf"].status == "ok"
    for name in ("junk.gguf", "truncated.gguf"):
        assert records[name].status == "corrupt"
        assert records[name].error and f"{name} is not a readable GGUF file" in records[name].error
        assert records[name].architecture is None
    # A corrupt file that is left alone is not re-read, and stays recorded.
    assert scan(inventory, root).unchanged == 3
    # Repaired in place: read again, now fine.
    make_gguf(truncated, "Fixed")
    assert scan(inventory, root).updated == 1
    assert by_name(inventory)["truncated.gguf"].status == "ok"
    assert by_name(inventory)["truncated.gguf"].error is None


def test_a_changed_file_is_re_read_and_loses_its_old_hash(inventory: Inventory, tmp_path: Path) -> None:
    path = make_gguf(tmp_path / "models" / "m.gguf", n_layer=2)
    scan(inventory, path.parent)
    artifact_id = by_name(inventory)["m.gguf"].id
    run_inline(scanners.verify_task(inventory, artifact_id))
    make_gguf(path, n_layer=4)
    summary = scan(inventory, path.parent)
    assert summary.updated == 1
    record = inventory.get_artifact(artifact_id)
    assert record is not None
    assert (record.n_layer, record.sha256, record.verified_at) == (4, None, None)


def test_cancelling_a_scan_writes_nothing(inventory: Inventory, tmp_path: Path) -> None:
    for i in range(30):
        make_gguf(tmp_path / "models" / f"m{i}.gguf", pad=i)
    token = CancelToken()
    events: list[Progress] = []

    def on_progress(event: Progress) -> None:
        events.append(event)
        if event.fraction is not None:
            token.cancel()

    with pytest.raises(Cancelled, match=r"^cancelled$"):
        run_inline(scanners.scan_task(inventory, [tmp_path / "models"]), token, on_progress)
    assert inventory.is_empty()
    assert events[0].message.startswith("Looking in")


def test_add_paths_adopts_user_picked_files(inventory: Inventory, tmp_path: Path) -> None:
    picked = make_gguf(tmp_path / "downloads" / "picked.gguf", "Picked")
    folder_model = make_gguf(tmp_path / "more" / "deep" / "m.gguf")
    records = scanners.add_paths(inventory, [picked, tmp_path / "more"])
    assert [r.path for r in records] == [picked, folder_model]
    assert [r.source_kind for r in records] == ["user", "folder"]
    assert records[0].model_name == "Picked"
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(UserError, match=r"notes\.txt is not a GGUF file"):
        scanners.add_paths(inventory, [notes])
    with pytest.raises(UserError, match="does not exist"):
        scanners.add_paths(inventory, [tmp_path / "nope.gguf"])


# --- verification ----------------------------------------------------------------------------


def test_verify_stores_the_hash_and_flags_a_mismatch_as_corrupt(inventory: Inventory, tmp_path: Path) -> None:
    path = make_gguf(tmp_path / "m.gguf")
    (record,) = scanners.add_paths(inventory, [path])
    first = run_inline(scanners.verify_task(inventory, record.id))
    assert (first.sha256, first.expected, first.matches, first.status) == (sha256(path), None, None, "ok")
    stored = inventory.get_artifact(record.id)
    assert stored is not None and stored.sha256 == sha256(path) and stored.verified_at is not None

    second = run_inline(scanners.verify_task(inventory, record.id))
    assert second.matches is True

    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # flip bits in the tensor data: the header still reads fine
    path.write_bytes(bytes(data))
    third = run_inline(scanners.verify_task(inventory, record.id))
    assert (third.matches, third.status) == (False, "corrupt")
    after = inventory.get_artifact(record.id)
    assert after is not None
    assert after.status == "corrupt" and after.sha256 == first.sha256  # the expected hash is kept
    assert after.error is not None and "SHA-256 mismatch" in after.error


def test_verify_reports_progress_in_bytes(inventory: Inventory, tmp_path: Path) -> None:
    path = make_gguf(tmp_path / "m.gguf")
    (record,) = scanners.add_paths(inventory, [path])
    events: list[Progress] = []
    run_inline(scanners.verify_task(inventory, record.id), on_progress=events.append)
    assert events[-1].bytes_done == events[-1].bytes_total == path.stat().st_size
    with pytest.raises(UserError, match="no artifact 999"):
        run_inline(scanners.verify_task(inventory, 999))


# --- other tools' stores ----------------------------------------------------------------------


def ollama_store(root: Path, source: Path, manifests: dict[tuple[str, ...], bool]) -> str:
    """An Ollama store whose manifests (path parts -> has the blob) point at ``source``'s bytes."""
    data = source.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs").mkdir(parents=True)
    (root / "blobs" / f"sha256-{digest}").write_bytes(data)
    for parts, present in manifests.items():
        layer_digest = digest if present else "0" * 64
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "digest": "sha256:" + "1" * 64,
                "size": 10,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.ollama.image.model",
                    "digest": f"sha256:{layer_digest}",
                    "size": len(data),
                },
                {"mediaType": "application/vnd.ollama.image.template", "digest": "sha256:" + "2" * 64, "size": 5},
            ],
        }
        path = root / "manifests" / Path(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest))
    return digest


def test_ollama_store(inventory: Inventory, tmp_path: Path) -> None:
    source = make_gguf(tmp_path / "src.gguf", "Smol")
    store = tmp_path / "ollama" / "models"
    digest = ollama_store(
        store,
        source,
        {
            ("registry.ollama.ai", "library", "smol", "latest"): True,
            ("registry.ollama.ai", "library", "smol", "135m"): True,
            ("registry.ollama.ai", "library", "broken", "latest"): False,
        },
    )
    (store / "manifests" / "registry.ollama.ai" / "library" / "junk").mkdir()
    (store / "manifests" / "registry.ollama.ai" / "library" / "junk" / "latest").write_text("{not json")
    summary = scan(inventory, store)  # the layout is recognised
    (record,) = inventory.list_artifacts()
    assert record.path == store / "blobs" / f"sha256-{digest}"
    assert (record.source_kind, record.format, record.architecture) == ("ollama", "gguf", "llama")
    assert record.source_detail == {
        "name": "smol:135m", "names": ["smol:135m", "smol:latest"], "digest": f"sha256:{digest}",
    }
    assert record.sha256 == digest  # the digest is the blob's SHA-256
    assert summary.warnings == (
        f"broken:latest: its model blob sha256-{'0' * 64} is missing",
        f"{store / 'manifests/registry.ollama.ai/library/junk/latest'}: not an Ollama model manifest (no model layer)",
    )
    assert run_inline(scanners.verify_task(inventory, record.id)).matches is True
    with pytest.raises(UserError, match="ollama rm smol:135m"):
        inventory.delete_artifact_files(record.id)


def hf_cache_repo(cache: Path, repo_id: str, commit: str, files: dict[str, bytes]) -> Path:
    """A Hugging Face cache repo as huggingface_hub writes it; returns the snapshot folder."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    for name, data in files.items():
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_hugging_face_cache(inventory: Inventory, tmp_path: Path) -> None:
    cache = tmp_path / "hf" / "hub"
    q4 = make_gguf(tmp_path / "q4.gguf", "SmolLM2", pad=1).read_bytes()
    q8 = make_gguf(tmp_path / "q8.gguf", "SmolLM2", pad=2).read_bytes()
    commit = "a" * 40
    snapshot = hf_cache_repo(
        cache, "org/SmolLM2-GGUF", commit, {"smol-q4.gguf": q4, "sub/smol-q8.gguf": q8, "README.md": b"hi"}
    )
    summary = scan(inventory, cache)
    assert (summary.added, summary.warnings) == (2, ())
    records = by_name(inventory)
    q4_record = records["smol-q4.gguf"]
    assert q4_record.path == snapshot / "smol-q4.gguf"  # the snapshot link, not the blob
    assert q4_record.source_kind == "hf_cache"
    assert q4_record.source_detail == {
        "repo_id": "org/SmolLM2-GGUF", "revision": commit, "refs": ["main"], "file_name": "smol-q4.gguf",
    }
    assert records["smol-q8.gguf"].source_detail["file_name"] == "sub/smol-q8.gguf"
    assert q4_record.sha256 == hashlib.sha256(q4).hexdigest()  # LFS blobs are named by SHA-256
    model = inventory.get_model(q4_record.model_id)  # type: ignore[arg-type]
    assert model is not None and (model.source_repo, model.publisher) == ("org/SmolLM2-GGUF", "org")

    # Scanning the same files as a plain folder keeps the richer provenance.
    scan(inventory, (cache, "folder"))
    assert by_name(inventory)["smol-q4.gguf"].source_kind == "hf_cache"


def test_a_split_set_in_the_hf_cache_has_no_known_hash(inventory: Inventory, tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    parts = write_gguf(tmp_path / "src" / "big.gguf", split=2)
    snapshot = hf_cache_repo(tmp_path / "hub", "org/big", "d" * 40, {p.name: p.read_bytes() for p in parts})
    scan(inventory, tmp_path / "hub")
    (record,) = inventory.list_artifacts()
    assert record.files == (snapshot / parts[0].name, snapshot / parts[1].name)
    assert record.sha256 is None  # each blob's digest covers one part, not the set
    verified = run_inline(scanners.verify_task(inventory, record.id))
    assert verified.sha256 == hashlib.sha256(parts[0].read_bytes() + parts[1].read_bytes()).hexdigest()


def test_deleting_from_the_hf_cache_removes_the_blob_only_when_unshared(
    inventory: Inventory, tmp_path: Path
) -> None:
    cache = tmp_path / "hub"
    data = make_gguf(tmp_path / "m.gguf").read_bytes()
    first = hf_cache_repo(cache, "org/m", "a" * 40, {"m.gguf": data})
    second = hf_cache_repo(cache, "org/m", "b" * 40, {"m.gguf": data})
    blob = (first / "m.gguf").resolve()
    scan(inventory, cache)
    by_path = {r.path: r for r in inventory.list_artifacts()}
    removed = inventory.delete_artifact_files(by_path[first / "m.gguf"].id)
    assert removed == (first / "m.gguf",)
    assert blob.exists()  # the other revision still links to it
    removed = inventory.delete_artifact_files(by_path[second / "m.gguf"].id)
    assert removed == (second / "m.gguf", blob)
    assert not blob.exists()
    assert inventory.is_empty()


def test_lm_studio_and_gpt4all_folders(inventory: Inventory, tmp_path: Path) -> None:
    lms = tmp_path / ".lmstudio" / "models"
    make_gguf(lms / "lmstudio-community" / "SmolLM2-GGUF" / "smol.gguf", "Smol")
    gpt4all = tmp_path / ".local" / "share" / "nomic.ai" / "GPT4All"
    make_gguf(gpt4all / "orca.gguf", "Orca", pad=1)
    scan(inventory, (lms, "lmstudio"), (gpt4all, "gpt4all"))
    records = by_name(inventory)
    assert records["smol.gguf"].source_kind == "lmstudio"
    assert records["smol.gguf"].source_detail == {
        "publisher": "lmstudio-community", "repo": "SmolLM2-GGUF", "file_name": "smol.gguf",
    }
    assert inventory.get_model(records["smol.gguf"].model_id).publisher == "lmstudio-community"  # type: ignore[arg-type, union-attr]
    assert records["orca.gguf"].source_kind == "gpt4all"
    assert records["orca.gguf"].source_detail == {"file_name": "orca.gguf"}


def test_default_roots_are_registered_and_rescanned(inventory: Inventory, tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_gguf(home / ".lmstudio" / "models" / "pub" / "repo" / "a.gguf", "A")
    own = tmp_path / "slmdesk-models"
    make_gguf(own / "b.gguf", "B", pad=1)
    roots = scanners.ensure_default_scan_roots(inventory, home, environ={}, system="Linux", extra=[own])
    assert [(r.path, r.kind, r.is_default) for r in roots] == [
        (home / ".lmstudio" / "models", "lmstudio", True), (own, "folder", True),
    ]
    summary = run_inline(scanners.rescan_task(inventory))
    assert summary.added == 2
    kinds = {r.path.name: r.source_kind for r in inventory.list_artifacts()}
    assert kinds == {"a.gguf": "lmstudio", "b.gguf": "folder"}
    assert all(r.last_scanned_at is not None for r in inventory.list_scan_roots())


def test_removing_keeps_the_file_deleting_removes_it(inventory: Inventory, tmp_path: Path) -> None:
    path = make_gguf(tmp_path / "m.gguf")
    (record,) = scanners.add_paths(inventory, [path])
    assert inventory.remove_artifact(record.id)
    assert path.exists() and inventory.find_by_path(path) is None
    (record,) = scanners.add_paths(inventory, [path])
    assert inventory.delete_artifact_files(record.id) == (path,)
    assert not path.exists()
    assert inventory.get_artifact(record.id) is None


# --- split sets and model folders -------------------------------------------------------------


def test_split_set_is_one_artifact_that_goes_incomplete_and_comes_back(
    inventory: Inventory, tmp_path: Path
) -> None:
    root = tmp_path / "models"
    root.mkdir()
    parts = write_gguf(root / "big.gguf", split=3, n_layer=3)
    assert [p.name for p in parts] == [f"big-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    scan(inventory, root)
    (record,) = inventory.list_artifacts()
    assert (record.path, record.files, record.split_count) == (parts[0], tuple(parts), 3)
    assert record.size_bytes == sum(p.stat().st_size for p in parts)
    assert inventory.find_by_path(parts[2]) == record

    saved = {p: p.read_bytes() for p in parts}
    parts[1].unlink()
    assert scan(inventory, root).updated == 1
    broken = inventory.get_artifact(record.id)
    assert broken is not None and broken.status == "incomplete"
    assert broken.error is not None and "big-00002-of-00003.gguf is missing" in broken.error

    parts[1].write_bytes(saved[parts[1]])
    parts[0].unlink()  # now the set is named by its lowest part present
    scan(inventory, root)
    (without_first,) = inventory.list_artifacts()
    assert (without_first.id, without_first.path, without_first.status) == (record.id, parts[1], "incomplete")

    parts[0].write_bytes(saved[parts[0]])
    scan(inventory, root)
    (whole,) = inventory.list_artifacts()
    assert (whole.id, whole.path, whole.status, whole.files) == (record.id, parts[0], "ok", tuple(parts))


def write_hf_folder(folder: Path, n_layer: int = 2) -> dict[str, bytes]:
    """A tiny Hugging Face model folder: config.json + model.safetensors (the file contents)."""
    from safetensors.numpy import save

    config = {
        "model_type": "llama", "architectures": ["LlamaForCausalLM"], "num_hidden_layers": n_layer,
        "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 32,
        "max_position_embeddings": 1024, "intermediate_size": 128, "torch_dtype": "float32",
    }
    import numpy as np

    tensors = {"model.embed_tokens.weight": np.zeros((32, 64), dtype=np.float32)}
    return {"config.json": json.dumps(config).encode(), "model.safetensors": save(tensors)}


def test_hf_cache_snapshot_folder_is_one_hf_artifact(inventory: Inventory, tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    commit = "c" * 40
    snapshot = hf_cache_repo(cache, "org/tiny-llama", commit, write_hf_folder(tmp_path))
    scan(inventory, (cache, "hf_cache"))
    (record,) = inventory.list_artifacts()
    assert (record.path, record.format, record.architecture, record.n_layer) == (snapshot, "hf", "llama", 2)
    assert record.files == (snapshot / "model.safetensors",)
    assert record.source_detail == {
        "repo_id": "org/tiny-llama", "revision": commit, "refs": ["main"], "file_name": "",
    }
    assert record.sha256 is None  # a folder has no single blob digest
    verified = run_inline(scanners.verify_task(inventory, record.id))
    assert verified.sha256 == sha256(snapshot / "model.safetensors")
