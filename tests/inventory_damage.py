"""Damaged inventory files, as a full disk, a crash or a bad sector leaves them (tests only).

``truncate(path)`` cuts the file in half; ``damage_a_row_page(path)`` overwrites one page of
rows so that the file still opens (its schema and revision read fine) but fails SQLite's
integrity check and any read of those rows. ``downgrade(path, revision)`` takes the schema
back to an Alembic revision, as an older slmdesk left it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic import command

from slmdesk.inventory import backups, db
from slmdesk.inventory.backups import InventoryDamaged
from slmdesk.inventory.repository import open_inventory


def truncate(path: Path, fraction: float = 0.5) -> bytes:
    """Keep the first ``fraction`` of the file; returns the bytes left."""
    data = path.read_bytes()[: int(path.stat().st_size * fraction)]
    path.write_bytes(data)
    return data


def damage_a_row_page(path: Path) -> int:
    """Overwrite the last page (counting down) whose loss leaves the file openable but damaged;
    returns its number (1-based). The database must be closed and hold a few hundred rows.

    Raises:
        AssertionError: no such page (the file is too small).
    """
    with contextlib.closing(sqlite3.connect(path)) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    original = path.read_bytes()
    for page in range(pages, 2, -1):
        data = bytearray(original)
        data[(page - 1) * page_size : page * page_size] = b"\xff" * page_size
        path.write_bytes(bytes(data))
        try:
            open_inventory(path).close()
        except InventoryDamaged:
            continue
        if backups.integrity_problem(path) is not None:
            return page
    path.write_bytes(original)
    raise AssertionError(f"no page of {path} can be damaged without breaking its schema")


def downgrade(path: Path, revision: str) -> None:
    """Run the inventory at ``path`` down to Alembic ``revision`` ("base" drops every table)."""
    engine = db.create_sqlite_engine(path)
    config = db.alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()
