"""The desktop never sends more than the server accepts: batches and params within the limits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from connect_desktop.api.limits import MAX_OPERATIONS_PER_REQUEST, MAX_PARAMS_BYTES
from connect_desktop.store.queries import list_pending
from connect_desktop.sync.outbox import Outbox, StageItem, StagingError
from connect_desktop.sync.pull import pull
from connect_desktop.sync.push import push
from connect_server.db import SYNC_SETTINGS_ID
from connect_server.models import Student
from tests.desktop.conftest import Desk, District
from tests.desktop.serverdata import add_students
from tests.support.server import LiveServer


def test_a_push_larger_than_a_batch_goes_out_in_batches_the_server_takes(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    added = add_students(live_server.sessions, district.schools[0]["id"], MAX_OPERATIONS_PER_REQUEST)
    pull(desk.cache, desk.client)
    ids = [s["id"] for s in district.students] + added
    Outbox(desk.cache).stage_many([StageItem("archive_student", i) for i in ids], step="students")
    result = push(desk.cache, desk.client, batch_size=10 * MAX_OPERATIONS_PER_REQUEST)
    assert result.sent == result.applied == len(ids) > MAX_OPERATIONS_PER_REQUEST
    with live_server.sessions() as session:
        archived = session.scalar(select(func.count()).where(Student.status == "archived"))
    assert archived == len(ids)


def test_staging_refuses_params_the_server_would_refuse(desk: Desk) -> None:
    pull(desk.cache, desk.client)
    outbox = Outbox(desk.cache)
    with pytest.raises(StagingError) as caught:
        outbox.stage(
            "update_sync_settings", None, SYNC_SETTINGS_ID, {"pauses": ["x" * MAX_PARAMS_BYTES]}, step="sync"
        )
    assert "too large" in caught.value.user_message
    with desk.cache.sessions() as session:
        assert list_pending(session).total == 0
    outbox.stage("update_sync_settings", None, SYNC_SETTINGS_ID, {"daily_sync": False}, step="sync")
    assert push(desk.cache, desk.client).applied == 1
