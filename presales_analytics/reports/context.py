"""What a report notebook needs in one call: ``ctx = setup(...)`` opens the database read-only, resolves
the period (default: the latest complete quarter *in the data*), the language and redaction, and gives
formatted, escaped output helpers. Notebooks hold parameters, prose and calls; no logic."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..metrics import SPECS
from ..metrics.base import check_scope, data_date, report_period
from ..metrics.context import MetricContext
from ..periods import Period, require_begun
from ..presentation.format import TIME_FORMAT, fixed, fmt_amount, fmt_cell, fmt_pct, fmt_value  # noqa: F401  (notebooks import them)
from ..presentation.labels import table_columns
from ..presentation.lang import check_lang
from ..presentation.pseudonyms import Pseudonyms
from ..scoping import ReportScope
from ..store import connect, database_path
from .offline import use_offline_renderer


#: kinds whose cells read left-aligned (text); numbers align right
_LEFT = {"text": True, "date": True, "bool": True}


@dataclass
class ReportContext:
    con: object
    period: Period
    lang: str
    scope: ReportScope
    redact: bool
    as_of: str | None
    database: str                          # the database's file name (no local path leaves in a report)
    config: Config
    metrics: MetricContext = None          # what every metric of the report is computed with (scope, as-of)
    data_day: object = None                # the latest date in the data (a period in progress says so)
    rendered_at: str = ""                  # "2026-12-04 14:03:12", in the configured time zone (ctx.zone)
    _pseudonyms: Pseudonyms = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pseudonyms = Pseudonyms(self.lang)
        if not self.rendered_at:
            from zoneinfo import ZoneInfo

            self.rendered_at = datetime.now(ZoneInfo(self.zone)).strftime(TIME_FORMAT)
        if self.metrics is None:
            self.metrics = MetricContext(self.con, scope=self.scope, config=self.config, as_of=self.as_of)

    @property
    def zone(self) -> str:
        """The configured time zone (``time_zone``, default Asia/Shanghai): every time a report prints is in it."""
        return self.config.time_zone if self.config is not None else load_config().time_zone

    def t(self, zh: str, en: str) -> str:
        """The text in the report's language."""
        return zh if self.lang == "zh" else en

    def pseudonym(self, kind: str, name) -> str:
        """A stable pseudonym within this report (客户-001 …), in order of first appearance."""
        return self._pseudonyms(kind, name)

    def redacted(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with customer and project names pseudonymised when the report is redacted."""
        return self._pseudonyms.frame(df) if self.redact else df

    def table(self, df: pd.DataFrame, columns: dict[str, tuple[str, str, str]], *, limit: int | None = None,
              metric: str | None = None, order_by: str | None = None, ascending: bool = False,
              highlight: tuple[str, object] | None = None):
        """An HTML table of ``df`` (escaped): ``columns`` maps a column to (zh, en, kind), kind one of
        the spec kinds (count, amount, rate, pp, days, score, number, date, bool, text; also int, pct).
        With ``metric`` the headers carry ``data-metric`` / ``data-column`` (what the label test reads).
        A metric's columns come from its spec: :meth:`metric_table`.

        ``order_by``: the rows by that column, largest first (``ascending`` the other way; missing values
        last), ties in the pinyin order of the first column; ``order_by="name"``: by the first column's
        pinyin only (:mod:`presales_analytics.presentation.order`). Without it the rows keep their order
        (stages in process order, quarters in time). A cell below its policy floor is marked ``fails``
        (:mod:`.policy`). ``highlight``: ``(column, value)`` of the row the page is about (a review's
        person among their peers): that row is marked ``subject`` (bold, an orange edge)."""
        from IPython.display import HTML

        from ..presentation.order import order_rows
        from .policy import fails

        if order_by:
            df = order_rows(df, next(iter(columns)), None if order_by == "name" else order_by, ascending=ascending)
        df = self.redacted(df)
        if limit:
            df = df.head(limit)
        spec = SPECS[metric] if metric else None

        def mark(c: str) -> str:      # a column of the metric's spec (not a breakdown or display column)
            if spec is None or not spec.has(c):
                return ""
            return f" data-metric='{html.escape(metric)}' data-column='{html.escape(c)}'"
        head = "".join(f"<th{mark(c)}>{html.escape(self.t(zh, en))}</th>" for c, (zh, en, _) in columns.items())
        rows = []
        for record in df.to_dict("records"):
            cells = []
            for column, (_, _, kind) in columns.items():
                value = record.get(column)
                css = " ".join(c for c in ("" if _LEFT.get(kind, False) else "num",
                                           "fails" if metric and fails(column, value) else "") if c)
                cells.append(f"<td{f' class={chr(39)}{css}{chr(39)}' if css else ''}>"
                             f"{html.escape(fmt_value(value, kind, self.lang))}</td>")
            subject = highlight is not None and record.get(highlight[0]) == highlight[1]
            rows.append(("<tr class='subject'>" if subject else "<tr>") + "".join(cells) + "</tr>")
        return HTML(f"<table class='presales'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def metric_table(self, df: pd.DataFrame, metric: str, *keys: str, shown: dict[str, str] | None = None,
                     limit: int | None = None, order_by: str | None = None, ascending: bool = False,
                     highlight: tuple[str, object] | None = None):
        """A table of a metric's columns ``keys``, headers and formats from the metric's spec
        (:func:`presales_analytics.presentation.labels.table_columns`); ``order_by`` and ``highlight`` as
        :meth:`table`'s."""
        return self.table(df, table_columns(metric, *keys, shown=shown), limit=limit, metric=metric,
                          order_by=order_by, ascending=ascending, highlight=highlight)

    def banner(self):
        """The period's state, when it is not simply complete: "截至 D，期间未结束" for a period in progress,
        "全部数据…不与其他期间对比" for ``all`` (:mod:`presales_analytics.presentation.status`); else None."""
        from IPython.display import HTML

        from ..presentation.status import period_banner

        text = period_banner(self.period, self.data_day, self.lang)
        return HTML(f"<p class='period-banner'><strong>{html.escape(text)}</strong></p>") if text else None

    def text(self, zh: str, en: str):
        """A paragraph in the report's language, escaped."""
        from IPython.display import HTML

        return HTML(f"<p>{html.escape(self.t(zh, en))}</p>")

    def parameters(self) -> dict[str, str]:
        """The report's parameters as resolved (what to pass to render it again)."""
        return {"period": str(self.period), "scope": str(self.scope), "lang": self.lang,
                "redact": str(self.redact).lower(), "as_of": self.as_of or "—", "database": self.database}

    def parameters_line(self, **overrides) -> str:
        """"参数: period = 2026-Q3; scope = …" — what to pass to render the report again (``overrides``: what
        the notebook was given where the context differs, e.g. the director review's scope)."""
        shown = {**self.parameters(), **{k: v for k, v in overrides.items() if v not in (None, "")}}
        return self.t("参数", "Parameters") + ": " + "; ".join(f"{k} = {v}" for k, v in shown.items())

    def provenance_section(self, **overrides):
        """The loads behind the numbers (file name, sha256, rows, load time in the configured zone), then the
        database's file name, the latest data date, the toolkit version, the render time and the parameters."""
        from IPython.display import HTML

        from .. import __version__

        table = self.table(self.provenance(), {
            "file_name": ("文件", "File", "text"), "sha256": ("SHA-256", "SHA-256", "text"),
            "rows_loaded": ("载入行数", "Rows loaded", "int"), "rows_flagged": ("载入并标记", "Loaded, flagged", "int"),
            "rows_collapsed": ("重复合并", "Identical, collapsed", "int"),
            "rows_rejected": ("拒绝行数", "Rows rejected", "int"), "loaded_at": ("载入时间", "Loaded at", "text")})
        about = self.t(f"数据库 {self.database}；最新数据日期 {self.data_day}；工具版本 {__version__}；"
                       f"生成时间 {self.rendered_at}（{self.zone}）",
                       f"Database {self.database}; latest data date {self.data_day}; toolkit {__version__}; "
                       f"rendered {self.rendered_at} ({self.zone})")
        return HTML(table.data + f"<p>{html.escape(about)}</p>"
                    f"<p class='parameters'>{html.escape(self.parameters_line(**overrides))}</p>")

    def provenance(self) -> pd.DataFrame:
        return self.con.execute("""SELECT file_name, table_name, sha256, rows_loaded, rows_flagged, rows_collapsed,
                                          rows_rejected,
                                          strftime(timezone($zone, loaded_at), $format) AS loaded_at
                                   FROM load_log ORDER BY load_id""", {"zone": self.zone, "format": TIME_FORMAT}).df()


def setup(database: str = "", period: str = "", lang: str = "zh", scope: str = "company", redact: bool = False,
          as_of: str = "") -> ReportContext:
    """Open the database read-only and resolve the report's parameters (see the module docstring).
    ``scope`` (company, region:<name>, department:<name>, director:<name>) is the scope of
    ``ctx.metrics``, the :class:`~presales_analytics.metrics.context.MetricContext` every metric of the
    report is computed with (the connection itself is not narrowed); the default period is chosen from
    the whole company's data, so every scope's report covers the same period."""
    check_lang(lang, "lang")
    config = load_config()
    path = database_path(database or None)
    con = connect(path, read_only=True, config=config, wait_seconds=None)
    try:
        p = report_period(con, period)
        day = data_date(con)
        require_begun(p, day)
        metrics = MetricContext(con, scope=scope, config=config, as_of=as_of or None)
        check_scope(metrics)
    except InputError:
        con.close()
        raise
    use_offline_renderer()
    return ReportContext(con, p, lang, metrics.scope, bool(redact), as_of or None, Path(path).name, config, metrics,
                         data_day=day)



def metric_or_note(ctx: ReportContext, name: str, period, **options):
    """The metric's DataFrame, or None after displaying why it cannot be computed (a column or the
    targets no export provided) — so a report on partial data still renders, and says what is missing."""
    from IPython.display import display

    from ..errors import MissingColumnError
    from ..metrics import compute

    try:
        return compute(ctx.metrics, name, period, **options)
    except MissingColumnError as exc:
        display(ctx.text(missing_text(exc, "zh"), f"Not available: {exc}"))
        return None


def missing_text(exc, lang: str = "zh") -> str:
    """Why a figure is missing (a :class:`~presales_analytics.errors.MissingColumnError`), in ``lang``: in
    Chinese, the column by the export header that provides it and what to load; in English, the error's own
    message."""
    if lang != "zh":
        return f"not available: {exc}"
    if exc.column == "targets":
        return ("无法计算：未载入业绩目标。请载入目标文件（列：目标范围、期间、目标金额（万元）），"
                "例如 presales load 目标.csv；见 docs/data-format.md。")
    from ..ingest.columns import ALIASES

    header = (ALIASES.get("projects", {}).get(exc.column) or [exc.column])[0]
    return (f"无法计算：载入的导出中没有「{header}」列（{exc.column}）。请载入带此列的项目导出，或在映射文件的 "
            f"[columns] 中指明对应的表头；见 docs/data-format.md。")


def metric_or_note_quiet(ctx: ReportContext, name: str, **options):
    """The metric of the report's period and as-of date, or None when a column or the targets it needs were
    not loaded (the section that shows it says so; a finding is simply not made)."""
    from ..errors import MissingColumnError
    from ..metrics import compute

    try:
        return compute(ctx.metrics, name, ctx.period, as_of=ctx.as_of, **options)
    except MissingColumnError:
        return None


def section_heading(ctx: ReportContext, key: str, names: tuple[str, str], intro: tuple[str, str] | None = None):
    """A section's heading in the report's language, with the anchor ``sec-<key>`` the contents link to,
    and its introduction (zh, en) when it has one."""
    from IPython.display import HTML

    text = f"<h2 id='sec-{html.escape(key)}'>{html.escape(ctx.t(*names))}</h2>"
    if intro:
        text += f"<p class='intro'>{html.escape(ctx.t(*intro))}</p>"
    return HTML(text)


def contents(ctx: ReportContext, sections: dict[str, tuple[str, str]]) -> str:
    """目录: a numbered list of links to the sections' anchors."""
    items = "".join(f"<li><a href='#sec-{html.escape(k)}'>{html.escape(ctx.t(*names))}</a></li>"
                    for k, names in sections.items())
    return f"<nav class='toc'><h2>{html.escape(ctx.t('目录', 'Contents'))}</h2><ol>{items}</ol></nav>"


def links(ctx: ReportContext) -> str:
    """The way back: the reports' index and the period's dashboard and workbook, as ``presales report``,
    ``presales dashboard`` and ``presales export xlsx`` lay them out (reports/<period>/…)."""
    targets = (("../index.html", "报告索引", "All reports"), ("dashboard.html", "本期看板", "Dashboard of the period"),
               ("workbook.xlsx", "本期工作簿", "Workbook of the period"))
    return "<nav class='links'>" + " · ".join(
        f"<a href='{href}'>{html.escape(ctx.t(zh, en))}</a>" for href, zh, en in targets) + "</nav>"


def option_text(value, ctx: ReportContext | None = None) -> str:
    """An option's value as a reader reads it: 0.35 (no float noise), 是/否, a table's entries as
    "key value" joined by 、 (stage keys as the stage's name)."""
    import math as _math

    zh = ctx is None or ctx.lang == "zh"
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, float):
        if _math.isnan(value):
            return MISSING_TEXT
        return f"{value:.6g}"
    if isinstance(value, dict):
        if not value:
            return ctx.t("（无）", "(none)") if ctx else "（无）"

        def key(k):
            return ctx.config.stage_label(str(k), ctx.lang) if ctx and k in ctx.config.stage_keys else str(k)
        return ("、" if zh else ", ").join(f"{key(k)} {option_text(v, ctx)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ("、" if zh else ", ").join(option_text(v, ctx) for v in value)
    return MISSING_TEXT if value is None else str(value)


MISSING_TEXT = "—"


def definitions_table(ctx: ReportContext, names, *, frames: dict | None = None):
    """指标定义: one row per metric in ``names``: its title, definition and denominator from its spec (in
    the report's language) and the options in force this period (``name = value``), read off the metric's
    result (``frames[name]`` when the caller has it, else computed). A metric whose column no export had
    says so instead."""
    from ..errors import MissingColumnError
    from ..metrics import compute

    rows = []
    for name in names:
        spec = SPECS[name]
        df = (frames or {}).get(name)
        if df is None:
            try:
                df = compute(ctx.metrics, name, ctx.period, as_of=ctx.as_of)
            except MissingColumnError as exc:
                rows.append({"metric": spec.title(ctx.lang), "definition": spec.definition(ctx.lang),
                             "denominator": spec.denominator(ctx.lang), "options": missing_text(exc, ctx.lang)})
                continue
        options = df.attrs.get("options") or {}
        rows.append({"metric": spec.title(ctx.lang), "definition": spec.definition(ctx.lang),
                     "denominator": spec.denominator(ctx.lang),
                     "options": "；".join(f"{k} = {option_text(v, ctx)}" for k, v in options.items())
                     if ctx.lang == "zh" else "; ".join(f"{k} = {option_text(v, ctx)}" for k, v in options.items())})
    return ctx.table(pd.DataFrame(rows, columns=["metric", "definition", "denominator", "options"]),
                     {"metric": ("指标", "Metric", "text"), "definition": ("定义", "Definition", "text"),
                      "denominator": ("分母", "Denominator", "text"),
                      "options": ("本期选项", "Options in force", "text")})
