"""Remote connections (table ``remote_connection``, migration 0011) and their API keys.

A connection is a name, the base URL of an OpenAI-compatible server, when it last answered and
what kind of server it is. It lives in the inventory, beside the models, because Chat lists its
models beside the local ones and conversations may name it; ids are never reused, so a key
stored under an id cannot reach a later connection.

The API key never enters the database. It goes to the OS keyring through ``keyring`` (service
``slmdesk``, user ``remote-connection-<id>``) when there is a usable one that reads back what was
written, else to ``<config>/remote_keys/<id>``, mode 0600: the same rule as the local server's
key (``slmdesk/api/keys.py``, above this layer, so its two small helpers are repeated here).
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from slmdesk import paths
from slmdesk.core.errors import UserError
from slmdesk.core.files import write_private_text
from slmdesk.inventory.orm import RemoteConnection, utcnow
from slmdesk.inventory.repository import Inventory

log = logging.getLogger(__name__)

KEYRING_SERVICE = "slmdesk"
KEY_FOLDER = "remote_keys"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
"""A connection name: a letter or digit, then up to 63 letters, digits, ``.``, ``_`` or ``-``
(it is typed on command lines: ``slmdesk remote test gpu-box``)."""


@dataclass(frozen=True)
class RemoteConnectionRecord:
    """One stored connection.

    Attributes:
        id: the row id (never reused).
        name: unique, :data:`NAME_PATTERN`.
        base_url: the API's base URL (``slmdesk.engine.remote.normalize_base_url``).
        created_at: when it was added (UTC).
        last_ok_at: when a test or a chat last reached it (UTC), None if never.
        server_kind: what the last test found (``vllm``, ``ollama``...), None if unknown.
    """

    id: int
    name: str
    base_url: str
    created_at: datetime | None = None
    last_ok_at: datetime | None = None
    server_kind: str | None = None


def _record(row: RemoteConnection) -> RemoteConnectionRecord:
    return RemoteConnectionRecord(row.id, row.name, row.base_url, row.created_at, row.last_ok_at, row.server_kind)


def check_name(name: str) -> str:
    """``name`` stripped. Raises UserError when it does not match :data:`NAME_PATTERN`."""
    name = name.strip()
    if not NAME_PATTERN.fullmatch(name):
        raise UserError(f"{name!r} is not a usable connection name.",
                        "Use up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
    return name


def list_connections(inventory: Inventory) -> list[RemoteConnectionRecord]:
    """Every connection, by name."""
    with inventory.session() as session:
        return [_record(row) for row in session.scalars(select(RemoteConnection).order_by(RemoteConnection.name))]


def get_connection(inventory: Inventory, name: str) -> RemoteConnectionRecord:
    """The connection called ``name``. Raises UserError when there is none."""
    with inventory.session() as session:
        row = session.scalars(select(RemoteConnection).where(RemoteConnection.name == name.strip())).first()
        if row is None:
            raise UserError(f"There is no remote connection called {name!r}.", "`slmdesk remote list` shows them.")
        return _record(row)


def add_connection(inventory: Inventory, name: str, base_url: str, server_kind: str | None = None,
                   ok: bool = False) -> RemoteConnectionRecord:
    """Store a new connection (``ok``: it answered just now). ``base_url`` is stored as given:
    normalize it first.

    Raises:
        UserError: an invalid name, or one already used.
    """
    name = check_name(name)
    try:
        with inventory.write_session() as session:
            row = RemoteConnection(name=name, base_url=base_url, server_kind=server_kind,
                                   last_ok_at=utcnow() if ok else None)
            session.add(row)
            session.flush()
            return _record(row)
    except IntegrityError as error:
        raise UserError(f"A remote connection called {name!r} exists already.",
                        f"Choose another name, or `slmdesk remote remove {name}` first.") from error


def mark_ok(inventory: Inventory, connection_id: int, server_kind: str) -> RemoteConnectionRecord:
    """Record that the connection answered now, as a ``server_kind`` server.

    Raises:
        UserError: the connection no longer exists.
    """
    with inventory.write_session() as session:
        row = session.get(RemoteConnection, connection_id)
        if row is None:
            raise UserError(f"Remote connection {connection_id} no longer exists.")
        row.last_ok_at = utcnow()
        row.server_kind = server_kind
        session.flush()
        return _record(row)


def remove_connection(inventory: Inventory, name: str, keys: KeyStore | None = None) -> RemoteConnectionRecord:
    """Delete the connection called ``name`` and its stored key (``keys``; default :func:`key_store`).

    Raises:
        UserError: there is no such connection.
    """
    record = get_connection(inventory, name)
    with inventory.write_session() as session:
        row = session.get(RemoteConnection, record.id)
        if row is not None:
            session.delete(row)
    (keys or key_store()).delete(record.id)
    return record


# -- keys ----------------------------------------------------------------------------------------


class KeyringBackend(Protocol):
    """What is used of a ``keyring`` backend (``keyring.get_keyring()``, or a test's fake)."""

    def get_password(self, service: str, username: str) -> str | None:
        """The stored secret, None when there is none."""
        ...

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        ...

    def delete_password(self, service: str, username: str) -> None:
        """Forget a secret (raises when there is none)."""
        ...


def system_keyring() -> KeyringBackend | None:
    """The OS keyring, or None without ``keyring`` or a usable backend (priority below 1:
    ``fail.Keyring`` on a headless Linux machine)."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
    except Exception as error:  # noqa: BLE001 - keyring backends raise anything (D-Bus...)
        log.info("remote keys: no keyring (%s)", error)
        return None
    priority = getattr(backend, "priority", 0)
    if not isinstance(priority, int | float) or priority < 1:
        return None
    chosen: KeyringBackend = backend
    return chosen


class KeyStore:
    """The API keys of remote connections, by connection id: the OS keyring, else 0600 files.

    Args:
        config_dir: slmdesk's config folder; the key files go to its ``remote_keys`` folder.
        backend: the keyring; None (with ``use_keyring``) looks up the system's.
        use_keyring: False keeps keys in files only (portable mode, tests).
    """

    def __init__(self, config_dir: Path, backend: KeyringBackend | None = None, use_keyring: bool = True) -> None:
        self._folder = config_dir / KEY_FOLDER
        self._backend = (backend or system_keyring()) if use_keyring else None

    @staticmethod
    def _user(connection_id: int) -> str:
        return f"remote-connection-{connection_id}"

    def _file(self, connection_id: int) -> Path:
        return self._folder / str(connection_id)

    def set(self, connection_id: int, key: str) -> str:
        """Store the key of connection ``connection_id``; returns where ("keyring (name)" or the
        file's path), for the user.

        Raises:
            OSError: the key file cannot be written.
        """
        backend = self._backend
        if backend is not None:
            where = f"keyring ({getattr(backend, 'name', type(backend).__name__)})"
            try:
                backend.set_password(KEYRING_SERVICE, self._user(connection_id), key)
                if backend.get_password(KEYRING_SERVICE, self._user(connection_id)) == key:
                    with contextlib.suppress(FileNotFoundError):
                        self._file(connection_id).unlink()
                    return where
                log.warning("remote keys: the keyring %s did not keep the key; using a key file", where)
            except Exception as error:  # noqa: BLE001 - keyring backends raise anything
                log.warning("remote keys: keyring %s failed (%s); using a key file", where, error)
        write_private_text(self._file(connection_id), key + "\n")
        return str(self._file(connection_id))

    def get(self, connection_id: int) -> str | None:
        """The key of connection ``connection_id``, None when it has none (or it cannot be read)."""
        if self._backend is not None:
            try:
                key = self._backend.get_password(KEYRING_SERVICE, self._user(connection_id))
            except Exception as error:  # noqa: BLE001
                log.warning("remote keys: keyring read failed (%s)", error)
                key = None
            if key:
                return key
        path = self._file(connection_id)
        try:
            if sys.platform != "win32" and path.stat().st_mode & 0o077:
                path.chmod(0o600)  # repaired, as the server's key file is
            return path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def delete(self, connection_id: int) -> None:
        """Forget the key of connection ``connection_id`` (no-op when there is none)."""
        if self._backend is not None:
            with contextlib.suppress(Exception):
                self._backend.delete_password(KEYRING_SERVICE, self._user(connection_id))
        with contextlib.suppress(FileNotFoundError):
            self._file(connection_id).unlink()


def key_store(app_paths: paths.AppPaths | None = None, backend: KeyringBackend | None = None) -> KeyStore:
    """This user's key store: the keyring, except in a portable installation (files only, as the
    local server's key: ``ApiServer.for_inventory``)."""
    resolved = app_paths or paths.resolve()
    return KeyStore(resolved.config, backend, use_keyring=not resolved.portable)


def connection_dict(record: RemoteConnectionRecord) -> dict[str, Any]:
    """A JSON-ready view of a connection (never its key)."""
    return {
        "id": record.id, "name": record.name, "base_url": record.base_url, "server_kind": record.server_kind,
        "created_at": record.created_at.isoformat() if record.created_at else None,
        "last_ok_at": record.last_ok_at.isoformat() if record.last_ok_at else None,
    }
