"""JSON over HTTP for the REST readers: timeouts, retried GETs, errors people can act on."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from connect_desktop.rostering.diagnostics import Diagnostic, SourceError

Signer = Callable[[str], Mapping[str, str]]
"""Headers that authorise a GET of one full URL (a bearer token, or an OAuth 1.0a signature)."""


def source_error(code: str, message: str, hint: str, file: str | None = None) -> SourceError:
    return SourceError(Diagnostic("error", code, message, hint, file))


class JsonHttp:
    """A requests session for one source. Use as a context manager."""

    def __init__(
        self,
        name: str,
        *,
        rejected: str,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name  # "The SIS", "Clever": how messages name the server
        self.rejected = rejected  # what a 401/403 means here
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.session = requests.Session()

    def __enter__(self) -> JsonHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def post_form(self, url: str, data: Mapping[str, str], auth: tuple[str, str]) -> Any:
        """POST a form (not retried: it is not idempotent in general) and return its JSON."""
        try:
            response = self.session.post(url, data=data, auth=auth, timeout=self.timeout)
        except requests.RequestException as exc:
            raise self._unreachable(url, exc) from None
        with response:
            return self._json(url, response)[0]

    def get(
        self, url: str, sign: Signer, params: Mapping[str, str | int] | None = None
    ) -> tuple[Any, requests.Response]:
        """GET JSON, retrying connection errors and 5xx with exponential backoff."""
        full = requests.Request("GET", url, params=params).prepare().url or url
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self.session.get(full, headers=dict(sign(full)), timeout=self.timeout)
            except requests.RequestException as exc:
                if last:
                    raise self._unreachable(full, exc) from None
                self.sleep(self.backoff * 2**attempt)
                continue
            with response:
                if response.status_code >= 500 and not last:
                    self.sleep(self.backoff * 2**attempt)
                    continue
                return self._json(full, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreachable(self, url: str, exc: Exception) -> SourceError:
        host = urlsplit(url).netloc
        kind = "did not answer in time" if isinstance(exc, requests.Timeout) else "could not be reached"
        return source_error(
            "unreachable",
            f"{self.name} at {host} {kind} ({type(exc).__name__}).",
            "Check the address and the network; the sync will try again at its next run.",
        )

    def _json(self, url: str, response: requests.Response) -> tuple[Any, requests.Response]:
        path = urlsplit(url).path
        if response.status_code in (401, 403):
            raise source_error(
                "rejected_credentials", self.rejected, "Check the credentials in the sync source."
            )
        if response.status_code >= 400:
            raise source_error(
                "http_error",
                f"{self.name} answered {response.status_code} {response.reason} for {path}.",
                "Check the address; if it persists, ask the SIS vendor.",
            )
        try:
            return response.json(), response
        except ValueError:
            raise source_error(
                "malformed_json",
                f"{self.name} sent something that is not JSON for {path}.",
                "Check that the address points at the API itself, not a web page.",
            ) from None


def same_origin(base: str, link: str, seen: set[str] | None = None) -> str:
    """`link` resolved against `base`; refuses a link to another server, or one already followed."""
    target = urljoin(base, link)
    if seen is not None:
        if target in seen:
            raise source_error(
                "paging_loop",
                "A paging link points back to a page already read; reading stopped.",
                "Ask the SIS vendor: the 'next' links of this listing go round in circles.",
            )
        seen.add(target)
    if urlsplit(target)[:2] != urlsplit(base)[:2]:
        raise source_error(
            "foreign_link",
            f"A paging link points to another server ({urlsplit(target).netloc}); it was not followed.",
            "Ask the SIS vendor: paging links must stay on the API's own server.",
        )
    return target
