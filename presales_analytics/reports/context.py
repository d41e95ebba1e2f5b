"""What a report notebook needs in one call: ``ctx = setup(...)`` opens the database read-only, resolves
the period (default: the latest complete quarter *in the data*), the language and redaction, and gives
formatted, escaped output helpers. Notebooks hold parameters, prose and calls; no logic."""

from __future__ import annotations

import html
import math
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..metrics.base import report_period
from ..periods import Period
from ..scoping import ReportScope, restrict
from ..store import connect, database_path
from .offline import use_offline_renderer


def fixed(x: float, digits: int, *, grouping: bool = False) -> str:
    """``x`` with ``digits`` decimals, ties rounded away from zero (四舍五入) on the float's exact value,
    as the dashboard's one JavaScript helper (``PresalesStats.fixed`` in ``dashboard/assets/stats.js``,
    tested against this function) rounds, so a figure reads the same in a report and on the dashboard
    (Python's own format rounds ties to even: 31.25 -> 31.2).

    >>> fixed(31.25, 1), fixed(0.125, 2), fixed(1234567.5, 0, grouping=True)
    ('31.3', '0.13', '1,234,568')
    """
    q = Decimal(x).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{q:,.{digits}f}" if grouping else f"{q:.{digits}f}"


def fmt_amount(yuan, lang: str = "zh", *, yi: bool = True) -> str:
    """Yuan as 万元, or 亿元 from 1亿 up (zh; ``yi=False`` keeps 万元, as table columns do so that a
    column reads in one unit), or as ¥ with thousands (en). ``fmt_amount(12_345_678)`` -> '1,234.57万元'."""
    if yuan is None or (isinstance(yuan, float) and math.isnan(yuan)):
        return "—"
    if lang == "zh":
        if yi and abs(yuan) >= 1e8:
            return f"{fixed(yuan / 1e8, 2, grouping=True)}亿元"
        return f"{fixed(yuan / 1e4, 2, grouping=True)}万元"
    return f"¥{fixed(yuan, 0, grouping=True)}"


def fmt_pct(rate, digits: int = 0) -> str:
    """A fraction as a percentage: ``fmt_pct(0.3125, 1)`` -> '31.3%' (ties away from zero, see :func:`fixed`)."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return "—"
    return f"{fixed(rate * 100, digits)}%"


def fmt_cell(v, kind: str, lang: str = "zh") -> str:
    """A table cell's text: ``kind`` is pct (one decimal), amount (万元, or ¥ in English), int, days or text;
    missing values show as an em dash."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return "—"
    if kind == "pct":
        return fmt_pct(v, 1)
    if kind == "amount":
        return fmt_amount(v, lang, yi=False)
    if kind in ("int", "days"):
        return fixed(float(v), 0, grouping=True)
    if isinstance(v, bool):
        return ("是" if v else "否") if lang == "zh" else ("yes" if v else "no")
    return str(v)


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
    rendered_at: str = field(default_factory=lambda: datetime.now().astimezone().isoformat(timespec="seconds"))
    _pseudonyms: dict = field(default_factory=dict)

    def t(self, zh: str, en: str) -> str:
        """The text in the report's language."""
        return zh if self.lang == "zh" else en

    def pseudonym(self, kind: str, name) -> str:
        """A stable pseudonym within this report (客户-001 …), in order of first appearance."""
        key = (kind, name)
        if key not in self._pseudonyms:
            n = sum(1 for k in self._pseudonyms if k[0] == kind) + 1
            self._pseudonyms[key] = f"{self.t('客户', 'Customer') if kind == 'customer' else self.t('项目', 'Project')}-{n:03d}"
        return self._pseudonyms[key]

    def redacted(self, df: pd.DataFrame) -> pd.DataFrame:
        if not self.redact:
            return df
        out = df.copy()
        for column, kind in (("customer", "customer"), ("name", "project")):
            if column in out.columns:
                out[column] = [self.pseudonym(kind, v) if v is not None else v for v in out[column]]
        return out

    def table(self, df: pd.DataFrame, columns: dict[str, tuple[str, str, str]], *, limit: int | None = None):
        """An HTML table of ``df`` (escaped): ``columns`` maps a column to (zh, en, format) with format
        one of text, int, pct, amount, days."""
        from IPython.display import HTML

        df = self.redacted(df)
        if limit:
            df = df.head(limit)
        head = "".join(f"<th>{html.escape(self.t(zh, en))}</th>" for zh, en, _ in columns.values())
        rows = []
        for record in df.to_dict("records"):
            cells = []
            for column, (_, _, kind) in columns.items():
                cells.append(f"<td>{html.escape(fmt_cell(record.get(column), kind, self.lang))}</td>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return HTML(f"<table class='presales'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")

    def text(self, zh: str, en: str):
        """A paragraph in the report's language, escaped."""
        from IPython.display import HTML

        return HTML(f"<p>{html.escape(self.t(zh, en))}</p>")

    def parameters(self) -> dict[str, str]:
        """The report's parameters as resolved (what to pass to render it again)."""
        return {"period": str(self.period), "scope": str(self.scope), "lang": self.lang,
                "redact": str(self.redact).lower(), "as_of": self.as_of or "—", "database": self.database}

    def provenance(self) -> pd.DataFrame:
        return self.con.execute("""SELECT file_name, table_name, sha256, rows_loaded, rows_rejected,
                                          CAST(loaded_at AS VARCHAR) AS loaded_at FROM load_log ORDER BY load_id""").df()


def setup(database: str = "", period: str = "", lang: str = "zh", scope: str = "company", redact: bool = False,
          as_of: str = "") -> ReportContext:
    """Open the database read-only and resolve the report's parameters (see the module docstring).
    ``scope`` (company, region:<name>, department:<name>, director:<name>) narrows the connection, so
    every metric the report computes is for the scope (:mod:`presales_analytics.scoping`); the default
    period is chosen from the whole company's data, so every scope's report covers the same period."""
    if lang not in ("zh", "en"):
        raise InputError(f"lang {lang!r} must be zh or en")
    config = load_config()
    path = database_path(database or None)
    con = connect(path, read_only=True, wait_seconds=60)
    try:
        p = report_period(con, period)
        report_scope = restrict(con, scope)
    except InputError:
        con.close()
        raise
    use_offline_renderer()
    return ReportContext(con, p, lang, report_scope, bool(redact), as_of or None, str(path), config)



def metric_or_note(ctx: ReportContext, name: str, period, **options):
    """The metric's DataFrame, or None after displaying why it cannot be computed (a column or the
    targets no export provided) — so a report on partial data still renders, and says what is missing."""
    from IPython.display import display

    from ..errors import MissingColumnError
    from ..metrics import compute

    try:
        return compute(ctx.con, name, period, **options)
    except MissingColumnError as exc:
        display(ctx.text(f"无法计算：{exc}", f"Not available: {exc}"))
        return None
