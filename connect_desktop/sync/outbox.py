"""The outbox: staging, discarding and retrying operations on this computer.

Every staged change is a `pending_operation` row with a fresh op_id (uuid4) and the
version of the target the user saw. States: `pending` → `sending` → `applied` |
`conflict` | `rejected`; the user may turn `pending`, `conflict` and `rejected` rows
into `discarded` (rows are kept, never deleted, so the history stays readable).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from connect_desktop.api.limits import MAX_PARAMS_BYTES, encode_body
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import TARGET_TYPE, OperationKind
from connect_desktop.store.db import Cache
from connect_desktop.store.models import ENTITY_MODELS, PendingOperation

log = logging.getLogger(__name__)

DISCARDABLE: tuple[str, ...] = ("pending", "conflict", "rejected")
RETRYABLE: tuple[str, ...] = ("conflict", "rejected")


class StagingError(Exception):
    """A change that cannot be staged; `user_message` says why in plain words."""

    user_message = "This change cannot be prepared."

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class UnknownKindError(StagingError):
    pass


class WrongTargetError(StagingError):
    pass


class RecordNotFoundError(StagingError):
    pass


class NotDiscardableError(StagingError):
    pass


@dataclass(frozen=True)
class StageItem:
    """One change to stage: what to do, to which record, with which parameters."""

    kind: str
    target_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    target_type: str | None = None
    """Optional; must match the kind's target type when given."""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _check_kind(kind: str, target_type: str | None) -> tuple[OperationKind, EntityType]:
    try:
        op_kind = OperationKind(kind)
    except ValueError:
        raise UnknownKindError(f"'{kind}' is not a change this program knows.") from None
    expected = TARGET_TYPE[op_kind]
    if target_type is not None and target_type != expected.value:
        raise WrongTargetError(f"'{kind}' applies to a {expected.value}, not to a {target_type}.")
    return op_kind, expected


def _check_params(params: Mapping[str, Any]) -> None:
    """Refuse now what the server would refuse when sent (it bounds `params` too)."""
    if params and len(encode_body(dict(params))) > MAX_PARAMS_BYTES:
        raise StagingError(f"The details of this change are too large (at most {MAX_PARAMS_BYTES:,} bytes).")


def _current_version(session: Session, entity: EntityType, target_id: str) -> int:
    model = ENTITY_MODELS[entity]
    version = session.execute(
        text(f"SELECT version FROM {model.__tablename__} WHERE id = :id"), {"id": target_id}
    ).scalar_one_or_none()
    if version is None:
        raise RecordNotFoundError(
            f"The {entity.value.replace('_', ' ')} {target_id} is not in the local copy. "
            "Download the latest data and try again."
        )
    return int(version)


CHUNK = 500
"""Records looked up per query when staging in bulk (below SQLite's parameter limit)."""


def _lookup(
    session: Session, targets: list[tuple[EntityType, str]]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], str]]:
    """Cached versions of `targets`, and op_ids of operations already pending on them."""
    versions: dict[tuple[str, str], int] = {}
    by_type: dict[EntityType, list[str]] = {}
    for entity, target_id in targets:
        by_type.setdefault(entity, []).append(target_id)
    pending: dict[tuple[str, str, str], str] = {}
    for entity, ids in by_type.items():
        table = ENTITY_MODELS[entity].__table__
        found = session.execute(select(table.c.id, table.c.version).where(table.c.id.in_(ids)))
        versions.update({(entity.value, i): int(v) for i, v in found})
        staged = session.execute(
            select(PendingOperation.target_id, PendingOperation.kind, PendingOperation.op_id).where(
                PendingOperation.target_type == entity.value,
                PendingOperation.target_id.in_(ids),
                PendingOperation.state == "pending",
            )
        )
        pending.update({(entity.value, t, k): o for t, k, o in staged})
    return versions, pending


class Outbox:
    """Stages and manages operations in one cache."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def stage(
        self,
        kind: str,
        target_type: str | None,
        target_id: str,
        params: Mapping[str, Any] | None = None,
        *,
        step: str,
        batch: str | None = None,
    ) -> str:
        """Stage one operation; returns its op_id (the existing one if it is already staged)."""
        item = StageItem(kind, target_id, dict(params or {}), target_type)
        return self.stage_many([item], step=step, batch=batch)[0]

    def stage_many(self, items: Iterable[StageItem], *, step: str, batch: str | None = None) -> list[str]:
        """Stage several operations in one transaction (all or none), in bulk.

        A kind already pending on the same record (without parameters) is not staged
        twice: its existing op_id is returned.
        """
        checked = [(item, *_check_kind(item.kind, item.target_type)) for item in items]
        for item, _kind, _entity in checked:
            _check_params(item.params)
        op_ids: list[str] = []
        with self.cache.sessions.begin() as session:
            rows: list[dict[str, Any]] = []
            for start in range(0, len(checked), CHUNK):
                part = checked[start : start + CHUNK]
                versions, pending = _lookup(session, [(entity, item.target_id) for item, _, entity in part])
                created = now()
                for item, kind, entity in part:
                    version = versions.get((entity.value, item.target_id))
                    if version is None:
                        _current_version(session, entity, item.target_id)  # raises RecordNotFoundError
                    existing = pending.get((entity.value, item.target_id, kind.value))
                    if existing is not None and not item.params:
                        op_ids.append(existing)
                        continue
                    op_id = str(uuid.uuid4())
                    pending[(entity.value, item.target_id, kind.value)] = op_id
                    rows.append(
                        {
                            "op_id": op_id,
                            "kind": kind.value,
                            "target_type": entity.value,
                            "target_id": item.target_id,
                            "base_version": version,
                            "params": dict(item.params),
                            "step": step,
                            "batch": batch,
                            "created_at": created,
                            "state": "pending",
                        }
                    )
                    op_ids.append(op_id)
            if rows:
                session.execute(insert(PendingOperation), rows)
        log.info("staged %d operation(s) for step %s", len(op_ids), step)
        return op_ids

    def discard(self, op_ids: Sequence[str]) -> int:
        """Take operations out (pending, conflict or rejected ones); returns how many."""
        with self.cache.sessions.begin() as session:
            found = session.execute(
                select(PendingOperation.op_id, PendingOperation.state).where(
                    PendingOperation.op_id.in_(list(op_ids))
                )
            )
            states = {op_id: state for op_id, state in found}
            missing = [o for o in op_ids if o not in states]
            if missing:
                raise NotDiscardableError(f"No staged change has the id {missing[0]}.")
            blocked = [o for o, s in states.items() if s not in DISCARDABLE and s != "discarded"]
            if blocked:
                raise NotDiscardableError(
                    f"The change {blocked[0]} was already sent ({states[blocked[0]]}) "
                    "and cannot be taken out."
                )
            result = session.execute(
                update(PendingOperation)
                .where(PendingOperation.op_id.in_(list(op_ids)), PendingOperation.state.in_(DISCARDABLE))
                .values(state="discarded")
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]
        log.info("discarded %d operation(s)", count)
        return count

    def discard_all(self, step: str | None = None) -> int:
        """Discard every pending, conflicting and rejected operation (of one step, if given)."""
        with self.cache.sessions.begin() as session:
            statement = update(PendingOperation).where(PendingOperation.state.in_(DISCARDABLE))
            if step is not None:
                statement = statement.where(PendingOperation.step == step)
            result = session.execute(statement.values(state="discarded"))
        count = int(result.rowcount)  # type: ignore[attr-defined]
        log.info("discarded %d operation(s)", count)
        return count

    def retry(self, op_id: str) -> str:
        """Stage a conflicting or rejected operation again against the record as cached now.

        The server keeps the first result of an op_id forever, so a retry is a new row
        with a new op_id; the old row becomes `discarded`.
        """
        with self.cache.sessions.begin() as session:
            old = session.get(PendingOperation, op_id)
            if old is None or old.state not in RETRYABLE:
                raise NotDiscardableError(f"The change {op_id} has no conflict or rejection to retry.")
            _, entity = _check_kind(old.kind, old.target_type)
            version = _current_version(session, entity, old.target_id)
            new_id = str(uuid.uuid4())
            session.add(
                PendingOperation(
                    op_id=new_id,
                    kind=old.kind,
                    target_type=old.target_type,
                    target_id=old.target_id,
                    base_version=version,
                    params=dict(old.params or {}),
                    step=old.step,
                    batch=old.batch,
                    created_at=now(),
                    state="pending",
                )
            )
            old.state = "discarded"
        log.info("retrying operation %s as %s", op_id, new_id)
        return new_id
