"""Connect Desktop core: everything that is not a widget (no Qt, no FastAPI)."""

__version__ = "0.1.0"
