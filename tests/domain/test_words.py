"""One vocabulary: every stored code has one phrase (tests/ui/test_one_vocabulary.py checks the
workbook and the screens show it), and the outbox states fall into the groups the app relies on."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from connect_desktop.domain import operations, words
from connect_desktop.domain.changes import DELETE_KINDS
from connect_desktop.domain.entities import EntityType, SyncRunStatus
from connect_desktop.domain.operations import OperationKind, OutboxState
from connect_desktop.domain.words import local_time

# -- the vocabulary itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrases", "codes"),
    [
        (words.KIND_TEXT, OperationKind),
        (words.STATE_TEXT, OutboxState),
        (words.RUN_STATUS_TEXT, SyncRunStatus),
        (words.NOUNS, EntityType),
    ],
    ids=["kinds", "states", "run statuses", "nouns"],
)
def test_every_code_has_one_distinct_phrase(phrases: dict[str, object], codes: type) -> None:
    assert set(phrases) == {code.value for code in codes}
    assert len(set(phrases.values())) == len(phrases), (
        "two codes share a phrase: the reader cannot tell them apart"
    )


def test_phrases_are_what_the_user_reads() -> None:
    assert words.kind_text("revoke_staff_access") == "Revoke staff access"
    assert words.kind_text(OperationKind.DELETE_STUDENT) == "Delete student (permanent)"
    assert words.state_text("pending") == "Not yet sent"
    assert words.state_text(OutboxState.CONFLICT) == "Conflict: changed on the server"
    assert words.run_status_text("failed_threshold") == "Held at the deletion threshold, nothing archived"
    assert words.lower_first(words.state_text("pending")) == "not yet sent"


def test_nouns_agree_with_the_count() -> None:
    assert words.noun("contact", 1) == "family contact"
    assert words.noun("contact", 0) == words.noun("contact", 2) == "family contacts"
    assert words.noun(EntityType.STAFF, 1) == "staff member"
    assert words.counted("staff", 1_200) == "1,200 staff"
    assert words.counted("student", 1) == "1 student"


def test_unknown_codes_still_read_as_words() -> None:
    assert words.kind_text("split_family") == "Split family"
    assert words.state_text("on_hold") == "On hold"
    assert words.run_status_text("cancelled_by_admin") == "Cancelled by admin"
    assert words.noun("bus_route", 1) == words.noun("bus_route", 3) == "bus route"


# -- the outbox state groups -----------------------------------------------------------------


def test_every_state_is_either_waiting_or_final() -> None:
    assert set(OutboxState) == operations.REVIEW | operations.FINAL
    assert not operations.REVIEW & operations.FINAL


def test_state_groups() -> None:
    pending, sending = OutboxState.PENDING, OutboxState.SENDING
    conflict, rejected = OutboxState.CONFLICT, OutboxState.REJECTED
    assert {pending, sending} == operations.STAGED == operations.SENDABLE
    assert {conflict, rejected} == operations.RETRYABLE
    # `sending` may already be on the server: taking it out would lose track of it.
    assert {pending, conflict, rejected} == operations.DISCARDABLE
    assert {pending, sending, conflict, rejected} == operations.REVIEW


def test_state_sql_and_tally() -> None:
    assert operations.sql_in(operations.STAGED) == "('pending', 'sending')"
    # Sorted, so the statement text (and SQLite's statement cache) does not vary between runs.
    everything = "('applied', 'conflict', 'discarded', 'pending', 'rejected', 'sending')"
    assert operations.sql_in(frozenset(OutboxState)) == everything
    counts = {"pending": 3, "sending": 1, "conflict": 2, "applied": 9}
    assert operations.tally(counts, operations.STAGED) == 4
    assert operations.tally(counts, operations.RETRYABLE) == 2


def test_a_send_names_what_it_does_for_good_and_what_can_be_restored() -> None:
    mixed = {
        OperationKind.DELETE_STUDENT: 3,
        OperationKind.ARCHIVE_STUDENT: 2,
        OperationKind.MERGE_STUDENTS: 1,
    }
    assert words.permanent_warning(mixed) == "3 students will be deleted for good; this cannot be undone."
    assert words.permanent_warning({OperationKind.DELETE_STUDENT: 1}) == (
        "1 student will be deleted for good; this cannot be undone."
    )
    assert words.permanent_warning({OperationKind.ARCHIVE_STUDENT: 5}) is None
    assert words.restorable_note(mixed) == (
        "Archived students and merged students (for 180 days) can be restored later."
    )
    # a deletion alone promises nothing
    assert words.restorable_note({OperationKind.DELETE_STUDENT: 3}) == ""
    # every kind is either undoable, permanent or not a year-end change to restore
    assert not DELETE_KINDS & set(operations.INVERSE)


def test_stored_utc_times_are_shown_in_the_computers_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        noon_utc = dt.datetime(2026, 6, 20, 16, 0)  # as the cache and the server keep it: naive UTC
        assert local_time(noon_utc) == "2026-06-20 12:00"  # New York is UTC-4 in June
        assert local_time("2026-01-15T16:00:00") == "2026-01-15 11:00"  # and UTC-5 in January
        assert local_time(noon_utc.replace(tzinfo=dt.UTC)) == "2026-06-20 12:00"
        assert local_time(None) == "" and local_time("") == ""
    finally:
        monkeypatch.undo()
        time.tzset()


def test_applied_changes_say_what_they_did_so_a_restore_is_not_counted_as_an_archive() -> None:
    said = words.applied_text({"archive_classroom": 42, "unarchive_classroom": 1, "revoke_staff_access": 2})
    assert said == "42 classrooms archived, 2 staff lost access, 1 classroom restored"
    assert words.applied_text({"update_sync_settings": 1}) == "1 other change"
    assert words.applied_text({}) == ""


def test_a_sync_source_reads_as_people_know_it_never_as_a_kind_code_and_a_path() -> None:
    said = words.source_text("oneroster-csv", "/tmp/demo/exports/current.zip", dt.datetime(2026, 6, 20, 2, 0))
    assert said.startswith("OneRoster export (current.zip), last read 2026-06-20")
    assert words.source_text("clever-csv", "C:\\\\Exports\\\\clever") == "Clever export (clever)"
    assert words.source_text("clever-api", "Clever API") == "Clever API"
    assert words.source_text("oneroster-rest", "https://sis.example.org/ims") == (
        "OneRoster API (https://sis.example.org/ims)"
    )
