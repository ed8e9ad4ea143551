"""The changes feed: completeness, paging, scope and keyset cost, over a live server."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text

from connect_desktop.api.schema import ChangesPage, encode_value
from connect_desktop.domain.entities import Role
from connect_server.feed import page_queries
from connect_server.models import ENTITY_MODELS
from connect_server.scope import Principal
from tests.server.conftest import ADMIN_A, DISTRICT, TEACHER_A, Api, District, hold, op
from tests.support.server import LiveServer

Connect = Callable[..., Api]


def database_records(server: LiveServer) -> dict[tuple[str, str], dict[str, Any]]:
    """Every entity row as (type, id) -> {"version", "data"}, read straight from the tables."""
    records = {}
    with server.sessions() as session:
        for kind, model in ENTITY_MODELS.items():
            table = model.__table__
            for row in session.execute(select(table)).mappings():
                data = {k: encode_value(v) for k, v in row.items() if k not in ("id", "version", "seq")}
                records[(kind.value, row["id"])] = {"version": row["version"], "data": data}
    return records


def feed_records(changes: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (c["type"], c["id"]): {"version": c["version"], "data": c["data"]}
        for c in changes
        if not c["deleted"]
    }


def test_paging_from_zero_delivers_every_record_exactly_once(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    client = connect(DISTRICT)
    expected = database_records(live_server)
    for limit in (1, 3, 7, 5_000):
        changes, cursor = client.all_changes(limit=limit)
        seqs = [c["seq"] for c in changes]
        assert seqs == sorted(set(seqs)), "seq strictly increasing, no repeats"
        assert Counter((c["type"], c["id"]) for c in changes).most_common(1)[0][1] == 1
        assert feed_records(changes) == expected
        assert cursor == seqs[-1]


def test_first_page_matches_the_wire_schema_and_estimates_the_total(
    connect: Connect, district: District
) -> None:
    response = connect(DISTRICT).http.get("/changes", params={"since": 0, "limit": 5})
    page = ChangesPage.model_validate(response.json())
    assert len(page.changes) == 5
    assert page.has_more
    assert page.next_since == page.changes[-1].seq
    assert page.total_estimate == 31  # every record, the sync settings included
    later = connect(DISTRICT).http.get("/changes", params={"since": page.next_since}).json()
    assert "total_estimate" not in later


def test_an_empty_page_keeps_the_cursor(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    _, cursor = client.all_changes()
    page = client.http.get("/changes", params={"since": cursor}).json()
    assert page == {"changes": [], "next_since": cursor, "has_more": False, "scope": 0}
    beyond = client.http.get("/changes", params={"since": cursor + 1000}).json()
    assert beyond["next_since"] == cursor + 1000


def test_bad_paging_values_get_422(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    for params in ({"since": -1}, {"limit": 0}, {"limit": 50_001}, {"since": "x"}):
        assert client.http.get("/changes", params=params).status_code == 422, params


def test_incremental_pull_returns_only_what_changed(connect: Connect, district: District) -> None:
    client = connect(DISTRICT)
    _, cursor = client.all_changes()
    [result] = client.operate(op("archive_classroom", "classroom", district.class_a))
    assert result["status"] == "applied"
    changes, new_cursor = client.all_changes(since=cursor)
    assert [(c["type"], c["id"], c["version"]) for c in changes] == [("classroom", district.class_a["id"], 2)]
    assert changes[0]["data"]["status"] == "archived"
    assert changes == result["records"]
    assert new_cursor == changes[0]["seq"] > cursor


def test_school_admin_sees_only_their_schools(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    d = district
    changes, _ = connect(ADMIN_A).all_changes(limit=4)
    seen = {(c["type"], c["id"]) for c in changes}
    expected = {
        ("school", d.school_a["id"]),
        ("term", d.term_district["id"]),
        ("term", d.term_a["id"]),
        ("staff", d.staff_district["id"]),
        ("staff", d.teacher_a["id"]),
        ("staff", d.teacher_a2["id"]),
        ("student", d.student_a1["id"]),
        ("student", d.student_a2["id"]),
        ("contact", d.contact_a["id"]),
        ("contact", d.contact_ab["id"]),
        ("student_contact", d.links[0]["id"]),
        ("student_contact", d.links[1]["id"]),
        ("classroom", d.class_a["id"]),
        ("classroom", d.class_a2["id"]),
        *(("enrollment", e["id"]) for e in d.enrollments[:4]),
        ("message_stat", d.stats[0]["id"]),
        ("sync_settings", d.sync_settings_id),
    }
    assert seen == expected
    everything = database_records(live_server)
    assert feed_records(changes) == {key: everything[key] for key in expected}


def test_teacher_sees_own_classrooms_their_rosters_and_students(connect: Connect, district: District) -> None:
    d = district
    changes, _ = connect(TEACHER_A).all_changes()
    seen = {(c["type"], c["id"]) for c in changes}
    assert seen == {
        ("school", d.school_a["id"]),
        ("term", d.term_district["id"]),
        ("term", d.term_a["id"]),
        ("staff", d.teacher_a["id"]),
        ("classroom", d.class_a["id"]),
        ("enrollment", d.enrollments[0]["id"]),
        ("enrollment", d.enrollments[1]["id"]),
        ("student", d.student_a1["id"]),
    }


def test_tombstones_reach_only_the_schools_concerned(connect: Connect, district: District) -> None:
    district_admin, admin_a = connect(DISTRICT), connect(ADMIN_A)
    before, cursor = district_admin.all_changes()
    held_a, cursor_a = admin_a.all_changes()
    [result] = district_admin.operate(op("delete_student", "student", district.student_b1))
    assert result["status"] == "applied"
    changes, _ = district_admin.all_changes(since=cursor)
    assert all(c["data"] is None for c in changes if c["deleted"])
    gone = set(feed_records(before)) - set(hold({}, before + changes))
    assert gone == {
        ("student", district.student_b1["id"]),
        ("student_contact", district.links[2]["id"]),
        ("student_contact", district.links[3]["id"]),
        ("enrollment", district.enrollments[5]["id"]),
    }
    # School A hears of nothing it did not have: no removal, at most its own records again.
    to_a, _ = admin_a.all_changes(since=cursor_a)
    assert not [c for c in to_a if c["deleted"]]
    assert feed_records(to_a).items() <= feed_records(held_a).items()


def _principal(role: Role, schools: tuple[str, ...] = ()) -> Principal:
    return Principal("u", "u@example.org", role, schools, None, "")


def test_feed_queries_are_keyset_scans_on_seq_indexes(live_server: LiveServer, district: District) -> None:
    """Every query of a page walks a seq-ordered index from `since` (no sort, no full scan),
    so a page costs the same wherever it starts in the feed."""
    engine = live_server.sessions.kw["bind"]
    sqlite = engine.dialect.name == "sqlite"
    admins = [
        _principal(Role.DISTRICT_ADMIN),
        _principal(Role.SCHOOL_ADMIN, (district.school_a["id"], district.school_b["id"])),
    ]
    with engine.connect() as connection:
        if not sqlite:
            # Tiny tables: forbid what the planner would pick for them, so a Sort left in
            # the plan means no index can give seq order (the planner's last resort).
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                connection.execute(text(f"SET {setting} = off"))
        for principal in admins:
            for statement, _ in page_queries(principal, 5_000, dates_as_text=sqlite):
                sql = str(statement.params(since=10).compile(engine, compile_kwargs={"literal_binds": True}))
                if sqlite:
                    plan = " | ".join(
                        row[-1] for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql))
                    )
                    first = plan.split(" | ")[0]
                    if "school USING INDEX sqlite_autoindex_school_1 (id=?)" in first:
                        continue  # a school admin's own few schools, looked up by id
                    assert "seq>?" in first, plan
                    assert "TEMP B-TREE" not in plan, plan
                else:
                    plan = " | ".join(row[0] for row in connection.execute(text("EXPLAIN " + sql)))
                    assert "Index Scan" in plan, plan
                    assert "Sort" not in plan, plan
