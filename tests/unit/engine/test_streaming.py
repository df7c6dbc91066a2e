"""Reply text from token bytes: whole UTF-8 characters, stop strings never shown, coalescing.
(SmolLM2's real tokenizer pieces: tests/e2e/test_tokenizer_pieces.py.)"""

from __future__ import annotations

import pytest

from slmdesk.engine.backend_base import ReplyBuilder
from slmdesk.engine.streaming import StopMatcher, Utf8Stream

TEXT = "こんにちは 🌍 – naïve café"


def test_utf8_stream_holds_partial_characters_until_complete() -> None:
    data = TEXT.encode("utf-8")
    stream = Utf8Stream()
    pieces = [stream.feed(data[i : i + 1]) for i in range(len(data))]
    assert "".join(pieces) + stream.flush() == TEXT
    # Never half a character: every emitted piece is valid text on its own.
    assert all(piece.encode("utf-8").decode("utf-8") == piece for piece in pieces)
    emoji = "🌍".encode()
    stream = Utf8Stream()
    assert [stream.feed(emoji[:1]), stream.feed(emoji[1:3]), stream.feed(emoji[3:])] == ["", "", "🌍"]


def test_utf8_stream_replaces_invalid_and_truncated_bytes() -> None:
    stream = Utf8Stream()
    assert stream.feed(b"a\xffb") == "a\ufffdb"
    assert stream.feed("🌍".encode()[:2]) == ""
    assert stream.flush() == "\ufffd"


def test_stop_matcher_cuts_before_the_stop_string_across_pieces() -> None:
    matcher = StopMatcher(["<|im_end|>", "\nUser:"])
    shown = []
    for piece in ["Paris", " is", " nice<|im", "_end|> trailing"]:
        text, stopped = matcher.feed(piece)
        shown.append(text)
        if stopped:
            break
    assert "".join(shown) == "Paris is nice"
    assert matcher.stopped and matcher.flush() == ""


def test_stop_matcher_releases_a_false_alarm() -> None:
    matcher = StopMatcher(["<|im_end|>"])
    assert matcher.feed("a <|im") == ("a ", False)
    assert matcher.feed("age") == ("<|image", False)
    assert matcher.feed("<") == ("", False)
    assert matcher.flush() == "<"


def test_stop_matcher_without_stops_passes_everything() -> None:
    assert StopMatcher([]).feed("<|im_end|>") == ("<|im_end|>", False)


def test_reply_builder_sends_first_text_at_once_then_coalesces() -> None:
    sent: list[str] = []
    builder = ReplyBuilder(["STOP"], sent.append, flush_interval_s=3600)
    for piece in ["Hel", "lo", " wor", "ld"]:
        assert not builder.add_bytes(piece.encode())
    assert sent == ["Hel"]  # the first token immediately (TTFT), the rest held for the interval
    assert builder.finish() == "Hello world"
    assert sent == ["Hel", "lo world"]


@pytest.mark.parametrize("interval", [0.0, 3600.0])
def test_reply_builder_stops_on_a_stop_string_and_never_shows_it(interval: float) -> None:
    sent: list[str] = []
    builder = ReplyBuilder(["<|im_end|>"], sent.append, flush_interval_s=interval)
    stopped = [builder.add_bytes(p) for p in (b"Yes", b".<|im_", b"end|>", b"ignored")]
    assert stopped == [False, False, True, True]  # stays stopped
    assert builder.finish() == "Yes."
    assert "".join(sent) == "Yes."


def test_reply_builder_keeps_multibyte_characters_whole() -> None:
    sent: list[str] = []
    builder = ReplyBuilder([], sent.append, flush_interval_s=0.0)
    data = "🌍日本".encode()
    for i in range(len(data)):
        builder.add_bytes(data[i : i + 1])
    assert builder.finish() == "🌍日本"
    assert sent == ["🌍", "日", "本"]
