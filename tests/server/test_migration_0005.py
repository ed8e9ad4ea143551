"""Migration 0005 on a database that already has sign-ins: they keep working and get public ids."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from alembic import command
from sqlalchemy import create_engine, inspect, text

from connect_server.db import alembic_config, open_database
from connect_server.security import hash_password, new_token, token_digest
from tests.support.server import FAST_HASHER, LiveServer


def test_existing_tokens_survive_the_upgrade_and_get_distinct_public_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0004")
    tokens = [new_token(), new_token()]
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO app_user (id, email, password_hash, role, school_ids, display_name)"
                " VALUES ('u1', 'old@example.org', :hash, 'district_admin', '[]', 'Old')"
            ),
            {"hash": hash_password("pw", FAST_HASHER)},
        )
        for token in tokens:
            connection.execute(
                text(
                    "INSERT INTO access_token (token_hash, user_id, created_at, expires_at)"
                    " VALUES (:hash, 'u1', :now, :later)"
                ),
                {"hash": token_digest(token), "now": dt.datetime.now(), "later": dt.datetime(2100, 1, 1)},
            )
    engine.dispose()

    sessions = open_database(url)  # upgrades to the newest revision
    try:
        with sessions() as session:
            ids = session.execute(text("SELECT public_id FROM access_token")).scalars().all()
        assert len(set(ids)) == 2 and all(len(i) == 36 for i in ids)
        with LiveServer(sessions) as server, httpx.Client(base_url=server.api) as http:
            for token in tokens:
                assert http.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        sessions.kw["bind"].dispose()
    command.downgrade(alembic_config(url), "0004")
    assert "signin_throttle" not in inspect(engine).get_table_names()
    assert "public_id" not in {c["name"] for c in inspect(engine).get_columns("access_token")}
    command.upgrade(alembic_config(url), "head")
    assert "signin_throttle" in inspect(engine).get_table_names()
    engine.dispose()
