"""Merging two records of the same child: who is kept, what moves, what the user is told.

Everything is read from the cache's effective state (staged changes applied), so a
student another staged change removes cannot be merged again. The server does the
merge (`merge_students`): it moves the merged record's family links and enrollments to
the survivor (a contact or classroom both already have is not doubled), writes the
fields taken from the merged record, and removes it; `unmerge_students` splits them
again within `UNMERGE_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from connect_desktop.domain.changes import STUDENT_FIELDS
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.merging import merge_refusal
from connect_desktop.domain.operations import UNMERGE_DAYS, OperationKind, unmerge_deadline
from connect_desktop.rollover.plan import PlanError, PlannedOperation, operation
from connect_desktop.store.effective import STAGED_STATES, effective_record
from connect_desktop.yearend.steps import Step

FIELD_WORDS: dict[str, str] = {
    "first_name": "first name",
    "last_name": "last name",
    "student_number": "student number",
    "grade": "grade",
    "birth_date": "birth date",
}
"""The student fields a merge may take from the merged record, in words."""

ORIGIN_WORDS: dict[str, str] = {"sync": "From the SIS", "manual": "Added in Connect"}


class MergeError(PlanError):
    """Two records cannot be merged as asked; the message says why and what to do."""


class UnknownStudentError(MergeError):
    """An id that names no student the user can see (or the same one twice)."""


class NotAChoiceError(MergeError):
    """A field to take from the merged record that cannot be chosen."""


@dataclass(frozen=True)
class ContactLink:
    """One family contact of a student."""

    contact_id: str
    name: str
    relationship: str


@dataclass(frozen=True)
class ClassroomSeat:
    """One classroom a student is enrolled in."""

    classroom_id: str
    name: str
    teacher: str
    """The teachers' names, "; "-separated ("" when none)."""
    term: str


@dataclass(frozen=True)
class StudentSide:
    """One of the two students, as the user sees it now."""

    id: str
    fields: dict[str, Any]
    """Every column of the record in its effective state."""
    school: str
    contacts: tuple[ContactLink, ...]
    classrooms: tuple[ClassroomSeat, ...]

    @property
    def name(self) -> str:
        """First and last name, e.g. Jon Smith."""
        return f"{self.fields.get('first_name') or ''} {self.fields.get('last_name') or ''}".strip()

    @property
    def label(self) -> str:
        """Last name, first name, e.g. Smith, Jon (as in the review lists)."""
        return f"{self.fields.get('last_name') or ''}, {self.fields.get('first_name') or ''}"

    @property
    def origin(self) -> str:
        return str(self.fields.get("origin") or "manual")

    @property
    def origin_text(self) -> str:
        return ORIGIN_WORDS.get(self.origin, self.origin)

    @property
    def status(self) -> str:
        return str(self.fields.get("status") or "active")

    @property
    def from_sis(self) -> bool:
        """Synced from the SIS (the SIS owns the record, archived or not)."""
        return self.origin == "sync"


@dataclass(frozen=True)
class MergePreview:
    """Both students side by side, and what merging the second into the first would do."""

    survivor: StudentSide
    merged: StudentSide
    sent_at: dt.datetime
    """When the merge would be sent: now, in real time (see `unmerge_deadline`)."""

    @property
    def field_choices(self) -> tuple[str, ...]:
        """Fields where both have a value and they differ: the merged record's value may be taken."""
        return tuple(
            name
            for name in STUDENT_FIELDS
            if _has(self.survivor.fields.get(name))
            and _has(self.merged.fields.get(name))
            and _value(self.survivor.fields[name]) != _value(self.merged.fields[name])
        )

    @property
    def filled(self) -> tuple[str, ...]:
        """Fields only the merged record has: always taken (nothing is lost)."""
        return tuple(
            name
            for name in STUDENT_FIELDS
            if not _has(self.survivor.fields.get(name)) and _has(self.merged.fields.get(name))
        )

    @property
    def blocked(self) -> str | None:
        """Why the server would refuse this merge, in plain words (None: it can be merged)."""
        return merge_refusal(
            survivor_from_sis=self.survivor.from_sis,
            merged_from_sis=self.merged.from_sis,
            survivor_name=self.survivor_name,
            merged_name=self.merged_name,
        )

    @property
    def survivor_name(self) -> str:
        return _distinct_name(self.survivor, self.merged)

    @property
    def merged_name(self) -> str:
        return _distinct_name(self.merged, self.survivor)

    def name_of(self, record_id: str) -> str:
        """`survivor_name` or `merged_name`, by the record's id."""
        return self.survivor_name if record_id == self.survivor.id else self.merged_name

    def details_of(self, record_id: str) -> str:
        """What a person reads beside the record's name when choosing which to keep: where it
        comes from and its status, and its number when both records have the same name."""
        side, other = (
            (self.survivor, self.merged) if record_id == self.survivor.id else (self.merged, self.survivor)
        )
        number = side.fields.get("student_number")
        same_name = side.name.casefold() == other.name.casefold()
        told_by_number = same_name and number and number != other.fields.get("student_number")
        return ", ".join([*([str(number)] if told_by_number else []), side.origin_text, side.status])

    def _shared(self, attribute: str) -> tuple[int, int]:
        kept = {getattr(item, attribute) for item in _items(self.survivor, attribute)}
        moving = [item for item in _items(self.merged, attribute) if getattr(item, attribute) not in kept]
        return len(moving), len(_items(self.merged, attribute)) - len(moving)

    @property
    def contacts_moving(self) -> int:
        """The merged record's family links that move to the survivor."""
        return self._shared("contact_id")[0]

    @property
    def contacts_dropped(self) -> int:
        """Its links to contacts the survivor has already (dropped, not doubled)."""
        return self._shared("contact_id")[1]

    @property
    def classrooms_moving(self) -> int:
        """The merged record's enrollments that move to the survivor."""
        return self._shared("classroom_id")[0]

    @property
    def classrooms_dropped(self) -> int:
        """Its enrollments in classrooms the survivor is in already (dropped, not doubled)."""
        return self._shared("classroom_id")[1]

    @property
    def undo_until(self) -> dt.date:
        """The last day the merge, sent now, can be undone."""
        return unmerge_deadline(self.sent_at)

    def taken(self, take: Collection[str]) -> dict[str, Any]:
        """The fields the merge writes on the survivor: the chosen ones and the ones it lacks."""
        wrong = [name for name in take if name not in self.field_choices]
        if wrong:
            raise NotAChoiceError(self._not_a_choice(wrong[0]))
        names = [name for name in STUDENT_FIELDS if name in set(take) or name in self.filled]
        return {name: _value(self.merged.fields[name]) for name in names}

    def _not_a_choice(self, name: str) -> str:
        if name not in STUDENT_FIELDS:
            choices = ", ".join(FIELD_WORDS[n].replace(" ", "_") for n in STUDENT_FIELDS)
            return f"“{name}” is not a field a merge can take (these can: {choices})."
        words = FIELD_WORDS[name]
        if not _has(self.merged.fields.get(name)):
            return f"{self.merged_name} has no {words} to take."
        if not _has(self.survivor.fields.get(name)):
            return f"{self.survivor_name} has no {words}: {self.merged_name}'s is taken anyway."
        return f"Both records have the same {words}; there is nothing to choose."

    def describe(self, take: Collection[str] = ()) -> str:
        """What the merge will do, in plain words, naming both children."""
        if self.blocked is not None:
            return self.blocked
        survivor, merged = self.survivor_name, self.merged_name
        moving = _and([p for p in (_count(self.contacts_moving, "family contact"),
                                   _count(self.classrooms_moving, "classroom")) if p])  # fmt: skip
        if moving:
            parts = [f"{merged}'s {moving} {'moves' if _one(moving) else 'move'} to {survivor}"]
        else:
            parts = [f"{merged} has no family contacts or classrooms of their own to move to {survivor}"]
        shared = _and([p for p in (_count(self.contacts_dropped, "family contact"),
                                   _count(self.classrooms_dropped, "classroom")) if p])  # fmt: skip
        if shared:
            parts[0] += f" (the {shared} they share {'is' if _one(shared) else 'are'} kept once)"
        fields = self.taken(take)
        if fields:
            values = _and([f"{FIELD_WORDS[n]} ({v})" for n, v in fields.items()])
            parts.append(f"{survivor} takes {merged}'s {values}")
        parts.append(f"{merged}'s record is removed")
        parts.append(f"you can undo this for {UNMERGE_DAYS} days (until {_day(self.undo_until)})")
        return "; ".join(parts) + "."


def _items(side: StudentSide, attribute: str) -> tuple[Any, ...]:
    return side.contacts if attribute == "contact_id" else side.classrooms


def _has(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _value(value: Any) -> Any:
    """A field value as the wire carries it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def _one(phrase: str) -> bool:
    return phrase.startswith("1 ") and " and " not in phrase


def _count(count: int, noun: str) -> str:
    if not count:
        return ""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _and(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _distinct_name(side: StudentSide, other: StudentSide) -> str:
    """The child's name; when both are called the same, with what tells the records apart
    (the student number, where the record comes from, or its status)."""
    if side.name.casefold() != other.name.casefold():
        return side.name
    mine, theirs = side.fields.get("student_number"), other.fields.get("student_number")
    if mine and mine != theirs:
        return f"{side.name} ({mine})"
    if side.origin != other.origin:
        words = side.origin_text
        return f"{side.name} ({words[:1].lower()}{words[1:]})"
    if side.status != other.status:
        return f"{side.name} ({side.status})"
    return f"{side.name} ({mine})" if mine else side.name


# -- reading both students ------------------------------------------------------------------

_STAGED = "(" + ", ".join(f"'{state}'" for state in STAGED_STATES) + ")"

_CACHED_LINKS = text(
    "SELECT sx.contact_id, sx.relationship FROM student_contact sx WHERE sx.student_id = :id"
)
_STAGED_LINKS = text(
    "SELECT chg.fields FROM staged_change chg JOIN pending_operation pop ON pop.op_id = chg.op_id "
    "WHERE chg.entity_type = 'student_contact' AND chg.action = 'create' "
    f"AND json_extract(chg.fields, '$.student_id') = :id AND pop.state IN {_STAGED}"
)
_CLASSROOMS = text(
    "SELECT e.classroom_id, c.name, t.name, "
    "(SELECT GROUP_CONCAT(n, '; ') FROM (SELECT TRIM(s.first_name || ' ' || s.last_name) AS n "
    " FROM enrollment te JOIN staff s ON s.id = te.person_id "
    " WHERE te.classroom_id = e.classroom_id AND te.role = 'teacher' ORDER BY s.last_name, s.first_name)) "
    "FROM enrollment e LEFT JOIN classroom c ON c.id = e.classroom_id LEFT JOIN term t ON t.id = c.term_id "
    "WHERE e.person_id = :id AND e.role = 'student' ORDER BY c.name, e.classroom_id"
)


def _contacts(session: Session, student_id: str) -> tuple[ContactLink, ...]:
    links = [(str(c), str(r)) for c, r in session.execute(_CACHED_LINKS, {"id": student_id})]
    for (fields,) in session.execute(_STAGED_LINKS, {"id": student_id}):
        values = json.loads(fields) if isinstance(fields, str) else dict(fields)
        links.append((str(values["contact_id"]), str(values.get("relationship") or "")))
    found: dict[str, ContactLink] = {}
    for contact_id, relationship in links:
        contact = effective_record(session, EntityType.CONTACT, contact_id) or {}
        name = f"{contact.get('first_name') or ''} {contact.get('last_name') or ''}".strip()
        found.setdefault(contact_id, ContactLink(contact_id, name or "(not in the local copy)", relationship))
    return tuple(sorted(found.values(), key=lambda c: (c.name.casefold(), c.contact_id)))


def _classrooms(session: Session, student_id: str) -> tuple[ClassroomSeat, ...]:
    seats: dict[str, ClassroomSeat] = {}
    for classroom_id, name, term, teachers in session.execute(_CLASSROOMS, {"id": student_id}):
        seat = ClassroomSeat(str(classroom_id), str(name or ""), str(teachers or ""), str(term or ""))
        seats.setdefault(seat.classroom_id, seat)
    return tuple(seats.values())


def student_side(session: Session, student_id: str, role: str) -> StudentSide:
    """One student with its school, contacts and classrooms; `role` names it in the error."""
    record = effective_record(session, EntityType.STUDENT, student_id)
    if record is None:
        raise UnknownStudentError(
            f"The {role} is not a student in the local copy, or a staged change already removes it "
            "(a merge or a deletion). Check the id, or send or discard that change first."
        )
    school = session.execute(
        text("SELECT name FROM school WHERE id = :id"), {"id": record.get("school_id")}
    ).scalar_one_or_none()
    contacts, classrooms = _contacts(session, student_id), _classrooms(session, student_id)
    return StudentSide(student_id, dict(record), str(school or ""), contacts, classrooms)


def merge_preview(
    connection: Connection, survivor_id: str, merged_id: str, *, now: dt.datetime | None = None
) -> MergePreview:
    """Both students side by side (effective state) and what the merge would do."""
    if survivor_id == merged_id:
        raise UnknownStudentError("A student cannot be merged into itself: choose two different records.")
    with Session(bind=connection) as session:
        survivor = student_side(session, survivor_id, "record to keep")
        merged = student_side(session, merged_id, "record to merge")
    return MergePreview(survivor, merged, now or dt.datetime.now(dt.UTC).replace(tzinfo=None))


def _rank(side: StudentSide) -> tuple[bool, bool, int]:
    return (side.from_sis, side.status == "active", len(side.contacts) + len(side.classrooms))


def default_survivor(connection: Connection, a: str, b: str) -> str:
    """The record to keep by default: the SIS-synced one; then the active one; then the one
    with more family contacts and classrooms; then the first named."""
    with Session(bind=connection) as session:
        first = student_side(session, a, "first record")
        second = student_side(session, b, "second record")
    return b if _rank(second) > _rank(first) else a


def merge_operation(preview: MergePreview, take: Collection[str] = ()) -> PlannedOperation:
    """The `merge_students` operation for `preview`, taking the merged record's `take` fields.

    `was` holds the survivor's values of the fields it writes (for conflicts and undo).
    """
    if preview.blocked is not None:
        raise MergeError(preview.blocked)
    fields = preview.taken(take)
    was = {name: _value(preview.survivor.fields.get(name)) for name in fields}
    return operation(
        OperationKind.MERGE_STUDENTS,
        preview.survivor.id,
        Step.MERGE_DUPLICATES.value,
        merged_id=preview.merged.id,
        fields=fields,
        was=was,
    )


def pair_label(connection: Connection, a: str, b: str) -> str:
    """Both names, e.g. Smith, Jon / Smith, John: for remembering a dismissed pair."""
    with Session(bind=connection) as session:
        names = [_label_of(session, record_id) for record_id in (a, b)]
    return " / ".join(names)


def _label_of(session: Session, record_id: str) -> str:
    record: Mapping[str, Any] = effective_record(session, EntityType.STUDENT, record_id) or {}
    if not record:
        raise UnknownStudentError("One of the two records is not a student in the local copy. Check the ids.")
    return f"{record.get('last_name') or ''}, {record.get('first_name') or ''}"


def describe_unmerge(survivor: str, merged: str, fields: Mapping[str, Any]) -> str:
    """What undoing a merge does, in plain words (`fields`: the survivor's values put back)."""
    said = (
        f"{merged} comes back as a record of their own, with their own family contacts and "
        f"classrooms (the ones moved to {survivor} move back)"
    )
    if fields:
        values = _and([f"{FIELD_WORDS.get(n, n)} ({'none' if v is None else v})" for n, v in fields.items()])
        said += f"; {survivor} gets back the {values} they had before the merge"
    return said + "."
