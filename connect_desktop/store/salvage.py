"""Reading the staged changes out of a damaged cache file, as far as they can be read.

First through SQLite itself (read-only; `writable_schema` lets it read a file cut short),
row by row so the rows before a damaged page are kept. When SQLite cannot read the table
to its end, the file's pages (and its WAL's frames) are scanned for `pending_operation`
records, the way `sqlite3 .recover` does: every table-leaf cell is decoded and kept only
when it has the shape of a staged change (a uuid op_id, a known kind, target type and
state). The damaged file itself is never changed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connect_desktop.domain.entities import EntityType
from connect_desktop.domain.operations import OperationKind, OutboxState
from connect_desktop.store.models import Account, PendingOperation

log = logging.getLogger(__name__)

COLUMNS: tuple[str, ...] = tuple(c.name for c in PendingOperation.__table__.columns)
"""The outbox's columns in this build's order (the order of a cache's table, too)."""
ACCOUNT_COLUMNS: tuple[str, ...] = tuple(c.name for c in Account.__table__.columns)

STATE_RANK: dict[str, int] = {
    OutboxState.PENDING: 0,
    OutboxState.SENDING: 1,
    OutboxState.CONFLICT: 2,
    OutboxState.REJECTED: 2,
    OutboxState.APPLIED: 3,
    OutboxState.DISCARDED: 3,
}
"""How far an operation got; of two copies of one op_id (old pages) the furthest is kept."""
_KINDS = frozenset(k.value for k in OperationKind)
_TYPES = frozenset(t.value for t in EntityType)
_MARKERS = tuple(k.encode() for k in sorted(_KINDS))

_TABLE_LEAF = 0x0D
_WAL_MAGIC = (0x377F0682, 0x377F0683)


@dataclass
class Salvage:
    """What could be read: outbox rows (column → value, as stored) and the account row."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    account: dict[str, Any] | None = None
    complete: bool = False
    """SQLite read the whole outbox table without an error."""
    scanned: bool = False
    """The pages were scanned, too (SQLite could not read it all)."""
    columns: tuple[str, ...] = COLUMNS
    """The outbox's columns in the file's order (this build's when the schema is unreadable)."""


def salvage(path: Path) -> Salvage:
    """Everything of the outbox (and the account row) that can still be read from `path`."""
    found = Salvage()
    with contextlib.suppress(sqlite3.Error, OSError):
        _read_with_sqlite(path, found)
    if not found.complete:
        found.scanned = True
        try:
            rows = list(_scan(path, found.columns))
        except OSError as exc:
            log.warning("could not scan the damaged cache's pages (%s)", type(exc).__name__)
            rows = []
        found.operations = _best(found.operations + rows)
    log.info(
        "salvaged %d operation(s) (complete=%s, scanned=%s)",
        len(found.operations),
        found.complete,
        found.scanned,
    )
    return found


def _read_with_sqlite(path: Path, found: Salvage) -> None:
    """Fill `found` with what SQLite can read, up to the first error."""
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    try:
        connection.execute("PRAGMA writable_schema=ON")  # read a file shorter than its header says
        columns = tuple(row[1] for row in connection.execute("PRAGMA table_info(pending_operation)"))
        with contextlib.suppress(sqlite3.Error):
            found.account = _account(connection)
        if not columns:
            return  # no outbox table to read: perhaps its schema page is gone; scan
        found.columns = columns
        cursor = connection.execute(f"SELECT {', '.join(_quoted(c) for c in columns)} FROM pending_operation")
        for values in cursor:  # row by row: what comes before a damaged page is kept
            row = dict(zip(columns, values, strict=True))
            if _valid(row, strict=False):
                found.operations.append(row)
        found.complete = True
    finally:
        connection.close()


def _account(connection: sqlite3.Connection) -> dict[str, Any] | None:
    columns = [row[1] for row in connection.execute("PRAGMA table_info(account)")]
    wanted = [c for c in ACCOUNT_COLUMNS if c in columns]
    if not wanted:
        return None
    values = connection.execute(
        f"SELECT {', '.join(_quoted(c) for c in wanted)} FROM account LIMIT 1"
    ).fetchone()
    return dict(zip(wanted, values, strict=True)) if values else None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _valid(row: dict[str, Any], *, strict: bool) -> bool:
    """Has `row` the shape of a staged change? `strict` for rows decoded from raw pages."""
    try:
        uuid.UUID(str(row["op_id"]))
    except (KeyError, ValueError):
        return False
    if not all(isinstance(row.get(c), str) for c in ("kind", "target_type", "target_id", "state")):
        return False
    if not strict:
        return True
    if row["kind"] not in _KINDS or row["target_type"] not in _TYPES or row["state"] not in STATE_RANK:
        return False
    if not isinstance(row.get("base_version"), int) or not isinstance(row.get("created_at"), str):
        return False
    try:
        return isinstance(json.loads(row.get("params") or "{}"), dict)
    except ValueError:
        return False


def _best(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per op_id: the copy that got furthest (later copies win a tie)."""
    chosen: dict[str, dict[str, Any]] = {}
    for row in rows:
        known = chosen.get(row["op_id"])
        if known is None or STATE_RANK.get(row["state"], 0) >= STATE_RANK.get(known["state"], 0):
            chosen[row["op_id"]] = row
    return sorted(chosen.values(), key=lambda r: (str(r.get("created_at")), r["op_id"]))


# -- the page scan -----------------------------------------------------------------------


def _scan(path: Path, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    data = path.read_bytes()
    page_size = (
        _page_size(data[16:18]) if len(data) >= 100 and data.startswith(b"SQLite format 3\0") else 4096
    )
    reserved = data[20] if len(data) > 20 and data[20] < 64 else 0
    pages = [data[at : at + page_size] for at in range(0, len(data) - page_size + 1, page_size)]
    wal = Path(f"{path}-wal")
    if wal.exists():
        pages += _wal_pages(wal.read_bytes())
    usable = page_size - reserved
    by_number = {n + 1: page for n, page in enumerate(pages[: len(data) // page_size])}
    for number, page in enumerate(pages, start=1):
        if not any(marker in page for marker in _MARKERS):
            continue
        with contextlib.suppress(IndexError, ValueError, struct.error, UnicodeDecodeError):
            for values in _leaf_records(page, 100 if number == 1 else 0, usable, by_number):
                if len(values) < len(columns):
                    continue
                row = dict(zip(columns, values[: len(columns)], strict=True))
                if _valid(row, strict=True):
                    yield row


def _page_size(raw: bytes) -> int:
    size = struct.unpack(">H", raw)[0]
    size = 65536 if size == 1 else size
    return size if size >= 512 and size & (size - 1) == 0 else 4096


def _wal_pages(wal: bytes) -> list[bytes]:
    """The page images in a WAL file's frames, oldest first (no checksums needed: rows are checked)."""
    if len(wal) < 32 or struct.unpack(">I", wal[:4])[0] not in _WAL_MAGIC:
        return []
    size = struct.unpack(">I", wal[8:12])[0]
    if size < 512 or size > 65536 or size & (size - 1):
        return []
    frame = 24 + size
    return [wal[at + 24 : at + frame] for at in range(32, len(wal) - frame + 1, frame)]


def _leaf_records(page: bytes, header_at: int, usable: int, pages: dict[int, bytes]) -> Iterator[list[Any]]:
    if page[header_at] != _TABLE_LEAF:
        return
    cells = struct.unpack(">H", page[header_at + 3 : header_at + 5])[0]
    pointers = header_at + 8
    for index in range(cells):
        with contextlib.suppress(IndexError, ValueError, struct.error, UnicodeDecodeError):
            at = struct.unpack(">H", page[pointers + 2 * index : pointers + 2 * index + 2])[0]
            yield _record(_payload(page, at, usable, pages))


def _payload(page: bytes, at: int, usable: int, pages: dict[int, bytes]) -> bytes:
    size, at = _varint(page, at)
    _rowid, at = _varint(page, at)
    most = usable - 35
    if size <= most:
        return page[at : at + size]
    least = (usable - 12) * 32 // 255 - 23
    local = least + (size - least) % (usable - 4)
    local = local if local <= most else least
    parts = [page[at : at + local]]
    got, overflow = local, struct.unpack(">I", page[at + local : at + local + 4])[0]
    seen: set[int] = set()
    while got < size and overflow in pages and overflow not in seen:
        seen.add(overflow)
        chunk = pages[overflow]
        take = min(size - got, usable - 4)
        parts.append(chunk[4 : 4 + take])
        got += take
        overflow = struct.unpack(">I", chunk[:4])[0]
    if got < size:
        raise ValueError("overflow chain broken")
    return b"".join(parts)


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = 0
    for i in range(9):
        byte = data[at + i]
        if i == 8:
            return (value << 8) | byte, at + 9
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value, at + i + 1
    raise ValueError("bad varint")  # pragma: no cover - the loop always returns


_INT_SIZES = {1: 1, 2: 2, 3: 3, 4: 4, 5: 6, 6: 8}


def _record(payload: bytes) -> list[Any]:
    header_size, at = _varint(payload, 0)
    if header_size > len(payload):
        raise ValueError("record header too long")
    types: list[int] = []
    while at < header_size:
        serial, at = _varint(payload, at)
        types.append(serial)
    body = header_size
    values: list[Any] = []
    for serial in types:
        if serial == 0:
            values.append(None)
        elif serial in _INT_SIZES:
            width = _INT_SIZES[serial]
            values.append(int.from_bytes(payload[body : body + width], "big", signed=True))
            body += width
        elif serial == 7:
            values.append(struct.unpack(">d", payload[body : body + 8])[0])
            body += 8
        elif serial in (8, 9):
            values.append(serial - 8)
        elif serial >= 12:
            length = (serial - 12) // 2
            raw = payload[body : body + length]
            if len(raw) < length:
                raise ValueError("record cut short")
            values.append(raw.decode("utf-8") if serial % 2 else raw)
            body += length
        else:
            raise ValueError("reserved serial type")
    return values
