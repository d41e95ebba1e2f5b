"""``presales dashboard``: write the management dashboard, one offline HTML file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

HELP = """Write the management dashboard: ONE offline HTML file (plotly.js and the data inlined, no
network request) with KPI tiles against the previous period, target attainment, win-rate trend,
funnel, stage durations, director leaderboard, channel contribution, stalled projects and
compliance gaps, and filters (region, department, grade, director) that work in the browser.

Default period: the latest complete quarter in the data. Default file:
reports/<period>/dashboard.html (-redacted, -en suffixes); --out FILE writes FILE, --out DIR/ (a folder:
an existing one, or a path ending in /) writes the default name inside DIR. Tile definitions:
docs/dashboard.md.

Example:

    presales dashboard --period 2026-Q3
    presales dashboard --lang en --redact --out 看板.html
    presales dashboard --out /srv/share/
"""


def build_dashboard(database, period: str | None = None, *, scope: str = "company", lang: str = "zh",
                    redact: bool = False, out: str | Path | None = None, reports_dir: Path = Path("reports"),
                    progress=None) -> tuple[Path, str]:
    """Write the dashboard and return (its path, the period used). ``out``: the file, or a folder (an
    existing one, or a path ending in ``/``) to write the default name in; None: under ``reports_dir``.
    Raises InputError on unusable input."""
    from .. import __version__
    from ..config import load_config
    from ..metrics.base import data_date, report_period
    from ..periods import require_begun
    from ..presentation import (Pseudonyms, check_lang, fmt_date, output_file, output_path, partial, period_banner,
                                write_text_atomic)
    from ..scoping import ReportScope
    from ..store import connect, database_path
    from .data import build_data
    from .page import TABLE_LIMIT, definitions, figures, labels, render_page, z_value

    check_lang(lang)
    config = load_config()
    path = database_path(database)
    report_scope = ReportScope.parse(scope)
    con = connect(path, read_only=True, config=config, wait_seconds=None)
    try:
        p = report_period(con, period)
        require_begun(p, data_date(con))       # a period that has not begun: exit 2, nothing written
    finally:
        con.close()
    data = build_data(path, p, config=config, scope=report_scope, lang=lang, redact=redact,
                      pseudonym=Pseudonyms(lang), progress=progress)

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    from zoneinfo import ZoneInfo

    from ..presentation.format import TIME_FORMAT

    generated = f"{datetime.now(ZoneInfo(config.time_zone)).strftime(TIME_FORMAT)}（{config.time_zone}）" \
        if lang == "zh" else f"{datetime.now(ZoneInfo(config.time_zone)).strftime(TIME_FORMAT)} ({config.time_zone})"
    dates = data["dates"]
    data["labels"] = labels(lang)
    day = datetime.fromisoformat(dates["data"]).date() if dates["data"] else None
    banner = period_banner(p, day, lang)
    data["labels"]["vs_prev"] = partial(p, day, data["labels"]["vs_prev"], lang)
    data["figures"] = figures(data, lang, config)
    data["z"] = z_value(data["confidence"])
    heading = f"{p.label(lang)} · {report_scope.label(lang)}" + (f" · {banner}" if banner else "")
    compared = (f"{p.previous().label(lang)} ({p.previous()})" if p.grain != "all"
                else t("无（全部数据不与其他期间对比）", "none (all the data is not compared with another period)"))
    data["meta"] = {
        "lang": lang, "period": str(p), "heading": heading, "table_limit": TABLE_LIMIT,
        # the header the page writes as filters change: the period (and its state), then what is shown
        "period_label": p.label(lang), "scope_label": report_scope.label(lang),
        "compare": p.grain != "all", "banner": banner,
        "facts": [[t("期间", "Period"), f"{p.label(lang)} ({p})" + (f" · {banner}" if banner else "")],
                  [t("对比期间", "Compared with"), compared],
                  [t("范围", "Scope"), report_scope.label(lang)],
                  [t("数据截至", "Data up to"), fmt_date(dates["data"], lang)],
                  [t("状态日（在手、停滞、制度）", "State date (open, stalled, compliance)"), fmt_date(dates["state"], lang)],
                  [t("数据库", "Database"), Path(path).name],
                  [t("工具版本", "Toolkit version"), f"presales-analytics {__version__}"],
                  [t("生成时间", "Generated"), generated]]
                 + ([[t("脱敏", "Redacted"), t("客户与项目名称已替换为代号（客户-001、项目-001）",
                                            "customer and project names replaced (Customer-001, Project-001)")]]
                    if redact else []),
        "definitions": definitions(lang),
    }
    title = f"{t('售前项目管理看板', 'Presales dashboard')} · {heading}"
    page = render_page(data, lang=lang, title=title)
    out = output_file(out, output_path(reports_dir, p, "dashboard", scope=report_scope, redact=redact, lang=lang))
    write_text_atomic(out, page)          # a reader never sees half a file
    return Path(out), str(p)


def dashboard_command(
        period: Annotated[Optional[str], typer.Option("--period", "-p", help="Default: the latest complete "
                                                      "quarter in the data")] = None,
        scope: Annotated[str, typer.Option("--scope", help="company, region:<name>, department:<name> or "
                                                          "director:<name>")] = "company",
        lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
        redact: Annotated[bool, typer.Option("--redact", help="Pseudonyms for customer and project names")] = False,
        # a str, not a Path: Path("DIR/") drops the slash that says DIR is a folder
        out: Annotated[Optional[str], typer.Option("--out", metavar="<path>", help="The HTML file, or a folder "
                                                   "(existing, or ending in /) to write the default name in "
                                                   "[default: reports/<period>/dashboard.html]")] = None,
        db: Annotated[Optional[Path], typer.Option("--db", envvar="PRESALES_DB", help="DuckDB file [default: "
                                                   "data/presales.duckdb, or $PRESALES_DB]")] = None,
        pdf: Annotated[bool, typer.Option("--pdf", help="Also print it to PDF (A4) beside the HTML, with "
                                          "headless Chromium")] = False) -> None:
    from rich.console import Console

    from ..pdf import PdfError, print_pdf
    from ..presentation.exits import exit_on_error

    with exit_on_error():
        written, chosen = build_dashboard(db, period, scope=scope, lang=lang, redact=redact, out=out)
    if not period:
        Console(stderr=True).print(f"period: {chosen} (the latest complete quarter in the data)")
    print(written)
    if pdf:
        with exit_on_error({PdfError: 2}):
            print(print_pdf(written))
    from ..presentation.index import refresh_index

    refresh_index(written)
