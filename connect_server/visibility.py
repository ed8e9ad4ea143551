"""Keeping the changes feed exact when what a user may see moves.

A school admin sees a record through its `school_id`, and a family contact also
through the family links of their schools (`scope.visible`). The feed reads rows by
`seq`, so two things would slip through it: a record that leaves a school (moved,
or a contact whose last link there went) is never announced to that school, and a
record that enters a school without being written itself (a contact reached through a
new or moved link) never arrives there.

Every writer therefore tells the transaction's `ScopeChanges` what may have moved;
just before the transaction commits, `flush` writes a *removal* for each school a
record really left (a tombstone row carrying that school, so the feed hands it to that
school's users and to no one else), then gives every affected record that still exists
a new `seq` without changing its version, so it reaches everyone who sees it now —
always after the removal, so a user who still sees it through another school keeps it.
A transaction's tracker flushes itself (a `before_commit` hook), so a writer cannot
forget to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from connect_desktop.batches import batched
from connect_desktop.domain.entities import EntityType
from connect_server.scope import TABLES, TOMBSTONE
from connect_server.sequence import allocate_seqs, lock_feed

_KEY = "connect.scope_changes"
_DISTRICT_LEVEL = frozenset({EntityType.STAFF, EntityType.TERM})
"""Kinds whose school-less rows every admin sees."""


class ScopeChanges:
    """What one transaction may have moved in or out of schools."""

    def __init__(self) -> None:
        self._left: defaultdict[EntityType, defaultdict[str, set[str | None]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self._gained: defaultdict[EntityType, set[str]] = defaultdict(set)

    def moved(self, kind: EntityType, record_id: str, old_school: str | None) -> None:
        """`record_id` was in `old_school` (None: district level) and may no longer be."""
        self._left[kind][record_id].add(old_school)

    def link_gone(self, contact_id: str, link_school: str | None) -> None:
        """A family link of `contact_id` in `link_school` was removed or moved away."""
        self.moved(EntityType.CONTACT, contact_id, link_school)

    def link_added(self, contact_id: str) -> None:
        """A family link now shows `contact_id` in a school that may not have seen it."""
        self._gained[EntityType.CONTACT].add(contact_id)

    def __bool__(self) -> bool:
        return bool(self._left or self._gained)

    def flush(self, session: Session) -> None:
        """Write the removals, then re-announce what is still there; empties the tracker.

        A record is re-announced when it gained a school without being written itself, or
        when a removal was written for it (users who still see it through another school
        get it back after the removal).
        """
        lock_feed(session)  # the one lock order (docs/server-locking.md); held already by every writer
        removals: list[dict[str, Any]] = []
        for kind, records in self._left.items():
            removals += _removals(session, kind, records)
        if removals:
            for removal, seq in zip(removals, allocate_seqs(session, len(removals)), strict=True):
                removal["seq"] = seq
            session.execute(insert(TOMBSTONE), removals)
        announce = self._gained
        for removal in removals:
            announce[EntityType(removal["type"])].add(removal["id"])
        for kind in sorted(announce, key=lambda k: k.value):
            _touch(session, kind, sorted(announce[kind]))
        self._left.clear()
        self._gained.clear()


def scope_changes(session: Session) -> ScopeChanges:
    """The tracker of `session`'s current transaction (created on first use)."""
    tracker = session.info.get(_KEY)
    if tracker is None:
        tracker = session.info[_KEY] = ScopeChanges()
    return tracker  # type: ignore[no-any-return]


@event.listens_for(Session, "before_commit")
def _flush_before_commit(session: Session) -> None:
    tracker = session.info.get(_KEY)
    if tracker:
        tracker.flush(session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)


def _removals(
    session: Session, kind: EntityType, records: dict[str, set[str | None]]
) -> Iterable[dict[str, Any]]:
    """A tombstone row (without seq) for every school each record is no longer seen in."""
    table = TABLES[kind]
    links = TABLES[EntityType.STUDENT_CONTACT]
    ids = sorted(records)
    for chunk in batched(ids):
        rows = {
            r.id: r
            for r in session.execute(
                select(table.c.id, table.c.version, table.c.school_id).where(table.c.id.in_(chunk))
            )
        }
        linked: defaultdict[str, set[str]] = defaultdict(set)
        if kind is EntityType.CONTACT:
            for contact_id, school in session.execute(
                select(links.c.contact_id, links.c.school_id).where(links.c.contact_id.in_(chunk))
            ):
                linked[contact_id].add(school)
        gone = [record_id for record_id in chunk if record_id not in rows]
        told = _deletions_told(session, kind, gone) if gone else {}
        for record_id in chunk:
            row = rows.get(record_id)
            if row is None:
                # Deleted: its tombstone reached the school it carried; a contact was also
                # seen through its links' schools, which must be told too.
                version, schools = told.get(record_id, (0, {None}))
                if None not in schools:
                    for school in sorted(s for s in records[record_id] if s is not None and s not in schools):
                        yield _removal(kind, _Gone(record_id, version), school)
                continue
            seen_in = {row.school_id} | linked[record_id]
            for school in sorted(records[record_id], key=lambda s: s or ""):
                if school is None:
                    # School-less staff and terms are seen by every admin; once they belong
                    # to a school, the admins of the other schools must drop them.
                    if kind in _DISTRICT_LEVEL and row.school_id is not None:
                        yield _removal(kind, row, None)
                elif school not in seen_in:
                    yield _removal(kind, row, school)


@dataclass(frozen=True)
class _Gone:
    id: str
    version: int


def _deletions_told(
    session: Session, kind: EntityType, ids: list[str]
) -> dict[str, tuple[int, set[str | None]]]:
    """For deleted records: their last version and the schools their tombstones went to."""
    told: dict[str, tuple[int, set[str | None]]] = {}
    t = TOMBSTONE
    for record_id, version, school in session.execute(
        select(t.c.id, t.c.version, t.c.school_id).where(t.c.type == kind.value, t.c.id.in_(ids))
    ):
        seen = told.setdefault(record_id, (version, set()))
        seen[1].add(school)
    return told


def _removal(kind: EntityType, row: Any, school: str | None) -> dict[str, Any]:
    return {"type": kind.value, "id": row.id, "version": row.version, "school_id": school}


def _touch(session: Session, kind: EntityType, ids: list[str]) -> None:
    """Give each existing record a new seq (same version), so the feed delivers it again."""
    table = TABLES[kind]
    for chunk in batched(ids):
        existing = sorted(session.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
        if not existing:
            continue
        seqs = allocate_seqs(session, len(existing))
        session.connection().execute(
            update(table).where(table.c.id == bindparam("b_id")).values(seq=bindparam("b_seq")),
            [{"b_id": record_id, "b_seq": seq} for record_id, seq in zip(existing, seqs, strict=True)],
        )
