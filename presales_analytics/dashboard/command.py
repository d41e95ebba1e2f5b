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
reports/<period>/dashboard.html (-redacted, -en suffixes). Tile definitions: docs/dashboard.md.

Example:

    presales dashboard --period 2026-Q3
    presales dashboard --lang en --redact --out 看板.html
"""


def build_dashboard(database, period: str | None = None, *, scope: str = "company", lang: str = "zh",
                    redact: bool = False, out: Path | None = None, reports_dir: Path = Path("reports"),
                    progress=None) -> tuple[Path, str]:
    """Write the dashboard and return (its path, the period used). Raises InputError on unusable input."""
    from .. import __version__
    from ..atomic import write_text_atomic
    from ..config import load_config
    from ..errors import InputError
    from ..metrics.base import report_period
    from ..reports.context import ReportContext
    from ..scoping import ReportScope
    from ..store import connect, database_path
    from .data import build_data
    from .page import TABLE_LIMIT, definitions, figures, labels, render_page, z_value

    if lang not in ("zh", "en"):
        raise InputError(f"--lang {lang!r} must be zh or en")
    config = load_config()
    path = database_path(database)
    report_scope = ReportScope.parse(scope)
    con = connect(path, read_only=True, config=config, wait_seconds=60)
    try:
        p = report_period(con, period)
    finally:
        con.close()
    ctx = ReportContext(None, p, lang, report_scope, redact, None, str(path), config)   # for its pseudonyms
    data = build_data(path, p, config=config, scope=report_scope, lang=lang, redact=redact,
                      pseudonym=ctx.pseudonym, progress=progress)
    t = ctx.t
    generated = datetime.now().astimezone().isoformat(timespec="seconds")
    dates = data["dates"]
    data["labels"] = labels(lang)
    data["figures"] = figures(data, lang, config)
    data["z"] = z_value(data["confidence"])
    heading = f"{p.label(lang)} · {report_scope.label(lang)}"
    data["meta"] = {
        "lang": lang, "period": str(p), "heading": heading, "table_limit": TABLE_LIMIT,
        "facts": [[t("期间", "Period"), f"{p.label(lang)} ({p})"],
                  [t("对比期间", "Compared with"), f"{p.previous().label(lang)} ({p.previous()})"],
                  [t("范围", "Scope"), report_scope.label(lang)],
                  [t("数据截至", "Data up to"), _date(dates["data"], lang)],
                  [t("状态日（在手、停滞、制度）", "State date (open, stalled, compliance)"), _date(dates["state"], lang)],
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
    if out is None:
        name = "dashboard" + ("" if report_scope.is_company else f"-{report_scope.slug}")
        name += ("-redacted" if redact else "") + ("-en" if lang == "en" else "") + ".html"
        out = reports_dir / str(p) / name
    write_text_atomic(out, page)          # a reader never sees half a file
    return Path(out), str(p)


def _date(iso: str | None, lang: str) -> str:
    if not iso:
        return "—"
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{y}年{m}月{d}日" if lang == "zh" else f"{iso}"


def dashboard_command(
        period: Annotated[Optional[str], typer.Option("--period", "-p", help="Default: the latest complete "
                                                      "quarter in the data")] = None,
        scope: Annotated[str, typer.Option("--scope", help="company, region:<name>, department:<name> or "
                                                          "director:<name>")] = "company",
        lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
        redact: Annotated[bool, typer.Option("--redact", help="Pseudonyms for customer and project names")] = False,
        out: Annotated[Optional[Path], typer.Option("--out", help="The HTML file [default: "
                                                    "reports/<period>/dashboard.html]")] = None,
        db: Annotated[Optional[Path], typer.Option("--db", envvar="PRESALES_DB", help="DuckDB file [default: "
                                                   "data/presales.duckdb, or $PRESALES_DB]")] = None) -> None:
    from rich.console import Console
    from rich.markup import escape

    from ..errors import DatabaseBusyError, InputError

    err = Console(stderr=True)
    try:
        written, chosen = build_dashboard(db, period, scope=scope, lang=lang, redact=redact, out=out)
    except InputError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2)
    except DatabaseBusyError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(3)
    if not period:
        err.print(f"period: {chosen} (the latest complete quarter in the data)")
    print(written)
