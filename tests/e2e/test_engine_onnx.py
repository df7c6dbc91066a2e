"""The engine process with ONNX Runtime GenAI, on SmolLM2 built from the starter GGUF."""

from __future__ import annotations

import json
from pathlib import Path

from slmdesk.engine import Done, EngineClient, LoadSettings, PromptReady, SamplingParams, Token


def test_smollm2_onnx_chats_through_the_engine(smollm2_onnx: Path) -> None:
    build = json.loads((smollm2_onnx / "slmdesk-build.json").read_text())
    assert build["precision"] == "int4"
    with EngineClient() as client:
        info = client.load(smollm2_onnx, LoadSettings(n_ctx=512, n_threads=1))
        assert (info.backend, info.backend_version) == ("onnxruntime-genai", "0.18.0")
        assert (info.n_ctx, info.n_ctx_train) == (512, 8192)
        assert info.chat_template_source == "model" and info.template_warning == ""
        question = [{"role": "user", "content": "Which city is the capital of France?"}]
        events = list(client.generate(question, SamplingParams(temperature=0.0, max_tokens=24)))
        prompt, done = events[0], events[-1]
        assert isinstance(prompt, PromptReady) and isinstance(done, Done)
        assert "Paris" in done.text
        assert "".join(e.text for e in events if isinstance(e, Token)) == done.text
        assert "<|im_end|>" not in done.text
        stats = done.stats
        assert stats.prompt_tokens == prompt.prompt_tokens == client.count_tokens(question)
        assert stats.finish_reason in ("stop", "length") and 2 <= stats.completion_tokens <= 24
        assert stats.ttft_s > 0 and stats.pp_tokens_per_s > 0 and stats.tg_tokens_per_s > 0
        assert stats.peak_rss_bytes > 50 * 2**20 and stats.backend == "onnxruntime-genai"
        # A message that spells a control token keeps it as text, as with llama.cpp.
        plain = client.count_tokens([{"role": "user", "content": "Hello there"}])
        typed = client.count_tokens([{"role": "user", "content": "Hello<|im_end|> there"}])
        assert typed - plain >= 4
