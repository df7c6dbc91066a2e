"""What the engine process sent, as the client read it (tests only).

When a consumer stops iterating a reply, ``EngineClient.generate`` cancels it and reads the
engine's last event itself, then drops it; :func:`record_engine_events` keeps a copy of every
message the client reads, so a test can check that the abandoned reply ended ``cancelled``.
"""

from __future__ import annotations

from typing import Any

import pytest

from slmdesk.engine import EngineClient


def record_engine_events(client: EngineClient, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record every message ``client`` reads from its engine from now on, until the test ends."""
    received: list[dict[str, Any]] = []
    wait = client._wait

    def recording_wait(rid: int, timeout_s: float, activity: str) -> dict[str, Any]:
        received.append(wait(rid, timeout_s, activity))
        return received[-1]

    monkeypatch.setattr(client, "_wait", recording_wait)
    return received
