"""Planning: creates/updates/archives per type, pauses, thresholds, idempotence."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.plan import CurrentRecord, Pause, PlanSettings, plan_rollover
from connect_desktop.rostering.snapshot import TYPES, Snapshot
from connect_desktop.rostering.validate import read_snapshot

from .district import EXPECTED_COUNTS, oneroster_files, write_zip

TODAY = dt.date(2025, 6, 20)


@pytest.fixture
def snapshot(tmp_path: Path) -> Iterator[Snapshot]:
    with read_snapshot(write_zip(tmp_path / "p.zip", oneroster_files()), Diagnostics()) as snap:  # type: ignore[arg-type]
        yield snap


def current_from(snap: Snapshot) -> list[CurrentRecord]:
    """Connect's records as they would be after syncing `snap`."""
    return [
        CurrentRecord(t, r.source_id, f"id-{t}-{r.source_id}", r.as_dict())
        for t in TYPES
        for r in snap.records(t)
    ]


def synthetic(type_: str, n: int, prefix: str = "old") -> list[CurrentRecord]:
    return [CurrentRecord(type_, f"{prefix}-{i}", f"uuid-{i}", {}) for i in range(n)]


def test_first_sync_creates_everything(snapshot: Snapshot) -> None:
    plan = plan_rollover(snapshot, [], today=TODAY)
    assert {t: c["create"] for t, c in plan.counts().items()} == EXPECTED_COUNTS
    assert not plan.held
    first = plan.changes("student", "create", 0, 2)
    assert [c.source_id for c in first] == ["s-cal", "s-eve"]
    assert first[0].fields["student_number"] == "1001" and first[0].id is None


def test_idempotent(snapshot: Snapshot) -> None:
    plan = plan_rollover(snapshot, current_from(snapshot), today=TODAY)
    assert all(c == {"create": 0, "update": 0, "archive": 0} for c in plan.counts().values())
    assert plan.types["student"].unchanged == 4


def test_creates_updates_archives_counted_exactly(snapshot: Snapshot) -> None:
    current = [c for c in current_from(snapshot) if c.source_id != "s-gus"]  # s-gus is new
    current = [
        CurrentRecord(c.type, c.source_id, c.id, {**c.fields, "grade": "2"}) if c.source_id == "s-cal" else c
        for c in current
    ]
    current += synthetic("student", 1, "gone")  # vanished from the source
    current += [CurrentRecord("student", "s-old", "u-old", {}, archived=True)]  # already archived: left alone
    plan = plan_rollover(snapshot, current, PlanSettings(thresholds={"student": 50}), today=TODAY)
    assert plan.counts()["student"] == {"create": 1, "update": 1, "archive": 1}
    [update] = plan.changes("student", "update")
    assert update.source_id == "s-cal" and update.id == "id-student-s-cal"
    assert update.changes == {"grade": ("2", "3")}
    [archive] = plan.changes("student", "archive")
    assert (archive.source_id, archive.id) == ("gone-0", "uuid-0")
    assert plan.types["student"].managed == 4  # 3 kept + 1 vanished; the archived one is not counted


def test_archived_record_back_in_source_is_restored(snapshot: Snapshot) -> None:
    current = [
        CurrentRecord(c.type, c.source_id, c.id, c.fields, archived=c.source_id == "cls-bio1")
        for c in current_from(snapshot)
    ]
    plan = plan_rollover(snapshot, current, today=TODAY)
    [update] = plan.changes("classroom", "update")
    assert update.changes == {"status": ("archived", "active")}


def test_paused_portions_are_untouched(snapshot: Snapshot) -> None:
    current = synthetic("classroom", 5) + synthetic("enrollment", 5) + synthetic("student", 2)
    settings = PlanSettings(
        pauses=(Pause("classrooms"), Pause("enrollments", until=dt.date(2025, 8, 1))),
        thresholds={"student": 100},
    )
    plan = plan_rollover(snapshot, current, settings, today=TODAY)
    for type_ in ("classroom", "enrollment"):
        assert plan.counts()[type_] == {"create": 0, "update": 0, "archive": 0}
        assert plan.types[type_].paused
    assert plan.counts()["student"] == {"create": 4, "update": 0, "archive": 2}
    assert not plan.paused_all


def test_pause_expires_after_until_date(snapshot: Snapshot) -> None:
    settings = PlanSettings.from_wire([{"portion": None, "from": "2025-06-01", "until": "2025-08-01"}])
    assert plan_rollover(snapshot, [], settings, today=dt.date(2025, 8, 1)).paused_all  # last paused day
    after = plan_rollover(snapshot, [], settings, today=dt.date(2025, 8, 2))
    assert not after.paused_all and after.counts()["student"]["create"] == 4
    before = plan_rollover(snapshot, [], settings, today=dt.date(2025, 5, 31))
    assert not before.paused_all


def test_unknown_portion_is_refused() -> None:
    with pytest.raises(ValueError, match="portion"):
        Pause("buses")


@pytest.mark.parametrize(("threshold", "held"), [(20, False), (19.9, True), (21, False)])
def test_threshold_boundary(snapshot: Snapshot, threshold: float, held: bool) -> None:
    base = [c for c in current_from(snapshot) if c.type == "enrollment"]  # 8 still in the source
    current = base + synthetic("enrollment", 2)  # 10 managed, 2 vanished: exactly 20%
    plan = plan_rollover(snapshot, current, PlanSettings(thresholds={"enrollment": threshold}), today=TODAY)
    assert plan.types["enrollment"].archives == 2 and plan.types["enrollment"].managed == 10
    assert plan.held is held
    # held or not, creates and updates are planned all the same; the verdict only withholds archives
    assert plan.counts()["student"]["create"] == 4


def test_threshold_exactly_at_limit_is_not_held(snapshot: Snapshot) -> None:
    base = [c for c in current_from(snapshot) if c.type == "student"]  # 4 in the source
    current = base + synthetic("student", 1)  # 5 managed, 1 archive = 20%
    assert not plan_rollover(snapshot, current, PlanSettings(thresholds={"student": 20}), today=TODAY).held
    plan = plan_rollover(snapshot, current, PlanSettings(thresholds={"student": 19.99}), today=TODAY)
    assert plan.held and plan.held_types == ["student"]
    assert plan.types["student"].archive_percent == 20.0


def test_threshold_default_is_ten_percent(snapshot: Snapshot) -> None:
    base = [c for c in current_from(snapshot) if c.type == "enrollment"]  # 8
    current = base + synthetic("enrollment", 2)  # 10 managed, 2 archives = 20%
    plan = plan_rollover(snapshot, current, today=TODAY)
    assert plan.held_types == ["enrollment"] and plan.types["enrollment"].threshold == 10.0
    assert len(list(plan.iter_changes("enrollment", "archive"))) == 2  # what it tried to archive


def test_type_missing_from_source_is_not_archived(tmp_path: Path) -> None:
    files = {k: v for k, v in oneroster_files().items() if k != "enrollments.csv"}
    files["manifest.csv"] = files["manifest.csv"].replace("file.enrollments,bulk", "file.enrollments,absent")
    with read_snapshot(write_zip(tmp_path / "p.zip", files), Diagnostics()) as snap:  # type: ignore[arg-type]
        plan = plan_rollover(snap, synthetic("enrollment", 10), today=TODAY)
        assert plan.counts()["enrollment"]["archive"] == 0 and not plan.types["enrollment"].in_source


def test_delta_archives_only_what_it_deletes(tmp_path: Path) -> None:
    files = oneroster_files("1.2", mode="delta")
    stamp = "2025-06-01T00:00:00.000Z"
    for name in files:
        if name != "manifest.csv":
            lines = files[name].split("\r\n")
            files[name] = "\r\n".join([lines[0]] + [_stamp(line, stamp) for line in lines[1:]])
    files["users.csv"] = files["users.csv"].replace("s-gus,active,", "s-gus,tobedeleted,")
    with read_snapshot(write_zip(tmp_path / "d.zip", files), diags := Diagnostics()) as snap:  # type: ignore[arg-type]
        assert diags.errors == 0, [str(d) for d in diags]
        current = [CurrentRecord("student", "s-gus", "u-gus", {}), *synthetic("student", 30, "other")]
        plan = plan_rollover(snap, current, today=TODAY)
        assert plan.counts()["student"] == {"create": 3, "update": 0, "archive": 1}


def _stamp(line: str, stamp: str) -> str:
    if not line:
        return line
    sid, _, _, rest = line.split(",", 3)
    return f"{sid},active,{stamp},{rest}"
