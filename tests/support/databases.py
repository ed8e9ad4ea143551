"""Throwaway server databases: a SQLite file, or a PostgreSQL database.

A SQLite test database is a copy of a file migrated once per run. PostgreSQL takes
about a second to create a database, so one migrated database is made per run and
emptied (connections ended, every row deleted, the feed counter reset) before each use.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, delete, insert, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from connect_server.db import ensure_sync_settings, make_engine, open_database
from connect_server.models import Base, FeedCounter


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'server.db'}"


def migrated_sqlite(template_folder: Path) -> Path:
    """A migrated SQLite database file to copy for each test (made once per folder)."""
    path = template_folder / "template.db"
    if not path.exists():
        open_database(f"sqlite:///{path}").kw["bind"].dispose()
    return path


class PostgresDatabases:
    """Hands out an empty, migrated database next to `admin_url`'s; drops it at `close()`."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self._admin: Engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._name: str | None = None

    def _url(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str, **params: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql), params)

    def _empty(self, name: str) -> None:
        self._execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = :name AND pid <> pg_backend_pid()",
            name=name,
        )
        engine = make_engine(self._url(name))
        try:
            existing = set(inspect(engine).get_table_names())
            with Session(engine) as session, session.begin():
                for table in reversed(Base.metadata.sorted_tables):  # DELETE beats TRUNCATE on tiny tables
                    if table.name in existing:
                        session.execute(delete(table))
                session.execute(insert(FeedCounter).values(id=1, value=0))
                ensure_sync_settings(session)  # as a new database has them
        finally:
            engine.dispose()

    @contextmanager
    def database(self) -> Iterator[str]:
        """The URL of an empty, migrated database (valid until the next call)."""
        if self._name is None:
            name = "connect_t_" + secrets.token_hex(6)
            self._execute(f'CREATE DATABASE "{name}"')
            self._name = name
            open_database(self._url(name)).kw["bind"].dispose()
        else:
            self._empty(self._name)
        yield self._url(self._name)

    def close(self) -> None:
        if self._name is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)')
        self._admin.dispose()
