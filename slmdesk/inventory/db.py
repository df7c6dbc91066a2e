"""Opening the SQLite inventory: engine with WAL + foreign keys, Alembic upgrade with a backup first."""

from __future__ import annotations

import contextlib
import glob
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError, OperationalError

from slmdesk.core.errors import UserError
from slmdesk.inventory.backups import InventoryDamaged, copy_database, latest_backup

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when a migration has to run: it pulls in Mako, Pygments and every
# SQLAlchemy dialect (about 0.4 s), which a CLI command or the GUI start-up should not pay.

HEAD_REVISION = "0011"
"""The newest migration in ``migrations/versions`` (a test checks that Alembic agrees); a
database already there is opened without loading Alembic."""

SCRIPT_LOCATION = "slmdesk.inventory:migrations"
"""Alembic finds the migrations inside the installed package (``package:folder`` syntax)."""

BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another writer (the GUI and a scan thread share the file)."""


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take over transaction control from the sqlite3 module (its legacy mode starts
    # transactions only before DML and never before SELECT or DDL); the "begin" listener
    # below emits BEGIN. SQLAlchemy's documented recipe for pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # WAL + NORMAL is durable across application crashes; only a power loss can drop the
        # last commits (https://www.sqlite.org/pragma.html#pragma_synchronous).
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_begin(connection: Any) -> None:
    # "IMMEDIATE" for a write session (Inventory.write_session): it takes the write lock at
    # BEGIN, waiting up to busy_timeout for another writer. A deferred transaction that reads
    # and then writes fails at once with "database is locked" when another connection
    # committed in between (SQLITE_BUSY_SNAPSHOT: the busy timeout does not apply;
    # https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions).
    mode = connection.get_execution_options().get("sqlite_begin", "")
    connection.exec_driver_sql(f"BEGIN {mode}".strip())


def create_sqlite_engine(db_path: Path) -> Engine:
    """An engine for the SQLite file ``db_path``; every connection has WAL and foreign keys on.

    The engine's connections may be used from any thread (SQLAlchemy's pool for SQLite files
    turns ``check_same_thread`` off); one connection is never shared between threads at once.
    """
    engine = create_engine(f"sqlite+pysqlite:///{db_path}")
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def alembic_config() -> Config:
    """The Alembic configuration (no ``alembic.ini``): migrations from the installed package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """The newest migration this version of slmdesk knows, as Alembic finds it ("0007")."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db_path: Path) -> str | None:
    """The revision ``db_path`` is at, or None for a missing file or an unversioned database."""
    if not db_path.exists():
        return None
    from alembic.runtime.migration import MigrationContext

    engine = create_sqlite_engine(db_path)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class MigrationResult:
    """What :func:`migrate` did.

    Attributes:
        before: revision before (None: new or unversioned database).
        after: revision after.
        backup: the copy taken before migrating (None when nothing ran or the file was new).
    """

    before: str | None
    after: str
    backup: Path | None


def backup_path(db_path: Path, revision: str | None) -> Path:
    """Where the pre-migration copy of ``db_path`` at ``revision`` goes:
    ``inventory.sqlite3.bak-0001`` (``bak-base`` for an unversioned file)."""
    return db_path.with_name(f"{db_path.name}.bak-{revision or 'base'}")


def backup_database(db_path: Path, destination: Path) -> Path:
    """Copy ``db_path`` to ``destination`` with SQLite's online backup API (consistent even
    while other connections write; a plain file copy of a WAL database is not). Returns
    ``destination``; an existing file there is replaced.

    Raises:
        UserError: the copy cannot be written (disk full, permissions).
    """
    return copy_database(db_path, destination)


def migrate(db_path: Path, revision: str = "head") -> MigrationResult:
    """Bring the SQLite file ``db_path`` to ``revision`` (default: the newest), creating it
    (and its folder) if needed.

    When the file exists and is not already there, a copy is taken first with
    :func:`backup_database` to :func:`backup_path` (``<name>.bak-<revision before>``). The
    upgrade runs in one transaction with foreign keys off (SQLite's documented procedure for
    schema changes, https://www.sqlite.org/lang_altertable.html section 7) and is committed
    only if ``PRAGMA foreign_key_check`` finds no violations.

    Raises:
        InventoryDamaged: the file is not a readable SQLite database (the newest rolling
            backup, if any, is named; the file is left as it is).
        UserError: the file was written by a newer slmdesk, the folder cannot be created, or
            the migration failed (the backup is named).
    """
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(
            f"Cannot create the folder {db_path.parent}: {error.strerror}.",
            "Check the permissions of the data folder, or set SLMDESK_HOME to a writable folder.",
        ) from error
    existed = db_path.exists()
    if revision in ("head", HEAD_REVISION) and existed and _stamped_revision(db_path) == HEAD_REVISION:
        return MigrationResult(HEAD_REVISION, HEAD_REVISION, None)

    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    engine = create_sqlite_engine(db_path)
    try:
        try:
            with engine.connect() as connection:
                before = MigrationContext.configure(connection).get_current_revision()
        except DatabaseError as error:
            raise InventoryDamaged(db_path, str(error.orig), latest_backup(db_path)) from error
        try:
            target = script.get_revision(revision)
            if before is not None:
                script.get_revision(before)
        except CommandError as error:
            older = sorted(db_path.parent.glob(f"{glob.escape(db_path.name)}.bak-*"))
            raise UserError(
                f"The inventory {db_path} is at schema revision {before!r}, which this version"
                " of slmdesk does not know.",
                "It was written by a newer slmdesk: update slmdesk"
                + (f", or restore the copy taken before that upgrade ({older[-1]})." if older else "."),
            ) from error
        after = target.revision if target is not None else before
        if after == before:
            return MigrationResult(before, after or revision, None)
        backup = backup_database(db_path, backup_path(db_path, before)) if existed else None
        with engine.connect() as connection:
            # PRAGMA foreign_keys is a no-op inside a transaction: set it on the driver
            # connection, which is in autocommit mode between transactions (see _on_connect).
            driver = connection.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(f"foreign key violations after migrating: {problems}")
            except (OperationalError, RuntimeError, CommandError) as error:
                raise UserError(
                    f"Updating the inventory {db_path} to schema {after} failed: {error}.",
                    f"Your data is unchanged; a copy is at {backup}." if backup else "",
                ) from error
            finally:
                driver.execute("PRAGMA foreign_keys=ON")
        return MigrationResult(before, after or revision, backup)
    finally:
        engine.dispose()


def _stamped_revision(db_path: Path) -> str | None:
    """``alembic_version.version_num`` read with plain sqlite3, or None if it cannot be read
    (the full Alembic path then decides what to do)."""
    try:
        with contextlib.closing(sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_MS / 1000)) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def pragma(engine: Engine, name: str) -> Any:
    """The value of ``PRAGMA name`` on a fresh pooled connection (for checks and tests)."""
    with engine.connect() as connection:
        return connection.execute(text(f"PRAGMA {name}")).scalar()
