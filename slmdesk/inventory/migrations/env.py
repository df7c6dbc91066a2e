"""Alembic environment for the inventory: runs on the connection ``db.migrate`` hands over.

``slmdesk.inventory.db.migrate`` puts an open SQLAlchemy connection (foreign keys off, inside a
transaction) in ``config.attributes["connection"]``; that is the only supported way in. For
developer use (``alembic revision --autogenerate``) a ``sqlalchemy.url`` option also works.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from slmdesk.inventory.orm import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: recreate tables in batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations through slmdesk.inventory.db.migrate()")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
