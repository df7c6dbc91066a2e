"""The starter GGUF files shipped by PyPI packages, found and verified with no network."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from slmdesk.core.errors import Cancelled
from slmdesk.core.tasks import CancelToken, Progress, run_inline
from slmdesk.hub import starter


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_smollm2_is_used_where_pip_put_it(smollm2_gguf: Path) -> None:
    assert smollm2_gguf.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert "site-packages" in smollm2_gguf.parts or "dist-packages" in smollm2_gguf.parts
    assert smollm2_gguf.stat().st_size == starter.SMOLLM2.size_bytes
    assert smollm2_gguf.read_bytes()[:4] == b"GGUF"


def test_gemma3_is_assembled_from_its_chunks_and_verified(tmp_path: Path) -> None:
    models = tmp_path / "models"
    assert starter.locate(starter.GEMMA3_270M, models) is None
    events: list[Progress] = []
    path = run_inline(starter.prepare_task(starter.GEMMA3_270M, models), on_progress=events.append)
    assert path == models / "starter" / "gemma-3-270m-q4_k_m.gguf"
    assert _sha256(path) == starter.GEMMA3_270M.sha256
    assert events[-1].bytes_done == starter.GEMMA3_270M.size_bytes
    assert starter.locate(starter.GEMMA3_270M, models) == path
    assert not list(path.parent.glob("*.partial"))


def test_cancelled_assembly_leaves_no_partial_file(tmp_path: Path) -> None:
    models = tmp_path / "models"
    token = CancelToken()

    def cancel_soon(event: Progress) -> None:
        if (event.bytes_done or 0) > 8 << 20:
            token.cancel()

    with pytest.raises(Cancelled, match=r"^cancelled$"):
        run_inline(starter.prepare_task(starter.GEMMA3_270M, models), token, cancel_soon)
    assert not any((models / "starter").iterdir())


def test_corrupt_assembled_file_is_rebuilt(tmp_path: Path) -> None:
    models = tmp_path / "models"
    target = starter.target_path(starter.GEMMA3_270M, models)
    target.parent.mkdir(parents=True)
    with target.open("wb") as handle:  # right size, wrong bytes
        handle.truncate(starter.GEMMA3_270M.size_bytes)
    path = run_inline(starter.prepare_task(starter.GEMMA3_270M, models))
    assert _sha256(path) == starter.GEMMA3_270M.sha256


def test_session_fixture_gives_the_verified_gemma_file(gemma3_gguf: Path) -> None:
    assert gemma3_gguf.read_bytes()[:4] == b"GGUF"
    assert gemma3_gguf.stat().st_size == starter.GEMMA3_270M.size_bytes
