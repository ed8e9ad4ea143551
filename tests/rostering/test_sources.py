"""Every source kind reads the same district into the same snapshot and the same plan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connect_desktop.rostering.clever_api import CleverSource, read_clever_api
from connect_desktop.rostering.clever_csv import read_clever_csv
from connect_desktop.rostering.diagnostics import Diagnostics, SourceError
from connect_desktop.rostering.oneroster_rest import RestSource, read_oneroster_rest
from connect_desktop.rostering.plan import CurrentRecord, plan_rollover
from connect_desktop.rostering.snapshot import TYPES, Snapshot
from connect_desktop.rostering.validate import read_snapshot

from .district import EXPECTED_COUNTS, SESSIONS, oneroster_files, write_folder, write_zip
from .providers import CLIENT_ID, CLIENT_SECRET, TOKEN, CleverProvider, OneRosterProvider, clever_csv_files
from .test_plan import TODAY

Reader = Callable[[Diagnostics], Snapshot]


def csv_package(tmp_path: Path, version: str = "1.2") -> Snapshot:
    diags = Diagnostics()
    snap = read_snapshot(write_zip(tmp_path / f"p{version}.zip", oneroster_files(version)), diags)  # type: ignore[arg-type]
    assert diags.errors == 0, list(diags)
    return snap


@pytest.fixture
def csv_snapshot(tmp_path: Path) -> Iterator[Snapshot]:
    with csv_package(tmp_path) as snap:
        yield snap


def rest(provider: OneRosterProvider, secret: str = CLIENT_SECRET) -> Reader:
    return lambda diags: read_oneroster_rest(
        RestSource(provider.url, CLIENT_ID, secret, version=provider.version), diags
    )


def plan_of(snap: Snapshot) -> dict[str, list[tuple[str, str]]]:
    """The plan against a fixed set of current records, as comparable lists."""
    current = [
        CurrentRecord("student", "s-cal", "u1", {"grade": "2"}),
        CurrentRecord("student", "gone", "u2", {}),
        CurrentRecord("classroom", "cls-bio1", "u3", {}, archived=True),
    ]
    plan = plan_rollover(snap, current, today=TODAY)
    return {
        t: [
            (c.kind, c.source_id)
            for k in ("create", "update", "archive")
            for c in plan.changes(t, k, 0, 1000)
        ]
        for t in TYPES
    }


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_rest_matches_csv(tmp_path: Path, version: str) -> None:
    """Each version against a package of that version (1.1's `administrator` is a school admin)."""
    with csv_package(tmp_path, version) as csv_snapshot, OneRosterProvider(version) as provider:
        expected = csv_snapshot.as_dicts()
        diags = Diagnostics()
        with rest(provider)(diags) as snap:
            assert diags.errors == 0 and diags.warnings == 0, list(diags)
            assert snap.counts() == EXPECTED_COUNTS
            for type_ in TYPES:
                assert snap.as_dicts()[type_] == expected[type_], type_
            assert plan_of(snap) == plan_of(csv_snapshot)
        gets = [r for r in provider.requests if r.startswith("GET")]
        assert len(gets) > 10  # several pages per endpoint


@pytest.mark.parametrize("version", ["1.2", "1.1"])
def test_rest_bad_secret(version: str) -> None:
    with OneRosterProvider(version) as provider, pytest.raises(SourceError) as caught:
        rest(provider, "wrong")(Diagnostics())
    assert caught.value.diagnostic.code == "rejected_credentials"
    assert "The SIS rejected the client id/secret" in str(caught.value)


def test_rest_broken_reference() -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["enrollments"][4]["class"]["sourcedId"] = "cls-nope"

    with OneRosterProvider("1.2", edit=edit) as provider:
        diags = Diagnostics()
        with rest(provider)(diags) as snap:
            assert snap.count("enrollment") == 7
    [diag] = [d for d in diags if d.code == "broken_reference"]
    assert (diag.file, diag.row, diag.column) == ("enrollments", 4, "class")


def test_rest_retries_5xx_and_reports_unreachable() -> None:
    with OneRosterProvider("1.2") as provider:
        provider.failures = 2
        source = RestSource(provider.url, CLIENT_ID, CLIENT_SECRET, retries=2, backoff=0.01)
        with read_oneroster_rest(source, Diagnostics()) as snap:
            assert snap.counts() == EXPECTED_COUNTS
        url = provider.url
    with pytest.raises(SourceError) as caught:
        read_oneroster_rest(RestSource(url, CLIENT_ID, CLIENT_SECRET, retries=0, timeout=2), Diagnostics())
    assert caught.value.diagnostic.code == "unreachable"


def clever(provider: CleverProvider, token: str = TOKEN) -> Reader:
    return lambda diags: read_clever_api(CleverSource(token, provider.url, page_size=100), diags)


def test_clever_api_matches_csv(csv_snapshot: Snapshot) -> None:
    expected = csv_snapshot.as_dicts()
    with CleverProvider() as provider:
        diags = Diagnostics()
        with clever(provider)(diags) as snap:
            assert diags.errors == 0 and diags.warnings == 0, list(diags)
            for type_ in TYPES:
                assert snap.as_dicts()[type_] == expected[type_], type_
            assert plan_of(snap) == plan_of(csv_snapshot)
        assert any("starting_after" in r for r in provider.requests)


def test_clever_bad_token() -> None:
    with CleverProvider() as provider, pytest.raises(SourceError) as caught:
        clever(provider, "nope")(Diagnostics())
    assert caught.value.diagnostic.code == "rejected_credentials"
    assert "Clever rejected the API token" in str(caught.value)


def test_clever_broken_reference() -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["sections"][1]["term_id"] = "term-nope"

    with CleverProvider(edit=edit) as provider:
        diags = Diagnostics()
        with clever(provider)(diags) as snap:
            assert snap.count("classroom") == 2
    [diag] = [d for d in diags if d.code == "broken_reference"]
    assert (diag.file, diag.row, diag.column) == ("sections", 1, "term_id")


def test_clever_csv_matches_csv(csv_snapshot: Snapshot, tmp_path: Path) -> None:
    """Clever CSV has no term ids: terms are keyed by name, the rest is identical."""
    names = {s: t for s, t, *_ in SESSIONS}
    expected = csv_snapshot.as_dicts()
    expected["term"] = {names[s]: r for s, r in expected["term"].items()}
    expected["classroom"] = {
        s: {**r, "term": names[str(r["term"])]} for s, r in expected["classroom"].items()
    }
    diags = Diagnostics()
    with read_clever_csv(write_folder(tmp_path / "clever", clever_csv_files()), diags) as snap:  # type: ignore[arg-type]
        assert diags.errors == 0 and diags.warnings == 0, list(diags)
        for type_ in TYPES:
            assert snap.as_dicts()[type_] == expected[type_], type_


def test_clever_csv_header_and_reference_diagnostics(tmp_path: Path) -> None:
    files = clever_csv_files()
    files["teachers.csv"] = files["teachers.csv"].replace("Teacher_email", "teacher_email")
    files["enrollments.csv"] += "sch-high,cls-nope,s-fay\r\n"
    diags = Diagnostics()
    with read_clever_csv(write_folder(tmp_path / "clever", files), diags):  # type: ignore[arg-type]
        pass
    found = {(d.code, d.file, d.row, d.column) for d in diags}
    assert ("column_case", "teachers.csv", 1, "teacher_email") in found  # read, with a warning
    assert ("broken_reference", "enrollments.csv", 7, "Section_id") in found


def test_rest_malformed_json() -> None:
    with OneRosterProvider("1.2") as provider:
        provider.garbage = "classes"
        with pytest.raises(SourceError) as caught:
            rest(provider)(Diagnostics())
    assert caught.value.diagnostic.code == "malformed_json"
    assert "/classes" in caught.value.diagnostic.message


def test_duplicates_found_by_keys_not_lookups(tmp_path: Path) -> None:
    """A repeated sourcedId (batched primary key) and a repeated class+user (merge over the staged rows)."""
    files = oneroster_files()
    files["enrollments.csv"] += "e9,,,cls-bio1,sch-high,s-fay,student,false,,\r\n"  # class+user again
    files["enrollments.csv"] += "e2,,,cls-bio2,sch-high,s-cal,student,,,\r\n"  # sourcedId again
    diags = Diagnostics()
    with read_snapshot(write_zip(tmp_path / "p.zip", files), diags) as snap:  # type: ignore[arg-type]
        assert snap.count("enrollment") == 8
    found = {(d.code, d.file, d.row) for d in diags}
    assert found == {("duplicate_enrollment", "enrollments.csv", 10), ("duplicate_id", "enrollments.csv", 11)}


def test_rest_bad_date_is_reported_not_fatal() -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["academicSessions"][0]["endDate"] = "June 2025"

    with OneRosterProvider("1.2", edit=edit) as provider:
        diags = Diagnostics()
        with rest(provider)(diags) as snap:
            assert snap.count("term") == 2
    found = {(d.code, d.file, d.row, d.column) for d in diags}
    assert ("bad_date", "academicSessions", 0, "endDate") in found
