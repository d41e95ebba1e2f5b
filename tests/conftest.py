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


# ---------------------------------------------------------------------------------------------------
# The headline fixture (tests/test_headline.py, tests/test_labels.py): tests/test_dashboard.py's rows
# loaded once, with the library's figures, the audit report and the workbook of company, region:华东
# and director:张伟, and the dashboard, all for 2026-Q3.

def _headline_run(root, *args):
    import os
    import shutil
    import subprocess
    import sys

    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    env = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    r = subprocess.run([exe, *args, "--db", "h.duckdb"], cwd=root, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def outputs(tmp_path_factory):
    """The library's figures, the audit report, the workbook (per scope) and the dashboard."""
    import openpyxl

    from presales_analytics.metrics import MetricContext, compute
    from test_dashboard import HEADER, ROWS, TARGETS
    from test_headline import PERIOD, SCOPES
    root = tmp_path_factory.mktemp("headline")
    con = pa.connect(root / "h.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", [HEADER, *ROWS]), write_csv(root / "目标.csv", TARGETS)])
    con.close()
    out = {"root": root, "audit": {}, "xlsx": {}}
    con = pa.connect(root / "h.duckdb", read_only=True)
    with MetricContext(con) as ctx:
        every = ctx.across("company", "region", "director")
        head = compute(every, "headline", PERIOD).set_index("scope")
        board = compute(every, "directors", PERIOD)
    con.close()
    out["library"] = head
    out["score"] = {s: float(board[(board["scope"] == s) & (board["director"] == "张伟")]["score"].iloc[0])
                    for s in SCOPES}
    for s in SCOPES:
        slug = s.replace(":", "-")
        _headline_run(root, "report", "audit", "--period", PERIOD, "--scope", s, "--out", f"r-{slug}")
        folder = root / f"r-{slug}" / PERIOD
        out["audit"][s] = next(folder.glob("audit*.html")).read_text(encoding="utf-8")
        out["xlsx"][s] = openpyxl.load_workbook(root / _headline_run(root, "export", "xlsx", "--period", PERIOD, "--scope", s,
                                                            "--out", f"w-{slug}.xlsx"))
    out["dashboard"] = root / _headline_run(root, "dashboard", "--period", PERIOD, "--out", "d.html")
    return out


