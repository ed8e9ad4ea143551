"""One version everywhere: package metadata when run from source, the baked file when frozen."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path

import pytest

import connect_desktop
from connect_desktop import version
from connect_desktop.api.client import ApiClient


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    version.app_version.cache_clear()
    yield
    version.app_version.cache_clear()


def test_from_source_the_installed_package_version_is_used() -> None:
    assert version.app_version() == metadata.version("connect-desktop")
    assert connect_desktop.__version__ == version.app_version()


def test_a_frozen_build_reads_the_version_baked_into_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baked = tmp_path / "_build_version.txt"
    baked.write_text("9.8.7\n", encoding="utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(version, "BAKED_FILE", baked)
    assert version.app_version() == "9.8.7"


def test_without_metadata_or_a_baked_file_the_version_says_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(_name: str) -> str:
        raise metadata.PackageNotFoundError

    monkeypatch.setattr(version.metadata, "version", missing)
    assert version.app_version() == version.UNKNOWN


def test_the_api_client_sends_the_version() -> None:
    with ApiClient("https://connect.example.org") as client:
        agent = client.session.headers["User-Agent"]
    assert isinstance(agent, str)
    assert agent.startswith(f"ConnectDesktop/{version.app_version()} ")
