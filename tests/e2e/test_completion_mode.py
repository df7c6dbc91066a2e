"""Completion mode in the engine: Gemma 3 270M (a base model, no chat template) continues text."""

from __future__ import annotations

from pathlib import Path

import llama_cpp

from slmdesk.engine import Done, EngineClient, LoadSettings, PromptReady, SamplingParams

SETTINGS = LoadSettings(n_ctx=256, n_threads=1)
GREEDY = SamplingParams(temperature=0.0, max_tokens=8)
TEXT = "The capital of France is"


def _tokens(path: Path, text: str) -> list[int]:
    vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        return vocab.tokenize(text.encode(), add_bos=True, special=False)
    finally:
        vocab.close()


def test_a_base_model_continues_the_text_as_written(gemma3_gguf: Path) -> None:
    with EngineClient() as client:
        info = client.load(gemma3_gguf, SETTINGS)
        assert info.has_chat_template is False
        assert info.model_name == "Gemma 3 270M"
        events = list(client.complete(TEXT, GREEDY))
        ready = next(e for e in events if isinstance(e, PromptReady))
        done = events[-1]
        assert isinstance(done, Done)
        # The prompt is the text's own tokens with BOS: no template around it.
        assert ready.prompt_tokens == len(_tokens(gemma3_gguf, TEXT)) and ready.dropped_messages == ()
        assert done.text.strip() and done.stats.completion_tokens >= 1
        # The same request through chat mode goes through the ChatML fallback: a longer prompt.
        chat_ready = next(e for e in client.generate([{"role": "user", "content": TEXT}], GREEDY)
                          if isinstance(e, PromptReady))
        assert chat_ready.prompt_tokens > ready.prompt_tokens


def test_a_text_longer_than_the_context_keeps_its_end(gemma3_gguf: Path) -> None:
    long_text = " ".join(f"word{i}" for i in range(400))
    with EngineClient() as client:
        client.load(gemma3_gguf, SETTINGS)
        events = list(client.complete(long_text, GREEDY))
        ready = next(e for e in events if isinstance(e, PromptReady))
        assert ready.dropped_messages == (0,)
        assert ready.prompt_tokens <= SETTINGS.n_ctx - GREEDY.max_tokens
        assert isinstance(events[-1], Done)
