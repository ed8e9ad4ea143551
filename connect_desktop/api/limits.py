"""Request-size limits of the Connect API, shared by the server and the desktop client.

Field limits (characters, items, bytes of `params`) bound what the wire schema accepts;
the byte limit of each route's body is derived from them, so a request that passes the
field limits always fits into its route's body limit. The desktop encodes request
bodies with `encode_body` (compact UTF-8 JSON), the encoding those sums assume.
"""

from __future__ import annotations

import json
from typing import Any

MAX_OPERATIONS_PER_REQUEST = 500
"""Operations in one `POST /operations`; the desktop pushes batches of at most this many."""
MAX_ID_LENGTH = 64
"""Characters of an `op_id` or a record id (UUIDs have 36)."""
MAX_KIND_LENGTH = 64
MAX_VERSION = 2**63 - 1
MAX_USERNAME_LENGTH = 254
"""An e-mail address (RFC 5321)."""
MAX_PASSWORD_LENGTH = 1024
MAX_PARAMS_BYTES = 8 * 1024
"""One operation's `params`, measured as `encode_body(params)`."""

JSON_BYTES_PER_CHAR = 6
"""Worst case of one character in compact UTF-8 JSON: a control character as `\\u001f`."""
ENVELOPE_BYTES = 256
"""Keys, punctuation, the type name and the version of one operation or sign-in body."""

MAX_TOKEN_BODY_BYTES = JSON_BYTES_PER_CHAR * (MAX_USERNAME_LENGTH + MAX_PASSWORD_LENGTH) + ENVELOPE_BYTES
MAX_RELATED_TARGETS = 16
"""Records an operation touches besides its target (`Operation.also`)."""
TARGET_ENVELOPE_BYTES = 96
"""Keys, punctuation, the longest type name and the largest version of one target."""
MAX_OPERATION_BYTES = (
    MAX_PARAMS_BYTES
    + JSON_BYTES_PER_CHAR * (2 * MAX_ID_LENGTH + MAX_KIND_LENGTH)
    + ENVELOPE_BYTES
    + MAX_RELATED_TARGETS * (JSON_BYTES_PER_CHAR * MAX_ID_LENGTH + TARGET_ENVELOPE_BYTES)
)
MAX_OPERATIONS_BODY_BYTES = MAX_OPERATIONS_PER_REQUEST * (MAX_OPERATION_BYTES + 1) + ENVELOPE_BYTES
MAX_DEFAULT_BODY_BYTES = 16 * 1024
"""Every other route: small JSON bodies such as `{"approve_archives": true}`."""

BODY_LIMITS: dict[str, int] = {
    "/auth/token": MAX_TOKEN_BODY_BYTES,
    "/operations": MAX_OPERATIONS_BODY_BYTES,
}
"""Request-body limits in bytes by path below `/api/v1`; `MAX_DEFAULT_BODY_BYTES` elsewhere."""


def body_limit(api_path: str) -> int:
    """The largest request body, in bytes, the server accepts at `api_path` (below `/api/v1`)."""
    return BODY_LIMITS.get(api_path.rstrip("/"), MAX_DEFAULT_BODY_BYTES)


def encode_body(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON: how the desktop sends bodies and how `params` are measured."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
