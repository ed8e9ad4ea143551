"""Read-only sync endpoints: the settings record and the run history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from tests.server.conftest import ADMIN_A, DISTRICT, TEACHER_A, Api, District
from tests.support.records import RecordBuilder
from tests.support.server import LiveServer

Connect = Callable[..., Api]


def test_settings_and_runs_newest_first(
    live_server: LiveServer, connect: Connect, district: District
) -> None:
    build = RecordBuilder(live_server.sessions)
    older = build.sync_run(started_at=dt.datetime(2026, 5, 1, 2, 0), status="succeeded")
    newer = build.sync_run(started_at=dt.datetime(2026, 5, 2, 2, 0), status="failed_threshold",
                           counts={"students": {"tried_to_archive": 40}})  # fmt: skip
    admin = connect(ADMIN_A)
    settings = admin.http.get("/sync/settings").json()
    assert (settings["type"], settings["id"], settings["data"]["daily_sync"]) == (
        "sync_settings",
        district.sync_settings_id,
        True,
    )
    runs = admin.http.get("/sync/runs").json()
    assert [r["id"] for r in runs] == [newer["id"], older["id"]]
    assert runs[0]["data"]["started_at"] == "2026-05-02T02:00:00"
    assert [r["id"] for r in admin.http.get("/sync/runs", params={"limit": 1}).json()] == [newer["id"]]
    # no per-school split stored (a run from before it was kept): the district's counts stay hidden
    assert runs[0]["data"]["counts"] == {} and "not recorded" in runs[0]["data"]["message"]
    district_runs = connect(DISTRICT).http.get("/sync/runs").json()
    assert district_runs[0]["data"]["counts"] == {"students": {"tried_to_archive": 40}}
    teacher = connect(TEACHER_A)
    assert teacher.http.get("/sync/settings").status_code == 403
    assert teacher.http.get("/sync/runs").status_code == 403
