"""The reference Connect server: FastAPI + SQLAlchemy 2 (SQLite or PostgreSQL)."""
