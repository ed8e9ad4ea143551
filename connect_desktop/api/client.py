"""The REST client for the Connect API (`/api/v1`) on a `requests.Session`.

Every call has timeouts. Calls that are safe to repeat are retried with exponential
backoff on connection problems and 502/503/504; `/auth/token` never is on a 5xx.
Failures become the typed errors of `connect_desktop.api.errors`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from pydantic import ValidationError

from connect_desktop.api import errors
from connect_desktop.api.limits import body_limit, encode_body
from connect_desktop.api.schema import (
    API_PREFIX,
    Operation,
    OperationsRequest,
    OperationsResponse,
    TokenRequest,
    TokenResponse,
    UserInfo,
)
from connect_desktop.version import user_agent

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0
RETRY_STATUSES = frozenset({502, 503, 504})

M = TypeVar("M", TokenResponse, UserInfo, OperationsResponse)


@dataclass(frozen=True)
class FeedPage:
    """One page of `/changes`: the raw change dicts (envelope validated, records not)."""

    changes: list[dict[str, Any]]
    next_since: int
    has_more: bool
    total_estimate: int | None = None
    reset: bool = False
    """The user's access changed: the cache must be emptied and pulled again from 0."""
    scope: int = 0
    """The user's scope stamp; sent back with the next request."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    """Tries in all, including the first."""
    backoff_s: float = 0.5
    """Wait before the second try; doubles each time."""
    max_wait_s: float = 8.0


class ApiClient:
    """Talks to one Connect server. Close it (or use `with`) when done."""

    def __init__(
        self,
        server_url: str,
        *,
        token: str | None = None,
        ca_bundle: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.base = self.server_url + API_PREFIX
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.session = requests.Session()
        # TLS verification always on. Passed with every request too: requests lets
        # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's `verify`, not a request's.
        self.verify: str | bool = ca_bundle or True
        self.session.verify = self.verify
        self.session.headers["Accept"] = "application/json"
        self.session.headers["User-Agent"] = user_agent()
        if token:
            self.set_token(token)

    def set_token(self, token: str | None) -> None:
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        else:
            self.session.headers.pop("Authorization", None)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls -------------------------------------------------------------------------

    def sign_in(self, email: str, password: str) -> TokenResponse:
        """`POST /auth/token`; `WrongCredentials` on a 401. Not retried on 5xx."""
        try:
            body = TokenRequest(username=email, password=password).model_dump()
        except ValidationError:  # longer than any account's e-mail or password can be
            raise errors.WrongCredentials("too long") from None
        try:
            response = self._request("POST", "/auth/token", json=body, idempotent=False)
        except errors.SignedOut as exc:
            raise errors.WrongCredentials(exc.detail, status=401) from None
        return _parse(TokenResponse, response)

    def sign_out(self) -> None:
        """`POST /auth/logout`: the server revokes this client's token (`SignedOut` if it already had)."""
        self._request("POST", "/auth/logout").close()

    def me(self) -> UserInfo:
        return _parse(UserInfo, self._request("GET", "/me"))

    def changes(self, since: int, limit: int, *, scope: int | None = None) -> FeedPage:
        """`GET /changes`: validates only the envelope; records stay plain dicts (speed).

        `scope` is the stamp of the page the cursor came from (see `ChangesPage.scope`).
        """
        params = (
            {"since": since, "limit": limit}
            if scope is None
            else {"since": since, "limit": limit, "scope": scope}
        )
        response = self._request("GET", "/changes", params=params)
        try:
            body = json.loads(response.content)  # bytes straight in: no text decoding pass
        except ValueError:
            raise errors.ServerError("the answer was not JSON") from None
        changes = body.get("changes") if isinstance(body, dict) else None
        next_since = body.get("next_since") if isinstance(body, dict) else None
        has_more = body.get("has_more") if isinstance(body, dict) else None
        if not isinstance(changes, list) or not isinstance(next_since, int) or not isinstance(has_more, bool):
            raise errors.ServerError("malformed changes page")
        total = body.get("total_estimate")
        reset = body.get("reset") is True
        stamp = body.get("scope")
        return FeedPage(
            changes,
            next_since,
            has_more,
            total if isinstance(total, int) else None,
            reset,
            stamp if isinstance(stamp, int) else 0,
        )

    def operations(self, operations: Sequence[Operation]) -> OperationsResponse:
        """`POST /operations`.

        Retried like a GET: every operation carries its client-made `op_id`, and the
        server answers a repeated op_id with the first result without applying it again.
        """
        body = OperationsRequest(operations=list(operations)).model_dump(mode="json")
        return _parse(OperationsResponse, self._request("POST", "/operations", json=body))

    def get_json(self, path: str, **params: Any) -> Any:
        """Any other GET (read-only, retried), parsed as JSON."""
        return _json(self._request("GET", path, params=params or None))

    def post_json(self, path: str, body: Any = None) -> Any:
        """Any other POST, parsed as JSON; not retried (a POST may not be safe to repeat)."""
        return _json(self._request("POST", path, json=body, idempotent=False))

    # -- plumbing ----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
    ) -> requests.Response:
        url = self.base + path
        data = headers = None
        if json is not None:
            data = encode_body(json)
            if len(data) > body_limit(path):  # the server would refuse it unread (413)
                raise errors.InvalidRequest(f"a request body of {len(data)} bytes is over the limit")
            headers = {"Content-Type": "application/json"}
        attempts = self.retry.attempts if idempotent else 1
        wait = self.retry.backoff_s
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=headers,
                    verify=self.verify,
                    timeout=self.timeout,
                )
            except requests.exceptions.SSLError as exc:
                log.warning("TLS verification failed for %s %s", method, path)
                raise errors.CertificateProblem(type(exc).__name__) from None
            except _TRANSIENT as exc:  # no answer, or an answer cut short: try again
                if last:
                    log.warning("%s %s: server unreachable (%s)", method, path, type(exc).__name__)
                    raise errors.Unreachable(type(exc).__name__) from None
                log.info("%s %s: %s, retrying in %.1f s", method, path, type(exc).__name__, wait)
            except _BAD_ADDRESS as exc:
                raise errors.BadAddress(type(exc).__name__) from None
            except requests.exceptions.RequestException as exc:  # any other: never a traceback
                log.warning("%s %s: %s", method, path, type(exc).__name__)
                raise errors.Unreachable(type(exc).__name__) from None
            except OSError:  # not requests' own: the CA bundle file cannot be read
                log.warning("the CA bundle of %s %s cannot be read", method, path)
                raise errors.CertificateFileProblem("CA bundle unreadable") from None
            else:
                if response.status_code in RETRY_STATUSES and idempotent and not last:
                    log.info("%s %s: HTTP %d, retrying in %.1f s", method, path, response.status_code, wait)
                    response.close()
                else:
                    _raise_for_status(response)
                    return response
            time.sleep(wait)
            wait = min(wait * 2, self.retry.max_wait_s)
        raise AssertionError("unreachable")  # pragma: no cover


_TRANSIENT = (
    requests.exceptions.ConnectionError,  # refused, reset, DNS
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,  # the body was cut short (IncompleteRead)
    requests.exceptions.ContentDecodingError,  # a compressed body cut short or garbled
)
_BAD_ADDRESS = (
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
    requests.exceptions.InvalidURL,
)


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else ""


def _raise_for_status(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = _detail(response)
    request: requests.PreparedRequest | None = response.request  # None on a Response made by hand
    log.info("HTTP %d from %s", status, request.path_url.split("?")[0] if request is not None else "?")
    if status == 401:
        raise errors.SignedOut(detail, status=status)
    if status == 403:
        raise errors.Forbidden(detail, status=status)
    if status == 404:
        raise errors.NotFound(detail, status=status)
    if status == 409:
        raise errors.ConflictError(detail, status=status)
    if status == 429:
        raise errors.Throttled(detail, retry_after=_retry_after(response))
    if status in (400, 413, 422):
        raise errors.InvalidRequest(detail, status=status)
    raise errors.ServerError(detail or f"HTTP {status}", status=status)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise errors.ServerError("the answer was not JSON") from None


def _parse(model: type[M], response: requests.Response) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValueError:
        raise errors.ServerError(f"unexpected {model.__name__}") from None
