"""kill -9 of the desktop at random moments of a pull and of a push, then a clean sync and the check.

Most kills are aimed into the transfer itself: after the first sign of it (the first
page written, the first batch marked as being sent), at a random moment of how long the
rest took in an undisturbed run. The others hit anywhere from the start of the process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.faults.desktop import Desktop, Victim
from tests.faults.world import POLL_S, World

PULL = "kill -9 during pull"
PUSH = "kill -9 during push"
ANYWHERE = 0.25
"""Share of the kills aimed at any moment from the process's start (start-up included)."""

Sign = Callable[[Desktop, Victim], bool]
"""True once the transfer has begun."""


@dataclass
class Window:
    """An undisturbed run: seconds until the transfer showed, and from then to the end."""

    before_s: float
    during_s: float


def _pulling(_desk: Desktop, victim: Victim) -> bool:
    return "download:" in victim.stderr_so_far()


def _pushing(desk: Desktop, _victim: Victim) -> bool:
    return desk.sending() > 0


def pull_kills(world: World, desk: Desktop, rounds: int) -> None:
    count = world.tally[PULL]
    started = time.monotonic()
    args = ("sync", "--pull-only")
    window = _calibrate(world, desk, PULL, args, lambda: _change(world), _pulling)
    attempts = 0
    while count.injected < rounds and attempts < 3 * rounds:
        attempts += 1
        _change(world)
        before, end = desk.cursor(), world.ledger.feed_end()
        victim = desk.spawn(*args)
        landed = _strike(world, desk, victim, window, _pulling)
        paged = _pulling(desk, victim)
        outcome = victim.finish()
        world.tally.observe(PULL, outcome, expect=(outcome.code,) if landed else (0,))
        if landed:
            count.injected += 1
            count.where(_pull_moment(paged, before, desk.cursor(), end))
        else:
            count.missed += 1
            window.during_s *= 0.9
        world.recover(PULL, desk)
    world.server_log(PULL)
    count.seconds += time.monotonic() - started


def push_kills(world: World, desk: Desktop, rounds: int) -> None:
    count = world.tally[PUSH]
    started = time.monotonic()
    args = ("sync", "--push-only")
    window = _calibrate(world, desk, PUSH, args, lambda: _stage(world, desk), _pushing)
    attempts = 0
    while count.injected < rounds and attempts < 3 * rounds:
        attempts += 1
        staged = _stage(world, desk)
        victim = desk.spawn(*args)
        landed = _strike(world, desk, victim, window, _pushing)
        outcome = victim.finish()
        world.tally.observe(PUSH, outcome, expect=(outcome.code,) if landed else (0,))
        if landed:
            count.injected += 1
            count.where(_push_moment(staged, desk.sending(), desk.waiting()))
        else:
            count.missed += 1
            window.during_s *= 0.9
        world.recover(PUSH, desk)
    world.server_log(PUSH)
    count.seconds += time.monotonic() - started


def _pull_moment(paged: bool, before: int, after: int, end: int) -> str:
    if not paged:
        return "before the first page"
    if after == before:
        return "pages written, none committed"
    return "after the last commit" if after >= end else "mid-pull, some pages committed"


def _push_moment(staged: int, sending: int, waiting: int) -> str:
    if sending:
        return "a batch out, its answer not stored"
    if waiting == staged:
        return "before the first batch"
    return "between batches" if waiting else "after the last answer"


def _strike(world: World, desk: Desktop, victim: Victim, window: Window, begun: Sign) -> bool:
    """kill -9 at a random moment; False when the victim had finished by then."""
    if world.rng.random() < ANYWHERE:
        return world.kill_at(victim, world.rng.uniform(0, window.before_s + window.during_s))
    while victim.running() and not begun(desk, victim):
        time.sleep(POLL_S)
    return world.kill_at(victim, time.monotonic() - victim.started + world.rng.uniform(0, window.during_s))


def _calibrate(
    world: World, desk: Desktop, kind: str, args: tuple[str, ...], prepare: Callable[[], int], begun: Sign
) -> Window:
    """Time an undisturbed run (checked like the rest): when the transfer showed, when it ended."""
    prepare()
    victim = desk.spawn(*args)
    while victim.running() and not begun(desk, victim):
        time.sleep(POLL_S)
    showed = time.monotonic() - victim.started
    outcome = victim.finish()
    world.tally.observe(kind, outcome, expect=(0,))
    world.recover(kind, desk)
    return Window(showed, max(outcome.seconds - showed, 0.1))


def _change(world: World) -> int:
    return world.ledger.change_server(world.sizes.pull_changes, adds=20)


def _stage(world: World, desk: Desktop) -> int:
    return world.ledger.stage(desk, world.sizes.push_ops, deletes=3, twice=world.sizes.push_ops // 20)
