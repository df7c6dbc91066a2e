"""A synthetic GGUF chat model for the deployment tests (no real model file in tests/unit)."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.core.load_plan import LoadPlan
from slmdesk.deploy import DeployRequest, request_for_path
from tests.gguf_factory import write_gguf

CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


@pytest.fixture
def toy_gguf(tmp_path: Path) -> Path:
    """8 layers of 16 MiB (F32, n_embd 512, n_ff 2048), a ChatML template, 2048 tokens of context."""
    path = tmp_path / "models" / "Toy-Chat-1M.gguf"
    path.parent.mkdir()
    write_gguf(path, name="Toy Chat", n_layer=8, n_embd=512, n_head=8, n_head_kv=4, n_ff=2048,
               context_length=2048, n_vocab=64, extra_tokens=("<|im_start|>", "<|im_end|>"),
               chat_template=CHATML)
    return path


@pytest.fixture
def toy_request(toy_gguf: Path) -> DeployRequest:
    """The toy model with a plan of 1024 tokens, q8_0 KV cache, 4 threads, all layers on the GPU."""
    plan = LoadPlan(n_ctx=1024, kv_type="q8_0", n_gpu_layers=-1, n_threads=4)
    return request_for_path(toy_gguf, plan=plan, hf_repo="example-org/Toy-Chat", system_prompt="Answer briefly.")
