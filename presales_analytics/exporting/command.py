"""``presales export xlsx``: the typer command function (registered in cli.py). Light to import: the
workbook code, pandas and openpyxl are imported when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

XLSX_HELP = """Write the tables behind the management dashboard as an Excel workbook (.xlsx).

A first sheet 说明 gives the period, scope, as-of and data dates, database, toolkit version and, for
every sheet, the metric, its definition and its denominator; then one sheet per metric: 赢单率,
阶段停留, 漏斗, 停滞项目, 项目总监考核, 渠道贡献, 目标达成, 商机储备, 商机覆盖, 制度执行, 趋势.
Numbers are numbers: amounts in 万元, rates as fractions shown as percentages, dates as dates.
Default file: reports/<period>/workbook[-<scope>][-redacted][-en].xlsx, written atomically; --out FILE
writes FILE, --out DIR/ (a folder: an existing one, or a path ending in /) the default name inside DIR.
Sheets, columns and units: docs/export.md.

Exit: 0 written, 2 unusable input (unknown period, scope, or an empty database), 3 database busy.

Example:

    presales export xlsx --period 2026-Q3
    presales export xlsx --scope region:华东 --redact --out 华东.xlsx
    presales export xlsx --lang en
    presales export xlsx --out /srv/share/
"""


def xlsx_command(
        period: Annotated[Optional[str], typer.Option(
            "--period", "-p", help="2026, 2026-H1, 2026-Q3, 2026-09 … [default: the latest complete quarter "
                                   "in the data]")] = None,
        scope: Annotated[str, typer.Option(
            "--scope", help="company, region:<name>, department:<name> or director:<name>")] = "company",
        lang: Annotated[str, typer.Option("--lang", help="zh or en (sheet and column names)")] = "zh",
        redact: Annotated[bool, typer.Option(
            "--redact", help="Pseudonyms (项目-001, 客户-001) for project and customer names")] = False,
        as_of: Annotated[Optional[str], typer.Option(
            "--as-of", help="Use only what was known on this date (YYYY-MM-DD)")] = None,
        # a str, not a Path: Path("DIR/") drops the slash that says DIR is a folder
        out: Annotated[Optional[str], typer.Option(
            "--out", "-o", metavar="<path>", help="Workbook file, or a folder (existing, or ending in /) to write "
                                                  "the default name in [default: reports/<period>/workbook….xlsx]")] = None,
        db: Annotated[Optional[Path], typer.Option(
            "--db", envvar="PRESALES_DB", help="DuckDB file [default: data/presales.duckdb, or $PRESALES_DB]")] = None,
) -> None:
    from rich.console import Console
    from rich.markup import escape

    from ..metrics.base import report_period
    from ..presentation.exits import exit_on_error
    from ..presentation.lang import check_lang
    from ..presentation.names import output_file
    from ..scoping import ReportScope
    from ..store import connect
    from .workbook import default_path, write_workbook

    with exit_on_error():
        check_lang(lang)
        report_scope = ReportScope.parse(scope)
        con = connect(db, read_only=True, wait_seconds=None)
        try:
            p = report_period(con, period)
            if not period:
                Console(stderr=True).print(f"period: {p} (the latest complete quarter in the data)")
            target = output_file(out, default_path(p, scope=report_scope, lang=lang, redact=redact))
            written = write_workbook(con, p, target, lang=lang, redact=redact, scope=report_scope, as_of=as_of)
        finally:
            con.close()
    Console().print(escape(str(written)), highlight=False, soft_wrap=True)
    from ..presentation.index import refresh_index

    refresh_index(written)


__all__ = ["xlsx_command", "XLSX_HELP"]
