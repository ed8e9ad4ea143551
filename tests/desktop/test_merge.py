"""Merging duplicate students, end to end against the real reference server.

Two records of one child: John Smith (from the SIS, active) and Jon Smith (added by hand,
archived), sharing one family contact and one classroom. The merge is previewed,
described, staged, sent and undone; the cache is compared with the server's database
after each send, and the undo with the records as they were before the merge.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from connect_desktop import cli
from connect_desktop import session as accounts
from connect_desktop.account import Account
from connect_desktop.domain.entities import EntityType
from connect_desktop.rollover.dismissals import dismissed_pairs, list_dismissals
from connect_desktop.rollover.merge import MergeError, default_survivor, merge_preview
from connect_desktop.rollover.plan import Selection
from connect_desktop.rollover.students import StudentRule, StudentRules, plan_students
from connect_desktop.rollover.undo import list_undoable
from connect_desktop.store import queries
from connect_desktop.store.effective import effective_record
from connect_desktop.sync.outbox import StagingError
from connect_server import models as server_models
from tests.desktop.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, District
from tests.desktop.serverdata import cache_snapshot, server_snapshot
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer

TODAY = dt.date(2026, 12, 2)
SENT_AT = dt.datetime(2026, 12, 2, 14, 30)


@dataclass
class Pair:
    john: dict[str, Any]  # from the SIS, active: the one to keep
    jon: dict[str, Any]  # added by hand, archived: the duplicate
    shared_contact: dict[str, Any]
    jon_contacts: list[dict[str, Any]]
    shared_classroom: dict[str, Any]
    jon_classrooms: list[dict[str, Any]]


@pytest.fixture
def pair(live_server: LiveServer, district: District) -> Pair:
    build = RecordBuilder(live_server.sessions)
    school = district.schools[0]["id"]
    john = build.student(
        school, first_name="John", last_name="Smith", student_number="S100", grade="4",
        birth_date=dt.date(2014, 3, 2), origin="sync", source_id="sis-100",
    )  # fmt: skip
    jon = build.student(
        school, first_name="Jon", last_name="Smith", student_number="M200", grade="4",
        birth_date=dt.date(2014, 2, 3), status="archived",
    )  # fmt: skip
    mom = build.contact(first_name="Mary", last_name="Smith")
    dad, gran = (
        build.contact(first_name="Paul", last_name="Smith"),
        build.contact(first_name="Ida", last_name="Low"),
    )
    build.link(john, mom, relationship="mother")
    build.link(jon, mom, relationship="mother")
    build.link(jon, dad, relationship="father")
    build.link(jon, gran, relationship="grandparent")
    rooms = [build.classroom(school, district.term["id"], name=n) for n in ("Math 4", "Art 4", "Music 4")]
    build.enroll(rooms[1], district.staff[0]["id"], role="teacher")
    build.enroll(rooms[0], john["id"])
    for room in rooms:
        build.enroll(room, jon["id"])
    return Pair(john, jon, mom, [dad, gran], rooms[0], rooms[1:])


@pytest.fixture
def account(live_server: LiveServer, pair: Pair) -> Iterator[Account]:
    service = Account.sign_in(live_server.url, ADMIN_EMAIL, ADMIN_PASSWORD)
    service.today = lambda: TODAY
    service.pull()
    try:
        yield service
    finally:
        service.close()


_BOOKKEEPING = {"version", "seq"}


def _server_side(sessions: sessionmaker[Session], student_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Both students, their family links and enrollments on the server, without versions."""
    models = server_models.ENTITY_MODELS
    found: dict[str, dict[str, Any]] = {}
    with sessions() as session:
        for entity, column in (
            (EntityType.STUDENT, "id"),
            (EntityType.STUDENT_CONTACT, "student_id"),
            (EntityType.ENROLLMENT, "person_id"),
        ):
            table = models[entity].__table__
            rows = session.execute(select(table).where(table.c[column].in_(student_ids))).mappings()
            found[entity.value] = {
                row["id"]: {k: v for k, v in row.items() if k not in _BOOKKEEPING} for row in rows
            }
    return found


def _cache_equals_server(account: Account, live_server: LiveServer) -> None:
    assert cache_snapshot(account.cache) == server_snapshot(live_server.sessions)


def _staged_changes(account: Account) -> list[tuple[str, str, str, int | None]]:
    with account.cache.sessions() as session:
        rows = session.execute(
            text("SELECT entity_type, entity_id, action, base_version FROM staged_change ORDER BY id")
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


# -- preview and describe ----------------------------------------------------------------------


def test_the_preview_shows_both_children_side_by_side(
    account: Account, pair: Pair, district: District
) -> None:
    with account.cache.engine.connect() as connection:
        assert default_survivor(connection, pair.jon["id"], pair.john["id"]) == pair.john["id"]
        preview = merge_preview(connection, pair.john["id"], pair.jon["id"], now=SENT_AT)
    kept, merged = preview.survivor, preview.merged
    assert (kept.name, merged.name) == ("John Smith", "Jon Smith")
    assert (kept.school, merged.school) == ("Lincoln Elementary", "Lincoln Elementary")
    assert (kept.origin_text, merged.origin_text) == ("From the SIS", "Added in Connect")
    assert (kept.status, merged.status) == ("active", "archived")
    assert str(merged.fields["birth_date"]) == "2014-02-03" and merged.fields["student_number"] == "M200"
    assert [(c.name, c.relationship) for c in merged.contacts] == [
        ("Ida Low", "grandparent"), ("Mary Smith", "mother"), ("Paul Smith", "father"),
    ]  # fmt: skip
    assert [(c.name, c.relationship) for c in kept.contacts] == [("Mary Smith", "mother")]
    teacher = f"{district.staff[0]['first_name']} {district.staff[0]['last_name']}"
    rooms = {seat.name: seat.teacher for seat in merged.classrooms}
    assert set(rooms) == {"Math 4", "Art 4", "Music 4"} and rooms["Music 4"] == ""
    assert rooms["Art 4"] == teacher
    assert (preview.contacts_moving, preview.contacts_dropped) == (2, 1)
    assert (preview.classrooms_moving, preview.classrooms_dropped) == (2, 1)
    assert preview.field_choices == ("first_name", "student_number", "birth_date")
    assert preview.blocked is None
    assert preview.describe(["birth_date"]) == (
        "Jon Smith's 2 family contacts and 2 classrooms move to John Smith (the 1 family contact and "
        "1 classroom they share are kept once); John Smith takes Jon Smith's birth date (2014-02-03); "
        "Jon Smith's record is removed; you can undo this for 180 days (until 31 May 2027)."
    )
    assert preview.describe().startswith("Jon Smith's 2 family contacts and 2 classrooms move")
    assert "takes" not in preview.describe()


def test_what_the_server_refuses_is_said_before_staging(
    account: Account, pair: Pair, live_server: LiveServer
) -> None:
    other = account.merge_preview(pair.jon["id"], pair.john["id"])  # the SIS record into the manual one
    assert other.blocked is not None and "keep John Smith" in other.blocked
    with pytest.raises(MergeError):
        account.stage_merge(pair.jon["id"], pair.john["id"], [])
    with pytest.raises(MergeError, match="same last name; there is nothing to choose"):
        account.stage_merge(pair.john["id"], pair.jon["id"], ["last_name"])
    with pytest.raises(MergeError, match="not a field a merge can take"):
        account.stage_merge(pair.john["id"], pair.jon["id"], ["status"])
    with pytest.raises(MergeError, match="itself"):
        account.merge_preview(pair.john["id"], pair.john["id"])
    assert account.pending() == []

    twin = RecordBuilder(live_server.sessions).student(
        pair.john["school_id"], first_name="John", last_name="Smith", origin="sync", source_id="sis-999"
    )
    account.pull()
    both = account.merge_preview(pair.john["id"], twin["id"])
    assert both.blocked is not None and both.blocked.startswith("Both records come from your SIS")
    assert both.describe() == both.blocked
    assert "(S100)" in both.survivor_name  # same names: told apart by their numbers
    assert both.details_of(pair.john["id"]).startswith("S100, ")

    again = RecordBuilder(live_server.sessions).student(
        pair.john["school_id"],
        first_name="John",
        last_name="Smith",
        student_number=pair.john["student_number"],
        origin="manual",
    )
    account.pull()
    same = account.merge_preview(pair.john["id"], again["id"])  # same name, same number
    assert same.survivor_name == "John Smith (from the SIS)"
    assert same.merged_name == "John Smith (added in Connect)"
    assert same.describe().startswith("John Smith (added in Connect) has no family contacts or classrooms")
    assert "to move to John Smith (from the SIS);" in same.describe()
    assert same.details_of(again["id"]) == "Added in Connect, active"  # the number tells nothing here


# -- staging ---------------------------------------------------------------------------------


def test_a_staged_merge_hides_the_duplicate_and_can_be_discarded(account: Account, pair: Pair) -> None:
    students = account.status().counts["student"]
    assert account.stage_merge(pair.john["id"], pair.jon["id"], ["birth_date", "first_name"]) == 1
    [row] = account.pending()
    assert row.kind == "merge_students" and row.target_id == pair.john["id"]
    assert row.params == {
        "merged_id": pair.jon["id"],
        "fields": {"first_name": "Jon", "birth_date": "2014-02-03"},
        "was": {"first_name": "John", "birth_date": "2014-03-02"},
    }
    assert _staged_changes(account) == [
        ("student", pair.john["id"], "update", pair.john["version"]),
        ("student", pair.jon["id"], "delete", pair.jon["version"]),
    ]
    assert account.status().counts["student"] == students - 1
    listed = account.records(EntityType.STUDENT, queries.ListFilter(search="Smith"), limit=50).rows
    assert [s.id for s in listed] == [pair.john["id"]]
    with account.cache.sessions() as session:
        kept = effective_record(session, EntityType.STUDENT, pair.john["id"])
    assert kept is not None and (kept["first_name"], kept["birth_date"]) == ("Jon", "2014-02-03")
    assert account.labels([row]) == {row.op_id: "Smith, Jon into Smith, John"}

    account.discard([row.op_id])
    listed = account.records(EntityType.STUDENT, queries.ListFilter(search="Smith"), limit=50).rows
    assert sorted((s.first_name, s.status) for s in listed) == [("John", "active"), ("Jon", "archived")]
    assert account.status().counts["student"] == students


def test_a_record_already_merged_cannot_be_merged_again(
    account: Account, pair: Pair, district: District
) -> None:
    other = district.students[0]["id"]
    account.stage_merge(pair.john["id"], pair.jon["id"], [])
    with pytest.raises(MergeError, match="already removes it"):
        account.stage_merge(other, pair.jon["id"], [])
    with pytest.raises(StagingError, match="already merged into another record"):
        account.stage_one("merge_students", other, {"merged_id": pair.jon["id"]}, step="cli")
    with pytest.raises(StagingError, match="removed by a change already staged"):
        account.stage_one("merge_students", pair.jon["id"], {"merged_id": other}, step="cli")
    assert len(account.pending()) == 1


# -- sending and undoing -----------------------------------------------------------------------


def test_a_sent_merge_leaves_the_cache_as_the_server_without_a_pull(
    account: Account, pair: Pair, live_server: LiveServer
) -> None:
    ids = [pair.john["id"], pair.jon["id"]]
    before = _server_side(live_server.sessions, ids)
    account.stage_merge(pair.john["id"], pair.jon["id"], ["birth_date"])
    outcome = account.push()
    assert (outcome.applied, outcome.failed) == (1, 0), account.pending(states=("rejected", "conflict"))
    _cache_equals_server(account, live_server)

    after = _server_side(live_server.sessions, ids)
    assert set(after["student"]) == {pair.john["id"]}
    assert str(after["student"][pair.john["id"]]["birth_date"]) == "2014-02-03"
    contacts = sorted(link["contact_id"] for link in after["student_contact"].values())
    expected = sorted([pair.shared_contact["id"], *(c["id"] for c in pair.jon_contacts)])
    assert contacts == expected  # the shared mother once, not twice
    assert all(link["student_id"] == pair.john["id"] for link in after["student_contact"].values())
    rooms = sorted(e["classroom_id"] for e in after["enrollment"].values())
    assert rooms == sorted([pair.shared_classroom["id"], *(r["id"] for r in pair.jon_classrooms)])
    moved = set(after["student_contact"]) & {i for i, link in before["student_contact"].items()
                                             if link["student_id"] == pair.jon["id"]}  # fmt: skip
    assert len(moved) == 2  # links keep their ids when they move

    [row] = account.pending(states=("applied",))
    assert account.labels([row]) == {row.op_id: "Smith, Jon into Smith, John"}  # the duplicate is gone
    account.pull()
    _cache_equals_server(account, live_server)


def test_a_change_to_the_duplicate_staged_before_its_merge_goes_first(
    account: Account, pair: Pair, live_server: LiveServer
) -> None:
    account.stage_one("update_student", pair.jon["id"], {"fields": {"grade": "5"}}, step="cli")
    account.stage_merge(pair.john["id"], pair.jon["id"], ["grade"])
    outcome = account.push()  # one push: the merge is sent after the update, on its new version
    assert (outcome.applied, outcome.failed) == (2, 0), account.pending(states=("rejected", "conflict"))
    with live_server.sessions() as session:
        grade = session.scalar(
            select(server_models.Student.grade).where(server_models.Student.id == pair.john["id"])
        )
    assert grade == "5"
    _cache_equals_server(account, live_server)


def test_undoing_a_merge_puts_both_back_exactly(
    account: Account, pair: Pair, live_server: LiveServer
) -> None:
    ids = [pair.john["id"], pair.jon["id"]]
    before = _server_side(live_server.sessions, ids)
    account.stage_merge(pair.john["id"], pair.jon["id"], ["birth_date", "student_number"])
    assert account.push().applied == 1

    [sent] = account.undoable_page(0, 10)
    assert sent.kind == "merge_students" and sent.merged_id == pair.jon["id"]
    assert sent.sent_at is not None
    assert sent.undo_until == (sent.sent_at + dt.timedelta(days=180)).date()
    assert account.undoable_labels([sent]) == {sent.op_id: "Smith, Jon into Smith, John"}

    assert account.stage_restore([sent.op_id]) == 1
    [undo] = account.pending()
    assert undo.kind == "unmerge_students" and undo.target_id == pair.john["id"]
    assert undo.params["merged_id"] == pair.jon["id"]
    assert undo.params["fields"] == {"birth_date": "2014-03-02", "student_number": "S100"}
    assert account.labels([undo]) == {undo.op_id: "Smith, Jon into Smith, John"}
    assert account.undoable_count() == 0  # being undone
    outcome = account.push()
    assert (outcome.applied, outcome.failed) == (1, 0), account.pending(states=("rejected", "conflict"))

    assert _server_side(live_server.sessions, ids) == before  # every field, link and enrollment
    _cache_equals_server(account, live_server)
    account.pull()
    _cache_equals_server(account, live_server)


def test_restoring_the_whole_year_end_puts_back_its_merges_too(
    account: Account, pair: Pair, district: District
) -> None:
    """A merge joins the year-end batch the wizard's other steps stage into, from the page and
    from the CLI alike, so "Restore the whole year-end batch" undoes it with the rest."""
    leaving = district.students[0]["id"]
    opened = account.open_plan(lambda c: plan_students(c, StudentRules.of(StudentRule.EVERYONE)))
    try:
        assert (
            opened.call(lambda plan: account.stage_plan(plan, Selection.from_checks(False, {leaving}))) == 1
        )
    finally:
        opened.close()
    account.stage_merge(pair.john["id"], pair.jon["id"], [])
    assert account.push().applied == 2
    batch = account.year_end_batch()
    assert batch == f"year-end-{account.summary().current_school_year}"  # the dashboard's year
    assert {row.batch for row in account.undoable_page(0, 10)} == {batch}

    assert account.stage_restore(batch=batch) == 2
    assert {(op.kind, op.target_id) for op in account.pending()} == {
        ("unarchive_student", leaving),
        ("unmerge_students", pair.john["id"]),
    }


def test_the_undo_deadline_promised_is_the_one_the_history_keeps(account: Account, pair: Pair) -> None:
    """The app's as-of day (the demo holds it at the end of its school year) does not move the
    180 days: they run from the real send, on the page that promises them as in the history."""
    account.today = lambda: dt.date(2026, 6, 20)
    promised = account.merge_preview(pair.john["id"], pair.jon["id"]).undo_until
    account.stage_merge(pair.john["id"], pair.jon["id"], [])
    assert account.push().applied == 1
    [sent] = account.undoable_page(0, 10)
    assert sent.undo_until is not None
    # equal, unless the send crossed midnight (UTC) after the preview was made
    assert dt.timedelta(0) <= sent.undo_until - promised <= dt.timedelta(days=1)


def test_a_survivor_with_two_merges_undoes_only_the_one_asked(
    account: Account, pair: Pair, live_server: LiveServer
) -> None:
    third = RecordBuilder(live_server.sessions).student(
        pair.john["school_id"], first_name="Johnny", last_name="Smith", student_number="M300"
    )
    account.pull()
    account.stage_merge(pair.john["id"], pair.jon["id"], [])
    account.stage_merge(pair.john["id"], third["id"], [])
    assert account.push().applied == 2
    assert {c.merged_id for c in account.undoable_page(0, 10)} == {pair.jon["id"], third["id"]}

    assert account.stage_unmerge(pair.john["id"], third["id"]) == 1
    assert [c.merged_id for c in account.undoable_page(0, 10)] == [pair.jon["id"]]
    with pytest.raises(MergeError, match="No merge of these two students can be undone"):
        account.stage_unmerge(pair.john["id"], third["id"])  # already being undone
    assert account.push().applied == 1
    assert [c.merged_id for c in account.undoable_page(0, 10)] == [pair.jon["id"]]
    names = {
        s.first_name for s in account.records(EntityType.STUDENT, queries.ListFilter(search="Smith")).rows
    }
    assert names == {"John", "Johnny"}
    _cache_equals_server(account, live_server)


def test_a_merge_older_than_180_days_is_no_longer_offered(account: Account, pair: Pair) -> None:
    account.stage_merge(pair.john["id"], pair.jon["id"], [])
    assert account.push().applied == 1
    with account.cache.engine.connect() as connection:
        [sent] = list_undoable(connection)
        later = (sent.sent_at or dt.datetime.now()) + dt.timedelta(days=181)
        assert list_undoable(connection, now=later) == []
    assert sent.undo_until is not None


# -- dismissals --------------------------------------------------------------------------------


def test_a_dismissed_pair_is_remembered_after_reopening_the_cache(account: Account, pair: Pair) -> None:
    account.dismiss_pair(pair.john["id"], pair.jon["id"])
    account.dismiss_pair(pair.jon["id"], pair.john["id"])  # either way round: one pair
    first, second = sorted([pair.john["id"], pair.jon["id"]])
    settings = account.account
    account.close()
    account.cache = accounts.open_account_cache(settings)
    with account.cache.engine.connect() as connection:
        assert dismissed_pairs(connection) == {(first, second)}
        [dismissal] = list_dismissals(connection)
    label = "Smith, John / Smith, Jon" if first == pair.john["id"] else "Smith, Jon / Smith, John"
    assert (dismissal.a, dismissal.b, dismissal.label) == (first, second, label)
    found = account.find_duplicates()
    assert (first, second) not in {(p.a, p.b) for p in found.pairs}
    account.undismiss_pair(pair.jon["id"], pair.john["id"])
    assert account.list_dismissals() == []


# -- the command line --------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = cli.main(list(args))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_stages_a_merge_and_its_undo(
    capsys: pytest.CaptureFixture[str], live_server: LiveServer, pair: Pair
) -> None:
    login = ("login", "--server", live_server.url, "--user", ADMIN_EMAIL, "--password-stdin")
    assert _run(capsys, *login, stdin=ADMIN_PASSWORD + "\n")[0] == cli.OK
    assert _run(capsys, "sync")[0] == cli.OK
    ids = [pair.john["id"], pair.jon["id"]]
    before = _server_side(live_server.sessions, ids)

    code, _, err = _run(capsys, "stage", "merge", "--survivor", pair.john["id"], "--merged", "no-such-id")
    assert code == cli.USAGE and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    code, _, err = _run(capsys, "stage", "merge", "--survivor", pair.john["id"])
    assert code == cli.USAGE and "--merged" in err
    code, _, err = _run(
        capsys,
        "stage",
        "merge",
        "--survivor",
        pair.john["id"],
        "--merged",
        pair.jon["id"],
        "--take",
        "colour",
    )
    assert code == cli.USAGE and "not a field a merge can take" in err
    code, _, err = _run(capsys, "stage", "merge", "--survivor", pair.jon["id"], "--merged", pair.john["id"])
    assert code == cli.FAILED and "keep John Smith" in err
    code, out, _ = _run(capsys, "pending", "--json")
    assert json.loads(out)["operations"] == []

    code, out, _ = _run(
        capsys,
        "stage",
        "merge",
        "--survivor",
        pair.john["id"],
        "--merged",
        pair.jon["id"],
        "--take",
        "birth_date",
    )
    assert code == cli.OK
    assert out.startswith("Jon Smith's 2 family contacts and 2 classrooms move to John Smith")
    assert "John Smith takes Jon Smith's birth date (2014-02-03)" in out and "Staged" in out
    assert _run(capsys, "sync")[0] == cli.OK
    assert set(_server_side(live_server.sessions, ids)["student"]) == {pair.john["id"]}
    cache = accounts.open_account_cache(accounts.current_account())
    try:
        with cache.engine.connect() as connection:
            [sent] = list_undoable(connection)
    finally:
        cache.close()
    assert sent.batch is not None and sent.batch.startswith("year-end-")  # restored with the year-end

    code, out, _ = _run(capsys, "stage", "unmerge", "--survivor", pair.john["id"], "--merged", pair.jon["id"])
    assert code == cli.OK
    assert out.startswith("Jon Smith comes back as a record of their own")
    assert "birth date (2014-03-02)" in out
    code, _, err = _run(capsys, "stage", "unmerge", "--survivor", pair.john["id"], "--merged", pair.jon["id"])
    assert code == cli.USAGE and len(err.strip().splitlines()) == 1  # already being undone
    assert _run(capsys, "sync")[0] == cli.OK
    assert _server_side(live_server.sessions, ids) == before
