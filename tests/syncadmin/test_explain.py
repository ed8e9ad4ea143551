"""A run explained from the numbers it recorded (`counts[type]["planned"]`), never from its message."""

from __future__ import annotations

from connect_desktop.syncadmin.explain import (
    approved_archives,
    describe_held,
    explain_run,
    held_types,
    type_counts,
)
from tests.syncadmin.conftest import held_run, planned, settings_row

TRIED = {"created": 2, "updated": 7, "archived": 0}
STUDENTS_HELD = {
    "student": {**TRIED, "tried_to_archive": 10, "planned": planned(10, 20)},
    "enrollment": {**TRIED, "tried_to_archive": 1, "planned": planned(1, 40)},  # 2.5%: not held
    "school": {"created": 0, "updated": 0, "archived": 0, "tried_to_archive": 0, "planned": planned(0, 1)},
}


def test_the_numbers_come_from_the_recorded_plan_whatever_the_message_says() -> None:
    """M10: the server's English wording is not read at all."""
    for message in (
        "",
        "Gehalten: 10 von 20 Schülern.",
        "Held: this run would archive 3 of 9 students (33.3%)",
    ):
        told = explain_run(held_run(STUDENTS_HELD, message), settings_row())
        assert [h.type for h in told.held] == ["student"]  # the enrollments were under their threshold
        assert told.what_happened == (
            "It wanted to archive 10 students (50% of synced students), more than your threshold of 10%."
        )
        assert "Yes, the next run will be held too" in told.next_run


def test_raising_the_threshold_since_the_run_is_said() -> None:
    """M4: with the students' threshold raised to 50% (10 of 20 is not more than 50%), the next run
    is not held for this reason; at 49% it still is."""
    run = held_run(STUDENTS_HELD)
    raised = explain_run(run, settings_row({"students": 50}))
    assert raised.next_run.startswith(
        "The next run will not be held for this reason: the threshold was raised since for students (now 50%)"
    )
    for threshold in (10, 49):
        assert "raised since" not in explain_run(run, settings_row({"students": threshold})).next_run
    # another portion's threshold does not count for students
    assert "raised since" not in explain_run(run, settings_row({"enrollments": 90})).next_run


def test_raised_for_one_held_type_but_not_the_other() -> None:
    counts = {**STUDENTS_HELD, "enrollment": {**TRIED, "tried_to_archive": 8, "planned": planned(8, 40)}}
    told = explain_run(held_run(counts), settings_row({"students": 60}))
    assert [h.type for h in told.held] == ["student", "enrollment"]
    assert told.next_run.startswith(
        "The threshold was raised since for students (now 60%), but not enough for enrollments. "
        "Yes, the next run will be held too"
    )


def test_a_run_recorded_before_the_numbers_says_they_are_not_available() -> None:
    old = {"student": {**TRIED, "tried_to_archive": 10}, "contact": {**TRIED, "tried_to_archive": 1}}
    told = explain_run(
        held_run(old, "Held: this run would archive 10 of 20 students (50.0%, threshold 10%)."), None
    )
    assert told.what_happened == "It wanted to archive 10 students; and 1 family contact."
    assert (
        "are not available for this run" in told.next_run and "held too unless you approve" in told.next_run
    )
    assert [h.percent for h in told.held] == [None, None]


def test_a_school_admins_run_lists_their_schools_part_without_district_numbers() -> None:
    mine = {"student": {**TRIED, "tried_to_archive": 5}, "enrollment": {**TRIED, "tried_to_archive": 5}}
    told = explain_run(held_run(mine), settings_row({"students": 90}), for_schools=True)
    assert [describe_held(h) for h in told.held] == ["5 students", "5 enrollments"]
    assert "unless a district admin approves" in told.next_run and "not available" not in told.next_run


def test_unreadable_or_newer_plans_are_read_as_far_as_they_go() -> None:
    newer = planned(10, 20) | {"reason": "something a newer server adds"}
    assert type_counts(held_run({"student": {**TRIED, "planned": newer}}))["student"].planned is not None
    broken = held_run({"student": {**TRIED, "tried_to_archive": 10, "planned": "10 of 20"}, "x": "y"})  # type: ignore[dict-item]
    counts = type_counts(broken)
    assert set(counts) == {"student"} and counts["student"].planned is None
    assert counts["student"].tried_to_archive == 10
    assert [(h.type, h.tried, h.percent) for h in held_types(broken)] == [("student", 10, None)]
    partial = held_run({"student": {**TRIED, "tried_to_archive": 10, "planned": {"managed": "many"}}})
    assert [(h.type, h.tried, h.percent) for h in held_types(partial)] == [("student", 10, None)]


def test_a_run_that_was_not_held() -> None:
    done = {
        "student": {
            "created": 3,
            "updated": 1,
            "archived": 2,
            "tried_to_archive": 0,
            "planned": planned(2, 40),
        }
    }
    told = explain_run(held_run(done, "Created 3.", status="succeeded"), None)
    assert told.headline == "Your sync on June 20, 2026 finished without problems."
    assert told.archived == "It archived 2 records." and told.held == []


def test_approving_names_everything_the_run_archives_not_only_what_held_it() -> None:
    """With archiving allowed the run archives every type it tried to, and the family links that
    go with their contacts: the question names them all, as many as "Tried to archive" lists."""
    counts = {
        **STUDENTS_HELD,
        "student_contact": {
            **TRIED,
            "tried_to_archive": 12,
            "planned": planned(9, 100, removed_with_parent=3),  # 9%: not held
        },
    }
    run = held_run(counts)
    assert [h.type for h in held_types(run)] == ["student"]
    assert approved_archives(run) == (
        "10 students, 12 family links (3 of them with their contacts), 1 enrollment"
    )
