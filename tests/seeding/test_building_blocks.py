"""The pure pieces of the seed: ids, names, calendar, sizes."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from connect_desktop.domain.school_year import school_year_of
from connect_server.seeding.calendar import Calendar, school_months, terms_of
from connect_server.seeding.ids import IdSpace
from connect_server.seeding.names import NICKNAMES, ascii_slug, with_typo
from connect_server.seeding.students import duplicate_count


def test_ids_are_distinct_version_4_uuids_that_depend_on_seed_and_kind() -> None:
    space = IdSpace(1, "student")
    ids = [space.of(i) for i in range(20_000)]
    assert len(set(ids)) == len(ids)
    assert {uuid.UUID(i).version for i in ids[:500]} == {4}
    assert IdSpace(1, "student").of(5) == ids[5]
    assert IdSpace(2, "student").of(5) != ids[5]
    assert IdSpace(1, "contact").of(5) != ids[5]


def test_a_typo_changes_the_name_a_little() -> None:
    rng = random.Random(3)
    for name in ("Guadalupe", "Li", "Nguyen", "O'Brien", "Al-Sayed"):
        typed = with_typo(name, rng)
        assert typed != name
        assert abs(len(typed) - len(name)) <= 1


def test_nicknames_differ_from_the_formal_name() -> None:
    assert all(name not in short for name, short in NICKNAMES.items())
    assert ascii_slug("Núñez O'Brien") == "nunezobrien"


def test_school_year_runs_august_to_july_and_is_named_by_its_end() -> None:
    assert school_year_of(dt.date(2026, 7, 31)) == 2026
    assert school_year_of(dt.date(2026, 8, 1)) == 2027
    year, fall, spring = terms_of(2026)
    assert (year.name, fall.name, spring.name) == ("2025–2026", "Fall 2025", "Spring 2026")
    assert year.start == fall.start < fall.end < spring.start < spring.end == year.end
    calendar = Calendar(dt.date(2026, 11, 3))
    assert (calendar.last_year, calendar.current_year) == (2026, 2027)
    assert [t.school_year for t in calendar.terms()] == [2026] * 3 + [2027] * 3


def test_message_months_are_those_of_the_school_year_begun_by_the_date() -> None:
    assert school_months(2027, dt.date(2026, 11, 3)) == [dt.date(2026, m, 1) for m in (8, 9, 10, 11)]
    assert len(school_months(2026, dt.date(2026, 11, 3))) == 11


def test_duplicates_are_about_half_a_percent_but_never_fewer_than_a_handful() -> None:
    assert duplicate_count(1_000_000) == 5_000
    assert duplicate_count(300) == 8
    assert duplicate_count(50) == 5
