"""Broken connections (the loopback fault proxy) and the server killed and restarted mid-push."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import get_args

from tests.faults.desktop import Desktop
from tests.faults.world import World
from tests.support.fault_proxy import Fault, FaultProxy

PROXY = "proxy reset/truncate/drop_answer"
RESTART = "server kill -9 and restart mid-push"
UNREACHABLE = 4
FAULTS_IN_A_ROW = (1, 1, 2, 3, 4)
"""Consecutive connections broken: the client tries 4 times, so 4 ends the command (plainly)."""
SENDING_TIMEOUT_S = 30.0
RESTART_OPS = 450
"""One batch (the server takes about 2 s for it), a few more operations in a second."""
RESTART_AIM_S = 2.0
"""The server is killed this long at most after the first batch went out."""


class SkippingProxy(FaultProxy):
    """The fault proxy with one request per connection, so a fault can hit any request.

    Undisturbed connections carry one request and its answer, marked `Connection: close`
    (the client opens a new connection for its next request); `skip_next(n)` lets n such
    connections through before the queued faults start.
    """

    def __init__(self, upstream_port: int) -> None:
        super().__init__(upstream_port)
        self.connections = 0
        self._skip = 0

    def skip_next(self, count: int) -> None:
        self._skip = count

    def _next_fault(self) -> Fault | None:
        self.connections += 1
        if self._skip > 0:
            self._skip -= 1
            return None
        return super()._next_fault()

    def _handle(self, client: socket.socket, fault: Fault | None) -> None:
        if fault is not None:
            super()._handle(client, fault)
            return
        try:
            with socket.create_connection(self.upstream) as upstream:
                threading.Thread(target=_forward, args=(client, upstream), daemon=True).start()
                client.sendall(_one_answer(upstream))
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.close()


def _forward(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while chunk := source.recv(65536):
            target.sendall(chunk)


def _one_answer(upstream: socket.socket) -> bytes:
    """The first answer on `upstream` (a Content-Length body), marked `Connection: close`."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = upstream.recv(65536)
        if not chunk:
            raise OSError("the server closed the connection before answering")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    length = next(
        (int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        chunk = upstream.recv(65536)
        if not chunk:
            break
        body += chunk
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body[:length]


def proxy_faults(world: World, rounds: int) -> None:
    """Each round breaks 1-4 connections of a pull or a push, at a random connection of it."""
    count = world.tally[PROXY]
    started = time.monotonic()
    with SkippingProxy(world.server.port) as proxy:
        desk = world.desktop("proxied", proxy.url)
        seen = {phase: _connections(world, desk, proxy, phase) for phase in ("pull", "push")}
        for _ in range(rounds):
            phase = world.rng.choice(["pull", "push"])
            fault: Fault = world.rng.choice(get_args(Fault))
            in_a_row = world.rng.choice(FAULTS_IN_A_ROW)
            _prepare(world, desk, phase)
            before_faults = len(proxy.injected)
            proxy.skip_next(world.rng.randrange(seen[phase]))
            proxy.fail_next(fault, in_a_row)
            outcome = desk.run("sync", f"--{phase}-only")
            proxy.heal()
            proxy.skip_next(0)
            landed = len(proxy.injected) - before_faults
            world.tally.observe(PROXY, outcome, expect=(0, UNREACHABLE))
            if landed:
                count.injected += landed
                count.where(f"{fault} {phase}: {'retried' if outcome.code == 0 else 'plain message'}")
            else:
                count.missed += in_a_row
            if outcome.code == 0:
                world.check(PROXY, desk)
            else:
                world.recover(PROXY, desk)
    world.server_log(PROXY)
    count.seconds += time.monotonic() - started


def _prepare(world: World, desk: Desktop, phase: str) -> None:
    if phase == "pull":
        world.ledger.change_server(world.sizes.pull_changes // 3, adds=5)
    else:
        world.ledger.stage(desk, world.sizes.push_ops // 2, deletes=1, twice=3)


def _connections(world: World, desk: Desktop, proxy: SkippingProxy, phase: str) -> int:
    """How many connections an undisturbed pull or push opens (faults are aimed at one of them)."""
    _prepare(world, desk, phase)
    before = proxy.connections
    world.tally.observe(PROXY, desk.run("sync", f"--{phase}-only"), expect=(0,))
    opened = proxy.connections - before
    world.recover(PROXY, desk)
    return max(1, opened)


def _restart_moment(applied: int, staged: int) -> str:
    """The server commits each operation on its own: part of a batch may be in."""
    if not applied:
        return "before any operation was applied"
    return "after every operation was applied" if applied == staged else "mid-batch, part applied"


def server_restarts(world: World, desk: Desktop, rounds: int) -> None:
    """kill -9 of the server while a batch is out, restart on the same port and database."""
    count = world.tally[RESTART]
    started = time.monotonic()
    for _ in range(rounds):
        staged = world.ledger.stage(desk, RESTART_OPS, deletes=2, twice=5)
        victim = desk.spawn("sync", "--push-only")
        deadline = time.monotonic() + SENDING_TIMEOUT_S
        while not desk.sending() and victim.running() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(world.rng.uniform(0.0, RESTART_AIM_S))
        if victim.running():
            world.server.kill()
            count.injected += 1
            applied = world.ledger.applied(desk)
            count.where(_restart_moment(applied, staged))
            world.server.start()
        else:
            count.missed += 1
        outcome = victim.finish()
        world.tally.observe(RESTART, outcome, expect=(0, UNREACHABLE))
        if outcome.code == 0:
            world.check(RESTART, desk)
        else:
            world.recover(RESTART, desk)
    world.server_log(RESTART)
    count.seconds += time.monotonic() - started
