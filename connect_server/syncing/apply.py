"""Apply a rollover plan to the server database, inside the caller's transaction.

Creates get new ids and origin `sync`; updates write only what really differs (a new
version and `seq`); archives archive students and classrooms, revoke staff access,
delete contacts, family links and enrollments (leaving tombstones), and hand vanished
schools and terms over to manual management. Nothing a sync does hard-deletes a
student, classroom or staff member. Every written row gets its own `seq`. What it writes
beyond the plan's changes (links and enrollments moving with their school, links going
with their contact) is the core's rule, `rostering.follow_on`, which the previews count.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Date, Integer, String, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from connect_desktop.batches import batched
from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.follow_on import REMOVED_WITH_CONTACT, removed_with_contacts
from connect_desktop.rostering.plan import Change, RolloverPlan
from connect_desktop.rostering.snapshot import FIELDS, TYPES
from connect_server.models import SyncRunArchive
from connect_server.scope import TABLES, TOMBSTONE
from connect_server.sequence import allocate_seqs
from connect_server.syncing.labels import record_labels
from connect_server.syncing.mapping import (
    ARCHIVE_ORDER,
    ARCHIVE_VALUE,
    DELETED_TYPES,
    DETACHED_TYPES,
    EMPTY_AS_BLANK,
    REFERENCES,
    column,
    person_type,
)
from connect_server.syncing.schools import listed_schools
from connect_server.visibility import ScopeChanges, scope_changes

Refs = dict[tuple[str, str], tuple[str, str | None]]
"""(type, source_id) -> (id, school_id) of sync-managed records."""

_SCHOOL_FROM: dict[str, str] = {"student_contact": "student", "enrollment": "classroom"}
"""Types whose school_id is their parent's: type -> reference field."""


@dataclass(slots=True)
class TypeResult:
    """What a run did to one entity type."""

    created: int = 0
    updated: int = 0
    archived: int = 0
    tried_to_archive: int = 0
    skipped: int = 0  # changes that could not apply (a reference to a record not in Connect)

    def counts(self) -> dict[str, int]:
        values = {
            "created": self.created,
            "updated": self.updated,
            "archived": self.archived,
            "tried_to_archive": self.tried_to_archive,
        }
        if self.skipped:
            values["skipped"] = self.skipped
        return values


@dataclass(slots=True)
class ApplyResult:
    types: dict[str, TypeResult] = field(default_factory=lambda: {t: TypeResult() for t in TYPES})

    def counts(self) -> dict[str, dict[str, int]]:
        return {t: r.counts() for t, r in self.types.items()}

    @property
    def changed(self) -> int:
        return sum(r.created + r.updated + r.archived for r in self.types.values())


class PlanApplier:
    """Writes one plan; `apply(allow_archives)` returns what it did per type."""

    def __init__(self, session: Session, plan: RolloverPlan, run_id: str) -> None:
        self.session = session
        self.plan = plan
        self.run_id = run_id
        self.result = ApplyResult()
        self._moved: dict[str, set[str]] = {"student": set(), "classroom": set()}
        self._planned_links: set[str] | None = None

    @property
    def scope(self) -> ScopeChanges:
        """The scope tracker of the session's current transaction (flushed when it commits)."""
        return scope_changes(self.session)

    def apply(self, allow_archives: bool) -> ApplyResult:
        for type_ in TYPES:
            self._creates(type_)
            self._updates(type_)
        self._cascade_school("student", "student_contact", "student_id")
        self._cascade_school("classroom", "enrollment", "classroom_id")
        for type_ in ARCHIVE_ORDER:
            if allow_archives:
                self._archives(type_)
            else:
                self._withhold(type_)
        return self.result

    # -- creates and updates -----------------------------------------------------------
    def _creates(self, type_: str) -> None:
        table = _table(type_)
        names = FIELDS[type_]
        for batch in batched(self.plan.iter_changes(type_, "create")):
            refs = self._resolve(type_, batch, names)
            rows = []
            for change in batch:
                values = self._values(type_, change.fields, names, refs)
                if values is None:
                    self.result.types[type_].skipped += 1
                    continue
                values.update(id=str(uuid.uuid4()), version=1, origin="sync", source_id=change.source_id)
                for name, active in _ACTIVE.get(type_, {}).items():
                    values.setdefault(name, active)
                rows.append(values)
            if not rows:
                continue
            for row, seq in zip(rows, allocate_seqs(self.session, len(rows)), strict=True):
                row["seq"] = seq
            self.session.execute(insert(table), rows)
            if type_ == "student_contact":
                for row in rows:
                    self.scope.link_added(row["contact_id"])
            self.result.types[type_].created += len(rows)

    def _updates(self, type_: str) -> None:
        table = _table(type_)
        for batch in batched(self.plan.iter_changes(type_, "update")):
            names = {n for c in batch for n in c.changes if n in FIELDS[type_]}
            refs = self._resolve(type_, batch, tuple(names))
            ids = [c.id for c in batch if c.id]
            existing = {row.id: row for row in self.session.execute(select(table).where(table.c.id.in_(ids)))}
            writes: list[tuple[Any, dict[str, Any]]] = []
            for change in batch:
                row = existing.get(change.id or "")
                values = self._values(type_, change.fields, [n for n in change.changes if n in names], refs)
                if row is None or values is None:
                    self.result.types[type_].skipped += 1
                    continue
                if type_ in ARCHIVE_VALUE and ARCHIVE_VALUE[type_][0] in change.changes:
                    values[ARCHIVE_VALUE[type_][0]] = _ACTIVE[type_][ARCHIVE_VALUE[type_][0]]
                values = {k: v for k, v in values.items() if getattr(row, k) != v}
                if values:
                    writes.append((row, values))
            for (row, values), seq in zip(writes, _seqs(self.session, len(writes)), strict=True):
                self.session.execute(
                    update(table)
                    .where(table.c.id == row.id, table.c.version == row.version)
                    .values(**values, version=row.version + 1, seq=seq)
                )
                if type_ in self._moved and "school_id" in values:
                    self._moved[type_].add(row.id)
                self._track_move(type_, row, values)
            self.result.types[type_].updated += len(writes)

    def _cascade_school(self, parent: str, child: str, key: str) -> None:
        """Keep the school_id copied onto links and enrollments in step with their parent's."""
        moved = sorted(self._moved[parent])
        parents, children = _table(parent), _table(child)
        for chunk in batched(moved):
            rows = self.session.execute(
                select(children, parents.c.school_id.label("new_school_id"))
                .join(parents, parents.c.id == children.c[key])
                .where(children.c[key].in_(chunk), children.c.school_id.is_distinct_from(parents.c.school_id))
            ).all()
            for row in rows:
                self._track_move(child, row, {"school_id": row.new_school_id})
            self._bulk_update(
                child, [{"b_id": r.id, "school_id": r.new_school_id} for r in rows], ["school_id"]
            )
            self.result.types[child].updated += len(rows)

    def _track_move(self, type_: str, row: Any, values: Mapping[str, Any]) -> None:
        """Tell the scope tracker about a write that changes a school or a family link's contact."""
        if "school_id" in values and values["school_id"] != row.school_id:
            self.scope.moved(EntityType(type_), row.id, row.school_id)
        if type_ == "student_contact":
            new_contact = values.get("contact_id", row.contact_id)
            if new_contact != row.contact_id or values.get("school_id", row.school_id) != row.school_id:
                self.scope.link_gone(row.contact_id, row.school_id)
                self.scope.link_added(new_contact)

    def _resolve(self, type_: str, batch: list[Change], names: Iterable[str]) -> Refs:
        """Look up the ids (and schools) of the records a batch refers to by source_id."""
        wanted: dict[str, set[str]] = {}
        needed = set(names)
        if type_ in _SCHOOL_FROM:
            needed.add(_SCHOOL_FROM[type_])
        for change in batch:
            for name in needed:
                sid = change.fields.get(name)
                if sid is None:
                    continue
                target = person_type(change.fields.get("role")) if name == "person" else REFERENCES.get(name)
                if target:
                    wanted.setdefault(target, set()).add(str(sid))
        refs: Refs = {}
        for target, sids in wanted.items():
            table = _table(target)
            school = table.c.id if target == "school" else table.c.school_id
            for chunk in batched(sorted(sids)):
                rows = self.session.execute(
                    select(table.c.source_id, table.c.id, school).where(
                        table.c.origin == "sync", table.c.source_id.in_(chunk)
                    )
                )
                refs.update({(target, sid): (id_, sch) for sid, id_, sch in rows})
        return refs

    def _values(
        self, type_: str, fields: Mapping[str, Any], names: Iterable[str], refs: Refs
    ) -> dict[str, Any] | None:
        """Server column values for the snapshot `names`; None if a reference is not in Connect."""
        table = _table(type_)
        values: dict[str, Any] = {}
        for name in names:
            value = fields.get(name)
            blank = (type_, name) in EMPTY_AS_BLANK
            if name in REFERENCES or name == "person":
                if value is None:
                    values[column(name)] = "" if blank else None
                    continue
                target = person_type(fields.get("role")) if name == "person" else REFERENCES[name]
                hit = refs.get((target, str(value)))
                if hit is None:
                    return None
                values[column(name)] = hit[0]
                if _SCHOOL_FROM.get(type_) == name:
                    values["school_id"] = hit[1]
            else:
                values[name] = _convert(table, name, "" if value is None and blank else value)
        return values

    # -- archives ----------------------------------------------------------------------
    def _withhold(self, type_: str) -> None:
        for batch in batched(self.plan.iter_changes(type_, "archive")):
            self._list(type_, batch)
            self.result.types[type_].tried_to_archive += len(batch)
            if type_ == "contact":
                links = self._list_links_of([c.id for c in batch if c.id])
                self.result.types["student_contact"].tried_to_archive += len(links)

    def _archives(self, type_: str) -> None:
        for batch in batched(self.plan.iter_changes(type_, "archive")):
            self._list(type_, batch)  # first: it reads the schools of what is about to go
            ids = [c.id for c in batch if c.id]
            if type_ in ARCHIVE_VALUE:
                name, value = ARCHIVE_VALUE[type_]
                self._bulk_update(type_, [{"b_id": i, name: value} for i in ids], [name])
            elif type_ in DETACHED_TYPES:
                self._bulk_update(type_, [{"b_id": i, "origin": "manual"} for i in ids], ["origin"])
            elif type_ in DELETED_TYPES:
                if type_ == "contact":
                    self._delete_links_of(ids)
                self._delete(type_, ids)
            self.result.types[type_].archived += len(ids)

    def _delete_links_of(self, contact_ids: list[str]) -> None:
        """Family links to deleted contacts go too (also manual ones), listed, with tombstones."""
        links = self._list_links_of(contact_ids)
        self._delete("student_contact", links)
        self.result.types["student_contact"].archived += len(links)

    def _list_links_of(self, contact_ids: list[str]) -> list[str]:
        """List the family links these contacts take along (not those the plan archives itself),
        saying why they go; returns their ids."""
        if self._planned_links is None:
            self._planned_links = {c.id for c in self.plan.iter_changes("student_contact", "archive") if c.id}
        found = removed_with_contacts(self.session.connection(), contact_ids, self._planned_links)
        ids = [record.id for record in found]
        self._write_list("student_contact", [(id_, "", id_) for id_ in ids], note=REMOVED_WITH_CONTACT)
        return ids

    def _delete(self, type_: str, ids: list[str]) -> None:
        if not ids:
            return
        table = _table(type_)
        rows = self.session.execute(select(table).where(table.c.id.in_(ids))).all()
        if type_ == "student_contact":
            for r in rows:
                self.scope.link_gone(r.contact_id, r.school_id)
        tombstones = [
            {"seq": seq, "type": type_, "id": r.id, "version": r.version, "school_id": r.school_id}
            for r, seq in zip(rows, _seqs(self.session, len(rows)), strict=True)
        ]
        if tombstones:
            self.session.execute(insert(TOMBSTONE), tombstones)
        self.session.execute(delete(table).where(table.c.id.in_(ids)))

    def _bulk_update(self, type_: str, rows: list[dict[str, Any]], names: list[str]) -> None:
        """Set `names` on each row (keyed by `b_id`) with a new version and seq."""
        if not rows:
            return
        table = _table(type_)
        for row, seq in zip(rows, allocate_seqs(self.session, len(rows)), strict=True):
            row["b_seq"] = seq
            for name in names:
                row[f"b_{name}"] = row.pop(name)
        statement = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                {
                    **{name: bindparam(f"b_{name}") for name in names},
                    "version": table.c.version + 1,
                    "seq": bindparam("b_seq"),
                }
            )
        )
        self.session.connection().execute(statement, rows)

    def _list(self, type_: str, batch: list[Change]) -> None:
        """Add the batch to the run's archive list."""
        self._write_list(type_, [(c.id or "", c.source_id, label(type_, c.fields)) for c in batch])

    def _write_list(self, type_: str, items: list[tuple[str, str, str]], note: str = "") -> None:
        """Archive-list items (record id, source_id, label if the record cannot name itself),
        each named from its record, filed under its school; `note` says why it is listed."""
        if not items:
            return
        ids = [id_ for id_, _, _ in items if id_]
        schools = listed_schools(self.session, type_, ids)
        named = record_labels(self.session, type_, ids)
        self.session.execute(
            insert(SyncRunArchive),
            [
                {
                    "run_id": self.run_id,
                    "type": type_,
                    "record_id": id_,
                    "source_id": source_id,
                    "label": " ".join(filter(None, (named.get(id_) or fallback, note)))[:300],
                    "school_id": schools.get(id_),
                }
                for id_, source_id, fallback in items
            ],
        )


_ACTIVE: dict[str, dict[str, str]] = {
    "student": {"status": "active"},
    "classroom": {"status": "active"},
    "staff": {"access": "active"},
}


def label(type_: str, fields: Mapping[str, Any]) -> str:
    """A short human description of a record from its snapshot fields."""
    f = {k: "" if v is None else str(v) for k, v in fields.items()}
    if type_ == "student":
        return f"{f['first_name']} {f['last_name']} ({f['student_number']})".strip()
    if type_ in ("staff", "contact"):
        name = f"{f['first_name']} {f['last_name']}".strip()
        return f"{name} <{f['email']}>" if f.get("email") else name
    if type_ == "student_contact":
        return f"{f['student']} – {f['contact']} ({f['relationship']})"
    if type_ == "enrollment":
        return f"{f['person']} in {f['classroom']} ({f['role']})"
    return f.get("name", "")


def _table(type_: str) -> Table:
    return TABLES[EntityType(type_)]


def _seqs(session: Session, count: int) -> range:
    return allocate_seqs(session, count) if count else range(0)


def _convert(table: Table, name: str, value: Any) -> Any:
    """A snapshot value as the column stores it: dates parsed, integers cast, text cut to size."""
    if value is None:
        return None
    kind = table.c[name].type
    if isinstance(kind, Date):
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, String) and kind.length:
        return str(value)[: kind.length]
    return value
