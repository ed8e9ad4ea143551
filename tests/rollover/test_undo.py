from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover import PlanError, inverse_operation, undo_operations
from tests.rollover.builder import CacheBuilder


def _at(minute: int) -> dt.datetime:
    return dt.datetime(2026, 6, 20, 10, minute)


def test_inverse_of_each_undoable_kind() -> None:
    assert inverse_operation("archive_classroom", "c1", "archive_classrooms") == (
        OperationKind.UNARCHIVE_CLASSROOM,
        EntityType.CLASSROOM,
        "c1",
        {},
        "archive_classrooms",
    )
    assert inverse_operation("revoke_staff_access", "s1", "x").kind is OperationKind.RESTORE_STAFF_ACCESS
    assert inverse_operation("archive_student", "p1", "x").kind is OperationKind.UNARCHIVE_STUDENT
    with pytest.raises(PlanError, match="cannot be undone"):
        inverse_operation("delete_student", "p1", "x")


def test_undo_a_step_a_batch_or_single_operations(connection: Connection) -> None:
    b = CacheBuilder(connection)
    first = b.operation(
        "archive_classroom", "classroom", "c1", step="archive_classrooms", batch="b1", created_at=_at(1)
    )
    b.operation(
        "archive_classroom", "classroom", "c2", step="archive_classrooms", batch="b2", created_at=_at(2)
    )
    b.operation("revoke_staff_access", "staff", "s1", step="inactive_staff", batch="b1", created_at=_at(3))
    b.operation(
        "archive_student", "student", "p1", step="non_returning_students", batch="b1", created_at=_at(4)
    )
    b.operation(
        "delete_student", "student", "p2", step="non_returning_students", batch="b1", created_at=_at(5)
    )
    b.operation("archive_classroom", "classroom", "c3", state="pending", created_at=_at(6))
    b.operation("archive_classroom", "classroom", "c4", state="rejected", created_at=_at(7))

    everything = list(undo_operations(connection))
    assert [(op.kind, op.target_id) for op in everything] == [
        (OperationKind.UNARCHIVE_CLASSROOM, "c1"),
        (OperationKind.UNARCHIVE_CLASSROOM, "c2"),
        (OperationKind.RESTORE_STAFF_ACCESS, "s1"),
        (OperationKind.UNARCHIVE_STUDENT, "p1"),
    ]
    assert [op.target_id for op in undo_operations(connection, step="archive_classrooms")] == ["c1", "c2"]
    assert [op.target_id for op in undo_operations(connection, batch="b1")] == ["c1", "s1", "p1"]
    assert [op.target_id for op in undo_operations(connection, op_ids=[first])] == ["c1"]
    assert all(
        op.step == "archive_classrooms" for op in undo_operations(connection, step="archive_classrooms")
    )


def test_an_operation_already_undone_is_not_undone_twice(connection: Connection) -> None:
    b = CacheBuilder(connection)
    b.operation("archive_classroom", "classroom", "c1", created_at=_at(1))
    b.operation("unarchive_classroom", "classroom", "c1", state="pending", created_at=_at(2))
    b.operation("archive_student", "student", "p1", created_at=_at(3))
    b.operation("unarchive_student", "student", "p1", state="discarded", created_at=_at(4))
    assert [op.target_id for op in undo_operations(connection)] == ["p1"]
