"""The outbox: staging, discarding and retrying operations on this computer.

Every staged change is a `pending_operation` row with a fresh op_id (uuid4) and the
version of the target the user saw, plus one `staged_change` row per record it
creates, updates or deletes (`domain.changes`), written in the same transaction. States
(`OutboxState`): pending → sending → applied | conflict | rejected; the user may turn
pending, conflict and rejected rows into discarded (rows are kept, never deleted, so
the history stays readable).

A record created by a staged operation has an id generated here, so later staged
operations can refer to it before anything is sent; operations on such a record carry
no base version (None) until the create is applied and push rebases them.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, func, insert, literal, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from connect_desktop.api.limits import MAX_PARAMS_BYTES, encode_body
from connect_desktop.domain.changes import (
    CREATE_KINDS,
    MERGE_KINDS,
    REFERRING_KINDS,
    Action,
    ParamsError,
    changes,
    check_params,
    references,
)
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import (
    DISCARDABLE,
    RETRYABLE,
    STAGED,
    TARGET_TYPE,
    OperationKind,
    OutboxState,
    sql_in,
)
from connect_desktop.domain.words import kind_text
from connect_desktop.errors import KnownError
from connect_desktop.rollover.selection_sql import id_set
from connect_desktop.store.db import Cache
from connect_desktop.store.effective import effective_record
from connect_desktop.store.models import ENTITY_MODELS, CacheBase, PendingOperation, StagedChange

if TYPE_CHECKING:
    from connect_desktop.rollover.plan import Plan, Selection

log = logging.getLogger(__name__)


class StagingError(KnownError):
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
    """One change to stage: what to do, to which record, with which parameters.

    A `PlannedOperation` (which also names its step) is staged the same way.
    """

    kind: str
    target_id: str
    params: Mapping[str, Any] = field(default_factory=dict)
    target_type: str | None = None
    """Optional; must match the kind's target type when given."""


def new_record_id() -> str:
    """An id for a record a staged operation creates (the server keeps it)."""
    return str(uuid.uuid4())


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


def _check_params(kind: OperationKind, params: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse now what the server would refuse when sent (it checks and bounds `params` too)."""
    try:
        checked = check_params(kind, params)
    except ParamsError as error:
        raise StagingError(str(error)) from None
    if checked and len(encode_body(checked)) > MAX_PARAMS_BYTES:
        raise StagingError(f"The details of this change are too large (at most {MAX_PARAMS_BYTES:,} bytes).")
    return checked


def _noun(entity: EntityType) -> str:
    return entity.value.replace("_", " ")


def _not_found(entity: EntityType, record_id: str) -> RecordNotFoundError:
    return RecordNotFoundError(
        f"The {_noun(entity)} {record_id} is not in the local copy. Download the latest data and try again."
    )


_STAGED_SQL = sql_in(STAGED)


def _created_by_staged(session: Session, entity: EntityType, record_id: str) -> bool:
    """Whether a pending (or sending) operation creates this record."""
    found = session.execute(
        text(
            "SELECT 1 FROM staged_change c JOIN pending_operation p ON p.op_id = c.op_id "
            "WHERE c.entity_type = :type AND c.entity_id = :id AND c.action = 'create' "
            f"AND p.state IN {_STAGED_SQL} LIMIT 1"
        ),
        {"type": entity.value, "id": record_id},
    ).first()
    return found is not None


def _current_version(session: Session, entity: EntityType, target_id: str) -> int | None:
    """The cached version; None for a record a staged operation creates; raises when neither."""
    model = ENTITY_MODELS[entity]
    version = session.execute(
        text(f"SELECT version FROM {model.__tablename__} WHERE id = :id"), {"id": target_id}
    ).scalar_one_or_none()
    if version is not None:
        return int(version)
    if _created_by_staged(session, entity, target_id):
        return None
    raise _not_found(entity, target_id)


def _check_new(session: Session, entity: EntityType, target_id: str) -> None:
    """A create needs an id no record (cached or staged) has."""
    model = ENTITY_MODELS[entity]
    cached = session.execute(
        text(f"SELECT 1 FROM {model.__tablename__} WHERE id = :id"), {"id": target_id}
    ).first()
    if cached is not None or _created_by_staged(session, entity, target_id):
        raise StagingError(f"A {_noun(entity)} with the id {target_id} exists already.")


def _check_references(session: Session, kind: OperationKind, params: Mapping[str, Any]) -> None:
    for ref in references(kind, params):
        if effective_record(session, ref.entity, ref.record_id) is None:
            raise RecordNotFoundError(
                f"The {ref.noun} {ref.record_id} is neither in the local copy nor staged to be created."
            )


def _with_seen_values(
    session: Session, kind: OperationKind, entity: EntityType, target_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    """An update remembers the values the user saw (effective state) for the fields it changes."""
    if kind not in _SEEN_KINDS or params.get("was") or not params["fields"]:
        return params
    current = effective_record(session, entity, target_id)
    if current is None:
        raise _not_found(entity, target_id)
    return {**params, "was": {name: current.get(name) for name in params["fields"]}}


_SEEN_KINDS = frozenset({OperationKind.UPDATE_STUDENT, OperationKind.MERGE_STUDENTS})

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
                PendingOperation.state == OutboxState.PENDING,
            )
        )
        pending.update({(entity.value, t, k): o for t, k, o in staged})
    return versions, pending


def _change_rows(
    op_id: str,
    kind: OperationKind,
    target_id: str,
    params: Mapping[str, Any],
    base_version: int | None,
    session: Session | None = None,
) -> list[dict[str, Any]]:
    """The `staged_change` rows of one operation.

    A record other than the target (the merged student of a merge) carries its own
    version, read with `session`; a deleted record (a student deleted for good, or merged
    away) keeps the names the user saw (`old`), so the change still reads with them once
    the record is gone.
    """
    rows = []
    for change in changes(kind, target_id, params):
        version = 0 if change.action is Action.CREATE else base_version
        old = change.old
        if change.record_id != target_id and change.action is not Action.CREATE and session is not None:
            version = _current_version(session, change.entity, change.record_id)
        if change.action is Action.DELETE and session is not None:
            seen = effective_record(session, change.entity, change.record_id) or {}
            old = {name: seen[name] for name in _SEEN_NAMES if name in seen}
        rows.append(
            {
                "op_id": op_id,
                "entity_type": change.entity.value,
                "entity_id": change.record_id,
                "action": change.action.value,
                "fields": change.fields,
                "old": old,
                "base_version": version,
            }
        )
    return rows


_SEEN_NAMES = ("first_name", "last_name", "student_number")


def _check_merge(session: Session, kind: OperationKind, target_id: str, params: Mapping[str, Any]) -> None:
    """Both students of a merge must be there as the user sees them (not removed by a staged change)."""
    if kind not in MERGE_KINDS:
        return
    merged_id = str(params["merged_id"])
    if merged_id == target_id:
        raise StagingError("A student cannot be merged with itself: choose two different records.")
    if effective_record(session, EntityType.STUDENT, target_id) is None:
        raise StagingError(
            "The student to keep is removed by a change already staged (a merge or a deletion). "
            "Send or discard that change first."
        )
    merged = effective_record(session, EntityType.STUDENT, merged_id)
    if kind is OperationKind.MERGE_STUDENTS and merged is None:
        raise StagingError(
            "The student to merge is already merged into another record, or removed, by a change "
            "staged or sent before. Send or discard that change first, or download the latest data."
        )


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

    def stage_many(
        self, items: Iterable[Any], *, step: str | None = None, batch: str | None = None
    ) -> list[str]:
        """Stage operations in one transaction (all or none); returns their op_ids in order.

        Each item has `kind`, `target_id`, `params` and optionally `target_type` and `step`
        (a `StageItem` or a planner's `PlannedOperation`); `step` is the default step. A kind
        already pending on the same record without parameters is not staged twice: its
        existing op_id is returned. Items are read in chunks, so a generator streams.
        """
        op_ids: list[str] = []
        with self.cache.sessions.begin() as session:
            iterator = iter(items)
            while True:
                part = [item for _, item in zip(range(CHUNK), iterator, strict=False)]
                if not part:
                    break
                op_ids += self._stage_chunk(session, part, step, batch)
        log.info("staged %d operation(s)", len(op_ids))
        return op_ids

    def _stage_chunk(
        self, session: Session, part: list[Any], default_step: str | None, batch: str | None
    ) -> list[str]:
        checked = []
        for item in part:
            kind, entity = _check_kind(str(item.kind), _text_or_none(getattr(item, "target_type", None)))
            step = getattr(item, "step", None) or default_step
            if step is None:
                raise StagingError("A change must name the step it belongs to.")
            checked.append((item, kind, entity, _check_params(kind, dict(item.params or {})), str(step)))
        versions, pending = _lookup(session, [(entity, item.target_id) for item, _, entity, _, _ in checked])
        created = now()
        rows: list[dict[str, Any]] = []
        change_rows: list[dict[str, Any]] = []
        op_ids: list[str] = []
        for item, kind, entity, params, step in checked:
            target_id = str(item.target_id)
            version: int | None
            if kind in CREATE_KINDS:
                _check_new(session, entity, target_id)
                version = 0
            else:
                version = versions.get((entity.value, target_id))
                if version is None:
                    version = _current_version(session, entity, target_id)
            _check_references(session, kind, params)
            _check_merge(session, kind, target_id, params)
            existing = pending.get((entity.value, target_id, kind.value))
            if existing is not None and not params:
                op_ids.append(existing)
                continue
            params = _with_seen_values(session, kind, entity, target_id, params)
            op_id = str(uuid.uuid4())
            pending[(entity.value, target_id, kind.value)] = op_id
            rows.append(
                {
                    "op_id": op_id,
                    "kind": kind.value,
                    "target_type": entity.value,
                    "target_id": target_id,
                    "base_version": version,
                    "params": params,
                    "step": step,
                    "batch": batch,
                    "created_at": created,
                    "state": OutboxState.PENDING.value,
                }
            )
            change_rows += _change_rows(op_id, kind, target_id, params, version, session)
            op_ids.append(op_id)
            if params:
                # Later items of this chunk may refer to this record or read its new values.
                session.execute(insert(PendingOperation), rows)
                if change_rows:
                    session.execute(insert(StagedChange), change_rows)
                rows, change_rows = [], []
        if rows:
            session.execute(insert(PendingOperation), rows)
        if change_rows:
            session.execute(insert(StagedChange), change_rows)
        return op_ids

    def stage_plan(
        self,
        plan: Plan[Any],
        selection: Selection,
        *,
        batch: str | None = None,
        confirmation: str | None = None,
    ) -> int:
        """Stage the plan's operation for every item `selection` keeps; returns how many are new.

        One transaction, INSERT … SELECT from the plan's own query: a million items never
        become Python objects. Items already pending the same change are left as they are.
        A permanent plan raises `ConfirmationError` unless `confirmation` is its phrase.
        """
        plan.check_confirmation(selection, confirmation)
        kind, entity = plan.kind, TARGET_TYPE[plan.kind]
        (template,) = changes(kind, "", {})
        table = CacheBase.metadata.tables[ENTITY_MODELS[entity].__tablename__]
        operations = CacheBase.metadata.tables[PendingOperation.__tablename__]
        pending = operations.c
        ids = plan.id_query(selection).subquery()
        target = table.alias("target")
        already = exists().where(  # by the (target_type, target_id) index, row by row
            pending.target_type == entity.value,
            pending.target_id == target.c.id,
            pending.kind == kind.value,
            pending.state == OutboxState.PENDING,
        )
        rows = (
            select(
                _new_op_id(),
                literal(kind.value),
                literal(entity.value),
                target.c.id,
                target.c.version,
                literal("{}"),
                literal(plan.step.value),
                literal(batch),
                literal(now()),
                literal(OutboxState.PENDING.value),
            )
            .select_from(ids.join(target, target.c.id == ids.c[0]))
            .where(~already)
        )
        columns = ["op_id", "kind", "target_type", "target_id", "base_version", "params"]
        columns += ["step", "batch", "created_at", "state"]
        with self.cache.sessions.begin() as session:
            _register_uuid(session)
            before = int(
                session.execute(text("SELECT coalesce(max(rowid), 0) FROM pending_operation")).scalar_one()
            )
            result = session.execute(insert(operations).from_select(columns, rows))
            # a student deleted for good keeps the names the user saw, to read once it is gone
            seen = template.action is Action.DELETE and entity is EntityType.STUDENT
            old = (
                "json_object('first_name', s.first_name, 'last_name', s.last_name, "
                "'student_number', s.student_number)"
                if seen
                else "'{}'"
            )
            join = " JOIN student s ON s.id = p.target_id" if seen else ""
            session.execute(
                text(
                    "INSERT INTO staged_change "
                    "(op_id, entity_type, entity_id, action, fields, old, base_version) "
                    f"SELECT p.op_id, p.target_type, p.target_id, :action, :fields, {old}, p.base_version "
                    f"FROM pending_operation p{join} WHERE p.rowid > :before"
                ),
                {
                    "action": template.action.value,
                    "fields": encode_body(template.fields).decode(),
                    "before": before,
                },
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an INSERT
        log.info("staged %d operation(s) of a plan for step %s", count, plan.step.value)
        return count

    def discard(self, op_ids: Sequence[str]) -> int:
        """Take operations out (pending, conflict or rejected ones); returns how many.

        Refuses (changing nothing) when a staged operation left in needs a record that
        only an operation taken out creates: take them out together.
        """
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
            blocked = [o for o, s in states.items() if s not in DISCARDABLE and s != OutboxState.DISCARDED]
            if blocked:
                raise NotDiscardableError(
                    f"The change {blocked[0]} was already sent ({states[blocked[0]]}) "
                    "and cannot be taken out."
                )
            leaving = PendingOperation.op_id.in_(id_set(op_ids))
            _refuse_orphans(session, leaving)
            result = session.execute(
                update(PendingOperation)
                .where(PendingOperation.op_id.in_(list(op_ids)), PendingOperation.state.in_(DISCARDABLE))
                .values(state=OutboxState.DISCARDED.value)
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        log.info("discarded %d operation(s)", count)
        return count

    def keep_for_later(self, op_ids: Sequence[str], kept: bool = True) -> int:
        """Keep staged operations out of the next sends (`kept=False` puts them back); how many changed.

        The choice stays in the cache, so an unchecked change stays unchecked in Review and
        unsent by every send (the app's or the command line's) until the user checks it again.
        """
        if not op_ids:
            return 0
        with self.cache.sessions.begin() as session:
            result = session.execute(
                update(PendingOperation)
                .where(
                    PendingOperation.op_id.in_(id_set(op_ids)),
                    PendingOperation.state.in_(DISCARDABLE),
                    PendingOperation.kept.is_not(kept),
                )
                .values(kept=kept)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE

    def discard_all(self, step: str | None = None) -> int:
        """Discard every pending, conflicting and rejected operation (of one step, if given)."""
        with self.cache.sessions.begin() as session:
            leaving: ColumnElement[bool] = PendingOperation.state.in_(DISCARDABLE)
            if step is not None:
                leaving = leaving & (PendingOperation.step == step)
            _refuse_orphans(session, leaving)
            result = session.execute(
                update(PendingOperation).where(leaving).values(state=OutboxState.DISCARDED.value)
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        log.info("discarded %d operation(s)", count)
        return count

    def retry(self, op_id: str) -> str:
        """Stage a conflicting or rejected operation again against the record as cached now.

        The server keeps the first result of an op_id forever, so a retry is a new row
        with a new op_id; the old row becomes `discarded`. An update is retried with the
        values the user sees now as its "before" values.
        """
        with self.cache.sessions.begin() as session:
            old = session.get(PendingOperation, op_id)
            if old is None or old.state not in RETRYABLE:
                raise NotDiscardableError(f"The change {op_id} has no conflict or rejection to retry.")
            kind, entity = _check_kind(old.kind, old.target_type)
            params = dict(old.params or {})
            if kind in _SEEN_KINDS:
                params = {**params, "was": {}}
            old.state = OutboxState.DISCARDED.value
            session.flush()
            if kind in CREATE_KINDS:
                _check_new(session, entity, old.target_id)
                version: int | None = 0
            else:
                version = _current_version(session, entity, old.target_id)
            _check_references(session, kind, params)
            _check_merge(session, kind, old.target_id, params)
            params = _with_seen_values(session, kind, entity, old.target_id, params)
            new_id = str(uuid.uuid4())
            session.add(
                PendingOperation(
                    op_id=new_id,
                    kind=old.kind,
                    target_type=old.target_type,
                    target_id=old.target_id,
                    base_version=version,
                    params=params,
                    step=old.step,
                    batch=old.batch,
                    created_at=now(),
                    state=OutboxState.PENDING.value,
                )
            )
            session.flush()
            rows = _change_rows(new_id, kind, old.target_id, params, version, session)
            if rows:
                session.execute(insert(StagedChange), rows)
        log.info("retrying operation %s as %s", op_id, new_id)
        return new_id


def _refuse_orphans(session: Session, leaving: ColumnElement[bool]) -> None:
    """Raise when an operation staying staged needs a record only a `leaving` one creates."""
    created = session.execute(
        select(StagedChange.entity_type, StagedChange.entity_id)
        .join(PendingOperation, PendingOperation.op_id == StagedChange.op_id)
        .where(leaving, StagedChange.action == Action.CREATE.value)
    ).all()
    if not created:
        return
    gone = {(entity, record_id) for entity, record_id in created}
    ids = id_set(record_id for _, record_id in gone)
    staying = session.execute(
        select(
            PendingOperation.kind,
            PendingOperation.target_type,
            PendingOperation.target_id,
            PendingOperation.params,
        )
        .where(PendingOperation.state == OutboxState.PENDING, ~leaving)
        .where(
            PendingOperation.target_id.in_(ids)
            | PendingOperation.kind.in_(sorted(k.value for k in REFERRING_KINDS))
        )
    )
    for kind, target_type, target_id, params in staying:
        needs = {(ref.entity.value, ref.record_id) for ref in references(OperationKind(kind), params or {})}
        if kind not in CREATE_KINDS:
            needs.add((target_type, target_id))
        if needs & gone:
            raise NotDiscardableError(
                f'The staged change "{kind_text(kind)}" needs a new record that a change you are '
                "taking out creates. Take both out together, or keep both."
            )


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _new_op_id() -> Any:
    return func.connect_uuid4()


def _register_uuid(session: Session) -> None:
    """Make `connect_uuid4()` callable in this connection's SQL (a fresh op_id per row)."""
    raw = session.connection().connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    raw.create_function("connect_uuid4", 0, lambda: str(uuid.uuid4()))
