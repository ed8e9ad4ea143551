"""A school admin's cache follows what they may see, over the real HTTP feed.

The server-side property test (`tests/server/test_feed_scope.py`) checks the feed
itself; these check the desktop's side of the protocol: the scope stamp it stores
with its cursor, emptying the cache on `reset`, and receiving records that moved in.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from connect_desktop import session as accounts
from connect_desktop.domain.entities import EntityType
from connect_desktop.rostering.plan import Change
from connect_desktop.store import models as cache_models
from connect_desktop.sync.pull import pull
from connect_server.models import School, Student
from connect_server.syncing.apply import PlanApplier
from connect_server.users import set_scope
from tests.desktop.conftest import FAST_RETRY, District
from tests.support.server import LiveServer, add_user

EMAIL = "school.admin@example.org"
PASSWORD = "another long passphrase"


def _cached_ids(cache: Any, kind: EntityType) -> set[str]:
    model = cache_models.ENTITY_MODELS[kind]
    with cache.sessions() as session:
        return set(session.scalars(select(model.id)))


def _sign_in(live_server: LiveServer) -> tuple[Any, Any]:
    signed_in = accounts.login(live_server.url, EMAIL, PASSWORD)
    return accounts.open_account_cache(signed_in.account), accounts.client_for(
        signed_in.account, retry=FAST_RETRY
    )


def _in_school(district: District, school: dict[str, Any]) -> set[str]:
    return {s["id"] for s in district.students if s["school_id"] == school["id"]}


def test_a_changed_school_list_replaces_the_cache_on_the_next_sync(
    live_server: LiveServer, district: District
) -> None:
    lincoln, jefferson = district.schools
    add_user(live_server.sessions, EMAIL, "school_admin", PASSWORD, [lincoln["id"]])
    cache, client = _sign_in(live_server)
    try:
        pull(cache, client, page_size=4)
        assert _cached_ids(cache, EntityType.STUDENT) == _in_school(district, lincoln)

        set_scope(live_server.sessions, EMAIL, school_ids=[jefferson["id"]])
        pull(cache, client, page_size=4)
        assert _cached_ids(cache, EntityType.STUDENT) == _in_school(district, jefferson)
        assert _cached_ids(cache, EntityType.SCHOOL) == {jefferson["id"]}
        assert pull(cache, client).received == 0
    finally:
        client.close()
        cache.close()


class _Plan:
    def __init__(self, *changes: Change) -> None:
        self.changes = changes

    def iter_changes(self, type_: str, kind: str) -> Any:
        return (c for c in self.changes if c.type == type_ and c.kind == kind)


def test_a_student_moved_by_the_sync_leaves_one_school_with_their_family_and_reaches_the_other(
    live_server: LiveServer, district: District
) -> None:
    lincoln, jefferson = district.schools
    mover = next(s for s in district.students[:4] if s["school_id"] == lincoln["id"])  # has a contact
    add_user(live_server.sessions, EMAIL, "school_admin", PASSWORD, [lincoln["id"]])
    add_user(live_server.sessions, "other@example.org", "school_admin", PASSWORD, [jefferson["id"]])
    cache, client = _sign_in(live_server)
    other = accounts.login(live_server.url, "other@example.org", PASSWORD).account
    other_cache, other_client = (
        accounts.open_account_cache(other),
        accounts.client_for(other, retry=FAST_RETRY),
    )
    try:
        pull(cache, client)
        pull(other_cache, other_client)
        contacts_before = _cached_ids(cache, EntityType.CONTACT)
        with live_server.sessions.begin() as session:
            _make_synced(session, mover["id"], lincoln["id"], jefferson["id"])
            move = Change(
                "student",
                "update",
                "stu-mover",
                mover["id"],
                {"school": "sch-j"},
                {"school": ("sch-l", "sch-j")},
            )
            PlanApplier(session, _Plan(move), str(uuid.uuid4())).apply(allow_archives=True)

        pull(cache, client)
        pull(other_cache, other_client)
        assert mover["id"] not in _cached_ids(cache, EntityType.STUDENT)
        assert mover["id"] in _cached_ids(other_cache, EntityType.STUDENT)
        moved_contacts = contacts_before - _cached_ids(cache, EntityType.CONTACT)
        assert len(moved_contacts) == 1  # the mover's parent, seen only through the mover
        assert moved_contacts <= _cached_ids(other_cache, EntityType.CONTACT)
    finally:
        for c in (client, other_client):
            c.close()
        for c in (cache, other_cache):
            c.close()


def _make_synced(session: Any, student_id: str, *school_ids: str) -> None:
    """Mark the two schools and the student as SIS records, so a sync plan can name them."""
    for school_id, sid in zip(school_ids, ("sch-l", "sch-j"), strict=True):
        session.execute(update(School).where(School.id == school_id).values(origin="sync", source_id=sid))
    session.execute(
        update(Student).where(Student.id == student_id).values(origin="sync", source_id="stu-mover")
    )
