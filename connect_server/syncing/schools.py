"""Which schools the records of a sync plan belong to, for per-school counts and lists.

A school admin reads a run's counts, its archive list and a preview only for their
schools (`connect_server.sync_scope`), so every planned item gets a *school key*:

- a school id, or several joined by "," when the item belongs to several: an existing
  family contact is in the schools of its own `school_id` and of its family links
  (where `scope.visible` shows it), and an update that moves a record is in both;
- `DISTRICT` ("") for district-level items: schools and terms (always), staff and
  contacts without a school, and records of schools not in Connect (yet).

Family links and enrollments are in their student's and classroom's school, like their
`school_id` column; a new record is where its fields put it (a new contact: its own
school). A preview counts before anything is written; a run counts right after
applying, in its transaction, so what it created is found in schools it created too,
and what it deleted is found where its archive-list item was filed (`listed_schools`).
Counts per key are summed for an admin over every key with one of their schools
(`sum_for`), so a contact linked to two of their schools counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connect_desktop.batches import batched
from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.plan import Change, ChangeKind, RolloverPlan
from connect_desktop.rostering.snapshot import FIELDS, TYPES, Snapshot
from connect_server.models import SyncRunArchive
from connect_server.scope import TABLES

DISTRICT = ""
DISTRICT_TYPES = frozenset({"school", "term"})
"""Types whose records, counts and list items only district admins see."""
KINDS: tuple[ChangeKind, ...] = ("create", "update", "archive")
_PARENT = {"student_contact": "student", "enrollment": "classroom"}
"""Types that are in their parent's school (the snapshot field names the parent type)."""

Counts = dict[str, dict[str, dict[str, int]]]
"""school key -> type -> count name -> number (only non-zero numbers are kept)."""


def school_key(schools: Iterable[str | None]) -> str:
    """The key of a set of school ids (`DISTRICT` when empty)."""
    return ",".join(sorted({s for s in schools if s}))


def key_schools(key: str) -> frozenset[str]:
    return frozenset(key.split(",")) if key else frozenset()


def _table(type_: str) -> Any:
    return TABLES[EntityType(type_)]


class SchoolResolver:
    """Looks up the schools of rows (by id) and of snapshot fields (by source_id).

    With `run_id` (counting a run just applied, in its transaction), an archived record
    that is gone (a deleted contact, link or enrollment) counts in the school its
    archive-list item was filed under.
    """

    def __init__(self, session: Session, snapshot: Snapshot | None = None, run_id: str | None = None) -> None:
        self.session = session
        self.snapshot = snapshot
        self.run_id = run_id
        self._school_ids: dict[str, str] | None = None
        self._classrooms: dict[str, str] | None = None

    def of_rows(self, type_: str, ids: Sequence[str]) -> dict[str, set[str]]:
        """The schools of the records that exist (a contact: its own and its family links')."""
        table = _table(type_)
        found: dict[str, set[str]] = {}
        for chunk in batched(ids):
            rows = self.session.execute(select(table.c.id, table.c.school_id).where(table.c.id.in_(chunk)))
            for id_, school in rows:
                found[id_] = {school} if school and type_ not in DISTRICT_TYPES else set()
            if type_ == "contact":
                links = _table("student_contact")
                for id_, school in self.session.execute(
                    select(links.c.contact_id, links.c.school_id)
                    .where(links.c.contact_id.in_(chunk))
                    .distinct()
                ):
                    if school and id_ in found:
                        found[id_].add(school)
        return found

    def of_fields(self, type_: str, batch: Sequence[Mapping[str, Any]]) -> list[set[str]]:
        """The schools records with these snapshot fields are in."""
        if type_ in DISTRICT_TYPES:
            return [set() for _ in batch]
        if type_ in _PARENT:
            parent = _PARENT[type_]
            schools = self._parent_schools(parent, {str(f[parent]) for f in batch if f.get(parent)})
            return [{schools[str(f[parent])]} if str(f.get(parent)) in schools else set() for f in batch]
        ids = self._schools()
        return [{ids[str(f["school"])]} if str(f.get("school")) in ids else set() for f in batch]

    def keys(self, type_: str, kind: ChangeKind, batch: Sequence[Change]) -> list[str]:
        """The school key of each planned change.

        A create: where its fields put it. An update: where it is and where its fields, old
        and new, put it. An archive: where it is (or, gone, where it was listed).
        """
        if type_ in DISTRICT_TYPES:
            return [DISTRICT] * len(batch)
        if kind == "create":
            return [school_key(s) for s in self.of_fields(type_, [c.fields for c in batch])]
        rows = self.of_rows(type_, [c.id for c in batch if c.id])
        if kind == "archive":
            gone = self._listed(type_, [c.id for c in batch if c.id and c.id not in rows])
            return [school_key(rows.get(c.id or "", gone.get(c.id or "", set()))) for c in batch]
        new = self.of_fields(type_, [c.fields for c in batch])
        old = self.of_fields(type_, [{**c.fields, **{k: v[0] for k, v in c.changes.items()}} for c in batch])
        return [
            school_key(rows.get(c.id or "", set()) | a | b) for c, a, b in zip(batch, new, old, strict=True)
        ]

    def _listed(self, type_: str, ids: Sequence[str]) -> dict[str, set[str]]:
        if self.run_id is None or not ids:
            return {}
        found: dict[str, set[str]] = {}
        for chunk in batched(ids):
            rows = self.session.execute(
                select(SyncRunArchive.record_id, SyncRunArchive.school_id).where(
                    SyncRunArchive.run_id == self.run_id,
                    SyncRunArchive.type == type_,
                    SyncRunArchive.record_id.in_(chunk),
                )
            )
            found.update({id_: {school} if school else set() for id_, school in rows})
        return found

    def _schools(self) -> dict[str, str]:
        if self._school_ids is None:
            table = _table("school")
            rows = self.session.execute(
                select(table.c.source_id, table.c.id).where(table.c.source_id.is_not(None))
            )
            self._school_ids = {sid: id_ for sid, id_ in rows}
        return self._school_ids

    def _parent_schools(self, parent: str, sids: set[str]) -> dict[str, str]:
        """School ids of the parents with these source_ids (new ones: from the snapshot)."""
        found = self._classroom_schools(sids) if parent == "classroom" else self._student_schools(sids)
        if self.snapshot is not None:
            schools, at = self._schools(), FIELDS[parent].index("school")
            for sid in sids - found.keys():
                record = self.snapshot.get(parent, sid)
                school = record.fields[at] if record else None
                if school is not None and str(school) in schools:
                    found[sid] = schools[str(school)]
        return found

    def _classroom_schools(self, sids: set[str]) -> dict[str, str]:
        """Read once: classrooms are few, and every enrollment asks."""
        if self._classrooms is None:
            table = _table("classroom")
            rows = self.session.execute(
                select(table.c.source_id, table.c.school_id).where(table.c.origin == "sync")
            )
            self._classrooms = {sid: school for sid, school in rows if sid and school}
        return {sid: self._classrooms[sid] for sid in sids if sid in self._classrooms}

    def _student_schools(self, sids: set[str]) -> dict[str, str]:
        table = _table("student")
        found: dict[str, str] = {}
        for chunk in batched(sorted(sids)):
            rows = self.session.execute(
                select(table.c.source_id, table.c.school_id).where(
                    table.c.origin == "sync", table.c.source_id.in_(chunk)
                )
            )
            found.update({sid: school for sid, school in rows if school})
        return found


def _add(counts: Counts, key: str, type_: str, name: str, number: int = 1) -> None:
    entry = counts.setdefault(key, {}).setdefault(type_, {})
    entry[name] = entry.get(name, 0) + number


def plan_counts(
    session: Session, plan: RolloverPlan, names: Mapping[ChangeKind, str], run_id: str | None = None
) -> Counts:
    """The plan's creates, updates and archives per school key, counted under `names[kind]`.

    A preview counts before anything is written (records of schools not in Connect yet are
    district level); a run counts just after applying (`run_id`), so what it created is
    found in the schools it created too.
    """
    resolver = SchoolResolver(session, plan.snapshot, run_id)
    counts: Counts = {}
    for type_ in TYPES:
        for kind in KINDS:
            for batch in batched(plan.iter_changes(type_, kind)):
                _count_keys(counts, resolver.keys(type_, kind, batch), type_, names[kind])
    return counts


def add_follow_on(counts: Counts, plan: RolloverPlan, moved: str, removed: str) -> Counts:
    """Add the plan's follow-on writes (`rostering.follow_on`) to `counts` under these names."""
    for name, records in ((moved, plan.follow.moved), (removed, plan.follow.removed)):
        for record in records:
            _add(counts, school_key(record.schools), record.type, name)
    return counts


def base_counts(session: Session, plan: RolloverPlan) -> Counts:
    """The plan's `managed` and `unchanged` records per school key (for a scoped preview)."""
    resolver = SchoolResolver(session, plan.snapshot)
    counts: Counts = {}
    for type_ in TYPES:
        for name, ids in (("managed", plan.managed_ids(type_)), ("unchanged", plan.unchanged_ids(type_))):
            for chunk in batched(ids):
                schools = resolver.of_rows(type_, chunk) if type_ not in DISTRICT_TYPES else {}
                _count_keys(counts, [school_key(schools.get(i, ())) for i in chunk], type_, name)
    return counts


def _count_keys(counts: Counts, keys: Iterable[str], type_: str, name: str) -> None:
    for key in keys:
        _add(counts, key, type_, name)


def listed_schools(session: Session, type_: str, ids: Sequence[str]) -> dict[str, str | None]:
    """The one school each archive-list item is filed under (`sync_run_archive.school_id`).

    A record's own school; a contact without one: its first family link's school (by id).
    District-level types get None. Read before the run deletes anything of the batch.
    """
    if type_ in DISTRICT_TYPES:
        return dict.fromkeys(ids)
    table = _table(type_)
    found: dict[str, str | None] = dict.fromkeys(ids)
    for chunk in batched(ids):
        rows = session.execute(select(table.c.id, table.c.school_id).where(table.c.id.in_(chunk)))
        found.update({id_: school for id_, school in rows})
        schoolless = [i for i in chunk if not found[i]] if type_ == "contact" else []
        if schoolless:
            links = _table("student_contact")
            first = session.execute(
                select(links.c.contact_id, func.min(links.c.school_id))
                .where(links.c.contact_id.in_(schoolless))
                .group_by(links.c.contact_id)
            )
            found.update({contact_id: school for contact_id, school in first})
    return found


def sum_for(counts: Counts | None, schools: Iterable[str]) -> dict[str, dict[str, int]]:
    """The counts of every key that has one of `schools`, summed per type (no district types)."""
    wanted = frozenset(schools)
    total: dict[str, dict[str, int]] = {}
    for key, types in (counts or {}).items():
        if not key_schools(key) & wanted:
            continue
        for type_, numbers in types.items():
            if type_ in DISTRICT_TYPES:
                continue
            entry = total.setdefault(type_, {})
            for name, number in numbers.items():
                entry[name] = entry.get(name, 0) + number
    return total
