"""The models of the stored remote connections, for Chat's model picker: listed off the GUI thread,
each marked remote with its host; a connection that offline mode keeps closed, or that does not
answer, is one disabled row that says why."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.engine.remote import RemoteEngineClient, RemoteTimeouts, host_of, is_loopback, kind_label
from slmdesk.inventory import remotes as store
from slmdesk.inventory.remotes import KeyStore, RemoteConnectionRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.runner import Job, JobRunner, JobState
from slmdesk.ui.i18n import QT_TRANSLATE_NOOP

OFFLINE_ROW = QT_TRANSLATE_NOOP("RemoteModels", "offline mode: only servers on this computer")
"""Why a connection's row is disabled in offline mode (translated where the row is made)."""
REFRESH_INTERVAL_S = 2.0
"""Showing Chat lists the remote models again at most this often."""
LIST_TIMEOUTS = RemoteTimeouts(connect_s=3.0, request_s=5.0)
"""A server that does not answer quickly is shown unreachable rather than holding up the picker."""


@dataclass(frozen=True)
class RemotePick:
    """One row of the picker for a remote connection.

    Attributes:
        key: the row's data in the picker: ``"remote:<connection id>:<model id>"``.
        connection: the stored connection.
        model_id: the server's model id; "" for a row that says why there is none.
        kind: the server kind (``vllm``...), "" when unknown.
        context_length: the server's context for the model (tokens) when it says.
        note: why the row cannot be used ("" when it can).
    """

    key: str
    connection: RemoteConnectionRecord
    model_id: str = ""
    kind: str = ""
    context_length: int | None = None
    note: str = ""

    @property
    def usable(self) -> bool:
        """The row is a model that can be connected."""
        return bool(self.model_id) and not self.note

    @property
    def host(self) -> str:
        """``host:port`` of the server."""
        return host_of(self.connection.base_url)

    def entry(self) -> tuple[str, str, str, bool]:
        """``(key, label, tooltip, enabled)`` for :meth:`ModelBar.set_entries`, in the
        interface's language."""
        server = kind_label(self.kind) if self.kind else QCoreApplication.translate("RemoteModels", "server")
        if self.usable:
            context = f" · n_ctx {self.context_length}" if self.context_length else ""
            label = QCoreApplication.translate("RemoteModels", "{model} @ {host} · remote {server}{context}").format(
                model=self.model_id, host=self.host, server=server, context=context)
            tooltip = QCoreApplication.translate(
                "RemoteModels", "{model} on the {server} at {address} (connection {connection}). Replies are "
                "generated there: your messages are sent to it.").format(
                model=self.model_id, server=server, address=self.connection.base_url, connection=self.connection.name)
            return self.key, label, tooltip, True
        label = QCoreApplication.translate("RemoteModels", "{connection} @ {host} · remote: {note}").format(
            connection=self.connection.name, host=self.host, note=self.note)
        return self.key, label, f"{self.connection.base_url}\n{self.note}", False


def _tr(text: str) -> str:
    """``text`` (marked with QT_TRANSLATE_NOOP) in the interface's language; safe in a job's thread."""
    return QCoreApplication.translate("RemoteModels", text)


def list_remote_models(inventory: Inventory, keys: KeyStore, offline_on: bool,
                       timeouts: RemoteTimeouts = LIST_TIMEOUTS) -> list[RemotePick]:
    """Every stored connection's models (one row per model), by connection name; a connection
    closed by offline mode or unreachable is one row with a ``note``. Blocks: run it in a job."""
    picks: list[RemotePick] = []
    for connection in store.list_connections(inventory):
        base = f"remote:{connection.id}:"
        if offline_on and not is_loopback(connection.base_url):
            picks.append(RemotePick(base, connection, kind=connection.server_kind or "", note=_tr(OFFLINE_ROW)))
            continue
        client = RemoteEngineClient(connection.base_url, keys.get(connection.id), timeouts=timeouts)
        try:
            info = client.probe()
        except UserError as error:
            note = QCoreApplication.translate("RemoteModels", "unreachable ({error})").format(error=error.message)
            picks.append(RemotePick(base, connection, kind=connection.server_kind or "", note=note))
            continue
        if not info.models:
            picks.append(RemotePick(base, connection, kind=info.kind,
                                    note=QCoreApplication.translate("RemoteModels", "no models")))
        picks += [RemotePick(base + model.id, connection, model.id, info.kind, model.context_length)
                  for model in info.models]
    return picks


class RemoteModels(QObject):
    """The remote models the picker offers, listed in a background job (:meth:`refresh`);
    ``models_changed`` follows each listing."""

    models_changed = Signal()

    def __init__(self, inventory: Inventory, runner: JobRunner, parent: QObject | None = None,
                 keys: Callable[[], KeyStore] = store.key_store) -> None:
        super().__init__(parent)
        self._inventory = inventory
        self._runner = runner
        self._keys = keys
        self._picks: list[RemotePick] = []
        self._listing = False
        self._listed_at = 0.0

    def refresh(self, at_most_every_s: float = 0.0) -> None:
        """List the connections' models again (not when a listing runs, or the last one is
        younger than ``at_most_every_s``)."""
        if self._listing or time.monotonic() - self._listed_at < at_most_every_s:
            return
        self._listing = True
        keys, offline_on = self._keys(), offline.current().on
        self._runner.submit_call(self.tr("List remote models"),
                                 lambda: list_remote_models(self._inventory, keys, offline_on),
                                 resource="remote", on_done=self._on_listed, background=True)

    def _on_listed(self, job: Job) -> None:
        self._listing = False
        self._listed_at = time.monotonic()
        if job.state is JobState.SUCCEEDED:
            self._picks = list(job.result)
        self.models_changed.emit()

    def picks(self) -> list[RemotePick]:
        """The rows of the last listing."""
        return list(self._picks)

    def find(self, key: str) -> RemotePick | None:
        """The row with picker data ``key``."""
        return next((pick for pick in self._picks if pick.key == key), None)

    def client_for(self, pick: RemotePick) -> RemoteEngineClient:
        """A client for ``pick``'s model with the connection's stored key."""
        return RemoteEngineClient(pick.connection.base_url, self._keys().get(pick.connection.id), model=pick.model_id,
                                  kind=pick.kind)


def provenance(client: RemoteEngineClient) -> dict[str, Any]:
    """What a reply from ``client`` is stored with, for exports: the server's model id, address,
    kind and version."""
    return {"model": client.model, "base_url": client.base_url, "server_kind": client.kind,
            "server": kind_label(client.kind), "server_version": client.version or None}
