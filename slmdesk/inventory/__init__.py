"""The SQLite inventory (SQLAlchemy 2 + Alembic) and the scanners that adopt existing model stores."""
