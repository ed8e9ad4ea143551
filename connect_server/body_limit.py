"""Request-body limits per route, enforced before a body is held in memory.

A declared `Content-Length` over the route's limit is answered at once, without
reading the body; otherwise the body is read chunk by chunk (chunked uploads
included) and the request is refused as soon as the count passes the limit. The
answer is 413 with a JSON `detail`, and the connection is closed so the rest of the
body is never read.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connect_desktop.api.limits import body_limit
from connect_desktop.api.schema import API_PREFIX


def route_limit(path: str) -> int:
    """The body limit of a request path (below the app's root path, if it has one)."""
    return body_limit(path[len(API_PREFIX) :] if path.startswith(API_PREFIX + "/") else "")


class BodyLimitMiddleware:
    """Pure ASGI middleware: reads the (bounded) body first, then hands it to the app."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int] = route_limit) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, root = scope["path"], scope.get("root_path", "")
        limit = self.limit_for(path[len(root) :] if root and path.startswith(root) else path)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away; nobody to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP server refuses a malformed length before we get here
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the whole body once, then what the client does next."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps({"detail": f"The request is too large: at most {limit:,} bytes are accepted here."})
    encoded = body.encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(encoded)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})
