"""Connect Desktop core: everything that is not a widget (no Qt, no FastAPI)."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    if name == "__version__":  # read lazily: package metadata costs a few milliseconds
        from connect_desktop.version import app_version

        return app_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
