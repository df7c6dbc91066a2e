"""Utf8Stream on the pieces of a real tokenizer: SmolLM2's byte-level BPE, read by llama.cpp."""

from __future__ import annotations

import ctypes
from pathlib import Path

from slmdesk.engine.streaming import Utf8Stream

TEXT = "こんにちは 🌍 – naïve café"


def test_utf8_stream_on_real_tokenizer_pieces(smollm2_gguf: Path) -> None:
    """SmolLM2's byte-level BPE splits emoji and CJK across tokens: decode its real pieces."""
    import llama_cpp

    llm = llama_cpp.Llama(str(smollm2_gguf), vocab_only=True, verbose=False)
    try:
        vocab = llama_cpp.llama_model_get_vocab(llm.model)
        tokens = llm.tokenize(TEXT.encode("utf-8"), add_bos=False, special=False)
        buffer = ctypes.create_string_buffer(64)
        pieces = []
        for token in tokens:
            size = llama_cpp.llama_token_to_piece(vocab, token, buffer, 64, 0, False)
            pieces.append(buffer.raw[:size])
    finally:
        llm.close()
    assert b"".join(pieces) == TEXT.encode("utf-8")
    broken = [p for p in pieces if not _is_valid_utf8(p)]
    assert broken, "the test needs a tokenizer that splits characters across tokens"
    stream = Utf8Stream()
    out = [stream.feed(p) for p in pieces]
    assert "".join(out) + stream.flush() == TEXT
    assert "\ufffd" not in "".join(out)


def _is_valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
