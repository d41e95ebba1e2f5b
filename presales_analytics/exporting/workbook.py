"""Write the workbook export (``presales export xlsx``): a 说明 sheet, then one sheet per metric.

Cells hold what a spreadsheet user can compute with: counts as integers; amounts as numbers in 万元
(yuan ÷ 10,000, number format ``#,##0.00``, the unit in the header: 赢单金额（万元）); rates as
fractions (0.31) shown ``0.0%``; dates as real dates; NaN and None as empty cells. Every table has its
header in row 1, frozen, with an autofilter and column widths fitted to the contents.

Text from exports is always stored as a text cell, never as a formula: openpyxl would store a string
beginning with ``=`` as a formula, so each text cell's type is forced to string, and text that a
spreadsheet would read as a formula when edited (starting with ``= + - @``, tab or CR) also gets
Excel's own "quote prefix" cell style — the flag Excel sets when a user types ``'=…`` — so it stays
text even after the cell is edited. (The CSV-style leading apostrophe is not used: in a text cell it
would become part of the value.)

>>> default_path("2026-Q3", scope="region:华东", redact=True).as_posix()
'reports/2026-Q3/workbook-region-华东-redacted.xlsx'
"""

from __future__ import annotations

import os
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .. import __version__
from ..atomic import atomic_path
from ..config import load_config
from ..metrics.base import as_date, check_scope, data_date, report_period
from ..metrics.context import MetricContext
from ..periods import Period, require_begun
from ..presentation.lang import check_lang
from ..presentation.names import output_path
from ..presentation.status import period_banner
from ..presentation.format import is_missing
from ..presentation.pseudonyms import Pseudonyms
from ..scoping import ReportScope
from ..store import connect, database_path
from ..presentation import palette
from .sheets import Build, Column, Sheet, build_sheets

WAN = 10_000                        # yuan per 万元
FORMATS = {"int": "#,##0", "amount": "#,##0.00", "pct": "0.0%", "days": "#,##0", "score": "0.0",
           "number": "#,##0.00", "date": "yyyy-mm-dd"}
#: a difference of two rates is held in percentage points (×100) and shown with its unit
PP_FORMATS = {"zh": '+0.0"个百分点";-0.0"个百分点";0.0"个百分点"', "en": '+0.0" pp";-0.0" pp";0.0" pp"'}
UNIT = {"zh": "（万元）", "en": " (RMB 10k)"}
#: Text a spreadsheet reads as a formula when the cell is edited (OWASP "CSV injection" list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill(fill_type="solid", fgColor=palette.HEADER_FILL.lstrip("#").upper())
HEADER_ALIGN = Alignment(wrap_text=True, vertical="center")
WRAP = Alignment(wrap_text=True, vertical="top")


def header(column: Column, lang: str) -> str:
    text = column.zh if lang == "zh" else column.en
    return text + UNIT[lang] if column.kind == "amount" else text


def cell_value(value, kind: str, lang: str = "zh"):
    """What a cell holds for ``value`` of a column of ``kind`` (see :mod:`.sheets`); None = empty.

    >>> cell_value(12_345_678.0, "amount"), cell_value(0.5, "pct"), cell_value(float("nan"), "int")
    (1234.5678, 0.5, None)
    """
    if is_missing(value):
        return None
    if kind == "amount":
        return float(value) / WAN
    if kind in ("pp", "score"):          # points: percentage points, or the 0–100 score
        return float(value) * 100
    if kind in ("pct", "days", "number"):
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "date":
        if isinstance(value, datetime | pd.Timestamp):
            return value.date()
        if isinstance(value, date):
            return value
        return pd.Timestamp(value).date()
    if kind == "bool":
        return ("是" if value else "否") if lang == "zh" else ("Yes" if value else "No")
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


def put(ws, row: int, col: int, value, kind: str = "text", lang: str = "zh"):
    """Write one cell: numbers as numbers with their format, text always as text (never a formula)."""
    v = cell_value(value, kind, lang)
    cell = ws.cell(row=row, column=col)
    if v is None:
        return cell
    cell.value = v
    if isinstance(v, str):
        cell.data_type = "s"               # openpyxl would make a formula of a string starting with '='
        if v.startswith(FORMULA_START):
            cell.quotePrefix = True        # and Excel keeps it text when the cell is edited
    elif kind == "pp":
        cell.number_format = PP_FORMATS["zh" if lang == "zh" else "en"]
    elif kind in FORMATS:
        cell.number_format = FORMATS[kind]
    return cell


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(v, kind: str) -> str:
    """Roughly what a cell shows, to size its column."""
    if v is None:
        return ""
    if kind == "amount" or kind in ("days", "number", "score"):
        return f"{v:,.2f}"
    if kind == "pp":
        return f"{v:+.1f}个百分点"
    if kind == "pct":
        return f"{v * 100:+.1f}%"
    if kind == "int":
        return f"{v:,}"
    if kind == "date":
        return "2026-09-30"
    return str(v)


def write_table(ws, sheet: Sheet, lang: str) -> int:
    """The sheet's table from row 1 (header frozen, autofilter, widths); returns the rows written."""
    if sheet.frame is None:
        put(ws, 1, 1, sheet.note[0] if lang == "zh" else sheet.note[1]).alignment = WRAP
        ws.column_dimensions["A"].width = 100
        return 0
    widths = []
    for j, column in enumerate(sheet.columns, start=1):
        c = put(ws, 1, j, header(column, lang))
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
        widths.append(min(_width(header(column, lang)), 20))
    records = sheet.frame.to_dict("records")
    for i, record in enumerate(records, start=2):
        for j, column in enumerate(sheet.columns, start=1):
            cell = put(ws, i, j, record.get(column.key), column.kind, lang)
            widths[j - 1] = max(widths[j - 1], min(_width(_shown(cell.value, column.kind)), 50))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(w + 3, 8)
    last = get_column_letter(len(sheet.columns))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(records) + 1}"
    return len(records)


def write_about(ws, sheets: list[Sheet], rows: dict[int, int], info: list[tuple[str, str, object, str]],
                lang: str) -> None:
    """说明: the workbook's parameters and provenance, then per sheet its metric, definition, denominator."""
    zh = lang == "zh"
    title = put(ws, 1, 1, "售前项目审计考核 · 数据工作簿" if zh else "Presales audit · data workbook")
    title.font = Font(bold=True, size=14)
    r = 3
    for label_zh, label_en, value, kind in info:
        put(ws, r, 1, label_zh if zh else label_en).font = HEADER_FONT
        put(ws, r, 2, value, kind, lang).alignment = Alignment(horizontal="left")
        r += 1
    r += 1
    heads = ["工作表", "指标", "定义", "分母", "行数", "备注"] if zh else \
            ["Sheet", "Metric", "Definition", "Denominator", "Rows", "Notes"]
    for j, text in enumerate(heads, start=1):
        c = put(ws, r, j, text)
        c.font, c.fill, c.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
    for i, sheet in enumerate(sheets):
        r += 1
        note = ""
        if sheet.note:
            note = sheet.note[0] if zh else sheet.note[1]
        put(ws, r, 1, sheet.name(lang))
        put(ws, r, 2, sheet.metric)
        put(ws, r, 3, sheet.definition[0] if zh else sheet.definition[1]).alignment = WRAP
        put(ws, r, 4, sheet.denominator).alignment = WRAP
        put(ws, r, 5, None if sheet.skipped or sheet.frame is None else rows.get(i, 0), "int")
        put(ws, r, 6, note).alignment = WRAP
    for letter, width in zip("ABCDEF", (22, 34, 60, 60, 8, 50)):
        ws.column_dimensions[letter].width = width


def default_path(period: Period | str, *, scope: ReportScope | str = "company", lang: str = "zh",
                 redact: bool = False, root: str | os.PathLike = "reports") -> Path:
    """``reports/<period>/workbook[-<scope slug>][-redacted][-en].xlsx``, named like the reports."""
    s = scope if isinstance(scope, ReportScope) else ReportScope.parse(scope)
    return output_path(root, Period.parse(period), "workbook", scope=s, redact=redact, lang=lang, ext="xlsx")


def _save(wb: Workbook, out: Path) -> None:
    """Write atomically (:mod:`presales_analytics.atomic`): readers never see half a file. The workbook is
    made in memory first, so a full disk fails cleanly (no half-closed zip file left to the collector)."""
    import io

    buffer = io.BytesIO()
    wb.save(buffer)
    with atomic_path(out) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _database_of(con) -> str:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0]
    return (row[0] if row and row[0] else ":memory:")


def write_workbook(con_or_db_path=None, period: Period | str | None = None, out_path: str | os.PathLike = "",
                   *, lang: str = "zh", redact: bool = False, scope: ReportScope | str = "company",
                   as_of: date | str | None = None) -> Path:
    """Write the workbook of the tables behind the management dashboard to ``out_path`` and return it.

    ``con_or_db_path``: an open connection (left open and unchanged: the metrics run on a private
    cursor of it) or a database path (None: the default database), opened read-only. ``period``: any
    period spelling; empty: the latest complete quarter in the data. ``out_path``: empty gives
    :func:`default_path`. ``scope``: company, ``region:<name>``, ``department:<name>`` or
    ``director:<name>`` (the scope of the :class:`MetricContext` the sheets are computed with). ``redact``: project and customer
    names replaced by 项目-001 / 客户-001 in order of first appearance. ``lang``: zh or en (sheet and
    column names; the numbers are the same).
    """
    check_lang(lang, "lang")
    config = load_config()
    report_scope = scope if isinstance(scope, ReportScope) else ReportScope.parse(scope)
    own = con_or_db_path is None or isinstance(con_or_db_path, str | os.PathLike)
    if own:
        database = str(database_path(con_or_db_path))
        con = connect(database, read_only=True, config=config, wait_seconds=None)
    else:
        con = con_or_db_path
        database = _database_of(con)
    try:
        p = report_period(con, period)
        latest = data_date(con)           # of the whole company, as the period is chosen
        require_begun(p, latest)          # a period that has not begun: InputError, nothing written
        d = as_date(as_of)
        with MetricContext(con, scope=report_scope, config=config, as_of=d) as ctx:
            check_scope(ctx)
            sheets = build_sheets(Build(ctx, p, d, lang, config))
    finally:
        if own:
            con.close()

    zh = lang == "zh"
    info = [("期间", "Period", str(p), "text"),
            ("期间名称", "Period label", p.label(lang), "text"),
            ("期间状态", "Period status", period_banner(p, latest, lang) or ("已结束" if zh else "complete"), "text"),
            ("开始日期", "First day", p.start, "date"),
            ("结束日期（含）", "Last day (inclusive)", p.last_day, "date"),
            ("范围", "Scope", report_scope.label(lang), "text"),
            ("截至（as-of）", "As of", d if d else ("全部已载入数据" if zh else "everything loaded"),
             "date" if d else "text"),
            ("数据日期", "Data date", latest, "date"),
            ("数据库", "Database", Path(database).name, "text"),      # its file name: no local path leaves
            ("工具版本", "Toolkit version", __version__, "text"),
            ("生成时间", "Generated", datetime.now().astimezone().isoformat(timespec="seconds"), "text"),
            ("脱敏", "Redacted", redact, "bool"),
            ("单位", "Units", "金额：万元（数值）；比率：小数，显示为百分比；天数：天" if zh else
             "amounts: RMB 10k (万元) as numbers; rates: fractions shown as percentages; durations: days", "text")]

    wb = Workbook()
    about = wb.active
    about.title = "说明" if zh else "About"
    names = Pseudonyms(lang) if redact else None
    rows: dict[int, int] = {}
    for i, sheet in enumerate(sheets):
        if sheet.skipped:
            continue
        if names is not None and sheet.frame is not None:
            sheet.frame = names.frame(sheet.frame)
        rows[i] = write_table(wb.create_sheet(sheet.name(lang)), sheet, lang)
    write_about(about, sheets, rows, info, lang)
    wb.properties.title = f"{'售前项目审计考核' if zh else 'Presales audit'} {p}"
    wb.properties.creator = f"presales-analytics {__version__}"
    out = Path(out_path) if str(out_path) else default_path(p, scope=report_scope, lang=lang, redact=redact)
    _save(wb, out)
    return out


__all__ = ["write_workbook", "default_path", "cell_value", "put", "Pseudonyms", "WAN"]
