"""Plain-language labels for stored codes, rendered as SQL CASE expressions."""

from __future__ import annotations

from collections.abc import Mapping

from connect_desktop.domain import words
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import SYNC_PORTIONS
from connect_desktop.domain.operations import TARGET_TYPE as TARGET_TYPES

ROLE = {"district_admin": "District admin", "school_admin": "School admin", "teacher": "Teacher"}
ACCESS = {"active": "Active", "revoked": "Revoked"}
STATUS = {"active": "Active", "archived": "Archived"}
ORIGIN = {"sync": "Sync", "manual": "Manual"}
SYNC_STATUS = words.RUN_STATUS_TEXT
TRIGGER = {"manual": "Manual", "scheduled": "Scheduled", "daily": "Daily"}
OP_STATE = words.STATE_TEXT
OP_KIND = words.KIND_TEXT
TARGET_TYPE = {t.value: words.noun(t, 1).capitalize() for t in TARGET_TYPES.values()}
ENTITY_PLURAL = {entity.value: words.noun(entity).capitalize() for entity in EntityType}
ENTITY_PLURAL |= {portion: ENTITY_PLURAL[portion.removesuffix("s")] for portion in SYNC_PORTIONS}
"""Entity types by type code or by sync portion (the keys of a sync run's counts)."""


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def case(expr: str, labels: Mapping[str, str]) -> str:
    """`CASE expr WHEN code THEN label … ELSE humanised code END`."""
    whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in labels.items())
    return f"CASE {expr} {whens} ELSE {humanise_sql(expr)} END"


def humanise_sql(expr: str) -> str:
    """SQL for 'some_code' → 'Some code'."""
    return f"(UPPER(SUBSTR({expr}, 1, 1)) || REPLACE(SUBSTR({expr}, 2), '_', ' '))"


def humanise(code: str) -> str:
    """'tried_to_archive' → 'tried to archive'."""
    return code.replace("_", " ")
