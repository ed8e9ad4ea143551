"""The one background-task primitive: every piece of long work in the UI runs through it.

Prepare on the GUI thread, run `work(context)` on a thread pool, get the result (or the
error) back on the GUI thread::

    runner.run(
        lambda ctx: pull(session, progress=ctx.progress, cancel=ctx.token),
        on_success=self._pulled,
        on_progress=self._show_progress,
    )

Most callers describe the task with `runner.op(...)` instead (Anki's `CollectionOp`): a
failure goes to the error reporter unless the op says otherwise, and `exclusive()` keeps
a second click from starting the same work twice::

    runner.op(lambda _ctx: service.discard(op_ids), name="discard").success(self._discarded).run()

The pool is injectable: tests pass `ImmediatePool`, which runs each task on the calling
thread, so callbacks arrive before `run()` returns (Picard's FakeThreadPool idea).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")


class Cancelled(Exception):  # noqa: N818 - reads better at the raise site
    """Raised inside work that noticed its token was cancelled."""


class CancelToken:
    """A thread-safe flag the GUI sets and the work polls."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def is_cancelled(self) -> bool:
        return self._event.is_set()

    def is_set(self) -> bool:
        """The core's CancelToken protocol (`connect_desktop.sync.progress`)."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled


@dataclass(frozen=True)
class Progress:
    """One progress report: `done` of `total` units (total 0 = unknown)."""

    done: int
    total: int
    rate: float | None = None
    eta_s: float | None = None
    label: str = ""

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total > 0 else None


class ProgressReporter:
    """Passed to the work as `ctx.progress`; matches the core's ProgressSink protocol.

    Reports are throttled (one every `interval_s`, plus the last one) so a chatty core
    cannot flood the GUI thread's event queue.
    """

    def __init__(self, emit: Callable[[Progress], None], interval_s: float = 0.05) -> None:
        self._emit = emit
        self._interval = interval_s
        self._last = 0.0
        self.label = ""

    def on_progress(
        self, done: int, total: int | None, rate: float | None = None, eta_s: float | None = None
    ) -> None:
        total = total or 0
        now = time.monotonic()
        if now - self._last < self._interval and not (total and done >= total):
            return
        self._last = now
        self._emit(Progress(done, total, rate, eta_s, self.label))

    def step(self, label: str, done: int = 0, total: int = 0) -> None:
        """Announce a new phase of the work (always delivered)."""
        self.label = label
        self._last = time.monotonic()
        self._emit(Progress(done, total, None, None, label))


@dataclass
class TaskContext:
    """What the work function receives: a cancel token and a progress reporter."""

    token: CancelToken
    progress: ProgressReporter


class PoolLike(Protocol):
    def start(self, runnable: QRunnable) -> None: ...


class ImmediatePool:
    """A pool that runs each task at once on the calling thread (for tests)."""

    def start(self, runnable: QRunnable) -> None:
        runnable.run()


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    progressed = Signal(object)
    finished = Signal()


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[TaskContext], Any], ctx: TaskContext, signals: _Signals) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._work = work
        self._ctx = ctx
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._work(self._ctx)
        except Cancelled:
            self._signals.cancelled.emit()
        except BaseException as exc:
            if self._ctx.token.cancelled:
                self._signals.cancelled.emit()
            else:
                self._signals.failed.emit(exc)
        else:
            if self._ctx.token.cancelled:
                self._signals.cancelled.emit()
            else:
                self._signals.succeeded.emit(result)
        self._signals.finished.emit()


class TaskHandle(Generic[T]):
    """A running task: cancel it, or wait for `signals.finished` in tests."""

    def __init__(self, name: str, signals: _Signals, token: CancelToken) -> None:
        self.name = name
        self.signals = signals
        self.token = token
        self.done = False

    def cancel(self) -> None:
        self.token.cancel()


class TaskRunner:
    """Runs work on a pool and delivers results, errors and progress on the GUI thread.

    `on_unhandled` receives failures of tasks that gave no `on_failure` (normally the
    error reporter of `ui.errors`).
    """

    def __init__(
        self,
        pool: PoolLike | None = None,
        on_unhandled: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._pool: PoolLike = pool if pool is not None else QThreadPool.globalInstance()
        self._on_unhandled = on_unhandled
        self._running: dict[int, tuple[TaskHandle[Any], _Runnable]] = {}
        self._exclusive: set[Hashable] = set()
        self._next_id = 0

    def set_unhandled(self, handler: Callable[[BaseException], None]) -> None:
        self._on_unhandled = handler

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def op(self, work: Callable[[TaskContext], T], *, name: str = "") -> Op[T]:
        """Describe a task to `run()` later (see `Op`)."""
        return Op(self, work, name or getattr(work, "__name__", "task"))

    def running(self, key: Hashable) -> bool:
        """Whether an exclusive op with this key has started and not finished yet."""
        return key in self._exclusive

    def run(
        self,
        work: Callable[[TaskContext], T],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        name: str = "",
    ) -> TaskHandle[T]:
        """Start `work` in the background; callbacks run on the thread that called `run`."""
        signals = _Signals()
        token = CancelToken()
        handle: TaskHandle[T] = TaskHandle(name or getattr(work, "__name__", "task"), signals, token)
        task_id = self._next_id
        self._next_id += 1
        if on_success is not None:
            signals.succeeded.connect(on_success)
        signals.failed.connect(on_failure if on_failure is not None else self._unhandled)
        if on_progress is not None:
            signals.progressed.connect(on_progress)
        if on_cancelled is not None:
            signals.cancelled.connect(on_cancelled)

        def finished() -> None:
            handle.done = True
            self._running.pop(task_id, None)
            if on_finished is not None:
                on_finished()

        signals.finished.connect(finished)
        ctx = TaskContext(token, ProgressReporter(signals.progressed.emit))
        runnable = _Runnable(work, ctx, signals)
        self._running[task_id] = (handle, runnable)
        log.debug("task %s started", handle.name)
        self._pool.start(runnable)
        return handle

    def cancel_all(self) -> None:
        for handle, _ in list(self._running.values()):
            handle.cancel()

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything and wait (bounded) for the workers; for application exit."""
        self.cancel_all()
        if isinstance(self._pool, QThreadPool):
            self._pool.waitForDone(timeout_ms)

    def _unhandled(self, exc: BaseException) -> None:
        if self._on_unhandled is not None:
            self._on_unhandled(exc)
        else:
            log.error("background task failed", exc_info=exc)


class Op(Generic[T]):
    """A background task described step by step, then started with `run()`.

    Without `failure(...)`, an error goes to the runner's reporter (`on_unhandled`), after
    `recover(...)` put the screen back as it was. `always(...)` runs after success, failure
    or cancellation.
    `exclusive(owner)` is the busy guard: while an op of that owner and name runs, `run()`
    starts nothing and returns None.
    """

    def __init__(self, runner: TaskRunner, work: Callable[[TaskContext], T], name: str) -> None:
        self._runner = runner
        self._work = work
        self._name = name
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._on_progress: Callable[[Progress], None] | None = None
        self._on_cancelled: Callable[[], None] | None = None
        self._always: Callable[[], None] | None = None
        self._recover: Callable[[], None] | None = None
        self._key: Hashable | None = None

    def success(self, callback: Callable[[T], None]) -> Op[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> Op[T]:
        """Handle errors here instead of the reporter."""
        self._on_failure = callback
        return self

    def recover(self, callback: Callable[[], None]) -> Op[T]:
        """On failure, run `callback` (re-enable buttons, clear "working…"), then report."""
        self._recover = callback
        return self

    def progress(self, callback: Callable[[Progress], None]) -> Op[T]:
        self._on_progress = callback
        return self

    def cancelled(self, callback: Callable[[], None]) -> Op[T]:
        self._on_cancelled = callback
        return self

    def always(self, callback: Callable[[], None]) -> Op[T]:
        """Run `callback` once the task ended, however it ended."""
        self._always = callback
        return self

    def exclusive(self, owner: object = None) -> Op[T]:
        """Start nothing while an op of this name (and `owner`) is still running."""
        self._key = (self._name, id(owner))
        return self

    def run(self) -> TaskHandle[T] | None:
        """Start the task; None when the busy guard held it back."""
        key, runner, always = self._key, self._runner, self._always
        if key is not None:
            if runner.running(key):
                log.debug("task %s is still running: not started again", self._name)
                return None
            runner._exclusive.add(key)

        def finished() -> None:
            if key is not None:
                runner._exclusive.discard(key)
            if always is not None:
                always()

        on_failure, recover = self._on_failure, self._recover
        if on_failure is None and recover is not None:

            def on_failure(exc: BaseException) -> None:
                recover()
                runner._unhandled(exc)

        return runner.run(
            self._work,
            on_success=self._on_success,
            on_failure=on_failure,
            on_progress=self._on_progress,
            on_cancelled=self._on_cancelled,
            on_finished=finished,
            name=self._name,
        )
