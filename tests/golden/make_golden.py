"""Record the demo's workbook export as a golden file: ``tests/golden/workbook.json`` (issue 9, item 7).

Run from the project root, once, on the code whose numbers are to be kept::

    .venv/bin/python tests/golden/make_golden.py

What it does, step by step (``tests/test_golden.py`` does the same and compares):

1. Writes the demo exports into a temporary folder with ``presales_analytics.demo.generate_demo``
   (default seed 20261127, default size 3,000 projects, ``export_date`` pinned to 2026-11-27: the
   generator is deterministic for these) and loads them into a new DuckDB file exactly as
   ``presales demo`` does (``connect(path, wait_seconds=30)``, then ``ingest.load.load(con,
   files.all())``; no reports rendered). The three deliberately bad ledger rows are rejected, as
   in the demo. The load runs in an empty temporary folder with ``$PRESALES_CONFIG`` unset, so the
   built-in defaults apply (no ``./presales.toml`` can change a number).
2. Picks the scopes from the data: the region and the director with the most projects, and the
   department with the most projects (ties: the first name in sort order). On the demo of
   2026-11-27 they are 华东, 张伟 and 政府系统部; the choice is written into the file's header.
3. For the periods 2026-Q3, 2026-Q2 and 2025 and the scopes company, that region, that department and
   that director, writes the workbook with ``presales_analytics.exporting.write_workbook`` (zh, not
   redacted, no as-of): 12 workbooks.
4. Records every non-empty cell of every sheet: workbook → sheet → cell reference → value. A cell not
   listed is empty. Numbers are rounded to 9 significant digits (integers stay integers), strings are
   kept as they are, dates are written ``{"date": "2026-07-01"}``.

Excluded (not deterministic), in the 说明 sheet only: the value beside 数据库 (the temporary database
path), beside 工具版本 (the toolkit version) and beside 生成时间 (the time of writing). Their labels are
kept. Nothing else is excluded. ``EXCLUDED`` below is the list; the file's header repeats it.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "workbook.json"

EXPORT_DATE = date(2026, 11, 27)
PERIODS = ("2026-Q3", "2026-Q2", "2025")
#: Sheet → labels in column A whose value (the cell in column B of that row) is not deterministic.
EXCLUDED = {"说明": ("数据库", "工具版本", "生成时间")}
DIGITS = 9


@contextmanager
def defaults_only():
    """Run in an empty temporary folder with ``$PRESALES_CONFIG`` unset: the built-in configuration."""
    old_cwd, old_env = os.getcwd(), os.environ.pop("PRESALES_CONFIG", None)
    with tempfile.TemporaryDirectory(prefix="golden-cwd-") as cwd:
        os.chdir(cwd)
        try:
            yield
        finally:
            os.chdir(old_cwd)
            if old_env is not None:
                os.environ["PRESALES_CONFIG"] = old_env


def build_demo_database(root: Path) -> Path:
    """The demo's exports (pinned export date) loaded into ``root/demo.duckdb``, as ``presales demo``."""
    from presales_analytics import connect
    from presales_analytics.demo import generate_demo
    from presales_analytics.ingest.load import load

    path = root / "demo.duckdb"
    files = generate_demo(root / "demo", export_date=EXPORT_DATE)
    con = connect(path, wait_seconds=30)
    try:
        load(con, files.all())
    finally:
        con.close()
    return path


def choose_scopes(db: Path) -> dict[str, str]:
    """company, and the region, department and director with the most projects (ties: first name)."""
    from presales_analytics import connect

    con = connect(db, read_only=True)
    try:
        top = {dim: con.execute(f"SELECT {dim} FROM projects WHERE {dim} IS NOT NULL GROUP BY {dim} "
                                f"ORDER BY count(*) DESC, {dim} LIMIT 1").fetchall()[0][0]
               for dim in ("region", "department", "director")}   # dim: one of three fixed names
    finally:
        con.close()
    return {"company": "company", **{dim: f"{dim}:{name}" for dim, name in top.items()}}


def workbook_key(period: str, scope: str) -> str:
    return f"{period} {scope}"


def write_workbooks(db: Path, out: Path, scopes: dict[str, str]) -> dict[str, Path]:
    """The 12 workbooks (periods × scopes), zh: workbook key → file."""
    from presales_analytics.exporting import write_workbook

    paths = {}
    for period in PERIODS:
        for n, scope in enumerate(scopes.values()):
            paths[workbook_key(period, scope)] = write_workbook(
                db, period, out / f"{period}-{n}.xlsx", lang="zh", scope=scope)
    return paths


def rounded(value, digits: int | None = DIGITS):
    """A cell value as the golden file holds it (see the module docstring); ``digits`` None: floats
    kept as read (what the test compares with the golden's rounded numbers)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"a cell holds {value!r}: not representable in the golden file")
        return float(f"{value:.{digits}g}") if digits else value
    if isinstance(value, datetime):
        return {"date": value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    raise TypeError(f"unexpected cell value {value!r} ({type(value).__name__})")


def record_workbook(path: Path, digits: int | None = DIGITS) -> dict[str, dict[str, object]]:
    """sheet → cell reference → value, every non-empty cell except ``EXCLUDED`` (in sheet order)."""
    wb = load_workbook(path, read_only=True)
    try:
        out = {}
        for ws in wb.worksheets:
            cells, skip = {}, EXCLUDED.get(ws.title, ())
            for row in ws.iter_rows():
                label = row[0].value if row else None
                for c in row:
                    if c.value is None or (c.column == 2 and label in skip):
                        continue
                    cells[c.coordinate] = rounded(c.value, digits)
            out[ws.title] = cells
        return out
    finally:
        wb.close()


def record_demo(root: Path, digits: int | None = DIGITS) -> tuple[dict[str, str], dict[str, dict]]:
    """Build the demo database under ``root`` and record its 12 workbooks: (scopes, workbooks)."""
    with defaults_only():
        db = build_demo_database(root)
        scopes = choose_scopes(db)
        paths = write_workbooks(db, root, scopes)
        return scopes, {key: record_workbook(p, digits) for key, p in paths.items()}


def header(scopes: dict[str, str]) -> dict:
    return {
        "what": "every non-empty cell of the demo's workbook export (presales_analytics.exporting."
                "write_workbook, zh) for 3 periods x 4 scopes, recorded before the metric-layer refactor "
                "(issue 9, item 7) by tests/golden/make_golden.py; compared by tests/test_golden.py",
        "recorded_at_commit": "6b16cb8",
        "demo": {"seed": 20261127, "n_projects": 3000, "export_date": EXPORT_DATE.isoformat(),
                 "load": "as `presales demo`: connect(db, wait_seconds=30); ingest.load.load(con, files.all())",
                 "configuration": "built-in defaults (no presales.toml, PRESALES_CONFIG unset)"},
        "periods": list(PERIODS),
        "scopes": scopes,
        "scope_choice": "the region, department and director with the most projects (ties: first name)",
        "layout": "workbooks -> '<period> <scope>' -> sheet -> cell reference -> value; a cell not listed is empty",
        "values": f"numbers rounded to {DIGITS} significant digits (integers as integers); strings as is; "
                  "dates as {\"date\": \"YYYY-MM-DD\"}",
        "excluded": {sheet: [f"the value beside {label} (column B of its row)" for label in labels]
                     for sheet, labels in EXCLUDED.items()},
        "renames": "deliberate label changes go in RENAMES in tests/test_golden.py (see tests/golden/RENAMES.md)",
    }


def dumps(scopes: dict[str, str], workbooks: dict[str, dict]) -> str:
    """The golden file's text: valid JSON, one spreadsheet row per line (small, readable diffs)."""
    j = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    head = json.dumps(header(scopes), ensure_ascii=False, indent=1).replace("\n", "\n ")
    lines = ["{", f' "header": {head},', ' "workbooks": {']
    for w, (key, sheets) in enumerate(workbooks.items()):
        lines.append(f"  {j(key)}: {{")
        for s, (name, cells) in enumerate(sheets.items()):
            rows: dict[str, list[str]] = {}
            for ref, value in cells.items():
                rows.setdefault(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), []).append(f"{j(ref)}: {j(value)}")
            body = ",\n".join("    " + ", ".join(items) for items in rows.values())
            end = "}" if s == len(sheets) - 1 else "},"
            lines.append(f"   {j(name)}: {{\n{body}\n   {end}" if body else f"   {j(name)}: {{{end}")
        lines.append("  }" if w == len(workbooks) - 1 else "  },")
    lines += [" }", "}", ""]
    return "\n".join(lines)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        scopes, workbooks = record_demo(Path(tmp))
    text = dumps(scopes, workbooks)
    assert json.loads(text)["workbooks"] == workbooks      # the hand-laid JSON reads back as recorded
    GOLDEN.write_text(text, encoding="utf-8")
    cells = sum(len(c) for sheets in workbooks.values() for c in sheets.values())
    print(f"{GOLDEN}: {len(workbooks)} workbooks, {cells} cells, {GOLDEN.stat().st_size:,} bytes; scopes {scopes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
