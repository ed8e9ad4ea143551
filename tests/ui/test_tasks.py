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
