"""What a sync writes beyond its plan's own changes, because of them: the follow-on writes.

Two rules of the server's applier (`connect_server.syncing.apply`) touch records the
planner never sees (it sees only sync-managed ones):

- **moved with their parent**: a family link or an enrollment is in its student's or
  classroom's school (`school_id`). When a planned update moves a student or a
  classroom to another school, every link or enrollment of it (synced or added by
  hand) is moved along;
- **removed with their contact**: a deleted family contact takes every family link to
  it along, also those the plan does not archive: links of archived students (history,
  which a plan never archives) and links added by hand.

`plan_sync` plans a run and counts these over a connection to either database (the
server's or the desktop cache: they share the entity tables), so the desktop's
preview, the server's preview, the plan a run records and a held run's list all say
what the run will really write. The deletion threshold stays a rule of the plan: the
follow-on removals are not sync-managed records and do not count toward it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, column, select, table

from connect_desktop.batches import batched
from connect_desktop.rostering.current import current_records
from connect_desktop.rostering.plan import FollowOn, FollowOnRecord, PlanSettings, RolloverPlan, plan_rollover
from connect_desktop.rostering.snapshot import FIELDS, Snapshot

__all__ = [
    "REMOVED_WITH_CONTACT",
    "FollowOn",
    "FollowOnRecord",
    "follow_on",
    "plan_sync",
    "removed_with_contacts",
]

MOVED_WITH: dict[str, tuple[str, str]] = {
    "student_contact": ("student", "student_id"),
    "enrollment": ("classroom", "classroom_id"),
}
"""Child type -> (parent type, the child's column naming its parent)."""

REMOVED_WITH_CONTACT = "(removed with the contact)"
"""How a held or approved run's list marks a family link that goes with its contact."""


def _table(name: str, *names: str) -> Any:
    return table(name, *(column(n, String) for n in ("id", *names)))


def plan_sync(
    snapshot: Snapshot, connection: Connection, settings: PlanSettings | None, *, today: dt.date
) -> RolloverPlan:
    """Plan a sync of `snapshot` against the database of `connection`, follow-on writes counted."""
    plan = plan_rollover(snapshot, current_records(connection), settings, today=today)
    found = follow_on(connection, plan)
    plan.follow = found
    plan.types = {
        t: dataclasses.replace(
            p, moved_with_parent=found.moved_count(t), removed_with_parent=found.removed_count(t)
        )
        for t, p in plan.types.items()
    }
    return plan


def follow_on(connection: Connection, plan: RolloverPlan) -> FollowOn:
    """The links and enrollments `plan`'s run moves with their parent or removes with their contact."""
    moved: list[FollowOnRecord] = []
    for child, (parent, key) in MOVED_WITH.items():
        moved += _moved_with(connection, plan, child, parent, key)
    contacts = [c.id for c in plan.iter_changes("contact", "archive") if c.id]
    planned = {c.id for c in plan.iter_changes("student_contact", "archive") if c.id}
    removed = removed_with_contacts(connection, contacts, planned)
    return FollowOn(tuple(moved), tuple(removed))


def removed_with_contacts(
    connection: Connection, contact_ids: Sequence[str], planned: set[str]
) -> list[FollowOnRecord]:
    """The family links to these contacts that are not among the `planned` archives (ids)."""
    links = _table("student_contact", "contact_id", "school_id")
    found: list[FollowOnRecord] = []
    for chunk in batched(contact_ids):
        rows = connection.execute(
            select(links.c.id, links.c.school_id).where(links.c.contact_id.in_(chunk)).order_by(links.c.id)
        )
        found += [
            FollowOnRecord("student_contact", id_, frozenset({school} if school else ()))
            for id_, school in rows
            if id_ not in planned
        ]
    return found


def _moved_with(
    connection: Connection, plan: RolloverPlan, child: str, parent: str, key: str
) -> list[FollowOnRecord]:
    """The `child` records whose school changes because a planned update moves their parent.

    Like the applier: an update whose new school (or term) is neither in Connect nor
    created by the run is skipped, and a parent already in its new school does not move.
    """
    updates = [c for c in plan.iter_changes(parent, "update") if c.id and "school" in c.changes]
    if not updates:
        return []
    known: dict[str, dict[str, str]] = {
        ref: _synced_ids(connection, ref, {str(c.fields[ref]) for c in updates if c.fields.get(ref)})
        for ref in ("school", "term")
        if ref in FIELDS[parent]
    }
    created: dict[str, set[str]] = {
        ref: {c.source_id for c in plan.iter_changes(ref, "create")} for ref in known
    }

    def resolves(value: object, ref: str) -> bool:
        return value is None or str(value) in known[ref] or str(value) in created[ref]

    targets: dict[str, object] = {}  # parent id -> its new school id (_CREATED: made by the run)
    for change in updates:
        if all(resolves(change.fields.get(ref), ref) for ref in known if ref in change.changes):
            school = change.fields.get("school")
            targets[str(change.id)] = None if school is None else known["school"].get(str(school), _CREATED)
    parents = _table(parent, "school_id")
    children = _table(child, key, "school_id")
    found: list[FollowOnRecord] = []
    for chunk in batched(sorted(targets)):
        olds: dict[str, str | None] = {
            id_: school
            for id_, school in connection.execute(
                select(parents.c.id, parents.c.school_id).where(parents.c.id.in_(chunk))
            )
        }
        moving = {i: targets[i] for i in chunk if i in olds and targets[i] != olds[i]}
        rows = connection.execute(
            select(children.c.id, children.c[key], children.c.school_id)
            .where(children.c[key].in_(sorted(moving)))
            .order_by(children.c.id)
        )
        for id_, parent_id, old in rows:
            new = moving[parent_id]
            if new != old:
                schools = {s for s in (old, new) if isinstance(s, str) and s}
                found.append(FollowOnRecord(child, id_, frozenset(schools)))
    return found


_CREATED = object()
"""The id of a school the same run creates: not known before it runs, equal to no other."""


def _synced_ids(connection: Connection, type_: str, sources: set[str]) -> dict[str, str]:
    """source_id -> id of the synced records of `type_` with these source_ids (how the applier finds them)."""
    records = _table(type_, "source_id", "origin")
    found: dict[str, str] = {}
    for chunk in batched(sorted(sources)):
        rows = connection.execute(
            select(records.c.source_id, records.c.id).where(
                records.c.origin == "sync", records.c.source_id.in_(chunk)
            )
        )
        found.update({source: id_ for source, id_ in rows})
    return found
