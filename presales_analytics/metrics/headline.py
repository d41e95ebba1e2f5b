"""关键指标 the headline figures of a period: one row per scope, each figure taken from the metric that
defines it (win rate, pipeline coverage, stalled projects, compliance, cycle time), so the audit
report's summary, the workbook's 关键指标 sheet and the dashboard's tiles show the same numbers."""

from __future__ import annotations

import math

import pandas as pd

from ..config import Config
from ..errors import InputError, MissingColumnError
from ..periods import Period
from . import columns as C
from .base import context, finish, period_of, scope
from .spec import MetricSpec

COLUMNS = ["won", "closed", "win_rate", "won_amount", "target_amount", "attainment", "open_projects", "open_amount",
           "weighted_amount", "stalled", "checks_due", "checks_passed", "compliance_rate", "median_days_to_win",
           "median_cycle_days"]


def headline(con, period: Period | str | None = None, *, as_of=None, config: Config | None = None) -> pd.DataFrame:
    """The headline figures of ``period`` (with a context's groupings: one row per scope, ``scope`` first).

    Columns: ``won`` and ``closed`` (the win rate's denominator: won + lost + abandoned, closed in the
    period) and ``win_rate``, ``won_amount`` (yuan) as :func:`~.win_rate.win_rate`; ``target_amount``
    (yuan, the target the scope is held to as a whole; NaN without one) and ``attainment`` = won amount
    ÷ target as :func:`~.pipeline.pipeline_summary`; ``open_projects``, ``open_amount``,
    ``weighted_amount`` (at the state date) as the pipeline; ``stalled`` (count, :func:`~.stalled.stalled`);
    ``checks_due`` (the compliance rate's denominator), ``checks_passed`` and ``compliance_rate`` as
    :func:`~.compliance.compliance` (0 and NaN when activities and documents cannot be checked);
    ``median_days_to_win`` (median days created → won, projects won in the period) and
    ``median_cycle_days`` (median days created → closed, every project closed in it) as
    :func:`~.durations.cycle_time` (NaN when the export has no created or closed dates).
    """
    from .compliance import compliance
    from .durations import cycle_time
    from .pipeline import pipeline_summary
    from .stalled import stalled
    from .win_rate import win_rate

    ctx = context(con, as_of, config)
    p = period_of(period)
    keys = scope(ctx).keys()
    key = "scope" if ctx.multi else None

    def by_scope(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
        if key is None:
            return {keys[0]: df}
        return {k: g for k, g in df.groupby(key, sort=False)}

    wr = by_scope(win_rate(ctx, p))
    pipe = by_scope(pipeline_summary(ctx, p))
    st = stalled(ctx, p)
    stalled_n = st.groupby(key).size().to_dict() if key and len(st) else ({keys[0]: len(st)} if not key else {})
    try:
        comp = compliance(ctx, p, level="director")
        comp_sums = (comp.groupby(key)[["checks_due", "checks_passed"]].sum() if key
                     else comp[["checks_due", "checks_passed"]].sum().to_frame(keys[0]).T)
    except (MissingColumnError, InputError):
        comp_sums = pd.DataFrame(columns=["checks_due", "checks_passed"])
    try:
        cyc = by_scope(cycle_time(ctx, p))
    except MissingColumnError:
        cyc = {}
    rows = []
    for k in keys:
        w = wr[k].iloc[0] if k in wr else None
        s = pipe[k].iloc[0] if k in pipe else None
        due = int(comp_sums.loc[k, "checks_due"]) if k in comp_sums.index else 0
        passed = int(comp_sums.loc[k, "checks_passed"]) if k in comp_sums.index else 0
        c = cyc.get(k)
        median = (lambda outcome: float(c.loc[c["outcome"] == outcome, "median_days"].iloc[0])
                  if c is not None and (c["outcome"] == outcome).any() else math.nan)
        won_amount = float(w["won_amount"]) if w is not None else 0.0
        target = float(s["target_amount"]) if s is not None else math.nan
        rows.append({"_scope": k, "won": int(w["won"]) if w is not None else 0,
                     "closed": int(w["closed"]) if w is not None else 0,
                     "win_rate": float(w["win_rate"]) if w is not None else math.nan, "won_amount": won_amount,
                     "target_amount": target,
                     "attainment": won_amount / target if target and not math.isnan(target) else math.nan,
                     "open_projects": int(s["open_projects"]) if s is not None else 0,
                     "open_amount": float(s["open_amount"]) if s is not None else 0.0,
                     "weighted_amount": float(s["weighted_amount"]) if s is not None else 0.0,
                     "stalled": int(stalled_n.get(k, 0)), "checks_due": due, "checks_passed": passed,
                     "compliance_rate": passed / due if due else math.nan,
                     "median_days_to_win": median("won"), "median_cycle_days": median("all")})
    df = pd.DataFrame(rows, columns=["_scope"] + COLUMNS)
    df = df.rename(columns={"_scope": "scope"}) if ctx.multi else df.drop(columns="_scope")
    return finish(df, metric="headline", period=p, as_of=ctx.as_of, by=None,
                  denominator="win rate: projects closed in the period; attainment: the target; compliance: "
                              "checks due; cycle days: projects won (to win) or closed (to close) in the period")


SPEC = MetricSpec(
    name="headline", function=headline, zh="关键指标", en="Headline figures",
    definition_zh="一个期间的关键指标，各取自定义它的指标：赢单率与赢单金额、目标达成率、在途与加权商机、停滞项目、制度执行率、"
                  "赢单周期与结束周期中位天数。",
    definition_en="a period's headline figures, each from the metric that defines it: win rate and won amount, target "
                  "attainment, open and weighted pipeline, stalled projects, policy compliance, median days to win "
                  "and to close.",
    denominator_zh="见各列", denominator_en="per column",
    columns=(C.WON, C.CLOSED, C.WIN_RATE, C.WON_AMOUNT, C.TARGET_AMOUNT, C.ATTAINMENT, C.OPEN_PROJECTS,
             C.OPEN_AMOUNT, C.WEIGHTED_AMOUNT, C.STALLED, C.CHECKS_DUE, C.CHECKS_PASSED, C.COMPLIANCE_RATE,
             C.MEDIAN_DAYS_TO_WIN, C.MEDIAN_CYCLE_DAYS),
    by=False, headline=("won_amount", "win_rate", "attainment", "stalled", "compliance_rate", "median_cycle_days"))

__all__ = ["headline", "COLUMNS", "SPEC"]
