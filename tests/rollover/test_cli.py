from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection

from connect_desktop.domain.operations import OperationKind
from connect_desktop.rollover import Plan, PlannedOperation
from connect_desktop.rollover.cli import add_plan_commands, run_plan_command
from tests.rollover.builder import CacheBuilder
from tests.rollover.conftest import Scenario


def _run(
    connection: Connection, *argv: str, staged: list[PlannedOperation] | None = None
) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="connect-desktop")
    add_plan_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["plan", *argv, "--as-of", "2026-06-15"])
    out, err = io.StringIO(), io.StringIO()

    def stage(plan: Plan[Any], confirmation: str | None) -> int:
        assert staged is not None
        before = len(staged)
        staged.extend(plan.to_operations(confirmation=confirmation))
        return len(staged) - before

    code = run_plan_command(args, connection, stage if staged is not None else None, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_inactive_staff_json_leaves_out_the_account_owner(connection: Connection, scenario: Scenario) -> None:
    CacheBuilder(connection).account("me@example.org")
    code, out, _ = _run(connection, "inactive-staff", "--since", "2025-09-01", "--json")
    assert code == 0
    document = json.loads(out)
    assert document["count"] == 3
    assert {item["id"] for item in document["items"]} == {scenario.left, scenario.stale, scenario.idle}
    assert all(item["reason"] for item in document["items"])


def test_classrooms_for_one_school_year_and_school(connection: Connection, scenario: Scenario) -> None:
    code, out, _ = _run(
        connection, "classrooms", "--school-year", "2025", "--school", scenario.high, "--json"
    )
    assert code == 0
    assert [item["id"] for item in json.loads(out)["items"]] == [scenario.c_last_high]


def test_students_not_in_file_staged(connection: Connection, scenario: Scenario, tmp_path: Path) -> None:
    upload = tmp_path / "next-year.csv"
    upload.write_text("Student Number,Name\n00123,Zoe\n", encoding="utf-8")
    staged: list[PlannedOperation] = []
    code, out, err = _run(
        connection, "students", "--rule", "not-in-file", str(upload), "--stage", staged=staged
    )
    assert code == 0
    assert "5 proposed" in out and "Staged 5 operations" in err
    assert {op.kind for op in staged} == {OperationKind.ARCHIVE_STUDENT}
    assert scenario.zeros not in {op.target_id for op in staged}


def test_students_leaving_the_district_with_and_without_the_file(
    connection: Connection, scenario: Scenario, tmp_path: Path
) -> None:
    code, out, _ = _run(connection, "students", "--rule", "leaving-district", "--json")
    assert code == 0
    assert {item["id"] for item in json.loads(out)["items"]} == {scenario.senior, scenario.withdrawn}
    upload = tmp_path / "next-year.csv"
    upload.write_text("Student Number,Name\n00123,Zoe\n", encoding="utf-8")
    code, out, _ = _run(connection, "students", "--rule", "leaving-district", str(upload), "--json")
    assert code == 0 and scenario.zeros not in {item["id"] for item in json.loads(out)["items"]}
    assert {scenario.senior, scenario.withdrawn, scenario.third} <= {
        item["id"] for item in json.loads(out)["items"]
    }


def test_delete_is_refused_without_the_exact_phrase(connection: Connection, scenario: Scenario) -> None:
    staged: list[PlannedOperation] = []
    code, out, err = _run(
        connection, "students", "--rule", "withdrawn", "--action", "delete", "--stage", staged=staged
    )
    assert code == 2 and out == "" and staged == []
    assert '--confirm "DELETE 1 STUDENT"' in err
    code, _, _ = _run(
        connection,
        "students",
        "--rule",
        "withdrawn",
        "--action",
        "delete",
        "--confirm",
        "DELETE 2 STUDENTS",
        "--stage",
        staged=staged,
    )
    assert code == 2 and staged == []
    code, _, _ = _run(
        connection,
        "students",
        "--rule",
        "withdrawn",
        "--action",
        "delete",
        "--confirm",
        "DELETE 1 STUDENT",
        "--stage",
        staged=staged,
    )
    assert code == 0
    assert [(op.kind, op.target_id) for op in staged] == [(OperationKind.DELETE_STUDENT, scenario.withdrawn)]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (["graduates"], "Unknown rule"),
        (["not-in-file"], "needs the new year's student file"),
        (["not-in-file", "missing.csv"], "was not found"),
        (["everyone", "extra.csv"], "takes no file"),
        (["leaving-district", "a.csv", "b.csv"], "takes at most one file"),
    ],
)
def test_bad_requests_exit_2_with_a_plain_message(
    connection: Connection, scenario: Scenario, rule: list[str], message: str
) -> None:
    code, _, err = _run(connection, "students", "--rule", *rule)
    assert code == 2 and message in err


def test_stage_without_a_stager_is_refused(connection: Connection, scenario: Scenario) -> None:
    code, _, err = _run(connection, "classrooms", "--stage")
    assert code == 2 and "not available" in err
