"""`Account`, the one service the app and the command line share, against the real server.

Staging a selection is one transaction (all or none), "select all" keeps what the user
unchecked out, a permanent plan needs its phrase, a send leaves unchecked changes staged,
and conflicts are retried on fresh versions.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from connect_desktop.account import Account
from connect_desktop.domain.operations import OutboxState
from connect_desktop.rollover.plan import ConfirmationError, Plan, Selection
from connect_desktop.rollover.students import StudentAction, StudentRule, StudentRules, plan_students
from connect_desktop.yearend.steps import Step
from tests.desktop.conftest import District
from tests.desktop.serverdata import audit_counts, touch_student
from tests.support.server import LiveServer


def everyone(connection: Connection) -> Plan[Any]:
    return plan_students(connection, StudentRules.of(StudentRule.EVERYONE))


def delete_everyone(connection: Connection) -> Plan[Any]:
    return plan_students(connection, StudentRules.of(StudentRule.EVERYONE), action=StudentAction.DELETE)


def stage(account: Account, make_plan: Any, selection: Selection, **options: Any) -> int:
    """Stage as the app does: on the plan's own connection, kept open while it is used."""
    opened = account.open_plan(make_plan)
    try:
        return opened.call(lambda plan: account.stage_plan(plan, selection, **options))
    finally:
        opened.close()


def ids(district: District) -> set[str]:
    return {student["id"] for student in district.students}


def test_select_all_stages_every_student_but_the_unchecked(account: Account, district: District) -> None:
    left_out = {district.students[0]["id"], district.students[5]["id"]}
    staged = stage(account, everyone, Selection.from_checks(True, left_out), batch="year-end-2026")
    rows = account.pending()
    assert staged == len(district.students) - 2
    assert {row.target_id for row in rows} == ids(district) - left_out
    assert {(row.kind, row.step, row.batch, row.state) for row in rows} == {
        ("archive_student", Step.NON_RETURNING_STUDENTS, "year-end-2026", OutboxState.PENDING)
    }


def test_checked_rows_alone_stage_only_those(account: Account, district: District) -> None:
    chosen = {district.students[2]["id"]}
    assert stage(account, everyone, Selection.from_checks(False, chosen)) == 1
    assert [row.batch for row in account.pending()] == [account.year_end_batch()]  # by default
    assert [row.target_id for row in account.pending()] == sorted(chosen)


def test_staging_a_selection_is_one_transaction(account: Account, district: District) -> None:
    """The disk fails at the fourth row: none of the plan is staged, not the first three."""
    with account.cache.engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER fail_midway BEFORE INSERT ON pending_operation "
                "WHEN (SELECT count(*) FROM pending_operation) >= 3 "
                "BEGIN SELECT RAISE(ABORT, 'the disk went away'); END"
            )
        )
    with pytest.raises(IntegrityError, match="the disk went away"):
        stage(account, everyone, Selection())
    with account.cache.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER fail_midway"))
    assert account.pending() == []
    assert stage(account, everyone, Selection()) == len(district.students)  # once the disk is back


def test_staging_operations_is_one_transaction(account: Account, district: District) -> None:
    """Operations streamed from a generator that fails midway leave nothing staged."""
    opened = account.open_plan(everyone)
    try:
        operations = list(opened.plan().to_operations())
    finally:
        opened.close()

    def then_fail() -> Any:
        yield from operations[:4]
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        account.stage(then_fail())
    assert account.pending() == []
    assert account.stage(operations) == len(district.students)


def test_a_permanent_plan_stages_nothing_without_its_phrase(account: Account, district: District) -> None:
    with pytest.raises(ConfirmationError) as refused:
        stage(account, delete_everyone, Selection())
    assert account.pending() == []
    phrase = refused.value.expected
    assert phrase == f"DELETE {len(district.students)} STUDENTS"
    assert stage(account, delete_everyone, Selection(), confirmation=phrase) == len(district.students)
    assert {row.kind for row in account.pending()} == {"delete_student"}


def test_send_leaves_the_unchecked_changes_staged(
    account: Account, district: District, live_server: LiveServer
) -> None:
    chosen = [s["id"] for s in district.students[:3]]
    stage(account, everyone, Selection.from_checks(False, chosen))
    kept = next(row.op_id for row in account.pending() if row.target_id == chosen[2])
    outcome = account.send(excluded=[kept])
    assert (outcome.applied, outcome.conflict, outcome.rejected, outcome.not_sent) == (2, 0, 0, 1)
    assert [(row.op_id, row.state) for row in account.pending()] == [(kept, OutboxState.PENDING)]
    assert len(audit_counts(live_server.sessions)) == 2
    rows = account.records("student", limit=100).rows
    assert {row.id for row in rows if row.status == "archived"} == set(chosen)  # sent, or staged
    assert {row.id for row in rows if row.staged} == {chosen[2]}
    # the choice is kept in the cache: the next send, which names nothing, leaves it out too
    again = account.send()
    assert (again.sent, again.not_sent) == (0, 1)
    assert [(row.op_id, row.state, row.kept) for row in account.pending()] == [(kept, "pending", True)]
    assert account.kept_for_later() == {kept}
    # until the user checks it again
    assert account.keep_for_later([kept], kept=False) == 1
    last = account.send()
    assert (last.applied, last.not_sent) == (1, 0)
    assert account.pending() == []


def test_a_conflict_is_retried_on_the_fresh_version(
    account: Account, district: District, live_server: LiveServer
) -> None:
    student = district.students[0]["id"]
    stage(account, everyone, Selection.from_checks(False, {student}))
    touch_student(live_server.sessions, student, grade="5")
    assert account.send().conflict == 1
    (conflict,) = account.pending()
    assert conflict.state == OutboxState.CONFLICT
    touch_student(live_server.sessions, student, grade="6")  # changed again since the send's pull
    assert account.refresh_and_retry([conflict.op_id]) == 1
    (again,) = account.pending()
    assert again.op_id != conflict.op_id and again.base_version == conflict.base_version + 2
    assert account.send().applied == 1


def test_a_page_of_the_outbox_can_be_only_some_operations(account: Account, district: District) -> None:
    """The review's "results of your last send" lists only what was sent."""
    stage(account, everyone, Selection())
    wanted = {row.op_id for row in account.pending()[:3]}
    page = account.pending_page(op_ids=wanted, limit=2)
    assert page.total == 3 and len(page.rows) == 2 and {row.op_id for row in page.rows} <= wanted
    assert account.pending_page(op_ids=set()).total == 0


def test_discard_takes_changes_out_and_discard_all_the_rest(account: Account, district: District) -> None:
    stage(account, everyone, Selection())
    first, *rest = account.pending()
    assert account.discard([first.op_id]) == 1
    assert first.op_id not in {row.op_id for row in account.pending()}
    assert account.discard_all() == len(rest)
    assert account.pending() == []


def test_restore_stages_the_inverse_of_a_sent_batch(account: Account, district: District) -> None:
    chosen = [s["id"] for s in district.students[:2]]
    stage(account, everyone, Selection.from_checks(False, chosen), batch="year-end-2026")
    account.send()
    assert account.undoable_count() == 2
    assert account.stage_restore(batch="year-end-2026") == 2
    assert {(row.kind, row.target_id) for row in account.pending()} == {
        ("unarchive_student", student) for student in chosen
    }


def test_status_counts_the_copy_and_the_outbox(account: Account, district: District) -> None:
    stage(account, everyone, Selection.from_checks(False, {district.students[0]["id"]}))
    status = account.status()
    assert status.counts["student"] == len(district.students)
    assert status.pending == {OutboxState.PENDING: 1}
    assert status.cursor > 0 and status.server == account.server_url
