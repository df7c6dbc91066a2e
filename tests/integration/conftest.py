"""Fixtures of the integration tests: the API server over stand-in engines (:mod:`tests.integration.api_rig`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from slmdesk.api.models import ModelCatalog, ServedModel
from slmdesk.api.server import ApiServer, ServerConfig
from slmdesk.engine.types import LoadSettings
from tests.integration.api_rig import ALPHA, BETA, KEY, FakeEngine, Rig


@pytest.fixture
def rig() -> Iterator[Callable[..., Rig]]:
    """``rig(n_ctx=512, token_s=0.002, models=(ALPHA, BETA), shared_engine=None, **ServerConfig
    fields)``: a started server on a free loopback port over :class:`FakeEngine` engines (and
    the borrowed engine ``shared_engine`` returns); stopped after the test."""
    servers: list[ApiServer] = []

    def start(n_ctx: int = 512, token_s: float = 0.002, models: Sequence[ServedModel] = (ALPHA, BETA),
              shared_engine: Callable[[], Any] | None = None, **config: Any) -> Rig:
        engines: list[FakeEngine] = []
        order: list[str] = []

        def factory() -> Any:
            engine = FakeEngine(order, n_ctx, token_s)
            engines.append(engine)
            return engine

        settings: dict[str, Any] = {"port": 0, "api_key": KEY}
        settings.update(config)
        server = ApiServer(ServerConfig(**settings), ModelCatalog(fixed=list(models)),
                           lambda model: LoadSettings(n_ctx=n_ctx), client_factory=factory,
                           shared_engine=shared_engine)
        servers.append(server)
        server.start()
        return Rig(server, engines, order)

    yield start
    for server in servers:
        server.stop()
