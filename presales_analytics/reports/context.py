"""What a report notebook needs in one call: ``ctx = setup(...)`` opens the database read-only, resolves
the period (default: the latest complete quarter *in the data*), the language and redaction, and gives
formatted, escaped output helpers. Notebooks hold parameters, prose and calls; no logic."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..metrics import SPECS
from ..metrics.base import check_scope, data_date, report_period
from ..metrics.context import MetricContext
from ..periods import Period, require_begun
from ..presentation.format import fixed, fmt_amount, fmt_cell, fmt_pct, fmt_value  # noqa: F401  (notebooks import them)
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
    database: str
    config: Config
    metrics: MetricContext = None          # what every metric of the report is computed with (scope, as-of)
    data_day: object = None                # the latest date in the data (a period in progress says so)
    rendered_at: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    _pseudonyms: Pseudonyms = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pseudonyms = Pseudonyms(self.lang)
        if self.metrics is None:
            self.metrics = MetricContext(self.con, scope=self.scope, config=self.config, as_of=self.as_of)

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
              metric: str | None = None):
        """An HTML table of ``df`` (escaped): ``columns`` maps a column to (zh, en, kind), kind one of
        the spec kinds (count, amount, rate, pp, days, score, number, date, bool, text; also int, pct).
        With ``metric`` the headers carry ``data-metric`` / ``data-column`` (what the label test reads).
        A metric's columns come from its spec: :meth:`metric_table`."""
        from IPython.display import HTML

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
                align = "" if _LEFT.get(kind, False) else " class='num'"
                cells.append(f"<td{align}>{html.escape(fmt_value(record.get(column), kind, self.lang))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return HTML(f"<table class='presales'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def metric_table(self, df: pd.DataFrame, metric: str, *keys: str, shown: dict[str, str] | None = None,
                     limit: int | None = None):
        """A table of a metric's columns ``keys``, headers and formats from the metric's spec
        (:func:`presales_analytics.presentation.labels.table_columns`)."""
        return self.table(df, table_columns(metric, *keys, shown=shown), limit=limit, metric=metric)

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

    def provenance(self) -> pd.DataFrame:
        return self.con.execute("""SELECT file_name, table_name, sha256, rows_loaded, rows_flagged, rows_collapsed,
                                          rows_rejected,
                                          CAST(loaded_at AS VARCHAR) AS loaded_at FROM load_log ORDER BY load_id""").df()


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
    con = connect(path, read_only=True, wait_seconds=60)
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
    return ReportContext(con, p, lang, metrics.scope, bool(redact), as_of or None, str(path), config, metrics,
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
        display(ctx.text(f"无法计算：{exc}", f"Not available: {exc}"))
        return None
