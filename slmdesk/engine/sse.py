"""Server-sent events (SSE) as OpenAI-compatible servers stream them: lines in, event data out.

The format is the WHATWG HTML standard's "Server-sent events" section: an event is a run of
``field: value`` lines ended by a blank line; ``data`` lines join with ``\\n``; a line starting
with ``:`` is a comment (servers send them as keep-alives: vLLM, sse-starlette's ``: ping``);
``CRLF``, ``LF`` and ``CR`` all end a line. OpenAI's streams end with the data ``[DONE]``.
"""

from __future__ import annotations

from dataclasses import dataclass

DONE = "[DONE]"
"""The data of the last event of an OpenAI stream."""


@dataclass(frozen=True)
class SseEvent:
    """One dispatched event: its ``event`` name ("message" when none was given) and its data."""

    data: str
    event: str = "message"


class SseParser:
    """Incremental SSE parser: :meth:`feed` lines (bytes, with or without their line ending),
    get the events they complete. Fields other than ``data`` and ``event`` (``id``, ``retry``)
    are read and ignored; invalid UTF-8 becomes U+FFFD."""

    def __init__(self) -> None:
        self._data: list[str] = []
        self._event = ""

    def feed(self, line: bytes | str) -> SseEvent | None:
        """Take one line; return the event a blank line completes, else None."""
        text = line.decode("utf-8", errors="replace") if isinstance(line, bytes) else line
        text = text.rstrip("\r\n")
        if not text:
            return self._dispatch()
        if text.startswith(":"):
            return None  # a comment: a keep-alive
        name, _, value = text.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        return None

    def finish(self) -> SseEvent | None:
        """End of stream: the event of a last block without its blank line (a server that closes
        right after ``data: [DONE]``), else None."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SseEvent("\n".join(self._data), self._event or "message")
        self._data, self._event = [], ""
        return event
