"""What every report states on its title rows: whose data, as of when, what is staged."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connect_desktop.domain.operations import STAGED, sql_in
from connect_desktop.domain.school_year import current_school_year
from connect_desktop.domain.words import changes_text, local_time
from connect_desktop.reports.source import CacheReader
from connect_desktop.store.school_years import YEAR_STARTS_SQL, parse_year_starts


@dataclass(frozen=True)
class ReportContext:
    account_name: str
    generated_at: dt.datetime
    today: dt.date
    last_pull_at: dt.datetime | None
    not_sent: int
    school_year: int
    """The school year current on `today` (`domain.school_year.current_school_year`)."""


def load_context(
    reader: CacheReader, *, today: dt.date, generated_at: dt.datetime, account_name: str | None
) -> ReportContext:
    """Read the title-row facts from the cache."""
    last_pull = reader.scalar("SELECT last_pull_at FROM sync_state ORDER BY id LIMIT 1")
    not_sent = reader.scalar(f"SELECT COUNT(*) FROM pending_operation WHERE state IN {sql_in(STAGED)}")
    return ReportContext(
        account_name=account_name or organisation_name(reader),
        generated_at=generated_at,
        today=today,
        last_pull_at=dt.datetime.fromisoformat(last_pull) if last_pull else None,
        not_sent=int(not_sent or 0),
        school_year=current_school_year(parse_year_starts(reader.rows(YEAR_STARTS_SQL)), today),
    )


def organisation_name(reader: CacheReader) -> str:
    """The district or school this cache shows, never the signed-in person.

    A cache scoped to one school is named after it; otherwise the account is
    district-wide ("All schools"). The account table holds no district name yet.
    """
    scope = reader.scalar("SELECT school_ids FROM account ORDER BY id LIMIT 1")
    if scope:
        rows = reader.rows(
            "SELECT s.name FROM json_each(:ids) j JOIN school s ON s.id = j.value ORDER BY s.name",
            {"ids": scope},
        )
        if len(rows) == 1:
            return str(rows[0][0])
        if rows:
            return f"{len(rows)} schools"
    if reader.scalar("SELECT COUNT(*) FROM school") == 1:
        return str(reader.scalar("SELECT name FROM school"))
    return "All schools"


def title_lines(ctx: ReportContext, title: str, *, outbox_report: bool = False) -> list[str]:
    """The title rows: report name; organisation and time; which state the data shows."""
    stamp = local_time(ctx.last_pull_at) if ctx.last_pull_at else "not yet downloaded"  # the cache keeps UTC
    changes = changes_text(ctx.not_sent)
    if outbox_report:
        state = (
            f"Every change staged on this computer, with the server's answer once sent; "
            f"{changes} not yet sent. Cache last downloaded: {stamp}."
        )
    elif ctx.not_sent:
        state = (
            f"Shows the data as last downloaded from Connect ({stamp}). "
            f"{changes} staged on this computer but not yet sent {'is' if ctx.not_sent == 1 else 'are'} "
            f"NOT included; see the Year-end changes report."
        )
    else:
        state = f"Shows the data as last downloaded from Connect ({stamp}). No staged changes are waiting."
    generated = ctx.generated_at.strftime("%Y-%m-%d %H:%M")
    return [title, f"{ctx.account_name} · generated {generated}", state]
