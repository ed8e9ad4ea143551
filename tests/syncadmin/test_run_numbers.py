"""A held run on the reference server, pulled into the desktop cache and explained there.

The numbers travel as the run's fields (`counts[type]["planned"]`): rewording the server's
message changes nothing the desktop shows, and the preview comes back in the same shape.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from connect_desktop.account import Account
from connect_desktop.api import sync_calls
from connect_desktop.reports import export_report
from connect_desktop.syncadmin.explain import explain_run
from connect_desktop.syncadmin.history import load_status
from connect_server.sync_runner import run_sync
from connect_server.syncing.config import SourceConfig, save_source
from tests.reports.helpers import records
from tests.server_sync.package import District
from tests.support.server import LiveServer, add_user

EMAIL, PASSWORD = "dana@district.example", "correct horse battery"
AS_OF = dt.date(2026, 6, 20)


def use(server: LiveServer, package: Path) -> None:
    with server.sessions.begin() as session:
        save_source(session, SourceConfig("oneroster-csv", {"path": str(package)}))


def test_a_held_run_is_explained_from_its_fields_not_its_words(
    live_server: LiveServer, tmp_path: Path
) -> None:
    add_user(live_server.sessions, EMAIL, "district_admin", PASSWORD)
    use(live_server, District(students=range(20)).write(tmp_path / "now.zip"))
    assert run_sync(live_server.sessions, today=AS_OF).run.status == "succeeded"
    use(live_server, District(students=range(10)).write(tmp_path / "next.zip"))
    held = run_sync(live_server.sessions, today=AS_OF).run
    assert held.status == "failed_threshold"
    with live_server.sessions.begin() as session:  # another wording, another language
        session.execute(text("UPDATE sync_run SET message = 'Angehalten.' WHERE id = :id"), {"id": held.id})

    account = Account.sign_in(live_server.url, EMAIL, PASSWORD)
    try:
        account.pull()
        status = load_status(account)
        run = status.latest_run
        assert run is not None and run.id == held.id and run.message == "Angehalten."
        told = explain_run(run, status.settings)
        assert "10 students (50% of synced students), more than your threshold of 10%" in told.what_happened
        assert "the next run will be held too" in told.next_run

        with account.client() as client:
            preview = sync_calls.preview_sync(client)
        assert preview.held and preview.types["student"].model_dump() == run.counts["student"]["planned"]

        # the sync-history workbook shows the counts, not the recorded plan
        sheet = records(
            export_report(account.cache.engine, "sync-history", tmp_path, today=AS_OF), "Sync runs"
        )
        assert sheet[0]["Run ID"] == held.id and sheet[0]["Students tried to archive"] == 10
        assert not [name for name in sheet[0] if "planned" in name.lower()]
    finally:
        account.close()
