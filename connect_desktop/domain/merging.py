"""Which two student records may be merged: the one rule the desktop and the server share.

The SIS owns the records it syncs: two synced records cannot be merged (the SIS would bring the
removed one back at its next sync), and a synced record is never the one removed. A record
added in Connect, or an archived one left from an earlier year, merges into a synced one.
"""

from __future__ import annotations


def merge_refusal(
    *, survivor_from_sis: bool, merged_from_sis: bool, survivor_name: str, merged_name: str
) -> str | None:
    """Why merging `merged_name` into `survivor_name` is refused, in plain words (None: allowed)."""
    if survivor_from_sis and merged_from_sis:
        return (
            "Both records come from your SIS; fix the duplicate there and the next sync will correct Connect."
        )
    if merged_from_sis:
        return (
            f"{merged_name} comes from your SIS and {survivor_name} does not: "
            f"keep {merged_name} and merge {survivor_name} into it."
        )
    return None
