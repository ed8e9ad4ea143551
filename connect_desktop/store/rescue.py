"""The way out of a damaged cache that keeps the staged changes.

`rescue` reads what it can of the outbox (see `salvage`), saves it to a JSON file,
sets the damaged file aside under a new name (never deletes it), makes a new cache and
stages the saved changes in it again, so the next sync downloads the rest and sends them.
`restore` stages the changes of such a file again later (the same file may be restored
twice: an op_id already there is left alone). Rows come back as they were, with their
op_ids: the server applies an op_id once and keeps its first result, so a change that was
in flight (`sending`) is safely sent again.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import REVIEW, OperationKind
from connect_desktop.errors import KnownError
from connect_desktop.store.db import Cache, open_cache, plain_errors
from connect_desktop.store.errors import CacheDamagedError, CacheError, CacheTooNewError
from connect_desktop.store.models import Account, PendingOperation
from connect_desktop.store.salvage import STATE_RANK, Salvage, salvage

log = logging.getLogger(__name__)

FORMAT = "connect-desktop-staged-changes"
FORMAT_VERSION = 1
UNSENT = REVIEW
"""States of changes the user still has to send or review (the rest is history)."""
SIDE_FILES = ("-wal", "-shm", "-journal")


class RescueFileError(KnownError):
    """A file given to restore that cannot be used; `user_message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


@dataclass(frozen=True)
class Owner:
    """Whose cache it is (the changes of one account are never staged into another's)."""

    server_url: str
    user_id: str
    email: str


@dataclass(frozen=True)
class Restored:
    added: int
    already: int
    """Already in the cache (restored before, or sent since)."""
    unusable: int
    """Not staged again: a change this version does not know, or one too damaged to use."""


@dataclass(frozen=True)
class Rescued:
    """What a rescue did, in words for the user (`message`)."""

    reason: str
    saved_to: Path | None
    """None when no change could be read (no file is written then)."""
    set_aside: Path
    unsent: int
    history: int
    restored: Restored | None
    restore_problem: CacheError | None = None
    partly_read: bool = False

    @property
    def message(self) -> str:
        lines = [f"The local copy of your account was {self.reason}."]
        if self.saved_to is None:
            lines.append("No staged changes could be read from it.")
        else:
            unsent = _count(self.unsent, "staged change not sent yet", "staged changes not sent yet")
            history = (
                f" and {_count(self.history, 'earlier change', 'earlier changes')}" if self.history else ""
            )
            they = "it is" if self.unsent + self.history == 1 else "they are"
            lines.append(f"{unsent}{history} could be read; {they} saved in {self.saved_to}.")
            if self.partly_read:
                lines.append(
                    "Parts of the file could not be read: check your staged changes before sending them."
                )
        lines.append(f"The damaged file was set aside as {self.set_aside.name} (nothing was deleted).")
        if self.restored is not None and self.saved_to is None:
            lines.append("A new local copy was made.")
        elif self.restored is not None:
            lines.append(restored_words(self.restored, " in a new local copy"))
        elif self.restore_problem is not None:
            lines.append(
                f"They could not be staged again yet: {self.restore_problem.user_message} "
                f"Then run `connect-desktop rescue --restore {self.saved_to}`."
            )
        return " ".join(lines)


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n:,} {many}"


def restored_words(restored: Restored, where: str = "") -> str:
    """What staging saved changes again did (`where`: e.g. " in a new local copy")."""
    if not (restored.added or restored.already or restored.unusable):
        return "There were no changes to stage again."
    words = f"{_count(restored.added, 'change is', 'changes are')} staged again{where}."
    if restored.already:
        words += f" {_count(restored.already, 'was', 'were')} there already."
    if restored.unusable:
        words += (
            f" {_count(restored.unusable, 'change', 'changes')} could not be staged again "
            "(made by a newer version, or too damaged); they stay in the saved file."
        )
    return words


class NothingToRescue(KnownError):  # noqa: N818 - an outcome, not a failure
    """The cache opens and reads well (or there is none): there is nothing to rescue."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def needs_rescue(path: Path) -> CacheError | None:
    """Why the cache at `path` cannot be used as it is (damaged, empty, foreign, newer), or None.

    Every page is read (PRAGMA quick_check). Problems a rescue cannot solve (a full or
    read-only disk, a cache in use) are raised.
    """
    if not path.exists():
        return None
    try:
        open_cache(path, thorough=True).close()
    except (CacheDamagedError, CacheTooNewError) as problem:
        return problem
    return None


def rescue(path: Path, owner: Owner, to: Path | None = None, *, problem: CacheError | None = None) -> Rescued:
    """Save the staged changes of the damaged cache at `path`, set it aside, start a new one.

    `problem`: what `needs_rescue` found, when it was asked already. Raises
    NothingToRescue for a cache that is fine, and a CacheError when the changes cannot be
    saved (then nothing was changed).
    """
    if not path.exists():
        raise NothingToRescue("There is no local copy of your account on this computer: nothing to rescue.")
    problem = problem or needs_rescue(path)
    if problem is None:
        raise NothingToRescue("The local copy of your account is not damaged: nothing needed rescuing.")
    found = salvage(path)
    target = _target(to, path) if found.operations else None
    if target is not None:
        write_export(target, owner, found, source=path.name)
    aside = set_aside(path)
    unsent = sum(1 for op in found.operations if op.get("state") in UNSENT)
    result = Rescued(
        reason=_reason(problem),
        saved_to=target,
        set_aside=aside,
        unsent=unsent,
        history=len(found.operations) - unsent,
        restored=None,
        partly_read=found.scanned,
    )
    try:
        with open_cache(path) as cache:
            document = read_export(target) if target is not None else _document(owner, found, path.name)
            restored = restore(cache, owner, document)
    except CacheError as exc:
        log.warning("rescued changes not staged again yet (%s)", type(exc).__name__)
        return replace(result, restore_problem=exc)
    log.info("rescued %d operation(s); the damaged cache is set aside", len(found.operations))
    return replace(result, restored=restored)


def _reason(problem: CacheError) -> str:
    if isinstance(problem, CacheTooNewError):
        return "made by a newer version of Connect Desktop"
    text = problem.user_message
    if "empty file" in text:
        return "an empty file"
    if "another program" in text:
        return "another program's file"
    return "damaged"


def _target(to: Path | None, path: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y-%m-%d-%H%M%S")
    name = f"staged-changes-{stamp}.json"
    if to is None:
        return path.parent / name
    to = to.expanduser()
    return to / name if to.is_dir() else to


# -- the saved file ------------------------------------------------------------------------


def write_export(target: Path, owner: Owner, found: Salvage, *, source: str) -> None:
    """Write the saved changes to `target` at once (a temporary file renamed), owner-only."""
    text = json.dumps(_document(owner, found, source), indent=2, ensure_ascii=False)
    temporary = target.with_name(f".{target.name}.tmp")
    with plain_errors(target):
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(target)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
            raise


def _document(owner: Owner, found: Salvage, source: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "server_url": owner.server_url,
        "user_id": owner.user_id,
        "email": owner.email,
        "from_file": source,
        "complete": found.complete,
        "account": _plain_row(found.account) if found.account else None,
        "operations": [_plain_row(op) for op in found.operations],
    }


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if key in ("params", "school_ids") and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        plain[key] = value
    return plain


def read_export(file: Path) -> dict[str, Any]:
    """The saved changes in `file`; RescueFileError when it is not such a file."""
    try:
        document = json.loads(file.expanduser().read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RescueFileError(f"There is no file {file}.") from None
    except OSError as exc:
        raise RescueFileError(f"The file {file} cannot be read ({exc.strerror or 'not text'}).") from None
    except UnicodeDecodeError:
        raise RescueFileError(f"The file {file} cannot be read (not text).") from None
    except ValueError:
        raise RescueFileError(_not_ours(file)) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RescueFileError(_not_ours(file))
    if not isinstance(document.get("operations"), list):
        raise RescueFileError(_not_ours(file))
    return document


def _not_ours(file: Path) -> str:
    return (
        f"The file {file} is not a file of staged changes saved by Connect Desktop "
        "(`connect-desktop rescue` writes those)."
    )


# -- staging them again ----------------------------------------------------------------------


def restore(cache: Cache, owner: Owner, document: dict[str, Any]) -> Restored:
    """Stage the saved changes of `document` (from `read_export`) in `cache` again, in one go."""
    if (document.get("server_url"), document.get("user_id")) != (owner.server_url, owner.user_id):
        raise RescueFileError(
            f"These staged changes belong to {document.get('email') or 'another account'} on "
            f"{document.get('server_url') or 'another server'}, not to {owner.email} on "
            f"{owner.server_url}. Sign in to that account first, then restore them."
        )
    rows = [row for row in (_operation(op) for op in document["operations"]) if row is not None]
    unusable = len(document["operations"]) - len(rows)
    with cache.sessions.begin() as session:
        ids = [row["op_id"] for row in rows]
        present: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            present.update(
                session.scalars(select(PendingOperation.op_id).where(PendingOperation.op_id.in_(chunk)))
            )
        new = [row for row in _unique(rows) if row["op_id"] not in present]
        if new:
            session.execute(insert(PendingOperation), new)
        account = _account(document.get("account"), owner)
        if account is not None and session.get(Account, 1) is None:
            session.add(Account(**account))
    log.info("restored %d operation(s) (%d there already, %d unusable)", len(new), len(present), unusable)
    return Restored(added=len(new), already=len(rows) - len(new), unusable=unusable)


def _unique(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({row["op_id"]: row for row in rows}.values())


def _operation(op: Any) -> dict[str, Any] | None:
    """A saved change as a `pending_operation` row, or None when this build cannot use it."""
    if not isinstance(op, dict):
        return None
    try:
        kind = OperationKind(op["kind"]).value
        target_type = EntityType(op["target_type"]).value
        params = op.get("params") or {}
        if isinstance(params, str):
            params = json.loads(params)
        if not isinstance(params, dict) or op.get("state") not in STATE_RANK:
            return None
        return {
            "op_id": str(op["op_id"]),
            "kind": kind,
            "target_type": target_type,
            "target_id": str(op["target_id"]),
            "base_version": int(op["base_version"]),
            "params": params,
            "step": str(op.get("step") or "rescued"),
            "batch": op.get("batch"),
            "created_at": _when(op.get("created_at")) or dt.datetime.now(dt.UTC).replace(tzinfo=None),
            "state": op["state"],
            "sent_at": _when(op.get("sent_at")),
            "result_message": op.get("result_message"),
        }
    except (KeyError, TypeError, ValueError):
        return None


def _when(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _account(row: Any, owner: Owner) -> dict[str, Any] | None:
    if not isinstance(row, dict) or row.get("user_id") != owner.user_id:
        return None
    school_ids = row.get("school_ids")
    return {
        "id": 1,
        "server_url": owner.server_url,
        "user_id": owner.user_id,
        "email": str(row.get("email") or owner.email),
        "role": str(row.get("role") or ""),
        "school_ids": school_ids if isinstance(school_ids, list) else [],
        "display_name": str(row.get("display_name") or ""),
    }


# -- setting the damaged file aside ----------------------------------------------------------


def set_aside(path: Path) -> Path:
    """Rename the cache and its side files to `<name>.damaged-<time>`; the new name.

    The WAL goes first: a WAL left under the old name would be applied to the new cache.
    """
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{n}")
    with plain_errors(path):
        for suffix in SIDE_FILES:
            side = Path(f"{path}{suffix}")
            if side.exists():
                side.rename(f"{aside}{suffix}")
        path.rename(aside)
    log.info("damaged cache set aside")
    return aside
