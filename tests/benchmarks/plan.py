"""Benchmark: generate a OneRoster 1.2 package, then validate+read it and plan a sync.

    .venv/bin/python tests/benchmarks/plan.py --students 100000

Prints JSON: sizes, seconds per phase and peak RSS. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from connect_desktop.rostering.diagnostics import Diagnostics
from connect_desktop.rostering.plan import CurrentRecord, PlanSettings, plan_rollover
from connect_desktop.rostering.snapshot import TYPES, Snapshot
from connect_desktop.rostering.validate import read_snapshot

CLASS_SIZE = 25
CLASSES_PER_STUDENT = 3


def generate(folder: Path, students: int) -> dict[str, int]:
    """Write a valid 1.2 bulk package: 1 guardian per student, 3 classes per student."""
    schools = max(1, students // 800)
    classes = max(1, students * CLASSES_PER_STUDENT // CLASS_SIZE)
    teachers = max(1, classes // 5)

    def write(name: str, header: list[str], rows: Iterator[list[str]]) -> int:
        count = 0
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\r\n")
            w.writerow(header)
            for row in rows:
                w.writerow(row)
                count += 1
        return count

    c = ["sourcedId", "status", "dateLastModified"]
    write(
        "manifest",
        ["propertyName", "value"],
        iter(
            [
                ["manifest.version", "1.0"],
                ["oneroster.version", "1.2"],
                *[
                    [f"file.{n}", "bulk"]
                    for n in (
                        "orgs",
                        "academicSessions",
                        "courses",
                        "classes",
                        "users",
                        "roles",
                        "demographics",
                        "enrollments",
                    )
                ],
            ]
        ),
    )
    write(
        "orgs",
        [*c, "name", "type", "identifier", "parentSourcedId"],
        iter(
            [
                ["d", "", "", "District", "district", "", ""],
                *[[f"sch{i}", "", "", f"School {i}", "school", "", "d"] for i in range(schools)],
            ]
        ),
    )
    write(
        "academicSessions",
        [*c, "title", "type", "startDate", "endDate", "parentSourcedId", "schoolYear"],
        iter([["sy", "", "", "2025-2026", "schoolYear", "2025-08-25", "2026-06-12", "", "2026"]]),
    )
    write(
        "courses",
        [
            *c,
            "schoolYearSourcedId",
            "title",
            "courseCode",
            "grades",
            "orgSourcedId",
            "subjects",
            "subjectCodes",
        ],
        (["crs", "", "", "sy", "Course", "C1", "", "d", "", ""] for _ in range(1)),
    )
    write(
        "classes",
        [
            *c,
            "title",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "schoolSourcedId",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ],
        (
            [
                f"cls{i}",
                "",
                "",
                f"Class {i}",
                str(i % 12 + 1).zfill(2),
                "crs",
                f"K{i}",
                "scheduled",
                "",
                f"sch{i % schools}",
                "sy",
                "",
                "",
                "",
            ]
            for i in range(classes)
        ),
    )
    user_head = [
        *c,
        "enabledUser",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
        "userMasterIdentifier",
        "preferredGivenName",
        "preferredMiddleName",
        "preferredFamilyName",
        "primaryOrgSourcedId",
        "pronouns",
    ]

    def users() -> Iterator[list[str]]:
        for i in range(students):
            yield [
                f"stu{i}",
                "",
                "",
                "true",
                f"stu{i}",
                "",
                f"Given{i}",
                f"Family{i}",
                "",
                str(100000 + i),
                "",
                "",
                "",
                f"par{i}",
                str(i % 12 + 1).zfill(2),
                "",
                "",
                "",
                "",
                "",
                f"sch{i % schools}",
                "",
            ]
        for i in range(students):
            yield [
                f"par{i}",
                "",
                "",
                "true",
                f"par{i}",
                "",
                f"Parent{i}",
                f"Family{i}",
                "",
                "",
                f"p{i}@x.example",
                "",
                "555-0100",
                f"stu{i}",
                "",
                "",
                "",
                "",
                "",
                "",
                f"sch{i % schools}",
                "",
            ]
        for i in range(teachers):
            yield [
                f"tch{i}",
                "",
                "",
                "true",
                f"tch{i}",
                "",
                f"Teach{i}",
                f"Er{i}",
                "",
                f"T{i}",
                f"t{i}@x.example",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                f"sch{i % schools}",
                "",
            ]

    write("users", user_head, users())

    def roles() -> Iterator[list[str]]:
        for prefix, n, role in (
            ("stu", students, "student"),
            ("par", students, "parent"),
            ("tch", teachers, "teacher"),
        ):
            for i in range(n):
                yield [
                    f"r{prefix}{i}",
                    "",
                    "",
                    f"{prefix}{i}",
                    "primary",
                    role,
                    "",
                    "",
                    f"sch{i % schools}",
                    "",
                ]

    write(
        "roles",
        [
            *c,
            "userSourcedId",
            "roleType",
            "role",
            "beginDate",
            "endDate",
            "orgSourcedId",
            "userProfileSourcedId",
        ],
        roles(),
    )
    write(
        "demographics",
        [*c, "birthDate", "sex"],
        ([f"stu{i}", "", "", f"{2008 + i % 12}-0{i % 9 + 1}-1{i % 9}", ""] for i in range(students)),
    )

    def enrollments() -> Iterator[list[str]]:
        for k in range(classes):
            yield [
                f"et{k}",
                "",
                "",
                f"cls{k}",
                f"sch{k % schools}",
                f"tch{k % teachers}",
                "teacher",
                "true",
                "",
                "",
            ]
        for i in range(students):
            school = i % schools
            same_school = [k for k in range(school, classes, schools)] if classes < 50 else None
            for j in range(CLASSES_PER_STUDENT):
                k = (
                    same_school[(i + j) % len(same_school)]
                    if same_school
                    else ((i // schools * CLASSES_PER_STUDENT + j) * schools + school) % classes
                )
                if k % schools != school:
                    k = school
                yield [f"es{i}-{j}", "", "", f"cls{k}", f"sch{school}", f"stu{i}", "student", "false", "", ""]

    n_enr = write(
        "enrollments",
        [*c, "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary", "beginDate", "endDate"],
        enrollments(),
    )
    return {
        "students": students,
        "guardians": students,
        "teachers": teachers,
        "classes": classes,
        "enrollments": n_enr,
        "schools": schools,
    }


def current_records(snap: Snapshot) -> Iterator[CurrentRecord]:
    """Connect's records: the snapshot with 10% of students changed, 2% not yet created, 3% vanished."""
    for type_ in TYPES:
        for n, rec in enumerate(snap.records(type_)):
            fields = rec.as_dict()
            if type_ == "student":
                if n % 50 == 0:
                    continue  # a create
                if n % 10 == 1:
                    fields["grade"] = "PK"  # an update
            yield CurrentRecord(type_, rec.source_id, f"id{n}", fields)
        if type_ == "student":
            for n in range(snap.count("student") * 3 // 100):
                yield CurrentRecord(type_, f"left{n}", f"gone{n}", {})  # an archive


class Timed:
    """Wraps the current-records generator to measure the time spent producing them (not planning)."""

    def __init__(self, records: Iterator[CurrentRecord]) -> None:
        self.records = records
        self.seconds = 0.0

    def __iter__(self) -> Iterator[CurrentRecord]:
        clock = time.perf_counter
        while True:
            start = clock()
            rec = next(self.records, None)
            self.seconds += clock() - start
            if rec is None:
                return
            yield rec


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        proc = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, proc.memory_info().rss)
            self._stop.wait(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rostering-bench-") as tmp:
        folder = Path(tmp) / "package"
        folder.mkdir()
        t0 = time.perf_counter()
        sizes = generate(folder, args.students)
        generate_s = time.perf_counter() - t0
        package_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        rss_before = psutil.Process().memory_info().rss
        with PeakRss() as rss:
            t0 = time.perf_counter()
            diags = Diagnostics()
            with read_snapshot(folder, diags, work_dir=tmp) as snap:
                validate_s = time.perf_counter() - t0
                counts = snap.counts()
                t0 = time.perf_counter()
                feed = Timed(current_records(snap))
                settings = PlanSettings(thresholds={"student": 5})
                plan = plan_rollover(snap, feed, settings, today=dt.date.today())
                plan_s = time.perf_counter() - t0
                page = plan.changes(
                    "student", "update", offset=50_000 if args.students >= 1_000_000 else 0, limit=100
                )
                result = {
                    **sizes,
                    "package_mb": round(package_mb, 1),
                    "generate_s": round(generate_s, 1),
                    "validate_read_s": round(validate_s, 1),
                    "plan_s": round(plan_s, 1),
                    "plan_current_records_s": round(feed.seconds, 1),  # the harness's share of plan_s
                    "errors": diags.errors,
                    "warnings": diags.warnings,
                    "snapshot": counts,
                    "student_plan": plan.counts()["student"],
                    "held": plan.held,
                    "page_len": len(page),
                }
        result["rss_before_mb"] = round(rss_before / 1e6, 1)
        result["peak_rss_mb"] = round(rss.peak / 1e6, 1)
        result["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
