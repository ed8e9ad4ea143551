"""Each `# type: ignore` in the checked packages names its error code and says why, on its line.

mypy (`python3 dev.py test`) already refuses an ignore without a code (`ignore-without-code`)
and one that silences nothing (`warn_unused_ignores`); the reason is for the reader.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("connect_desktop", "ui")
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<rest>.*)")
WITH_REASON = re.compile(r"^\[[a-z0-9-]+(,\s*[a-z0-9-]+)*\]\s+#\s*(?!noqa)\S.{4,}")
"""`# type: ignore[code]  # reason` (a few words; a bare "#" or a `# noqa` is no reason)."""


def type_ignores(source: str) -> list[tuple[int, str]]:
    """(line, what follows `type: ignore`) for each such comment, strings and docstrings left out."""
    found = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and (match := IGNORE.search(token.string)):
            found.append((token.start[0], match["rest"]))
    return found


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    missing = [
        f"{path.relative_to(ROOT).as_posix()}:{line}: # type: ignore{rest}"
        for package in CHECKED
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, rest in type_ignores(path.read_text(encoding="utf-8"))
        if not WITH_REASON.match(rest)
    ]
    assert missing == [], "write `# type: ignore[code]  # why`:\n" + "\n".join(missing)


def test_the_check_tells_a_reason_from_none() -> None:
    source = (
        "a = 1  # type: ignore[attr-defined]  # SQLAlchemy's CursorResult.rowcount\n"
        "b = 2  # type: ignore[arg-type]\n"
        "c = 3  # type: ignore\n"
        "d = 4  # type: ignore[misc]  # noqa: E731\n"
        'e = "# type: ignore"  # in a string: not a comment\n'
    )
    verdicts = [(line, bool(WITH_REASON.match(rest))) for line, rest in type_ignores(source)]
    assert verdicts == [(1, True), (2, False), (3, False), (4, False)]
