"""The people the detector compares, read from the cache or from a CSV file."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text

from connect_desktop.domain.entities import EntityType
from connect_desktop.errors import KnownError
from connect_desktop.store.effective import any_staged_sql, effective_field_sql, not_deleted_sql

EXTRA_FIELDS: tuple[str, ...] = (
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "soc_sec_id",
)
"""Fields of the FEBRL benchmark files a student record does not have."""

FIELD_ALIASES: dict[str, str] = {
    "rec_id": "id",
    "id": "id",
    "given_name": "given_name",
    "first_name": "given_name",
    "surname": "family_name",
    "last_name": "family_name",
    "family_name": "family_name",
    "date_of_birth": "birth_date",
    "birth_date": "birth_date",
    "student_number": "student_number",
    "school": "school",
    "school_id": "school",
    "grade": "grade",
    "status": "status",
    "origin": "origin",
    "contacts": "contacts",
    "contact_ids": "contacts",
    **{name: name for name in EXTRA_FIELDS},
}
"""Names a `--columns` mapping may use (FEBRL's and the cache's), and the field each fills."""


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person as the detector sees it; empty text means "not known", never a match."""

    id: str
    given_name: str = ""
    family_name: str = ""
    birth_date: str = ""
    """Digits only, YYYYMMDD when it is a date (it may be an invalid one)."""
    student_number: str = ""
    school: str = ""
    grade: str = ""
    status: str = ""
    """"active" or "archived" for students."""
    origin: str = ""
    """"sync" (from the SIS) or "manual"."""
    contacts: tuple[str, ...] = ()
    """Ids of the family contacts linked to the person."""
    extra: Mapping[str, str] = field(default_factory=dict)
    """FEBRL's other fields (`EXTRA_FIELDS`)."""


class RecordsError(KnownError):
    """A file or a column mapping that cannot be used."""

    title = "The people cannot be read"


def birth_digits(value: object) -> str:
    """A birth date as YYYYMMDD digits ("2014-03-09" → "20140309"); "" when missing."""
    if value is None:
        return ""
    digits = "".join(ch for ch in str(value) if ch.isdigit())
    return digits


# -- CSV -------------------------------------------------------------------------------------


def parse_mapping(text_: str) -> dict[str, str]:
    """`given_name=COL,surname=COL,...` as {field: column}; RecordsError when it cannot be used."""
    mapping: dict[str, str] = {}
    for part in (p.strip() for p in text_.split(",")):
        if not part:
            continue
        name, sep, column = part.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise RecordsError(f"The column mapping {part!r} is not FIELD=COLUMN.")
        if name not in FIELD_ALIASES:
            known = ", ".join(sorted(FIELD_ALIASES))
            raise RecordsError(f"There is no field {name!r} to map; use one of: {known}.")
        target = FIELD_ALIASES[name]
        if target in mapping:
            raise RecordsError(f"The field {name!r} is mapped twice.")
        mapping[target] = column
    if not mapping:
        raise RecordsError("The column mapping is empty; give at least given_name=COLUMN.")
    return mapping


def read_csv(path: Path, id_column: str | None, mapping: Mapping[str, str]) -> Iterator[PersonRecord]:
    """The people of a CSV file with a header row, one per line (streamed).

    `mapping` is {field: column} as `parse_mapping` makes it; the id comes from `id_column`
    or a mapped `rec_id`/`id`. RecordsError names the first problem (missing file or column,
    a row without an id, two rows with the same id).
    """
    columns = dict(mapping)
    if id_column:
        columns["id"] = id_column
    if "id" not in columns:
        raise RecordsError("Say which column holds each person's id (--id-column).")
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RecordsError(
            f"The file {path.name} cannot be opened ({exc.strerror or 'unreadable'})."
        ) from exc
    with handle:
        reader = csv.reader(handle, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise RecordsError(f"The file {path.name} is empty.") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RecordsError(f"The file {path.name} cannot be read as a CSV file of text.") from exc
        position = {name: i for i, name in enumerate(header)}
        missing = sorted({c for c in columns.values() if c not in position})
        if missing:
            raise RecordsError(f"The file {path.name} has no column {', '.join(map(repr, missing))}.")
        index = {target: position[column] for target, column in columns.items()}
        extras = [(name, index[name]) for name in EXTRA_FIELDS if name in index]
        seen: set[str] = set()
        line = 1
        try:
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) < len(header):
                    row = row + [""] * (len(header) - len(row))

                def get(target: str, row: list[str] = row) -> str:
                    at = index.get(target)
                    return row[at].strip() if at is not None else ""

                record_id = get("id")
                if not record_id:
                    raise RecordsError(f"Line {line} of {path.name} has no id.")
                if record_id in seen:
                    raise RecordsError(f"The id on line {line} of {path.name} is used twice.")
                seen.add(record_id)
                contacts = get("contacts")
                yield PersonRecord(
                    id=record_id,
                    given_name=get("given_name"),
                    family_name=get("family_name"),
                    birth_date=birth_digits(get("birth_date")),
                    student_number=get("student_number"),
                    school=get("school"),
                    grade=get("grade"),
                    status=get("status"),
                    origin=get("origin"),
                    contacts=tuple(c for c in (p.strip() for p in contacts.split(";")) if c),
                    extra={name: row[at].strip() for name, at in extras if row[at].strip()},
                )
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RecordsError(f"Line {line} of {path.name} cannot be read as CSV.") from exc


# -- the cache -------------------------------------------------------------------------------


def cache_records(connection: Connection, *, batch: int = 5000) -> Iterator[PersonRecord]:
    """The students as the user sees them (staged changes applied, staged deletes and merges
    left out), each with the ids of their family contacts; streamed in id order."""
    student, link = EntityType.STUDENT, EntityType.STUDENT_CONTACT
    staged = bool(connection.execute(text(any_staged_sql(student))).scalar_one())
    fields = ("first_name", "last_name", "birth_date", "grade", "school_id", "status")
    values = [effective_field_sql(student, f, "s") if staged else f"s.{f}" for f in fields]
    hidden = not_deleted_sql(student, "s") if staged else None
    link_hidden = not_deleted_sql(link, "l")
    links_staged = bool(connection.execute(text(any_staged_sql(link))).scalar_one())
    link_where = f" AND {link_hidden}" if link_hidden and links_staged else ""
    where = f" WHERE {hidden}" if hidden else ""
    query = text(
        f"SELECT s.id, {', '.join(values)}, s.student_number, s.origin, "
        f"(SELECT group_concat(l.contact_id, ';') FROM student_contact l "
        f"WHERE l.student_id = s.id{link_where}) "
        f"FROM student s{where} ORDER BY s.id"
    )
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(query)
    for row in result:
        record_id, first, last, birth, grade, school, status, number, origin, contacts = row
        yield PersonRecord(
            id=record_id,
            given_name=first or "",
            family_name=last or "",
            birth_date=birth_digits(birth),
            student_number=number or "",
            school=school or "",
            grade=grade or "",
            status=status or "",
            origin=origin or "",
            contacts=tuple(contacts.split(";")) if contacts else (),
        )
