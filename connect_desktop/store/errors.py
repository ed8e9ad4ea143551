"""Problems with the local cache that the user can understand and act on."""

from __future__ import annotations


class CacheError(Exception):
    """A known problem with the local cache; `user_message` is safe to show."""

    user_message = "The local copy of your account could not be opened."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.user_message)
        if message:
            self.user_message = message


class CacheTooNewError(CacheError):
    """The cache was written by a newer version of Connect Desktop."""

    user_message = (
        "The local copy of your account was made by a newer version of Connect Desktop. "
        "Please install the newest version, or remove the local data and download it again."
    )
