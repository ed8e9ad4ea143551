"""A loopback TCP proxy in front of the live server that breaks chosen connections.

Each new connection takes the next fault from a queue (none left: it passes bytes
through untouched):
- "reset": the request is read, then the connection is reset (RST, no answer);
- "truncate": the answer's headers and half its body are sent, then the connection is
  closed: the client sees a body cut short (`IncompleteRead`);
- "drop_answer": the request reaches the server (it acts on it), the answer is thrown
  away and the connection reset: the client cannot know whether its POST was applied.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque
from typing import Literal

Fault = Literal["reset", "truncate", "drop_answer"]


class FaultProxy:
    """`with FaultProxy(upstream_port) as proxy:` then talk to `proxy.url`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.injected: list[Fault] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._closing = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        """Break the next `times` new connections with `fault`."""
        with self._lock:
            self._faults.extend([fault] * times)

    def fail_always(self, fault: Fault) -> None:
        self.fail_next(fault, 10_000)

    def heal(self) -> None:
        with self._lock:
            self._faults.clear()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing = True
        with contextlib.suppress(OSError):  # closing alone does not wake a blocked accept()
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        self._thread.join(timeout=5)
        self._listener.close()

    def _next_fault(self) -> Fault | None:
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            self.injected.append(fault)
        return fault

    def _serve(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closing:  # the wake-up call of __exit__
                client.close()
                return
            fault = self._next_fault()
            threading.Thread(target=self._handle, args=(client, fault), daemon=True).start()

    def _handle(self, client: socket.socket, fault: Fault | None) -> None:
        try:
            if fault == "reset":
                client.recv(65536)
                _reset(client)
                return
            upstream = socket.create_connection(self.upstream)
        except OSError:
            _reset(client)
            return
        to_server = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
        to_server.start()
        try:
            if fault is None:
                _pump(upstream, client)
            elif fault == "truncate":
                _truncated_answer(upstream, client)
            else:  # drop_answer: wait for the server's answer, then throw it away
                upstream.recv(65536)
                _reset(client)
        finally:
            for sock in (client, upstream):
                with contextlib.suppress(OSError):
                    sock.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


def _truncated_answer(upstream: socket.socket, client: socket.socket) -> None:
    """Forward the headers and half of the body of the first answer, then stop."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = upstream.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length // 2 + 1 and (chunk := upstream.recv(65536)):
        body += chunk
    client.sendall(head + b"\r\n\r\n" + body[: max(length // 2, 1)])
    _reset(client)


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a dropped connection looks to the client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)  # wakes the other direction's thread blocked in recv
    except OSError:
        pass
    sock.close()
