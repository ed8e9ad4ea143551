"""The answer to a request that fails validation: 422 with what is wrong, never the input.

FastAPI's default answer echoes every refused value back, which puts a mistyped
password into the response (and a lone surrogate there makes the answer itself fail
with a 500). This one names the field and the problem only, as ASCII-safe JSON.
"""

from __future__ import annotations

import json

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response


def _problem(error: dict[str, object]) -> dict[str, object]:
    return {
        "loc": list(error.get("loc", ())),
        "msg": str(error.get("msg", "")),
        "type": str(error.get("type", "")),
    }


async def validation_failed(_request: Request, exc: Exception) -> Response:
    """422 listing each refused field (`loc`), its problem (`msg`) and kind (`type`)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    body = json.dumps({"detail": [_problem(e) for e in errors]}, ensure_ascii=True)
    return Response(body, status_code=422, media_type="application/json")
