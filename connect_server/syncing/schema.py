"""Wire shapes of the sync endpoints (candidates for `connect_desktop.api.schema`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from connect_desktop.api.schema import Change


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(_Wire):
    approve_archives: bool = False


class DiagnosticOut(_Wire):
    severity: str
    code: str
    message: str
    hint: str = ""
    file: str | None = None
    row: int | None = None
    column: str | None = None


class RunResult(_Wire):
    """The finished run (as on the changes feed) and the source's diagnostics."""

    run: Change
    diagnostics: list[DiagnosticOut] = Field(default_factory=list)


class ArchiveItemOut(_Wire):
    type: str
    id: str
    source_id: str
    label: str


class ArchivePageOut(_Wire):
    run_id: str
    archived: bool = Field(description="true: these were archived; false: the run was held and only tried")
    total: int
    offset: int
    limit: int
    has_more: bool
    items: list[ArchiveItemOut]


class TypePreviewOut(_Wire):
    create: int
    update: int
    archive: int
    unchanged: int
    managed: int
    threshold: float
    archive_percent: float
    paused: bool
    in_source: bool
    held: bool


class PreviewOut(_Wire):
    ok: bool
    message: str
    held: bool
    held_types: list[str]
    paused_all: bool
    types: dict[str, TypePreviewOut]
    diagnostics: list[DiagnosticOut]
