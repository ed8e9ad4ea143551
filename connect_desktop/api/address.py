"""Which server addresses and certificate files the desktop accepts (GUI and CLI alike).

HTTPS always; plain `http://` only to this computer (loopback: the demo, tests) or
when the user explicitly accepts an unencrypted connection. An explicit CA bundle
must be a readable file and is kept as an absolute path, so later syncs find it.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from connect_desktop.api.schema import API_PREFIX
from connect_desktop.errors import KnownError

INSECURE_HTTP_WARNING = (
    "This address uses plain http://: your password and your district's records would travel "
    "unencrypted, readable by anyone on the network. Use https:// unless your IT department "
    "says otherwise."
)


class AddressError(KnownError):
    """A server address or certificate file that cannot be used; `user_message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


class InsecureAddressError(AddressError):
    """Plain http:// to another computer, without the explicit insecure choice."""


def is_loopback(host: str) -> bool:
    """True for `localhost` and addresses of this computer (127.0.0.0/8, ::1)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _split(server_url: str) -> SplitResult | None:
    try:
        return urlsplit(server_url.strip())
    except ValueError:  # e.g. "http://[::1" while it is being typed
        return None


def with_scheme(typed: str) -> str:
    """An address typed without http:// or https:// gets one: http:// for this computer
    (a local or demo server, which has no certificate), https:// for any other."""
    typed = typed.strip()
    if "://" in typed:
        return typed
    parts = _split("//" + typed)
    local = parts is not None and is_loopback(parts.hostname or "")
    return ("http://" if local else "https://") + typed


def needs_insecure_choice(server_url: str) -> bool:
    """True when `server_url` is plain http:// to a host other than this computer."""
    parts = _split(server_url)
    return parts is not None and parts.scheme.lower() == "http" and not is_loopback(parts.hostname or "")


def check_server_url(server_url: str, *, insecure_http: bool = False) -> str:
    """The address without a trailing slash; `AddressError` when it cannot be used.

    `insecure_http` is the user's explicit choice to accept plain http:// to another
    computer (show them `INSECURE_HTTP_WARNING`).
    """
    url = server_url.strip().rstrip("/")
    if url.lower().endswith(API_PREFIX):  # the API's own address, as the server prints it
        url = url[: -len(API_PREFIX)].rstrip("/")
    parts = _split(url)
    if parts is None or parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        hint = (
            f"https://{url}"
            if parts is not None and not parts.scheme and url
            else "https://connect.example.org"
        )
        raise AddressError(f"{url!r} is not a server address. Use one like {hint}.")
    if needs_insecure_choice(url) and not insecure_http:
        raise InsecureAddressError(
            f"{url} uses plain http://, which is not encrypted. Use https://, or choose "
            "explicitly to connect without encryption."
        )
    return url


def check_ca_bundle(path: str | None) -> str | None:
    """The absolute path of an explicit CA bundle file; `AddressError` when it is not a file."""
    if not path:
        return None
    bundle = Path(path).expanduser().resolve()
    if not bundle.is_file():
        raise AddressError(f"The certificate file {bundle} does not exist or is not a file.")
    return str(bundle)
