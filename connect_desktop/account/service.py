"""`Account`: one signed-in account, its cache and everything done with it.

The desktop app calls these methods inside background tasks (each blocks on the network
or the disk); the command line calls them directly. They return plain dataclasses: no
caller sees SQLAlchemy sessions or the API client.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from connect_desktop import session as account_session
from connect_desktop.account.plans import OpenPlan
from connect_desktop.api.client import ApiClient
from connect_desktop.api.schema import UserInfo
from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import UNMERGE_DAYS
from connect_desktop.domain.school_year import current_school_year, year_end_batch
from connect_desktop.rollover import dismissals, undo_operations
from connect_desktop.rollover import merge as merging
from connect_desktop.rollover.duplicates import Findings, find_in_cache
from connect_desktop.rollover.plan import Plan, PlannedOperation, Selection
from connect_desktop.rollover.undo import UndoableChange, count_undoable, list_undoable
from connect_desktop.settings import AccountSettings
from connect_desktop.signout import revoked_earlier_message, unsent_changes
from connect_desktop.store import overview, queries
from connect_desktop.store.db import Cache
from connect_desktop.store.school_years import cached_year_starts
from connect_desktop.store.writer import read_cursor
from connect_desktop.sync.outbox import Outbox
from connect_desktop.sync.progress import CancelToken, ProgressSink
from connect_desktop.sync.pull import PAGE_SIZE_ENV, PullResult, pull
from connect_desktop.sync.push import push

log = logging.getLogger(__name__)

INTERACTIVE_PULL_PAGE_SIZE = 2_000
"""Feed pages for an account signed in from the desktop app: smaller than the CLI's, since
decoding a page holds the GIL and shorter holds keep the GUI thread's heartbeat steady
(tests/benchmarks/gui_responsiveness.py). `CONNECT_DESKTOP_PAGE_SIZE` still overrides it."""


@dataclass(frozen=True)
class SendOutcome:
    """What one send did, counted per result."""

    applied: int
    conflict: int
    rejected: int
    not_sent: int = 0
    """Operations kept for later, left out of the send on purpose (they stay staged)."""
    sent: int = 0

    @property
    def failed(self) -> int:
        """Sent but not applied: conflicts and rejections, each waiting for a decision."""
        return self.conflict + self.rejected


@dataclass(frozen=True)
class Status:
    """What the local copy holds (`connect-desktop status`)."""

    server: str
    user: str
    cursor: int
    counts: dict[str, int]
    """Entity type → records, minus staged deletes."""
    pending: dict[str, int]
    """Outbox state → operations."""


class Account:
    """One signed-in account: its settings, its open cache and the services over them."""

    def __init__(
        self,
        account: AccountSettings,
        user: UserInfo | None,
        cache: Cache,
        today: Callable[[], dt.date] = dt.date.today,
        *,
        pull_page_size: int | None = None,
    ) -> None:
        self.account = account
        self.user = user
        self.cache = cache
        self.today = today
        """The app's one clock for "today" (a fixed day in the demo and in tests)."""
        self.pull_page_size = pull_page_size
        """Feed page size for pulls; None: the core's default."""
        self._pull_lock = threading.Lock()
        self.notice: str | None = None
        """Something to tell the user (e.g. earlier sessions were ended on the server)."""
        self.rescue_notice: str | None = None
        """What the rescue of a damaged local copy at sign-in did (shown in a message box)."""

    # -- signing in and out -------------------------------------------------------------
    @classmethod
    def sign_in(
        cls,
        server_url: str,
        email: str,
        password: str,
        ca_bundle: str | None = None,
        insecure_http: bool = False,
    ) -> Account:
        """Sign in from the desktop app (token to the keyring) and open the account's cache.

        A damaged cache is rescued rather than refused (`rescue_notice` says what happened);
        the certificate bundle is remembered with the account.
        """
        signed_in = account_session.login(
            server_url, email, password, ca_bundle=ca_bundle, insecure_http=insecure_http, rescue_damaged=True
        )
        cache = account_session.open_account_cache(signed_in.account)
        service = cls(signed_in.account, signed_in.user, cache, pull_page_size=INTERACTIVE_PULL_PAGE_SIZE)
        if signed_in.revoked_earlier:
            service.notice = revoked_earlier_message(signed_in.revoked_earlier)
        if signed_in.rescued:
            service.rescue_notice = (
                f"{signed_in.rescued.message} The rest of your data was downloaded again from the server."
            )
        return service

    @property
    def display_name(self) -> str:
        if self.user is not None and self.user.display_name:
            return self.user.display_name
        return self.account.email

    @property
    def server_url(self) -> str:
        return self.account.server_url

    @property
    def user_id(self) -> str:
        return self.account.user_id

    def client(self) -> ApiClient:
        return account_session.client_for(self.account)

    def close(self) -> None:
        self.cache.close()

    def sign_out(self) -> str:
        """End the session on the server (or at the next contact); what to tell the user."""
        with self._pull_lock:
            return account_session.logout(self.account).message

    def unsent_changes(self) -> int | None:
        """Staged changes not sent yet (None: they cannot be counted)."""
        return unsent_changes(self.account.cache_path)

    def remove_local_data(self) -> str:
        """Close the cache, sign out and delete this computer's copy; what to tell the user."""
        with self._pull_lock:
            self.cache.close()
            return account_session.remove_local_data(self.account).message

    # -- pulling and pushing ------------------------------------------------------------
    def pull(self, progress: ProgressSink | None = None, cancel: CancelToken | None = None) -> PullResult:
        """Bring the cache up to date (one pull at a time)."""
        with self._pull_lock, self.client() as client:
            page_size = None if os.environ.get(PAGE_SIZE_ENV) else self.pull_page_size
            result = pull(self.cache, client, page_size=page_size, progress=progress, cancel=cancel)
        self._server_answered()
        return result

    def push(
        self,
        excluded: Iterable[str] = (),
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
        included: Iterable[str] = (),
    ) -> SendOutcome:
        """Send every staged operation but those kept for later.

        `excluded` are kept for later and `included` no longer are, first: what the user
        checked is what is sent, whatever their earlier choices in the cache said.
        """
        outbox = Outbox(self.cache)
        outbox.keep_for_later(list(excluded))
        outbox.keep_for_later(list(included), kept=False)
        with self.client() as client:
            result = push(self.cache, client, progress=progress, cancel=cancel)
        self._server_answered()
        with self.cache.sessions() as db:
            kept = queries.kept_for_later_count(db)
        return SendOutcome(result.applied, result.conflicts, result.rejected, kept, result.sent)

    def send(
        self,
        excluded: Iterable[str] = (),
        progress: ProgressSink | None = None,
        cancel: CancelToken | None = None,
        included: Iterable[str] = (),
    ) -> SendOutcome:
        """Push (all but those kept for later), then pull, so the cache shows what the server made of it."""
        outcome = self.push(excluded, progress=progress, cancel=cancel, included=included)
        self.pull()
        return outcome

    def _server_answered(self) -> None:
        """A good moment to end the sessions of earlier offline sign-outs on this server."""
        revoked = account_session.revoke_pending(self.account)
        if revoked:
            self.notice = revoked_earlier_message(revoked)

    def full_pull_done(self) -> bool:
        with self.cache.sessions() as db:
            return overview.full_pull_done(db)

    # -- reading ------------------------------------------------------------------------
    def summary(self, as_of: dt.date | None = None) -> overview.Overview:
        """Everything the dashboard and the wizard show, as of `as_of` (default: `today()`)."""
        with self.cache.sessions() as db:
            return overview.account_overview(db, as_of=as_of or self.today())

    def status(self) -> Status:
        """Server, user, feed position, record counts and outbox states."""
        with self.cache.sessions() as db:
            counts = queries.effective_counts(db)
            pending = queries.pending_state_counts(db)
        with self.cache.raw() as connection:
            cursor = read_cursor(connection)
        return Status(self.account.server_url, self.account.email, cursor, counts, pending)

    def records(
        self,
        entity: EntityType | str,
        flt: queries.ListFilter | None = None,
        offset: int = 0,
        limit: int = 100,
        *,
        after: Sequence[Any] | None = None,
        count: bool = True,
    ) -> queries.Page[Any]:
        """A page of students, staff or classrooms in their effective state (`queries.list_records`)."""
        with self.cache.sessions() as db:
            return queries.list_records(
                db, entity, flt or queries.ListFilter(), offset, limit, after=after, count=count
            )

    def pending_page(
        self,
        *,
        step: str | None = None,
        states: Iterable[str] = queries.REVIEW_STATES,
        offset: int = 0,
        limit: int = 100,
        op_ids: Collection[str] | None = None,
        permanent_first: bool = False,
    ) -> queries.Page[queries.PendingRow]:
        """A page of the outbox, oldest first (of one step, or only `op_ids`, when given;
        the changes that delete for good first, with `permanent_first`)."""
        with self.cache.sessions() as db:
            return queries.list_pending(
                db,
                step=step,
                states=tuple(states),
                offset=offset,
                limit=limit,
                op_ids=op_ids,
                permanent_first=permanent_first,
            )

    def pending_kinds(self, states: Iterable[str] = queries.STAGED_STATES) -> dict[str, int]:
        """Operation kind → how many staged operations (in `states`)."""
        with self.cache.sessions() as db:
            return queries.pending_kind_counts(db, tuple(states))

    def pending(
        self, states: Iterable[str] = queries.REVIEW_STATES, limit: int = 100_000
    ) -> list[queries.PendingRow]:
        """The outbox's operations in `states`, oldest first."""
        return self.pending_page(states=states, limit=limit).rows

    def labels(self, rows: Iterable[queries.PendingRow]) -> dict[str, str]:
        """A short human name for each operation's target (classroom name, student name…)."""
        with self.cache.sessions() as db:
            return overview.target_labels(db, rows)

    def target_names(self, targets: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        with self.cache.sessions() as db:
            return overview.target_names(db, targets)

    def undoable_labels(self, changes: Iterable[UndoableChange]) -> dict[str, str]:
        """op_id → a short name of what each restorable change changed (both students of a merge)."""
        changes = list(changes)
        with self.cache.sessions() as db:
            names = overview.target_names(db, [(c.target_type, c.target_id) for c in changes])
            labels = {c.op_id: names.get((c.target_type, c.target_id), c.target_id) for c in changes}
            for change in changes:
                if change.merged_id:
                    labels[change.op_id] = overview.merge_label(
                        db, change.kind, change.target_id, change.params
                    )
        return labels

    def filter_choices(self) -> overview.FilterChoices:
        """Schools, grades and school years for the year-end pages' filters."""
        with self.cache.sessions() as db:
            return overview.filter_choices(db)

    def undoable_count(self) -> int:
        """Sent year-end changes that can still be restored."""
        with self.cache.engine.connect() as connection:
            return count_undoable(connection)

    def undoable_page(self, offset: int, limit: int) -> list[UndoableChange]:
        """A page of sent year-end changes that can still be restored, newest first."""
        with self.cache.engine.connect() as connection:
            return list_undoable(connection, offset=offset, limit=limit)

    def open_plan(self, make_plan: Callable[[Connection], Plan[Any]]) -> OpenPlan[Any]:
        """A plan made on a connection of its own when first used (see `OpenPlan`)."""
        return OpenPlan(self.cache, make_plan)

    # -- staging --------------------------------------------------------------------------
    def year_end_batch(self) -> str:
        """The batch every year-end change staged today belongs to (`domain.school_year`)."""
        with self.cache.engine.connect() as connection:
            starts = cached_year_starts(connection)
        return year_end_batch(current_school_year(starts, self.today()))

    def stage_plan(
        self,
        plan: Plan[Any],
        selection: Selection | None = None,
        *,
        batch: str | None = None,
        confirmation: str | None = None,
    ) -> int:
        """Stage the operations of the plan items `selection` keeps (default: all); how many.

        All of them are staged in one transaction, or none (a failure midway leaves the
        outbox as it was). A permanent plan raises `ConfirmationError` before anything is
        staged unless `confirmation` is its phrase for this selection. `batch` labels the
        operations together so they can be restored as one; by default they join this
        year-end's (`year_end_batch`), as they do from the wizard and from the CLI.
        """
        chosen = selection if selection is not None else Selection()
        label = batch if batch is not None else self.year_end_batch()
        return Outbox(self.cache).stage_plan(plan, chosen, batch=label, confirmation=confirmation)

    def stage(self, operations: Iterable[PlannedOperation], batch: str | None = None) -> int:
        """Stage planned operations (each names its step) in one transaction, all or none; how many."""
        return len(Outbox(self.cache).stage_many(operations, batch=batch))

    def stage_one(
        self, kind: str, target_id: str, params: Mapping[str, Any] | None = None, *, step: str
    ) -> str:
        """Stage one change named by its kind's code (checked here); its op_id."""
        return Outbox(self.cache).stage(kind, None, target_id, dict(params or {}), step=step)

    def stage_restore(self, op_ids: Iterable[str] | None = None, batch: str | None = None) -> int:
        """Stage the inverse of sent year-end changes (these op_ids, or this batch); how many.

        Changes already restored (or being restored) are left out. The restores are
        staged like any change: nothing happens until they are reviewed and sent.
        """
        wanted = None if op_ids is None else sorted(set(op_ids))
        with self.cache.engine.connect() as connection:
            inverse = list(undo_operations(connection, op_ids=wanted, batch=batch))
        return self.stage(inverse) if inverse else 0

    def discard(self, op_ids: Iterable[str]) -> int:
        """Take these staged, conflicting or rejected operations out; how many."""
        return Outbox(self.cache).discard(list(op_ids))

    def keep_for_later(self, op_ids: Iterable[str], kept: bool = True) -> int:
        """Keep these staged operations out of every send until `kept=False` puts them back; how many."""
        return Outbox(self.cache).keep_for_later(list(op_ids), kept)

    def kept_for_later(self) -> frozenset[str]:
        """The op_ids of staged operations the user keeps for later (unchecked in Review)."""
        with self.cache.sessions() as db:
            return queries.kept_for_later_ids(db)

    def discard_all(self) -> int:
        """Take every staged, conflicting and rejected operation out; how many."""
        return Outbox(self.cache).discard_all()

    def retry(self, op_id: str) -> str:
        """Stage a conflicting or rejected operation again on the record as cached now; new op_id."""
        return Outbox(self.cache).retry(op_id)

    def refresh_and_retry(self, op_ids: Iterable[str]) -> int:
        """Pull the latest data, then stage the conflicted operations again on the fresh versions."""
        self.pull()
        return sum(1 for op_id in op_ids if self.retry(op_id))

    # -- duplicate students -----------------------------------------------------------------
    def find_duplicates(
        self,
        min_score: float | None = None,
        progress: Callable[[int, int], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Findings:
        """Pairs and clusters of students that may be the same child (dismissed pairs left out)."""
        with self.cache.engine.connect() as connection:
            return find_in_cache(connection, min_score=min_score, progress=progress, cancelled=cancelled)

    def default_survivor(self, a: str, b: str) -> str:
        """Which of two students to keep by default (`rollover.merge.default_survivor`)."""
        with self.cache.engine.connect() as connection:
            return merging.default_survivor(connection, a, b)

    def merge_preview(self, survivor_id: str, merged_id: str) -> merging.MergePreview:
        """Both students side by side and what merging `merged_id` into `survivor_id` would do."""
        with self.cache.engine.connect() as connection:
            return merging.merge_preview(connection, survivor_id, merged_id)

    def stage_merge(self, survivor_id: str, merged_id: str, take: Collection[str] = ()) -> int:
        """Stage merging `merged_id` into `survivor_id`, taking the merged record's `take` fields.

        Refused (nothing staged, `MergeError` or `StagingError`) when the server would refuse
        it or a staged change already removes either student; how many were staged (1).
        """
        preview = self.merge_preview(survivor_id, merged_id)
        return self.stage_year_end([merging.merge_operation(preview, take)])

    def stage_year_end(self, operations: Iterable[PlannedOperation]) -> int:
        """Stage operations in this year-end's batch (restored with it as one); how many."""
        return self.stage(operations, batch=self.year_end_batch())

    def unmerge_operation(self, survivor_id: str, merged_id: str) -> PlannedOperation:
        """The `unmerge_students` undoing the sent merge of `merged_id` into `survivor_id`.

        Raises `MergeError` when no such merge was sent from here, it is already being
        undone, or it is older than `UNMERGE_DAYS`.
        """
        with self.cache.engine.connect() as connection:
            found = undo_operations(connection, merged_id=merged_id)
            inverse = [op for op in found if op.target_id == survivor_id]
        if not inverse:
            raise merging.UnknownStudentError(
                "No merge of these two students can be undone from this computer: it was not sent "
                f"from here, is already being undone, or is more than {UNMERGE_DAYS} days old."
            )
        return inverse[-1]

    def describe_unmerge(self, operation: PlannedOperation) -> str:
        """What staging this `unmerge_students` would do, in plain words."""
        with self.cache.sessions() as db:
            survivor = overview.student_names(db, operation.target_id).name
            merged = overview.student_names(db, str(operation.params["merged_id"])).name
        return merging.describe_unmerge(survivor, merged, operation.params.get("fields") or {})

    def stage_unmerge(self, survivor_id: str, merged_id: str) -> int:
        """Stage the undoing of a sent merge of `merged_id` into `survivor_id`; how many (1)."""
        return self.stage([self.unmerge_operation(survivor_id, merged_id)])

    def dismiss_pair(self, a: str, b: str) -> None:
        """Remember that two students are not the same child (never proposed again)."""
        with self.cache.engine.begin() as connection:
            label = merging.pair_label(connection, *dismissals.ordered(a, b))
            dismissals.dismiss(connection, a, b, label=label)

    def undismiss_pair(self, a: str, b: str) -> None:
        """Forget that two students were marked as not the same child."""
        with self.cache.engine.begin() as connection:
            dismissals.undismiss(connection, a, b)

    def list_dismissals(self) -> list[dismissals.Dismissal]:
        """Every pair marked "not the same child", newest first."""
        with self.cache.engine.connect() as connection:
            return dismissals.list_dismissals(connection)
