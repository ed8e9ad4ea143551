"""Pydantic wire schema of the Connect API (`/api/v1`), shared by client and server.

The changes feed carries each record's fields as a plain JSON object (`data`):
dates and datetimes as ISO 8601 strings, everything else as JSON scalars, lists or
objects. `encode_value` is the single place that converts (the cache's writer reads
them back by column type).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from connect_desktop.api.limits import (
    MAX_ID_LENGTH,
    MAX_KIND_LENGTH,
    MAX_OPERATIONS_PER_REQUEST,
    MAX_PARAMS_BYTES,
    MAX_PASSWORD_LENGTH,
    MAX_RELATED_TARGETS,
    MAX_USERNAME_LENGTH,
    MAX_VERSION,
    encode_body,
)
from connect_desktop.domain.entities import EntityType, Role
from connect_desktop.domain.operations import OperationKind, OperationStatus

API_PREFIX = "/api/v1"
MAX_CHANGES_PAGE = 50_000
DEFAULT_CHANGES_PAGE = 5_000


def storable_text(value: str) -> str:
    """`value` unchanged, or ValueError when no database could store it (NUL, lone surrogates)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


def _storable_json(value: Any) -> None:
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            storable_text(str(key))
            _storable_json(item)
    elif isinstance(value, list):
        for item in value:
            _storable_json(item)


StorableText = Annotated[str, AfterValidator(storable_text)]
"""Request text that every database can store: refused with 422 otherwise, never a 500."""


class WireModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(WireModel):
    username: StorableText = Field(min_length=1, max_length=MAX_USERNAME_LENGTH)
    password: StorableText = Field(min_length=1, max_length=MAX_PASSWORD_LENGTH)


class UserInfo(WireModel):
    id: str
    email: str
    role: Role
    school_ids: list[str]
    display_name: str


class TokenResponse(WireModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserInfo


class TokenInfo(WireModel):
    """One unexpired sign-in, as district admins see it: never the token or its hash."""

    id: str = Field(description="public id of the sign-in, for revoking it")
    user_id: str
    email: str
    role: Role
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None = Field(description="to the minute; null before the first use")
    current: bool = Field(description="the sign-in this request was made with")


class TokenList(WireModel):
    tokens: list[TokenInfo]
    total: int
    offset: int
    limit: int
    has_more: bool


class ThrottleEntry(WireModel):
    """A counter of failed sign-ins: of an account from an address, of an account, or of an address."""

    kind: str = Field(description="account_address, account or address")
    account: str | None
    address: str | None
    failures: int
    first_failure_at: dt.datetime
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None = Field(description="null when tries are not refused now")


class ThrottleList(WireModel):
    entries: list[ThrottleEntry]


class ThrottleCleared(WireModel):
    cleared: int


class Change(WireModel):
    seq: int
    type: EntityType
    id: str
    version: int
    deleted: bool = False
    data: dict[str, Any] | None = None


class ChangesPage(WireModel):
    changes: list[Change]
    next_since: int
    has_more: bool
    total_estimate: int | None = None
    reset: bool = False
    """The user's access changed: drop every cached record and pull again from 0."""
    scope: int = 0
    """The user's scope stamp (changes when their role or schools change). A client sends
    it back as `scope` with its next request; a stamp that no longer matches gets `reset`."""


class OperationTarget(WireModel):
    """The record an operation is about, with the version the user saw.

    Version 0 names a record the operation creates (under the client's id); None a
    record an earlier operation of the same client creates, whatever its version now.
    """

    type: EntityType
    id: StorableText = Field(min_length=1, max_length=MAX_ID_LENGTH)
    version: int | None = Field(ge=0, le=MAX_VERSION)


class Operation(WireModel):
    op_id: StorableText = Field(min_length=1, max_length=MAX_ID_LENGTH)
    kind: StorableText = Field(min_length=1, max_length=MAX_KIND_LENGTH)
    target: OperationTarget
    params: dict[str, Any] = Field(default_factory=dict)
    also: list[OperationTarget] = Field(default_factory=list, max_length=MAX_RELATED_TARGETS)
    """Other records the operation changes or needs, each with the version the user saw
    (None: it must exist, whatever its version). The server locks and checks them all
    in the operation's one transaction."""

    @field_validator("params")
    @classmethod
    def _params_fit(cls, params: dict[str, Any]) -> dict[str, Any]:
        _storable_json(params)
        size = len(encode_body(params))
        if size > MAX_PARAMS_BYTES:
            raise ValueError(f"params may take at most {MAX_PARAMS_BYTES} bytes as JSON, these take {size}")
        return params


class OperationsRequest(WireModel):
    operations: list[Operation] = Field(max_length=MAX_OPERATIONS_PER_REQUEST)


class OperationResult(WireModel):
    op_id: str
    status: OperationStatus
    message: str = ""
    records: list[Change] = Field(default_factory=list)


class OperationsResponse(WireModel):
    results: list[OperationResult]


class AuditEntry(WireModel):
    id: int
    at: dt.datetime
    user_id: str
    op_id: str
    kind: OperationKind
    target_type: EntityType
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditPage(WireModel):
    entries: list[AuditEntry]
    next_after: int
    has_more: bool


# -- the SIS sync endpoints (`/sync/...`) --------------------------------------------


class SyncRunRequest(WireModel):
    approve_archives: bool = False


class SyncDiagnostic(WireModel):
    severity: str
    code: str
    message: str
    hint: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None
    group: str = ""  # the finding for many rows at once, with {count} (see rostering.diagnostics)


class SyncRunResult(WireModel):
    """The finished run (as on the changes feed) and the source's diagnostics."""

    run: Change
    diagnostics: list[SyncDiagnostic] = Field(default_factory=list)


class SyncArchiveItem(WireModel):
    type: str
    id: str
    source_id: str
    label: str


class SyncArchivePage(WireModel):
    run_id: str
    archived: bool = Field(description="true: these were archived; false: the run was held and only tried")
    total: int
    offset: int
    limit: int
    has_more: bool
    items: list[SyncArchiveItem]


class SyncTypePreview(WireModel):
    """What a sync does (or would do) to one entity type, and whether that type holds the run.

    The one shape of a type's plan: the server's preview (`POST /sync/preview`), the
    desktop's offline preview and the plan a run recorded (`counts[type]["planned"]` of a
    sync_run; runs recorded before it have none).
    """

    create: int
    update: int
    archive: int
    unchanged: int
    managed: int = Field(description="sync-managed records not archived: the threshold's base")
    threshold: float = Field(description="the deletion threshold in % of `managed`")
    archive_percent: float = Field(description="`archive` in % of `managed`, rounded to 2 places")
    paused: bool
    in_source: bool = Field(description="false: the source has no file or endpoint for this type")
    held: bool = Field(description="more than `threshold` % would be archived (`rostering.plan`)")
    moved_with_parent: int = Field(
        0, description="links or enrollments moved with their student or classroom's school, beyond `update`"
    )
    removed_with_parent: int = Field(
        0, description="family links removed with their contact, beyond `archive` (not in the threshold)"
    )


class SyncRunTypeCounts(WireModel):
    """One type's entry in a sync run's `counts`: what the run did, and what it planned.

    A school admin receives their schools' sums of the four counts only (no `planned`:
    its numbers are the district's). Runs recorded before `planned` existed lack it.
    """

    created: int = 0
    updated: int = 0
    archived: int = 0
    tried_to_archive: int = Field(default=0, description="held run: what it would have archived")
    skipped: int | None = Field(default=None, description="changes referring to records not in Connect")
    planned: SyncTypePreview | None = Field(
        default=None, description="the plan the run applied: the numbers its threshold verdict used"
    )


class SyncPreview(WireModel):
    ok: bool
    message: str
    held: bool
    held_types: list[str]
    paused_all: bool
    types: dict[str, SyncTypePreview]
    diagnostics: list[SyncDiagnostic]


def encode_value(value: Any) -> Any:
    """A column value as it travels in JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
