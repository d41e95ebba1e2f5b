"""回款与满意度 collection and satisfaction of the projects won in a period.

回款率 = collected ÷ won amount over the projects won in the period (placed by the day they were won),
as the export knows the collected amount (its as-of date: the data date, or the as-of version). A won
project with no collected value, or 0, has collected nothing; it is *overdue* once
``[metrics] collection_overdue_days`` (90) have passed since it was won, on the state date.
Satisfaction (客户满意度) is the mean of the scores given to the projects closed in the period (any
outcome), with how many gave one and their spread (sample standard deviation), on the scale
``[metrics] satisfaction_scale`` (5). A column the exports never had is said so in
``df.attrs["missing"]``; its figures are then empty, not zero.
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import _execute, check_dimension, context, finish, period_filter, period_of, require_column, scope, \
    state_date
from .spec import Column, MetricSpec, Option

COLUMNS = ["won", "won_amount", "collected_amount", "collection_rate", "with_collection", "uncollected",
           "overdue", "overdue_amount", "rated", "satisfaction_mean", "satisfaction_sd"]


def _days(value, name: str) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise InputError(f"{name} = {value!r}: write a whole number of days (0 or more)", value=value)
    return days


def collection(con, period: Period | str | None = None, *, by: str | None = None, as_of=None,
               config: Config | None = None, overdue_days: int | str | None = None) -> pd.DataFrame:
    """Collection (回款) of the projects won in the period, and satisfaction of those closed in it (one
    row; per ``by`` value with ``by``).

    Columns: ``won`` (projects won in the period); ``won_amount`` (yuan); ``collected_amount`` (yuan,
    collected on them; none recorded counts 0); ``collection_rate`` = collected ÷ won amount;
    ``with_collection`` (won projects with a collected value recorded); ``uncollected`` (won projects
    with nothing collected: no value or 0); ``overdue`` / ``overdue_amount`` (of those, won at least
    ``overdue_days`` before the state date; amount in yuan); ``rated`` (projects closed in the period
    with a satisfaction score: the mean's n); ``satisfaction_mean``; ``satisfaction_sd`` (sample
    standard deviation; empty below 2 scores). Scores outside 0..scale are left out and counted in
    ``df.attrs["satisfaction_out_of_scale"]``.

    >>> import presales_analytics as pa
    >>> collection(pa.connect(":memory:")).to_dict("records")[0]["won"]
    0
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    by = check_dimension(ctx, by, "collection")
    if p.grain != "all":
        require_column(ctx, "closed_at", "collection", why=f"to place projects in period {p}")
    days = _days(overdue_days if overdue_days is not None else ctx.setting("metrics", "collection_overdue_days", 90),
                 "overdue_days")
    scale = float(ctx.setting("metrics", "satisfaction_scale", 5))
    missing = [c for c in ("collected_amount", "satisfaction")
               if not _execute(ctx, f"SELECT count({ident(c)}) FROM projects")[0][0]]
    sd = state_date(ctx, p, ctx.as_of)
    s = scope(ctx)
    closed_in, params = period_filter("p.closed_at", p)
    params.update({"sd": sd, "days": days, "scale": scale})
    dim = f"p.{ident(by)} AS {ident(by)}, " if by else ""
    group = f"_scope, {ident(by)}" if by else "_scope"
    df = s.query(f"""
        , done AS (
            SELECT p._scope, {dim} p.status, p.amount, p.closed_at,
                   CAST(p.collected_amount AS DOUBLE) AS collected,
                   CASE WHEN p.satisfaction BETWEEN 0 AND $scale THEN p.satisfaction END AS score,
                   p.satisfaction IS NOT NULL AND NOT (p.satisfaction BETWEEN 0 AND $scale) AS out_of_scale
            FROM prj p WHERE p.status <> 'open' AND {closed_in})
        SELECT {group},
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(collected) FILTER (status = 'won'), 0) AS DOUBLE) AS collected_amount,
               CAST(count(collected) FILTER (status = 'won') AS BIGINT) AS with_collection,
               CAST(count(*) FILTER (status = 'won' AND coalesce(collected, 0) = 0) AS BIGINT) AS uncollected,
               CAST(count(*) FILTER (status = 'won' AND coalesce(collected, 0) = 0
                                     AND closed_at + CAST($days AS INTEGER) <= $sd) AS BIGINT) AS overdue,
               CAST(coalesce(sum(amount) FILTER (status = 'won' AND coalesce(collected, 0) = 0
                                                 AND closed_at + CAST($days AS INTEGER) <= $sd), 0) AS DOUBLE)
                   AS overdue_amount,
               CAST(count(score) AS BIGINT) AS rated,
               CAST(avg(score) AS DOUBLE) AS satisfaction_mean,
               CAST(stddev_samp(score) AS DOUBLE) AS satisfaction_sd,
               CAST(count(*) FILTER (out_of_scale) AS BIGINT) AS out_of_scale
        FROM done GROUP BY ALL""", params)
    if by:
        df = df.sort_values(["_scope", by], na_position="last", kind="stable").reset_index(drop=True)
    zero = None if by else {"won": 0, "won_amount": 0.0, "collected_amount": 0.0, "with_collection": 0,
                            "uncollected": 0, "overdue": 0, "overdue_amount": 0.0, "rated": 0, "out_of_scale": 0}
    df = s.finish_scopes(df, fill=zero)
    out_of_scale = int(df["out_of_scale"].sum()) if len(df) else 0
    df["collection_rate"] = (df["collected_amount"] / df["won_amount"]).where(df["won_amount"] > 0)
    if "collected_amount" in missing:      # the exports never had the column: unknown, not zero
        for column in ("collected_amount", "collection_rate", "uncollected", "overdue", "overdue_amount"):
            df[column] = float("nan")
    for column in ("satisfaction_mean", "satisfaction_sd"):
        df[column] = df[column].astype("float64") if column in df else float("nan")
    df = df[(["scope"] if ctx.multi else []) + ([by] if by else []) + COLUMNS].reset_index(drop=True)
    df = finish(df, metric="collection", period=p, as_of=ctx.as_of, by=by,
                denominator=f"won amount of the projects won in {p}; satisfaction: projects closed in {p} with a "
                            f"score", options={"overdue_days": days, "satisfaction_scale": scale,
                                               "state_date": sd.isoformat() if sd else None})
    df.attrs["missing"] = missing
    df.attrs["satisfaction_out_of_scale"] = out_of_scale
    return df


SPEC = MetricSpec(
    name="collection", function=collection, zh="回款与满意度", en="Collection and satisfaction",
    definition_zh="本期赢单项目（按赢单日期）：回款率 = 已回款 ÷ 赢单金额（按导出数据的日期）；赢单满 "
                  "[metrics] collection_overdue_days（90）天仍未回款的为逾期；本期结束项目的客户满意度均值、评分数与标准差"
                  "（量表 [metrics] satisfaction_scale，5 分制）。导出没有该列时明确说明，不当作 0。",
    definition_en="projects won in the period (by the day won): collection rate = collected ÷ won amount (as the "
                  "export knows it); won with nothing collected after [metrics] collection_overdue_days (90) is "
                  "overdue; satisfaction of the projects closed in the period: mean, n and standard deviation "
                  "(scale [metrics] satisfaction_scale, 5). A column no export had is said so, not taken as 0.",
    denominator_zh="本期赢单项目的赢单金额；满意度：本期结束且有评分的项目",
    denominator_en="won amount of the projects won in the period; satisfaction: projects closed in it with a score",
    columns=(C.WON, C.WON_AMOUNT,
             Column("collected_amount", "amount", "已回款", "Collected", "本期赢单项目的回款金额之和（未填视为 0）",
                    "collected on the projects won in the period (none recorded counts 0)"),
             Column("collection_rate", "rate", "回款率", "Collection rate", "已回款 ÷ 赢单金额", "collected ÷ won amount"),
             Column("with_collection", "count", "有回款记录", "With a collected value"),
             Column("uncollected", "count", "未回款项目", "Nothing collected", "赢单但回款为空或 0 的项目",
                    "won projects with no collected value or 0"),
             Column("overdue", "count", "逾期未回款", "Overdue", "赢单满期限仍未回款的项目", "won, nothing collected, past the limit"),
             Column("overdue_amount", "amount", "逾期金额", "Overdue amount"),
             Column("rated", "count", "评分项目（n）", "Scored (n)", "本期结束且有满意度评分的项目",
                    "projects closed in the period with a satisfaction score"),
             Column("satisfaction_mean", "number", "满意度均值", "Satisfaction (mean)"),
             Column("satisfaction_sd", "number", "满意度标准差", "Satisfaction (SD)", "样本标准差；少于 2 个评分时为空",
                    "sample standard deviation; empty below 2 scores")),
    options=(Option("overdue_days", None, "赢单后多少天仍未回款算逾期（默认 [metrics] collection_overdue_days，90）",
                    "days after winning with nothing collected that count as overdue (default [metrics] "
                    "collection_overdue_days, 90)"),),
    headline=("collection_rate",))

__all__ = ["collection", "COLUMNS"]
