"""The local OpenAI-compatible server: ``/v1/models``, ``/v1/chat/completions`` and friends over the engine.

Starlette (the ASGI toolkit under FastAPI) with uvicorn serves the routes (:mod:`.app`);
requests are decoded with msgspec (:mod:`.openai_schema`), queued fairly per engine process
(:mod:`.queue`), and run by the same engine client and load plans as the Chat pane
(:mod:`.models`). Plain Python, no Qt: ``slmdesk serve`` and the GUI's Settings switch both
drive :class:`slmdesk.api.server.ApiServer`.

This module stays light (the CLI's parser and the Settings pane read the defaults and
:func:`is_loopback` here without importing Starlette; the defaults' home is
:mod:`slmdesk.core.settings`, beside the Settings switch's fields); import the server from
:mod:`slmdesk.api.server`.
"""

import ipaddress

from slmdesk.core.settings import DEFAULT_API_HOST as DEFAULT_HOST
from slmdesk.core.settings import DEFAULT_API_PORT as DEFAULT_PORT

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "base_url", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (127.0.0.0/8, ::1) or ``localhost``: only this
    machine can connect to a server listening there."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int) -> str:
    """The base URL clients use for a server on ``host:port``: ``http://127.0.0.1:8765/v1``
    (an IPv6 address in brackets)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/v1"
