"""The local cache of one Connect account (SQLite, SQLAlchemy 2, Alembic)."""
