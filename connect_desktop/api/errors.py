"""What can go wrong talking to the server, each with a message the user can act on."""

from __future__ import annotations

from connect_desktop.errors import KnownError

UNREACHABLE_TITLE = "Cannot reach the Connect server"


class ApiError(KnownError):
    """A known problem talking to the server; `user_message` is plain and safe to show."""

    title = "Problem with the Connect server"

    user_message = "Something went wrong while talking to the Connect server. Please try again."

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail or self.user_message)
        self.detail = detail
        self.status = status


class SignedOut(ApiError):  # noqa: N818 - names read as the situation
    """401: wrong credentials, or the session expired."""

    title = "Sign-in needed"

    user_message = "You are signed out. Please sign in again."


class WrongCredentials(SignedOut):
    """401 from the sign-in call itself."""

    user_message = "The e-mail address or password is not correct. Please check them and try again."


class Forbidden(ApiError):  # noqa: N818 - names read as the situation
    """403: signed in, but this account may not do that."""

    title = "Not allowed"

    user_message = "Your Connect account is not allowed to do this. Ask a district administrator for access."


class NotFound(ApiError):  # noqa: N818 - names read as the situation
    user_message = "The Connect server does not know this address. Check the server address."


class Throttled(ApiError):  # noqa: N818 - names read as the situation
    """429: too many attempts; `retry_after` seconds to wait, when the server said."""

    title = UNREACHABLE_TITLE

    user_message = "Too many attempts in a short time. Please wait a minute and try again."

    def __init__(
        self, detail: str = "", *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(detail, status=status)
        self.retry_after = retry_after
        if retry_after:
            wait = int(retry_after + 0.999)
            self.user_message = (
                f"Too many attempts in a short time. Please wait {wait} seconds and try again."
            )


class ConflictError(ApiError):
    """409: the request clashes with the server's current state."""

    user_message = (
        "Someone changed this on the server in the meantime. Download the latest data and try again."
    )


class InvalidRequest(ApiError):  # noqa: N818 - names read as the situation
    """400/422: the server refused the request as malformed (a bug on our side)."""

    user_message = "The Connect server refused the request. Please report this problem."


class Unreachable(ApiError):  # noqa: N818 - names read as the situation
    """No answer: connection refused, timeout, DNS failure, network down."""

    title = UNREACHABLE_TITLE

    user_message = (
        "The Connect server cannot be reached. Check your internet connection and the server address, "
        "then try again. Nothing was lost: your changes are kept on this computer."
    )


class BadAddress(ApiError):  # noqa: N818 - names read as the situation
    """The server address cannot be used for a request (no scheme, a malformed host)."""

    user_message = (
        "The Connect server address is not a web address. Write it as your district gives it, "
        "e.g. https://connect.example.org, and try again."
    )


class CertificateProblem(ApiError):  # noqa: N818 - names read as the situation
    """The server's TLS certificate could not be verified."""

    title = UNREACHABLE_TITLE

    user_message = (
        "The connection to the Connect server is not secure: its certificate could not be verified. "
        "Check the server address, or ask your IT department "
        "(a company certificate may need to be configured)."
    )


class CertificateFileProblem(CertificateProblem):
    """The certificate file chosen for this server (CA bundle) cannot be read."""

    user_message = (
        "The certificate file chosen for this Connect server cannot be read (moved or deleted?). "
        "Sign in again and choose it under Advanced (connect-desktop login --ca-bundle FILE)."
    )


class ServerError(ApiError):
    """5xx, or an answer that is not what the API promises."""

    user_message = "The Connect server had a problem. Please try again in a few minutes."
