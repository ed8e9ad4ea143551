"""The background-task primitive: success, failure, cancel, progress; sync and real pools."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from ui.tasks import Cancelled, ImmediatePool, Progress, TaskContext, TaskRunner


def test_success_with_an_immediate_pool() -> None:
    results: list[int] = []
    finished: list[bool] = []
    runner = TaskRunner(ImmediatePool())
    handle = runner.run(
        lambda _ctx: 41 + 1, on_success=results.append, on_finished=lambda: finished.append(True)
    )
    assert results == [42]
    assert finished == [True]
    assert handle.done
    assert not runner.busy


def test_failure_goes_to_on_failure() -> None:
    errors: list[BaseException] = []

    def work(_ctx: TaskContext) -> None:
        raise ValueError("boom")

    TaskRunner(ImmediatePool()).run(work, on_failure=errors.append)
    assert [type(e) for e in errors] == [ValueError]


def test_unhandled_failure_goes_to_the_reporter() -> None:
    seen: list[BaseException] = []

    def work(_ctx: TaskContext) -> None:
        raise KeyError("x")

    TaskRunner(ImmediatePool(), on_unhandled=seen.append).run(work)
    assert isinstance(seen[0], KeyError)


def test_progress_is_reported() -> None:
    reports: list[Progress] = []

    def work(ctx: TaskContext) -> str:
        ctx.progress.step("counting")
        ctx.progress.on_progress(5, 5, 10.0, 0.0)
        return "ok"

    TaskRunner(ImmediatePool()).run(work, on_progress=reports.append)
    assert reports[0].label == "counting"
    assert (reports[-1].done, reports[-1].total, reports[-1].fraction) == (5, 5, 1.0)


def test_cancelled_work_reports_cancelled_not_failure() -> None:
    calls: list[str] = []

    def work(ctx: TaskContext) -> None:
        ctx.token.cancel()
        ctx.token.raise_if_cancelled()

    TaskRunner(ImmediatePool()).run(
        work,
        on_success=lambda _r: calls.append("success"),
        on_failure=lambda _e: calls.append("failure"),
        on_cancelled=lambda: calls.append("cancelled"),
    )
    assert calls == ["cancelled"]


def test_real_pool_delivers_on_the_gui_thread(qtbot: QtBot) -> None:
    gui = threading.get_ident()
    seen: dict[str, int] = {}
    runner = TaskRunner()

    def work(ctx: TaskContext) -> int:
        ctx.progress.step("working", 1, 2)
        return threading.get_ident()

    def success(worker: int) -> None:
        seen["worker"] = worker
        seen["callback"] = threading.get_ident()

    def progress(_p: Progress) -> None:
        seen["progress"] = threading.get_ident()

    handle = runner.run(work, on_success=success, on_progress=progress)
    qtbot.waitUntil(lambda: handle.done, timeout=5000)
    assert seen["worker"] != gui
    assert seen["callback"] == gui
    assert seen["progress"] == gui
    runner.shutdown()


def test_real_pool_cancel(qtbot: QtBot) -> None:
    started = threading.Event()
    runner = TaskRunner()
    outcome: list[str] = []

    def work(ctx: TaskContext) -> None:
        started.set()
        while not ctx.token.is_set():
            ctx.token.cancelled  # noqa: B018 - poll
        raise Cancelled

    handle = runner.run(
        work,
        on_cancelled=lambda: outcome.append("cancelled"),
        on_failure=lambda _e: outcome.append("failure"),
    )
    assert started.wait(5)
    with qtbot.waitSignal(handle.signals.finished, timeout=5000):
        handle.cancel()
    qtbot.waitUntil(lambda: outcome == ["cancelled"])
    runner.shutdown()


@pytest.mark.parametrize("total", [None, 0])
def test_unknown_total(total: int | None) -> None:
    reports: list[Progress] = []
    TaskRunner(ImmediatePool()).run(
        lambda ctx: ctx.progress.on_progress(3, total, 1.0, None), on_progress=reports.append
    )
    assert reports[0].fraction is None


def test_an_op_reports_its_failure_unless_it_handles_it() -> None:
    reported: list[BaseException] = []
    handled: list[BaseException] = []
    runner = TaskRunner(ImmediatePool(), on_unhandled=reported.append)

    def fails(_ctx: TaskContext) -> None:
        raise ValueError("boom")

    runner.op(fails, name="default").run()
    runner.op(fails, name="handled").failure(handled.append).run()
    assert [str(e) for e in reported] == ["boom"] and [str(e) for e in handled] == ["boom"]


def test_an_op_recovers_the_screen_then_reports() -> None:
    seen: list[str] = []
    runner = TaskRunner(ImmediatePool(), on_unhandled=lambda exc: seen.append(f"reported {exc}"))

    def fails(_ctx: TaskContext) -> None:
        raise ValueError("boom")

    runner.op(fails).recover(lambda: seen.append("recovered")).always(lambda: seen.append("ended")).run()
    assert seen == ["recovered", "reported boom", "ended"]
    fine = runner.op(lambda _ctx: 1).recover(lambda: seen.append("never"))
    fine.success(lambda n: seen.append(f"got {n}")).run()
    assert seen[3:] == ["got 1"]


def test_an_exclusive_op_does_not_start_twice_while_it_runs(qtbot: QtBot) -> None:
    release = threading.Event()
    started: list[str] = []
    runner = TaskRunner()
    owner, other = object(), object()

    def work(_ctx: TaskContext) -> None:
        started.append("work")
        release.wait(10)

    first = runner.op(work, name="sync").exclusive(owner).run()
    assert first is not None
    assert runner.op(work, name="sync").exclusive(owner).run() is None  # the second click
    second_owner = runner.op(work, name="sync").exclusive(other).run()  # another page's own
    release.set()
    qtbot.waitUntil(lambda: first.done and second_owner is not None and second_owner.done, timeout=5_000)
    assert len(started) == 2
    again = runner.op(lambda _ctx: None, name="sync").exclusive(owner).run()
    assert again is not None  # free again once it ended
