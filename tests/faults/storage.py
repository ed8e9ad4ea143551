"""A full disk during a pull and a push (a real small tmpfs), and a damaged cache file.

After the fault every command must answer plainly; after the way out (space freed, or
`connect-desktop rescue` for a damaged file) a sync must bring back an exact copy with
every staged change applied once.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.faults.desktop import Desktop, Outcome
from tests.faults.world import FIRST_PULL_PAGE_SIZE, World
from tests.support.small_disk import small_disk

DISK = "full disk"
DAMAGE = "damaged cache"
LOCAL_DATA = 8
DISK_KB = 48 * 1024
"""Room for the cache of the default district, its WAL during the first pull, and a backup."""
LEFT_FREE = (0, 16 * 1024, 256 * 1024)
"""Bytes left when the disk is filled: the write fails at different moments."""
PAGE = 4096
GARBAGE_PAGES = 4
WHILE_BROKEN = (("status",), ("pending",))


def full_disk(world: World) -> None:
    count = world.tally[DISK]
    started = time.monotonic()
    if os.geteuid() != 0:
        count.note("not run: mounting the small file system needs root")
        return
    with small_disk(world.folder / "small-disk", DISK_KB) as disk:
        desk = world.desktop("small-disk", home=disk.path)
        for leave in LEFT_FREE:
            for phase in ("pull", "push"):
                if phase == "pull":
                    world.ledger.change_server(world.sizes.pull_changes, adds=20)
                else:
                    world.ledger.stage(desk, world.sizes.push_ops, deletes=2, twice=5)
                try:
                    disk.fill(leave)
                except OSError:
                    files = {p.name: p.stat().st_size for p in disk.path.iterdir()}
                    count.note(f"the disk was full before it was filled: {files}")
                    disk.free()
                    world.recover(DISK, desk)
                    continue
                count.injected += 1
                outcome = desk.run("sync", f"--{phase}-only")
                world.tally.observe(DISK, outcome, expect=(0, LOCAL_DATA))
                codes = [outcome.code, *_while_broken(world, DISK, desk)]
                count.where(f"{phase}, {leave // 1024} KB left: sync/status/pending exited {codes}")
                disk.free()
                world.recover(DISK, desk)
    world.server_log(DISK)
    count.seconds += time.monotonic() - started


def damaged_cache(world: World, rounds: int) -> None:
    """Garbage in the middle of the cache with changes staged, then `connect-desktop rescue`."""
    count = world.tally[DAMAGE]
    started = time.monotonic()
    desk = world.desktop("damaged")
    for _ in range(rounds):
        world.ledger.stage(desk, world.sizes.push_ops // 2, deletes=1, twice=3)
        _damage(world, desk.cache_path)
        count.injected += 1
        codes = _while_broken(world, DAMAGE, desk)
        synced = desk.run("sync")
        world.tally.observe(DAMAGE, synced, expect=(LOCAL_DATA,))
        rescued = desk.run("rescue")
        world.tally.observe(DAMAGE, rescued, expect=(0,))
        count.where(f"status/pending/sync exited {[*codes, synced.code]}, rescue {rescued.code}")
        world.recover(DAMAGE, desk, page_size=FIRST_PULL_PAGE_SIZE)  # a rescue downloads everything again
    world.server_log(DAMAGE)
    count.seconds += time.monotonic() - started


def _while_broken(world: World, kind: str, desk: Desktop) -> list[int]:
    """Commands a user tries while the disk is full or the file damaged: plain answers only."""
    outcomes: list[Outcome] = [desk.run(*args) for args in WHILE_BROKEN]
    for outcome in outcomes:
        world.tally.observe(kind, outcome)
    return [o.code for o in outcomes]


def _damage(world: World, path: Path) -> None:
    """Overwrite a few pages in the middle of the (closed, checkpointed) cache file with garbage."""
    size = path.stat().st_size
    offset = (size // 2) // PAGE * PAGE
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(world.rng.randbytes(GARBAGE_PAGES * PAGE))
