"""The catalog's entries for the two starter models against their real GGUF headers: the estimate
made from catalog facts matches the one made from the file (weights within 2 %, KV cache equal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.fit import FitOptions, estimate
from slmdesk.core.profiles import load_presets
from slmdesk.formats.gguf import read_gguf
from slmdesk.hub.catalog import load_catalog, spec_for
from slmdesk.hub.starter import GEMMA3_270M, SMOLLM2

CATALOG = load_catalog()


@pytest.mark.parametrize(("fixture", "model_id", "starter"), [("smollm2_gguf", "smollm2-135m-instruct", SMOLLM2),
                                                              ("gemma3_gguf", "gemma-3-270m", GEMMA3_270M)])
@pytest.mark.parametrize("n_ctx", [512, 4096, 8192])
def test_catalog_estimate_matches_the_file(request: pytest.FixtureRequest, fixture: str, model_id: str, starter,
                                           n_ctx: int) -> None:
    path: Path = request.getfixturevalue(fixture)
    real = read_gguf(path)
    model = CATALOG.model(model_id)
    quant = model.quant(starter.quantization)
    assert quant.size_bytes == path.stat().st_size == starter.size_bytes
    assert quant.files[0].sha256 == starter.sha256
    assert quant.files[0].path == path.name
    spec = spec_for(model, quant)
    for field in ("architecture", "n_layer", "n_embd", "n_vocab", "head_dim_k", "head_dim_v", "n_head", "n_head_kv",
                  "n_ff", "sliding_window", "swa_layers", "context_length", "tied_embeddings", "n_params"):
        assert getattr(spec, field) == getattr(real, field), field
    profile = load_presets()["laptop-8gb"]
    options = FitOptions(n_ctx=n_ctx)
    from_catalog, from_file = estimate(spec, options, profile), estimate(real, options, profile)
    assert from_catalog.weights_bytes == pytest.approx(from_file.weights_bytes, rel=0.02)
    assert from_catalog.kv_cache_bytes == from_file.kv_cache_bytes
    assert from_catalog.kv_cells == from_file.kv_cells
    assert from_catalog.verdict is from_file.verdict
    assert from_catalog.total_host_bytes == pytest.approx(from_file.total_host_bytes, rel=0.02)
