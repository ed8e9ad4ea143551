"""OneRoster 1.2 (OAuth 2 client credentials) and 1.1 (OAuth 1.0a) REST → the snapshot.

1.1 requests are signed with OAuth 1.0a HMAC-SHA256 in the Authorization header, as the
OneRoster 1.1 specification and ClassLink's Roster Server (direct access) require.

Each endpoint is paged with `limit`/`offset`, following `Link: rel="next"` when the
server sends one and `X-Total-Count` otherwise. Objects are flattened into the CSV
reader's column names and fed through the same assembler, so references are checked
the same way; diagnostics name the endpoint as the file, the index in its listing
(from 0) as the row and the JSON field as the column.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, Client

from connect_desktop.rostering.diagnostics import Diagnostics, Renamed
from connect_desktop.rostering.http import JsonHttp, Signer, same_origin, source_error
from connect_desktop.rostering.oneroster_csv import DATE_RE, ID_RE, TYPE_FILE, feed_batch
from connect_desktop.rostering.oneroster_model import OneRosterAssembler, Where
from connect_desktop.rostering.snapshot import Snapshot

BASES = {"1.2": "/ims/oneroster/rostering/v1p2", "1.1": "/ims/oneroster/v1p1"}
ENDPOINTS = ("orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments")
SCOPE_12 = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
REJECTED = "The SIS rejected the client id/secret."
COLUMNS = {
    "schoolSourcedId": "school",
    "classSourcedId": "class",
    "userSourcedId": "user",
    "courseSourcedId": "course",
    "termSourcedIds": "terms",
    "orgSourcedIds": "orgs",
    "orgSourcedId": "roles",
    "agentSourcedIds": "agents",
    "primaryOrgSourcedId": "primaryOrg",
}
"""CSV column -> the JSON field diagnostics name instead."""
REQUIRED = {
    "orgs": ("name", "type"),
    "academicSessions": ("title", "startDate", "endDate"),
    "courses": ("title",),
    "classes": ("title", "school"),
    "users": ("givenName", "familyName"),
    "demographics": (),
    "enrollments": ("class", "school", "user", "role"),
}


@dataclass(frozen=True, slots=True)
class RestSource:
    """Where and how to reach a OneRoster REST server.

    `url` is the server root or the full base (`…/ims/oneroster/rostering/v1p2` or
    `…/ims/oneroster/v1p1`; the base decides the version). The 1.2 token URL defaults to
    `<root>/oauth/token`.
    """

    url: str
    client_id: str
    client_secret: str
    version: str | None = None
    token_url: str | None = None
    page_size: int = 100
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # seconds before the first retry; doubles each time

    @property
    def resolved_version(self) -> str:
        return self.version or ("1.1" if "/v1p1" in self.url else "1.2")

    @property
    def base(self) -> str:
        """The listings' base URL: `url` itself when it ends in a version (`/v1p1`, `/v1p2`),
        else the standard base under the root (so `…/ims/oneroster` and `…/ims/` work too)."""
        url = self.url.rstrip("/")
        if url.rsplit("/", 1)[-1] in ("v1p1", "v1p2"):
            return url
        return self.root + BASES[self.resolved_version]

    @property
    def root(self) -> str:
        url = self.url.rstrip("/") + "/"
        return url.split("/ims/", 1)[0] if "/ims/" in url else url.rstrip("/")


def read_oneroster_rest(
    source: RestSource, diags: Diagnostics, *, work_dir: str | Path | None = None
) -> Snapshot:
    """Read a OneRoster REST server into a snapshot; raises SourceError when it cannot be read."""
    version = source.resolved_version
    snap = Snapshot(f"oneroster-rest-{version}", work_dir)
    snap.version = version
    try:
        with JsonHttp(
            "The SIS",
            rejected=REJECTED,
            timeout=source.timeout,
            retries=source.retries,
            backoff=source.backoff,
        ) as http:
            sign = _oauth2(source, http) if version == "1.2" else _oauth1(source)
            _read(source, http, sign, snap, Renamed(diags, COLUMNS, {"roles": "users"}))
    except BaseException:
        snap.close()
        raise
    return snap.finish()


def probe_oneroster_rest(source: RestSource) -> None:
    """Sign in and fetch the first page of orgs, without retries; raises SourceError when that fails.

    A quick check that the address, version and credentials work (rows are not checked).
    """
    with JsonHttp("The SIS", rejected=REJECTED, timeout=min(source.timeout, 15.0), retries=0) as http:
        sign = _oauth2(source, http) if source.resolved_version == "1.2" else _oauth1(source)
        data, _ = http.get(f"{source.base}/orgs", sign, {"limit": 1, "offset": 0})
    if not isinstance(data, dict) or not isinstance(data.get("orgs"), list):
        raise source_error(
            "malformed_json",
            "The SIS's answer for orgs holds no 'orgs' list.",
            "Check that the address is the OneRoster base URL.",
            file="orgs",
        )


def _oauth2(source: RestSource, http: JsonHttp) -> Signer:
    token: dict[str, Any] = {}

    def sign(url: str) -> Mapping[str, str]:
        if not token or time.monotonic() > token["until"]:
            answer = http.post_form(
                source.token_url or f"{source.root}/oauth/token",
                {"grant_type": "client_credentials", "scope": SCOPE_12},
                (source.client_id, source.client_secret),
            )
            if not isinstance(answer, dict) or not isinstance(answer.get("access_token"), str):
                raise source_error(
                    "malformed_json", "The SIS's token answer holds no access_token.", "Check the token URL."
                )
            lifetime = answer.get("expires_in")
            lifetime = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
            token.update(value=answer["access_token"], until=time.monotonic() + max(lifetime - 60, 1))
        return {"Authorization": f"Bearer {token['value']}", "Accept": "application/json"}

    return sign


def _oauth1(source: RestSource) -> Signer:
    client = Client(
        source.client_id, client_secret=source.client_secret, signature_method=SIGNATURE_HMAC_SHA256
    )

    def sign(url: str) -> Mapping[str, str]:
        _, headers, _ = client.sign(url, http_method="GET")
        return {**headers, "Accept": "application/json"}

    return sign


def pages(http: JsonHttp, sign: Signer, base: str, stem: str, limit: int) -> Iterator[object]:
    """Every object of one endpoint, page by page."""
    url, params = f"{base}/{stem}", {"limit": limit, "offset": 0}
    offset = 0
    seen: set[str] = set()
    while True:
        data, response = http.get(url, sign, params)
        items = data.get(stem) if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise source_error(
                "malformed_json",
                f"The SIS's answer for {stem} holds no '{stem}' list.",
                "Check that the address is the OneRoster base URL.",
                file=stem,
            )
        yield from items
        offset += len(items)
        link = response.links.get("next", {}).get("url")
        total = response.headers.get("X-Total-Count", "")
        if not items:
            return
        if link:
            url, params = same_origin(url, link, seen), {}
        elif (total.isdigit() and offset < int(total)) or (not total and len(items) >= limit):
            url, params = f"{base}/{stem}", {"limit": limit, "offset": offset}
        else:
            return


def _read(source: RestSource, http: JsonHttp, sign: Signer, snap: Snapshot, diags: Diagnostics) -> None:
    version = source.resolved_version
    model = OneRosterAssembler(snap, diags, {})
    model.name = lambda stem: "users" if stem == "roles" else stem
    for stem in ENDPOINTS:
        model.loaded.add(stem)
        if stem == "users" and version == "1.2":
            model.loaded.add("roles")
        batch: list[tuple[str, int, dict[str, object]]] = []
        for index, obj in enumerate(pages(http, sign, source.base, stem, source.page_size)):
            rec = _flat(stem, obj, index, diags, model, version)
            if rec is not None:
                batch.append((str(rec["sourcedId"]), index, rec))
            if len(batch) >= 2_000:
                feed_batch(stem, stem, batch, model, snap, "bulk")
                batch.clear()
        feed_batch(stem, stem, batch, model, snap, "bulk")
    snap.present = set(TYPE_FILE)
    model.finish()


def _ref(value: object) -> str:
    """A GUIDRef's sourcedId ('' when absent or malformed)."""
    if isinstance(value, dict):
        sid = value.get("sourcedId")
        return sid if isinstance(sid, str) else ""
    return ""


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    return [str(v) for v in value] if isinstance(value, list) else []


def _flat(
    stem: str, obj: object, index: int, diags: Diagnostics, model: OneRosterAssembler, version: str
) -> dict[str, object] | None:
    """The object in the CSV reader's column names; None (reported) when it cannot be used."""
    if not isinstance(obj, dict):
        diags.error(
            "malformed_json", "An entry is not a JSON object.", "Ask the SIS vendor.", file=stem, row=index
        )
        return None
    sid = obj.get("sourcedId")
    if not isinstance(sid, str) or not ID_RE.fullmatch(sid):
        diags.error(
            "bad_id",
            f"{sid!r} is not a valid sourcedId.",
            "sourcedIds use only letters, digits and . / @ _ -, up to 255 characters.",
            file=stem,
            row=index,
            column="sourcedId",
        )
        return None
    missing = [f for f in REQUIRED[stem] if obj.get(f) in (None, "", {}, [])]
    for name in missing:
        diags.error(
            "missing_value",
            f"'{name}' is empty.",
            f"Fill in {name} in the SIS.",
            file=stem,
            row=index,
            column=name,
        )
    if missing:
        model.reject(stem, sid)
        return None
    dates = {"academicSessions": ("startDate", "endDate"), "demographics": ("birthDate",)}.get(stem, ())
    bad = [f for f in dates if obj.get(f) and not (isinstance(obj[f], str) and DATE_RE.fullmatch(obj[f]))]
    for name in bad:
        diags.error(
            "bad_date",
            f"{obj[name]!r} is not a date (YYYY-MM-DD).",
            "Ask the SIS vendor.",
            file=stem,
            row=index,
            column=name,
        )
    if bad:
        model.reject(stem, sid)
        return None
    text = {k: v for k, v in obj.items() if isinstance(v, str)}
    rec: dict[str, object] = {
        **text,
        "status": text.get("status", "") if text.get("status") == "tobedeleted" else "",
    }
    if stem == "academicSessions":
        rec["schoolYear"] = str(obj.get("schoolYear") or "")
    elif stem in ("courses", "classes"):
        rec["grades"] = _strings(obj.get("grades"))
        rec["courseSourcedId"] = _ref(obj.get("course"))
        rec["schoolSourcedId"] = _ref(obj.get("school"))
        rec["termSourcedIds"] = [_ref(t) for t in obj.get("terms") or [] if _ref(t)]
    elif stem == "users":
        rec["grades"] = _strings(obj.get("grades"))
        rec["agentSourcedIds"] = [_ref(a) for a in obj.get("agents") or [] if _ref(a)]
        if version == "1.1":
            rec["orgSourcedIds"] = [_ref(o) for o in obj.get("orgs") or [] if _ref(o)]
        else:
            rec["role"] = ""
            rec["primaryOrgSourcedId"] = _ref(obj.get("primaryOrg"))
            for role in obj.get("roles") or []:
                if isinstance(role, dict):
                    at = Where(stem, index)
                    model.role(
                        at,
                        sid,
                        str(role.get("roleType", "")),
                        str(role.get("role", "")),
                        _ref(role.get("org")),
                    )
    elif stem == "enrollments":
        for field in ("class", "school", "user"):
            rec[f"{field}SourcedId"] = _ref(obj.get(field))
    return rec
