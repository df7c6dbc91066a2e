"""huggingface_hub's HTTP session with a Network log entry per request: method, URL (without
credentials or query values that may be secrets), status, bytes received and duration, for every
request the app makes through it (slmdesk's and the library's own, such as its daily
``/api/agent-harnesses``)."""

from __future__ import annotations

import logging
import os
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from slmdesk.core import netguard
from slmdesk.core.network_log import NetworkEvent, append_event

if TYPE_CHECKING:
    import httpx2

log = logging.getLogger(__name__)

SAFE_QUERY_KEYS = frozenset({
    "search", "sort", "direction", "limit", "filter", "author", "expand", "full", "cardData", "recursive",
    "cursor", "blobs", "revision", "pipeline_tag", "library", "apps", "gated", "num_parameters",
})
"""Query parameters whose values are kept in the log (the Hub API's search and listing options);
every other value (a CDN's ``X-Amz-Signature``, ``Policy``, ``token``...) is replaced by ``***``."""

_STARTED = "slmdesk_started"


def redact_url(url: str) -> str:
    """``url`` without user and password, and with query values outside :data:`SAFE_QUERY_KEYS`
    replaced by ``***`` (keys kept, so a reader still sees what kind of URL it was)."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    query = "&".join(
        f"{urllib.parse.quote(key, safe='')}=" + (urllib.parse.quote(value, safe=",:") if key in SAFE_QUERY_KEYS
                                                  else "***")
        for key, value in pairs
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


class RequestLog:
    """Writes one ``request`` entry per HTTP request. ``log_file``/``process`` None: those of the
    network guard in force when the request ends (nothing is written without either)."""

    def __init__(self, log_file: Path | None = None, process: str | None = None) -> None:
        self.log_file = log_file
        self.process = process

    def on_request(self, request: httpx2.Request) -> None:
        """Request hook: note when it started; a request huggingface_hub's offline switch is about
        to refuse is written now (its own hook raises next, so no answer will come)."""
        request.extensions[_STARTED] = time.monotonic()
        from huggingface_hub import constants

        if constants.is_offline_mode():
            self.write(request, None, 0, "refused: offline mode (HF_HUB_OFFLINE)", blocked=True)

    def on_response(self, response: httpx2.Response) -> None:
        """Response hook: count the body as it is read; the entry is written when it is closed."""
        response.stream = _counting_stream_type()(response.stream, self, response)

    def write(self, request: httpx2.Request, status: int | None, size: int, error: str | None,
              blocked: bool = False) -> None:
        guard = netguard.current()
        log_file = self.log_file or (guard.log_file if guard is not None else None)
        if log_file is None:
            return
        started = request.extensions.get(_STARTED)
        url = request.url
        event = NetworkEvent(
            time=netguard._now(), action="request", host=url.host, port=url.port or _default_port(url.scheme),
            blocked=blocked, offline=guard.offline if guard is not None else blocked,
            process=self.process or (guard.process if guard is not None else "slmdesk"), pid=os.getpid(),
            thread=threading.current_thread().name, module="httpx2", caller=_caller(),
            method=request.method, url=redact_url(str(url)), status=status, bytes=size,
            duration_s=round(time.monotonic() - started, 4) if isinstance(started, float) else None, error=error,
        )
        try:
            append_event(log_file, event)
        except OSError as failure:
            log.warning("cannot write the network log %s: %s", log_file, failure)


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme)


def _caller() -> str | None:
    """The innermost slmdesk function on the stack (outside this module), as the guard names it."""
    import sys

    frame = sys._getframe(2)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name.startswith("slmdesk.") and name != __name__:
            return f"{name}.{frame.f_code.co_qualname}"
        frame = frame.f_back  # type: ignore[assignment]
    return None


_stream_type: type | None = None


def _counting_stream_type() -> type:
    """:class:`httpx2.SyncByteStream` subclass (made on first use: httpx2 is imported only after
    the network policy) that counts the body's bytes and writes the entry once, when closed."""
    global _stream_type
    if _stream_type is not None:
        return _stream_type
    import httpx2

    class CountingStream(httpx2.SyncByteStream):
        def __init__(self, inner: Any, log_: RequestLog, response: httpx2.Response) -> None:
            self._inner = inner
            self._log = log_
            self._response = response
            self._bytes = 0
            self._error: str | None = None
            self._done = False

        def __iter__(self) -> Iterator[bytes]:
            try:
                for chunk in self._inner:
                    self._bytes += len(chunk)
                    yield chunk
            except Exception as error:
                self._error = str(error) or type(error).__name__
                raise

        def close(self) -> None:
            try:
                self._inner.close()
            finally:
                if not self._done:
                    self._done = True
                    self._log.write(self._response.request, self._response.status_code, self._bytes, self._error)

    _stream_type = CountingStream
    return _stream_type


def install_request_log(log_file: Path | None = None, process: str | None = None) -> RequestLog:
    """Make huggingface_hub's session (``get_session()``, used by slmdesk and by the library)
    write a Network log entry for each request: its default client (with its own hooks: offline
    refusal, request ids) plus ours. Call once per process after the network policy is applied;
    a later call replaces the factory (the session is rebuilt). Returns the logger installed.

    ``log_file``/``process`` None: the network guard's (:func:`slmdesk.core.netguard.current`)
    at the time of each request.
    """
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    request_log = RequestLog(log_file, process)

    def factory() -> httpx2.Client:
        client = default_client_factory()
        hooks = client.event_hooks
        client.event_hooks = {"request": [request_log.on_request, *hooks.get("request", [])],
                              "response": [*hooks.get("response", []), request_log.on_response]}
        return client

    set_client_factory(factory)
    return request_log


def uninstall_request_log() -> None:
    """Back to huggingface_hub's default client (for tests)."""
    from huggingface_hub import set_client_factory
    from huggingface_hub.utils._http import default_client_factory

    set_client_factory(default_client_factory)
