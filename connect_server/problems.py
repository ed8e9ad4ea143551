"""Unexpected server problems: logged with a reference, without the data they may quote.

A database error's text holds the SQL and its bound parameters (names, e-mail
addresses), and other exceptions may quote a value too. What people see is a plain
sentence with a reference; the log line under that reference names the exception
types, the database's error code and the code path, never an exception's text.
"""

from __future__ import annotations

import logging
import secrets
import traceback

__all__ = ["describe", "report_problem"]


def report_problem(log: logging.Logger, what: str, error: BaseException) -> str:
    """Log `error` (no data from it) under a new reference, and return the reference."""
    reference = "R-" + secrets.token_hex(4).upper()
    frames = "".join(traceback.format_tb(error.__traceback__)).rstrip()
    log.error("%s: unexpected problem, reference %s: %s\n%s", what, reference, describe(error), frames)
    return reference


def describe(error: BaseException) -> str:
    """The exception and its causes by type, with the database's error code and the object it names."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:  # a DBAPIError's cause is the driver's error
        seen.add(id(current))
        parts.append(_one(current))
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)


def _one(error: BaseException) -> str:
    kind = type(error)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    details = []
    sqlstate = getattr(error, "sqlstate", None)  # psycopg
    if isinstance(sqlstate, str) and sqlstate:
        details.append(f"SQLSTATE {sqlstate}")
    code = getattr(error, "sqlite_errorname", None)  # sqlite3
    if isinstance(code, str) and code:
        details.append(code)
    diag = getattr(error, "diag", None)  # psycopg: which table and constraint (names, not data)
    for label in ("table_name", "constraint_name"):
        value = getattr(diag, label, None)
        if isinstance(value, str) and value:
            details.append(f"{label.split('_')[0]} {value}")
    return f"{name} ({', '.join(details)})" if details else name
