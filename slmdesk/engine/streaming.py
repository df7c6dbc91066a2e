"""Turning a stream of token bytes into reply text: whole UTF-8 characters, stop strings held back."""

from __future__ import annotations

import codecs
from collections.abc import Sequence


class Utf8Stream:
    """Incremental UTF-8 decoder over detokenized bytes.

    A token may end in the middle of a multi-byte character (byte-level BPE splits emoji and
    CJK characters across tokens); those bytes are held until the character is complete, so
    :meth:`feed` only returns whole characters. Invalid sequences become U+FFFD.
    """

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def feed(self, data: bytes) -> str:
        """Decode ``data``; return the characters completed so far ("" while one is pending)."""
        return self._decoder.decode(data)

    def flush(self) -> str:
        """End of stream: return what is left (U+FFFD for an incomplete character)."""
        return self._decoder.decode(b"", final=True)


class StopMatcher:
    """Finds stop strings in streamed text and holds back text that may start one.

    ``feed`` returns ``(text safe to show, stopped)``; once stopped, the text before the stop
    string has been returned and the stop string itself never is. :meth:`flush` returns the
    held-back tail at the end of a reply that did not stop on a string.
    """

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._longest = max((len(s) for s in self._stops), default=0)
        self._pending = ""
        self.stopped = False

    def feed(self, text: str) -> tuple[str, bool]:
        """Add ``text``; return the part that can be shown now and whether a stop string hit."""
        if self.stopped:
            return "", True
        if not self._stops:
            return text, False
        buffer = self._pending + text
        first = -1
        for stop in self._stops:
            at = buffer.find(stop)
            if at != -1 and (first == -1 or at < first):
                first = at
        if first != -1:
            self.stopped = True
            self._pending = ""
            return buffer[:first], True
        keep = self._held_suffix(buffer)
        self._pending = buffer[len(buffer) - keep :] if keep else ""
        return buffer[: len(buffer) - keep], False

    def flush(self) -> str:
        """Return and clear the held-back text."""
        text, self._pending = self._pending, ""
        return "" if self.stopped else text

    def _held_suffix(self, buffer: str) -> int:
        """Length of the longest suffix of ``buffer`` that is a proper prefix of a stop string."""
        for length in range(min(self._longest - 1, len(buffer)), 0, -1):
            tail = buffer[-length:]
            if any(stop.startswith(tail) for stop in self._stops):
                return length
        return 0
