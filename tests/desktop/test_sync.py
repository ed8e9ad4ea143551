"""Pull and push against the real server on a loopback port."""

from __future__ import annotations

from typing import Any

import pytest

from connect_desktop.api.errors import Unreachable
from connect_desktop.store.queries import effective_counts, list_pending, list_records
from connect_desktop.sync.outbox import Outbox, StageItem
from connect_desktop.sync.pull import pull
from connect_desktop.sync.push import push
from tests.desktop.conftest import Desk, District
from tests.desktop.serverdata import (
    audit_counts,
    cache_snapshot,
    server_counts,
    server_snapshot,
    student_versions,
    touch_student,
)
from tests.support.server import LiveServer


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int | None]] = []

    def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
        self.calls.append((done, total))


def test_full_pull_gives_the_servers_records(desk: Desk, live_server: LiveServer) -> None:
    progress = Recorder()
    result = pull(desk.cache, desk.client, page_size=7, progress=progress)
    with desk.cache.sessions() as session:
        assert effective_counts(session) == server_counts(live_server.sessions)
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)
    assert result.pages == len(progress.calls) > 1
    assert progress.calls[-1] == (result.received, result.received)


def test_incremental_pull_receives_only_what_changed(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    touch_student(live_server.sessions, district.students[0]["id"], grade="6")
    again = pull(desk.cache, desk.client)
    assert again.received == 1
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)
    assert pull(desk.cache, desk.client).received == 0


def test_cancel_stops_between_pages_and_resumes(desk: Desk, live_server: LiveServer) -> None:
    class CancelAfterFirstPage:
        def __init__(self) -> None:
            self.pages = 0

        def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
            self.pages += 1

        def is_set(self) -> bool:
            return self.pages >= 1

    token = CancelAfterFirstPage()
    first = pull(desk.cache, desk.client, page_size=5, progress=token, cancel=token)
    assert first.cancelled and first.pages == 1 and first.received == 5
    rest = pull(desk.cache, desk.client, page_size=5)
    assert not rest.cancelled
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)


def _stage_archives(desk: Desk, district: District) -> list[str]:
    items = [StageItem("archive_student", s["id"]) for s in district.students]
    return Outbox(desk.cache).stage_many(items, step="students")


def test_staged_while_server_down_is_sent_when_it_is_back(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    op_id = Outbox(desk.cache).stage(
        "archive_student", "student", district.students[0]["id"], step="students"
    )
    live_server.stop()
    with pytest.raises(Unreachable):
        push(desk.cache, desk.client)
    with desk.cache.sessions() as session:
        assert [(r.op_id, r.state) for r in list_pending(session).rows] == [(op_id, "pending")]
    live_server.start()
    result = push(desk.cache, desk.client)
    assert (result.sent, result.applied) == (1, 1)
    assert audit_counts(live_server.sessions) == {op_id: 1}
    with desk.cache.sessions() as session:
        assert list_pending(session).total == 0
        assert list_records(session, "student").rows[0].status in ("active", "archived")
    assert cache_snapshot(desk.cache) == server_snapshot(live_server.sessions)


def test_server_restart_in_the_middle_of_a_push_applies_each_operation_once(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    op_ids = _stage_archives(desk, district)

    class StopServerAfterFirstBatch:
        def on_progress(self, done: int, total: int | None, rate: float, eta_s: float | None) -> None:
            live_server.stop()

    with pytest.raises(Unreachable):
        push(desk.cache, desk.client, batch_size=5, progress=StopServerAfterFirstBatch())
    assert len(audit_counts(live_server.sessions)) == 5
    live_server.start()
    result = push(desk.cache, desk.client, batch_size=5)
    assert result.applied == len(op_ids) - 5
    assert audit_counts(live_server.sessions) == dict.fromkeys(op_ids, 1)
    ids = [s["id"] for s in district.students]
    assert set(student_versions(live_server.sessions, ids).values()) == {2}


def test_a_lost_answer_is_resent_with_the_same_op_ids(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    """The server applied a batch but the program died before storing the answer."""
    pull(desk.cache, desk.client)
    op_ids = _stage_archives(desk, district)

    class DiesAfterSending:
        def __init__(self, real: Any) -> None:
            self.real = real

        def operations(self, operations: Any) -> Any:
            self.real.operations(operations)
            raise SystemExit("killed")  # the process dies: the rows stay `sending`

    with pytest.raises(SystemExit):
        push(desk.cache, DiesAfterSending(desk.client), batch_size=100)  # type: ignore[arg-type]
    with desk.cache.sessions() as session:
        assert {r.state for r in list_pending(session).rows} == {"sending"}
    result = push(desk.cache, desk.client)
    assert result.applied == len(op_ids)
    assert audit_counts(live_server.sessions) == dict.fromkeys(op_ids, 1)
    assert set(student_versions(live_server.sessions, [s["id"] for s in district.students]).values()) == {2}


def test_a_stale_version_ends_as_a_listed_conflict_and_can_be_retried(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    student_id = district.students[0]["id"]
    outbox = Outbox(desk.cache)
    op_id = outbox.stage("archive_student", "student", student_id, step="students")
    touch_student(live_server.sessions, student_id, grade="5")
    result = push(desk.cache, desk.client)
    assert (result.applied, result.conflicts) == (0, 1)
    with desk.cache.sessions() as session:
        (row,) = list_pending(session).rows
    assert (row.op_id, row.state) == (op_id, "conflict")
    assert row.result_message and "changed" in row.result_message
    pull(desk.cache, desk.client)
    new_id = outbox.retry(op_id)
    assert new_id != op_id
    assert push(desk.cache, desk.client).applied == 1
    assert audit_counts(live_server.sessions) == {new_id: 1}


def test_a_deleted_student_disappears_from_the_cache(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    doomed = district.students[0]["id"]
    Outbox(desk.cache).stage("delete_student", "student", doomed, step="students")
    with desk.cache.sessions() as session:
        assert doomed not in {r.id for r in list_records(session, "student").rows}  # hidden while staged
    assert push(desk.cache, desk.client).applied == 1
    with desk.cache.sessions() as session:
        assert doomed not in {r.id for r in list_records(session, "student").rows}
    pull(desk.cache, desk.client)
    snapshot = cache_snapshot(desk.cache)
    assert doomed not in snapshot["student"]
    assert snapshot == server_snapshot(live_server.sessions)


def test_two_staged_changes_of_one_record_both_apply(
    desk: Desk, district: District, live_server: LiveServer
) -> None:
    pull(desk.cache, desk.client)
    student_id = district.students[1]["id"]
    outbox = Outbox(desk.cache)
    outbox.stage("archive_student", "student", student_id, step="students")
    outbox.stage("unarchive_student", "student", student_id, step="students")
    result = push(desk.cache, desk.client)
    assert (result.applied, result.conflicts) == (2, 0)
    assert student_versions(live_server.sessions, [student_id]) == {student_id: 3}
