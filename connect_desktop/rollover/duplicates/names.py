"""Names made comparable: a plain spelling, a sound key, and the nickname table."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

NICKNAME_FILE = Path(__file__).resolve().parents[3] / "resources" / "nicknames.csv"
"""Shipped beside the style sheet (the frozen app bundles the whole `resources/` folder)."""

_SOUND = str.maketrans(
    {
        **dict.fromkeys("aeiouyhw", ""),
        **dict.fromkeys("bfpv", "1"),
        **dict.fromkeys("cgjkqsxz", "2"),
        **dict.fromkeys("dt", "3"),
        "l": "4",
        **dict.fromkeys("mn", "5"),
        "r": "6",
    }
)


@functools.lru_cache(maxsize=65536)
def plain(text: str) -> str:
    """Lower-case letters without accents, words separated by one space ("O'Brien-Núñez" → "obrien nunez")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    out: list[str] = []
    for ch in decomposed:
        if ch.isalnum():
            if not unicodedata.combining(ch):
                out.append(ch)
        elif ch in " -_.,/" and out and out[-1] != " ":
            out.append(" ")
    return "".join(out).strip()


@functools.lru_cache(maxsize=65536)
def sound(name: str) -> str:
    """A Soundex-like key of a plain name: the first letter and up to three consonant codes.

    Spelling slips in vowels, doubled letters and most endings keep the key
    ("katherine", "kathrine", "katharine" → "k365").
    """
    squashed = name.replace(" ", "")
    if not squashed:
        return ""
    digits = squashed.translate(_SOUND)
    codes: list[str] = []
    previous = squashed[0].translate(_SOUND)
    for code in digits:
        if code != previous and not (codes and codes[-1] == code):
            codes.append(code)
        previous = code
    return squashed[0] + "".join(codes)[:3]


def _load(path: Path) -> frozenset[str]:
    groups: list[list[str]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            line = line.strip()
            if line and not line.startswith("#"):
                groups.append([plain(part) for part in line.split(",") if part.strip()])
    pairs: set[str] = set()
    for group in groups:
        for a in group:
            for b in group:
                if a != b:
                    pairs.add(f"{a}\t{b}")
    return frozenset(pairs)


@functools.cache
def nickname_pairs() -> frozenset[str]:
    """Every (name, nickname) and (nickname, name) pair of the table, as "a<TAB>b" of plain names."""
    return _load(NICKNAME_FILE)


def is_nickname(a: str, b: str) -> bool:
    """True when plain names `a` and `b` are a name and its nickname ("jon" / "john")."""
    return f"{a}\t{b}" in nickname_pairs()
