"""The field comparisons: nicknames, swapped names, birth-date slips, sound keys."""

from __future__ import annotations

import pytest

from connect_desktop.rollover.duplicates import find_in_records
from connect_desktop.rollover.duplicates.compare import (
    BIRTH_CLOSE,
    BIRTH_DIFFERENT,
    BIRTH_SAME,
    BIRTH_SLIP,
    MISSING,
    NAME_DIFFERENT,
    NAME_NICKNAME,
    NAME_SAME,
    NAME_TYPO,
    birth_level,
    birth_slip,
    name_level,
)
from connect_desktop.rollover.duplicates.names import is_nickname, plain, sound
from connect_desktop.rollover.duplicates.records import PersonRecord


def test_nicknames_from_the_table_in_both_directions() -> None:
    for formal, short in (("john", "jon"), ("william", "bill"), ("elizabeth", "liz"), ("margaret", "peggy")):
        assert is_nickname(formal, short) and is_nickname(short, formal)
        assert name_level(formal, short) == NAME_NICKNAME
    assert not is_nickname("william", "liam")  # two different names, both common in schools
    assert name_level("olivia", "zoe") == NAME_DIFFERENT


def test_spelling_slips_and_missing_names() -> None:
    assert name_level("katherine", "kathrine") == NAME_TYPO
    assert name_level("olivia", "olivai") == NAME_TYPO
    assert name_level("smith", "smith") == NAME_SAME
    assert name_level("", "smith") == MISSING


def test_plain_spelling_and_sound_keys() -> None:
    assert plain("  Núñez-O'Brien ") == "nunez obrien"
    assert sound("katherine") == sound("kathrine") == sound("katharine")
    assert sound("smith") != sound("jones")


def test_birth_date_slips() -> None:
    assert birth_level("20140309", "20140309") == BIRTH_SAME
    assert birth_level("20140309", "20140903") == BIRTH_SLIP
    assert birth_slip("20140309", "20140903") == "day and month swapped"
    assert birth_level("20140309", "20140319") == BIRTH_SLIP
    assert birth_slip("20140309", "20140319") == "one digit differs"
    assert birth_level("20140309", "20140390") == BIRTH_SLIP
    assert birth_slip("20140309", "20140390") == "two digits swapped"
    assert birth_level("20140309", "20140328") == BIRTH_CLOSE
    assert birth_level("20140309", "20171122") == BIRTH_DIFFERENT
    assert birth_level("", "20140309") == MISSING


def _people() -> list[PersonRecord]:
    """Forty unrelated children, and three second records of some of them."""
    given = ["Olivia", "Liam", "Noah", "Emma", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan"]
    family = ["Garcia", "Nguyen", "Okafor", "Schmidt"]
    people = [
        PersonRecord(
            id=f"p{k:02d}",
            given_name=g,
            family_name=f,
            birth_date=f"2014{(k % 12) + 1:02d}{(k % 18) + 10:02d}",
            school="s1",
            grade=str(k % 6 + 1),
            status="active",
            origin="sync",
            contacts=(f"c{k}",),
        )
        for k, (g, f) in enumerate((g, f) for f in family for g in given)
    ]
    base = {p.id: p for p in people}
    olivia, liam, noah = base["p00"], base["p01"], base["p02"]
    people += [
        PersonRecord(
            "d1", "Garcia", "Olivia", olivia.birth_date, school="s1", grade=olivia.grade, contacts=("c0",)
        ),
        PersonRecord(
            "d2",
            "Liam",
            "Garcia",
            liam.birth_date[:4] + liam.birth_date[6:] + liam.birth_date[4:6],
            school="s1",
            grade=liam.grade,
            contacts=("c1",),
        ),
        PersonRecord("d3", "Noa", "Garcia", noah.birth_date, school="s1", grade=noah.grade, contacts=()),
    ]
    return people


def test_swapped_names_and_a_swapped_birth_date_are_found_with_their_reasons() -> None:
    findings = find_in_records(_people())
    found = {(p.a, p.b): p for p in findings.pairs}
    swapped = found[("d1", "p00")]
    assert "given and family names swapped" in swapped.reasons
    assert "same birth date" in swapped.reasons
    assert "share 1 family contact" in swapped.reasons
    dates = found[("d2", "p01")]
    assert any("day and month swapped" in r for r in dates.reasons)
    assert ("d3", "p02") in found
    assert all(p.a < p.b and 0 <= p.score <= 1 for p in findings.pairs)
    assert [p.score for p in findings.pairs] == sorted((p.score for p in findings.pairs), reverse=True)
    # no two of the forty originals are the same child
    assert not [p for p in findings.pairs if p.a.startswith("p") and p.b.startswith("p")]


@pytest.mark.parametrize("copy_id", ["a0", "z9"])  # the copy listed first, then second
def test_a_swapped_pair_names_the_names_that_differ_whichever_record_comes_first(copy_id: str) -> None:
    """ "Garcia Olivai" is Olivia Garcia with her names swapped and a typo in one of them: the
    reasons say which names differ, read the right way round, wherever the copy sorts."""
    people = _people()
    olivia = people[0]
    people.append(
        PersonRecord(
            copy_id, "Garcia", "Olivai", olivia.birth_date, school="s1", grade=olivia.grade, contacts=("c0",)
        )
    )
    found = {(p.a, p.b): p for p in find_in_records(people).pairs}
    pair = found[tuple(sorted((copy_id, "p00")))]
    assert "given and family names swapped" in pair.reasons
    # each row compares the first record's name with the name of the other it stands for
    if copy_id < "p00":  # Garcia (given) with Garcia (family); Olivai (family) with Olivia (given)
        same, differ = "same first name", "family names Olivai / Olivia"
    else:
        same, differ = "same family name", "first names Olivia / Olivai"
    assert same in pair.reasons and any(r.startswith(differ) for r in pair.reasons), pair.reasons


def test_dismissed_pairs_are_never_proposed() -> None:
    findings = find_in_records(_people(), dismissed={("d1", "p00")})
    assert ("d1", "p00") not in {(p.a, p.b) for p in findings.pairs}
    assert all("d1" not in c.ids or "p00" not in c.ids for c in findings.clusters)


def test_pairs_join_into_clusters() -> None:
    people = _people()
    olivia = people[0]
    people.append(
        PersonRecord(
            "d4", "Olivia", "Garcia", olivia.birth_date, school="s1", grade=olivia.grade, contacts=("c0",)
        )
    )
    findings = find_in_records(people)
    cluster = next(c for c in findings.clusters if "p00" in c.ids)
    assert set(cluster.ids) == {"d1", "d4", "p00"}
    assert cluster.ids == tuple(sorted(cluster.ids))
    in_cluster = [p.score for p in findings.pairs if {p.a, p.b} <= set(cluster.ids)]
    assert min(in_cluster) <= cluster.score <= max(in_cluster)
