"""Shared fixtures: a real DuckDB file per test, and small writers for hand-typed exports."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import presales_analytics as pa


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "presales.duckdb"


@pytest.fixture
def con(db_path: Path):
    connection = pa.connect(db_path)
    yield connection
    connection.close()


def write_csv(path: Path, rows: list[list[object]], *, encoding: str = "utf-8") -> Path:
    """Write ``rows`` (the first is the header) as CSV in ``encoding``."""
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def table_rows(con, sql: str, params: dict | None = None) -> list[tuple]:
    return con.execute(sql, params or {}).fetchall()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium driven by Playwright (see tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    from browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()
