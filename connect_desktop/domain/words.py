"""The words shown for stored codes: one phrase per operation kind, outbox state, sync run
status and entity type, so the workbook, the screens and the command line say the same thing.

Every phrase starts with a capital (a table cell or a heading); put it in a sentence with
`lower_first`. Codes nobody gave a phrase to fall back to the humanised code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from connect_desktop.domain.changes import DELETE_KINDS
from connect_desktop.domain.entities import EntityType, SyncRunStatus
from connect_desktop.domain.operations import TARGET_TYPE, UNMERGE_DAYS, OperationKind, OutboxState

KIND_TEXT: dict[str, str] = {
    OperationKind.ARCHIVE_CLASSROOM: "Archive classroom",
    OperationKind.UNARCHIVE_CLASSROOM: "Unarchive classroom",
    # "Revoke", not "Remove": the staff list then says "Access: Revoked", the same word.
    OperationKind.REVOKE_STAFF_ACCESS: "Revoke staff access",
    OperationKind.RESTORE_STAFF_ACCESS: "Restore staff access",
    OperationKind.ARCHIVE_STUDENT: "Archive student",
    OperationKind.UNARCHIVE_STUDENT: "Unarchive student",
    # The only change that cannot be undone: say so wherever it is listed.
    OperationKind.DELETE_STUDENT: "Delete student (permanent)",
    OperationKind.UPDATE_SYNC_SETTINGS: "Change sync settings",
    OperationKind.UPDATE_STUDENT: "Change student details",
    OperationKind.CREATE_CONTACT: "Add family contact",
    OperationKind.LINK_CONTACT: "Link family contact to student",
    OperationKind.MERGE_STUDENTS: "Merge duplicate students",
    OperationKind.UNMERGE_STUDENTS: "Undo a merge of students",
}
"""What each staged change does, as a short command."""

DONE_TEXT: dict[str, str] = {
    OperationKind.ARCHIVE_CLASSROOM: "archived",
    OperationKind.UNARCHIVE_CLASSROOM: "restored",
    OperationKind.REVOKE_STAFF_ACCESS: "lost access",
    OperationKind.RESTORE_STAFF_ACCESS: "got access back",
    OperationKind.ARCHIVE_STUDENT: "archived",
    OperationKind.UNARCHIVE_STUDENT: "restored",
    OperationKind.DELETE_STUDENT: "deleted for good",
    OperationKind.UPDATE_STUDENT: "changed",
    OperationKind.CREATE_CONTACT: "added",
    OperationKind.LINK_CONTACT: "added",
    OperationKind.MERGE_STUDENTS: "merged",
    OperationKind.UNMERGE_STUDENTS: "split again",
}
"""What an applied change of each kind did, after its count ("4 classrooms archived")."""

RESTORABLE_TEXT: dict[str, str] = {
    OperationKind.ARCHIVE_CLASSROOM: "archived classrooms",
    OperationKind.REVOKE_STAFF_ACCESS: "revoked staff access",
    OperationKind.ARCHIVE_STUDENT: "archived students",
    OperationKind.MERGE_STUDENTS: f"merged students (for {UNMERGE_DAYS} days)",
}
"""What a sent change of each undoable kind is, as a plural inside "… can be restored later"."""

STATE_TEXT: dict[str, str] = {
    # A fact in the workbook as on screen, and the words of the reports' "N not yet sent".
    OutboxState.PENDING: "Not yet sent",
    # A send was interrupted before the answer came back; the next send asks again.
    OutboxState.SENDING: "Sent, awaiting answer",
    OutboxState.APPLIED: "Applied",
    OutboxState.CONFLICT: "Conflict: changed on the server",
    OutboxState.REJECTED: "Rejected by the server",
    # The review page's button is "Discard", so the state is "Discarded".
    OutboxState.DISCARDED: "Discarded",
}
"""Where a staged change is on its way to the server."""

INACTIVE_TEXT: dict[str, str] = {
    EntityType.STAFF: "without access",
    EntityType.STUDENT: "archived",
    EntityType.CLASSROOM: "archived",
}
"""What records still there but out of use are, after their count ("12 archived")."""

KEPT_TEXT = "kept for later"
"""A staged change the user unchecked in Review: no send takes it until they check it again."""

RUN_STATUS_TEXT: dict[str, str] = {
    SyncRunStatus.RUNNING: "Running",
    SyncRunStatus.SUCCEEDED: "Succeeded",
    SyncRunStatus.FAILED_THRESHOLD: "Held at the deletion threshold, nothing archived",
    SyncRunStatus.SKIPPED_PAUSED: "Skipped: the sync is paused",
    SyncRunStatus.FAILED: "Failed",
}
"""How one SIS sync run ended."""

NOUNS: dict[str, tuple[str, str]] = {
    EntityType.SCHOOL: ("school", "schools"),
    EntityType.TERM: ("term", "terms"),
    EntityType.STAFF: ("staff member", "staff"),
    EntityType.STUDENT: ("student", "students"),
    # "Family", so a contact is not read as any address-book entry.
    EntityType.CONTACT: ("family contact", "family contacts"),
    EntityType.STUDENT_CONTACT: ("family link", "family links"),
    EntityType.CLASSROOM: ("classroom", "classrooms"),
    EntityType.ENROLLMENT: ("enrollment", "enrollments"),
    EntityType.MESSAGE_STAT: ("message statistic", "message statistics"),
    EntityType.SYNC_SETTINGS: ("sync settings", "sync settings"),
    EntityType.SYNC_RUN: ("sync run", "sync runs"),
}
"""Each entity type as (one, many), lower case for use inside a sentence."""


def humanise(code: str) -> str:
    """'tried_to_archive' -> 'Tried to archive' (for codes without a phrase)."""
    return code.replace("_", " ").capitalize()


def lower_first(text: str) -> str:
    """'Not yet sent' -> 'not yet sent', for a phrase inside a sentence."""
    return text[:1].lower() + text[1:]


def kind_text(kind: str) -> str:
    """'revoke_staff_access' -> 'Revoke staff access'."""
    return KIND_TEXT.get(kind, humanise(kind))


def state_text(state: str) -> str:
    """'pending' -> 'Not yet sent'."""
    return STATE_TEXT.get(state, humanise(state))


def run_status_text(status: str) -> str:
    """'failed_threshold' -> 'Held at the deletion threshold, nothing archived'."""
    return RUN_STATUS_TEXT.get(status, humanise(status))


def noun(entity: str, count: int = 2) -> str:
    """'contact', 1 -> 'family contact'; 'contact', 0 or 2 -> 'family contacts'."""
    one, many = NOUNS.get(entity) or (humanise(entity).lower(),) * 2
    return one if count == 1 else many


SOURCE_KIND_TEXT: dict[str, str] = {
    "oneroster-csv": "OneRoster export",
    "oneroster-rest": "OneRoster API",
    "classlink": "ClassLink",
    "clever-api": "Clever API",
    "clever-csv": "Clever export",
}
"""What each kind of sync source is, in the words of the SIS's own screens."""
_FILE_SOURCES = frozenset({"oneroster-csv", "clever-csv"})


def source_text(kind: str | None, label: str | None, last_read: dt.datetime | str | None = None) -> str:
    """ "OneRoster export (current.zip), last read 2026-06-20 04:00": a source as people
    know it, a file by its name (the label is its path), never a raw kind code."""
    what = SOURCE_KIND_TEXT.get(kind or "", humanise(kind or "sync source"))
    label = label or ""
    if kind in _FILE_SOURCES and label:
        label = label.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    text = what if not label or label == what else f"{what} ({label})"
    return f"{text}, last read {local_time(last_read)}" if last_read else text


def local_time(value: dt.datetime | str | None) -> str:
    """A stored time (UTC: naive, aware or ISO text) as this computer's local time,
    '2026-06-20 04:00'; "" for none. The server and the cache keep UTC; people read local."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def applied_text(kinds: Mapping[str, int]) -> str:
    """What applied changes did, kind by kind, so undoing is never counted as doing:
    "4 classrooms archived, 1 classroom restored" ("" when none)."""
    parts: list[str] = []
    other = 0
    for kind, count in sorted(kinds.items(), key=lambda item: (item[0] not in DONE_TEXT, item[0])):
        if count <= 0:
            continue
        if kind in DONE_TEXT:
            parts.append(f"{counted(TARGET_TYPE[OperationKind(kind)], count)} {DONE_TEXT[kind]}")
        else:
            other += count
    if other:
        parts.append(changes_text(other, "other change"))
    return ", ".join(parts)


def decision_text(count: int) -> str:
    """1 -> '1 change needs your decision'; 3 -> '3 changes need your decision'."""
    return f"{changes_text(count)} {'needs' if count == 1 else 'need'} your decision"


def changes_text(count: int, what: str = "change") -> str:
    """1 -> '1 change'; 1200 -> '1,200 changes' ('conflicting change', 'unchecked change' …)."""
    return f"{count:,} {what}{'' if count == 1 else 's'}"


def counted(entity: str, count: int) -> str:
    """'student', 1200 -> '1,200 students'."""
    return f"{count:,} {noun(entity, count)}"


def permanent_warning(kinds: Mapping[str, int]) -> str | None:
    """What a send of these changes (kind → how many) does for good, e.g. "3 students will be
    deleted for good; this cannot be undone." (None when nothing in it is permanent)."""
    parts = [
        f"{counted(TARGET_TYPE[OperationKind(kind)], count)} will be deleted for good"
        for kind, count in sorted(kinds.items())
        if kind in DELETE_KINDS and count > 0
    ]
    return "; ".join(parts) + "; this cannot be undone." if parts else None


def restorable_note(kinds: Mapping[str, int]) -> str:
    """Which of these changes (kind → how many) can be restored after sending, as a sentence
    ("Archived students can be restored later."); empty when none can."""
    found = [RESTORABLE_TEXT[kind] for kind in sorted(kinds) if kind in RESTORABLE_TEXT and kinds[kind] > 0]
    if not found:
        return ""
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    return f"{listed[:1].upper()}{listed[1:]} can be restored later."


MOVED_WITH_TEXT: dict[str, str] = {
    "student_contact": "move with their student to a new school",
    "enrollment": "move with their classroom to a new school",
}
"""Why a sync updates links or enrollments it does not list (`rostering.follow_on`)."""
REMOVED_WITH_TEXT: dict[str, str] = {"student_contact": "go with the family contacts they belong to"}
"""Why a sync removes family links it does not list (`rostering.follow_on`)."""
REMOVED_WITH_NOTE = "links of archived students, or added by hand; they do not count toward the threshold"


def follow_on_text(moved: Mapping[str, int], removed: Mapping[str, int]) -> str:
    """What a sync writes beyond its listed changes, type by type: "Beyond the records listed,
    the run also updates 114 family links: they move with their student to a new school."
    ("" when nothing)."""
    parts = [
        f"updates {counted(type_, count)}: they {MOVED_WITH_TEXT.get(type_, 'follow other changes')}"
        for type_, count in moved.items()
        if count > 0
    ]
    parts += [
        f"removes {counted(type_, count)}: they {REMOVED_WITH_TEXT.get(type_, 'go with other records')} "
        f"({REMOVED_WITH_NOTE})"
        for type_, count in removed.items()
        if count > 0
    ]
    return f"Beyond the records listed, the run also {'; and '.join(parts)}." if parts else ""


def follow_on_more(kind: str, type_: str, count: int) -> str:
    """The tail of a list's title for the records a sync writes along with the listed ones:
    ", and 114 more that move with their student to a new school (not listed one by one)"."""
    why = (MOVED_WITH_TEXT if kind == "update" else REMOVED_WITH_TEXT).get(type_, "follow other changes")
    return f", and {count:,} more that {why} (not listed one by one)" if count else ""
