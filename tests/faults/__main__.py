"""The fault-injection suite: `python3 dev.py faults [--rounds N] [--seed S]` (see README.md).

Two lanes run side by side, each with its own server process, database and desktops.
Prints one JSON line per kind of fault on stderr as it finishes, then the summary (per
kind and in total) on stdout; exits 1 when anything was lost, doubled or answered with a
traceback.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.faults import kills, network, storage
from tests.faults.desktop import Desktop
from tests.faults.ledger import Ledger
from tests.faults.server import ServerProcess, seed
from tests.faults.tally import Tally
from tests.faults.world import Sizes, World

KINDS = ("pull", "push", "proxy", "restart", "disk", "damage")
Step = tuple[str, Callable[[World, Desktop | None, argparse.Namespace], None]]
LANES: tuple[tuple[Step, ...], ...] = (
    (
        ("pull", lambda w, d, a: kills.pull_kills(w, _need(d), a.rounds)),
        ("proxy", lambda w, d, a: network.proxy_faults(w, a.rounds // 2)),
        ("disk", lambda w, d, a: storage.full_disk(w)),
    ),
    (
        ("push", lambda w, d, a: kills.push_kills(w, _need(d), a.rounds)),
        ("restart", lambda w, d, a: network.server_restarts(w, _need(d), a.restarts)),
        ("proxy", lambda w, d, a: network.proxy_faults(w, a.rounds - a.rounds // 2)),
        ("damage", lambda w, d, a: storage.damaged_cache(w, a.damages)),
    ),
)
DIRECT = frozenset({"pull", "push", "restart"})
"""Kinds that share one desktop talking straight to the lane's server."""
_print = threading.Lock()


def _need(desk: Desktop | None) -> Desktop:
    assert desk is not None
    return desk


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python3 dev.py faults", description=__doc__)
    parser.add_argument("--rounds", type=int, default=50, help="kills of pulls, of pushes, proxy rounds (50)")
    parser.add_argument("--restarts", type=int, default=10, help="server restarts mid-push (10)")
    parser.add_argument("--damages", type=int, default=3, help="damaged caches rescued (3)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    parser.add_argument("--students", type=int, default=Sizes.students, help="size of the seeded district")
    parser.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS), help="run only these kinds")
    parser.add_argument("--lanes", type=int, choices=(1, 2), default=2, help="lanes run side by side (2)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    return parser


def _lane(
    number: int, steps: tuple[Step, ...], folder: Path, seed_value: int, args: argparse.Namespace
) -> Tally:
    wanted = [(name, step) for name, step in steps if name in args.only]
    folder.mkdir()
    db_url = f"sqlite:///{folder / 'server.db'}"
    seed(db_url, args.students, seed_value + number)
    server = ServerProcess(db_url, folder)
    server.start()
    ledger = Ledger(db_url, random.Random(seed_value + 10 * number))
    world = World(
        folder, server, ledger, random.Random(seed_value + 10 * number + 1), Sizes(students=args.students)
    )
    try:
        desk = world.desktop("direct") if DIRECT & {name for name, _ in wanted} else None
        for _name, step in wanted:
            before = set(world.tally.kinds)
            step(world, desk, args)
            with _print:
                for kind in set(world.tally.kinds) - before:
                    print(json.dumps({kind: world.tally[kind].as_json()}), file=sys.stderr, flush=True)
    finally:
        server.stop()
        ledger.close()
    return world.tally


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    seed_value = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    folder = Path(tempfile.mkdtemp(prefix="connect-faults-"))
    print(json.dumps({"seed": seed_value, "folder": str(folder)}), file=sys.stderr, flush=True)
    lanes = LANES if args.lanes == 2 else (tuple(step for lane in LANES for step in lane),)
    total = Tally()
    try:
        with ThreadPoolExecutor(len(lanes)) as pool:
            futures = [
                pool.submit(_lane, n, steps, folder / f"lane-{n}", seed_value, args)
                for n, steps in enumerate(lanes, start=1)
            ]
            for future in futures:
                total.absorb(future.result())
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(total.summary(), indent=2))
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
