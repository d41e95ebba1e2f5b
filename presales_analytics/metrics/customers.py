"""客户 customers: new and returning (新客户拓展 / 老客户维护), and how concentrated the won amount is.

A customer is *returning* in a period when it had a project won (closed as won) before the period
starts, anywhere in the company (a customer's history is not a region's), within the look-back
``[metrics] customer_lookback_days`` when set (all history when not); else it is *new*. The segment
belongs to the customer, not the project: a new customer won twice in a period is new for both
projects and counts once among the new customers won. Projects without a customer are left out
(``df.attrs["without_customer"]`` counts them).
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import check_dimension, context, finish, period_filter, period_of, require_column, scope, small_sample, \
    with_win_rate
from .spec import Column, MetricSpec

SEGMENTS = ("new", "returning", "all")
COLUMNS = ["segment", "closed", "won", "win_rate", "win_rate_low", "win_rate_high", "won_amount", "customers",
           "customers_won", "prior_customers", "repeat_rate", "top10_share", "hhi", "small_sample"]


def lookback_days(ctx) -> int | None:
    value = ctx.setting("metrics", "customer_lookback_days", None)
    if value in (None, "", 0):
        return None
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days <= 0:
        raise InputError(f"configuration [metrics] customer_lookback_days = {value!r}: write a number of days "
                         "greater than 0, or leave it out for all history", value=value)
    return days


def customers(con, period: Period | str | None = None, *, by: str | None = None, as_of=None,
              config: Config | None = None) -> pd.DataFrame:
    """Customers of the projects closed in the period, by segment: ``new``, ``returning`` and ``all``
    (per ``by`` value with ``by``: the new customers won per director is 新客户拓展).

    Columns: ``segment``; ``closed`` (projects closed in the period: won + lost + abandoned); ``won``;
    ``win_rate`` = won ÷ closed with its Wilson interval; ``won_amount`` (yuan); ``customers`` (distinct
    customers with a project closed in the period); ``customers_won`` (of those, with a project won);
    ``prior_customers`` (returning and all rows: the customers the scope, or the ``by`` value, won a
    project for before the period, within the look-back: the repeat rate's denominator);
    ``repeat_rate`` = the prior customers that won again in the period ÷ prior_customers (老客户维护);
    ``top10_share`` (all row: the ten customers with the most won amount's share of it) and ``hhi``
    (all row: Herfindahl index of the won amount over customers, Σ share², 1 = one customer);
    ``small_sample`` (closed fewer than the threshold).

    >>> import presales_analytics as pa
    >>> customers(pa.connect(":memory:"))["segment"].tolist()
    ['new', 'returning', 'all']
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    by = check_dimension(ctx, by, "customers")
    if by == "customer":
        raise InputError("customers is already per customer segment: --by customer is not a breakdown of it; "
                         "use director, region …")
    require_column(ctx, "customer", "customers", why="(who each project is for)")
    if p.grain != "all":
        require_column(ctx, "closed_at", "customers", why=f"to place projects in period {p}")
    days = lookback_days(ctx)
    s = scope(ctx)
    closed_in, params = period_filter("p.closed_at", p)
    params["p_start"] = p.start
    params["look_from"] = (p.start - timedelta(days=days)) if (days and p.start) else None
    dim = f"p.{ident(by)} AS {ident(by)}, " if by else ""
    keys = f"_scope, {ident(by)}" if by else "_scope"
    # the company's customers with a win before the period (prj_v: every project, whatever the scope)
    df = s.query(f"""
        , prior AS (
            SELECT DISTINCT customer FROM prj_v
            WHERE status = 'won' AND customer IS NOT NULL AND $p_start IS NOT NULL AND closed_at < $p_start
              AND ($look_from IS NULL OR closed_at >= $look_from)),
        rows AS (
            SELECT p._scope, {dim} p.customer, p.status, p.amount,
                   CASE WHEN r.customer IS NULL THEN 'new' ELSE 'returning' END AS segment
            FROM prj p LEFT JOIN prior r ON r.customer = p.customer
            WHERE p.customer IS NOT NULL AND p.status <> 'open' AND {closed_in}),
        seg AS (SELECT * FROM rows UNION ALL SELECT * REPLACE ('all' AS segment) FROM rows),
        per_customer AS (
            SELECT {keys}, segment, customer, sum(amount) FILTER (status = 'won') AS won_amount
            FROM seg GROUP BY ALL),
        conc AS (
            SELECT {keys}, segment,
                   sum(won_amount) FILTER (rk <= 10) / nullif(sum(won_amount), 0) AS top10_share,
                   sum((won_amount / nullif(total, 0)) ** 2) AS hhi
            FROM (SELECT *, row_number() OVER (PARTITION BY {keys}, segment ORDER BY won_amount DESC NULLS LAST,
                                                customer) AS rk,
                         sum(won_amount) OVER (PARTITION BY {keys}, segment) AS total
                  FROM per_customer WHERE won_amount > 0)
            WHERE segment = 'all' GROUP BY ALL),
        prior_scope AS (
            -- the repeat rate's customers: those the scope (and by value) itself won before the period
            SELECT DISTINCT p._scope, {dim} p.customer FROM prj p
            WHERE p.status = 'won' AND p.customer IS NOT NULL AND $p_start IS NOT NULL AND p.closed_at < $p_start
              AND ($look_from IS NULL OR p.closed_at >= $look_from)),
        repeat AS (
            SELECT x._scope{f", x.{ident(by)}" if by else ""},
                   CAST(count(*) AS BIGINT) AS prior_customers,
                   CAST(count(w.customer) AS BIGINT) AS repeated
            FROM prior_scope x LEFT JOIN (SELECT DISTINCT {keys}, customer FROM rows WHERE status = 'won') w
                 ON w._scope = x._scope AND w.customer = x.customer
                 {f"AND w.{ident(by)} IS NOT DISTINCT FROM x.{ident(by)}" if by else ""}
            GROUP BY ALL),
        counted AS (
            SELECT {keys}, segment,
                   CAST(count(*) AS BIGINT) AS closed,
                   CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
                   CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount,
                   CAST(count(DISTINCT customer) AS BIGINT) AS customers,
                   CAST(count(DISTINCT customer) FILTER (status = 'won') AS BIGINT) AS customers_won
            FROM seg GROUP BY ALL)
        SELECT c.*, CASE WHEN c.segment <> 'new' THEN coalesce(r.prior_customers, 0) END AS prior_customers,
               CASE WHEN c.segment <> 'new' THEN r.repeated / nullif(r.prior_customers, 0) END AS repeat_rate,
               k.top10_share, k.hhi
        FROM counted c
        LEFT JOIN repeat r ON r._scope = c._scope {f"AND r.{ident(by)} IS NOT DISTINCT FROM c.{ident(by)}" if by else ""}
        LEFT JOIN conc k ON k._scope = c._scope AND k.segment = c.segment
             {f"AND k.{ident(by)} IS NOT DISTINCT FROM c.{ident(by)}" if by else ""}""", params)
    df = _every_segment(df, by, s.keys())
    with_win_rate(df, ctx)
    df["small_sample"] = df["closed"] < small_sample(ctx)
    df = s.finish_scopes(df)
    df = df[(["scope"] if ctx.multi else []) + ([by] if by else []) + COLUMNS].reset_index(drop=True)
    without = s.query(f"SELECT count(*) AS n FROM prj p WHERE p.customer IS NULL AND p.status <> 'open' AND {closed_in}",
                      params)["n"]
    df = finish(df, metric="customers", period=p, as_of=ctx.as_of, by=by,
                denominator=f"projects closed in {p} with a customer; repeat rate: customers with a win before "
                            f"{p}" + (f" (within {days} days)" if days else ""),
                options={"customer_lookback_days": days})
    df.attrs["without_customer"] = int(without.sum()) if len(without) else 0
    return df


def _every_segment(df: pd.DataFrame, by: str | None, scopes: list[str]) -> pd.DataFrame:
    """Every (scope, by value) gets the three segments in order, zeros where it has no project."""
    keys = ["_scope"] + ([by] if by else [])
    if by:
        groups = df[keys].drop_duplicates()
        groups = groups.assign(_o=groups["_scope"].map({k: i for i, k in enumerate(scopes)}))
        groups = groups.sort_values(["_o", by], na_position="last", kind="stable").drop(columns="_o")
    else:
        groups = pd.DataFrame({"_scope": [k for k in scopes]})
    full = groups.merge(pd.DataFrame({"segment": list(SEGMENTS)}), how="cross")
    df = full.merge(df, on=keys + ["segment"], how="left", sort=False)
    for column in ("closed", "won", "customers", "customers_won"):
        df[column] = df[column].fillna(0).astype("int64")
    df["won_amount"] = df["won_amount"].fillna(0.0).astype("float64")
    for column in ("repeat_rate", "top10_share", "hhi"):
        df[column] = df[column].astype("float64")
    prior = df["prior_customers"].astype("float64")
    df["prior_customers"] = prior.where(df["segment"] != "new").fillna(0).astype("int64").where(
        df["segment"] != "new")
    return df


SPEC = MetricSpec(
    name="customers", function=customers, zh="新老客户", en="New and returning customers",
    definition_zh="本期结束的项目按客户分为新客户（本期开始前全公司没有赢单，回看期见 [metrics] customer_lookback_days）"
                  "与老客户；各自的赢单率、赢单金额、客户数与赢单客户数（新客户拓展）；老客户复购率 = 本范围期前赢过单且本期再赢单的客户 "
                  "÷ 本范围期前赢过单的客户（老客户维护）；集中度：前十大客户赢单金额占比与 HHI。",
    definition_en="projects closed in the period by customer: new (no win anywhere in the company before the period; "
                  "look-back [metrics] customer_lookback_days) or returning; win rate, won amount, customers and "
                  "customers won for each (new customers won: 新客户拓展); repeat rate = customers the scope won before "
                  "the period that it won again ÷ customers it won before the period (老客户维护); concentration: the top-10 "
                  "customers' share of the won amount, and HHI.",
    denominator_zh="本期结束且有客户名称的项目；复购率的分母为期前赢过单的客户",
    denominator_en="projects closed in the period with a customer; the repeat rate's: customers with a win before it",
    columns=(Column("segment", "text", "客户类型", "Segment", "new 新客户 / returning 老客户 / all 全部",
                    "new / returning / all"),
             C.CLOSED, C.WON, C.WIN_RATE, C.WIN_RATE_LOW, C.WIN_RATE_HIGH, C.WON_AMOUNT,
             Column("customers", "count", "客户数", "Customers", "本期有项目结束的客户数", "customers with a project closed in the period"),
             Column("customers_won", "count", "赢单客户数", "Customers won", "其中本期有赢单的客户数（新客户行：新客户拓展）",
                    "of those, customers with a win in the period (new row: new customers won)"),
             Column("prior_customers", "count", "期前赢单客户（分母）", "Prior customers (denominator)",
                    "本期开始前（回看期内）赢过单的客户数", "customers with a win before the period (within the look-back)"),
             Column("repeat_rate", "rate", "老客户复购率", "Repeat rate", "期前赢过单且本期再赢单的客户 ÷ 期前赢过单的客户",
                    "prior customers that won again in the period ÷ prior customers"),
             Column("top10_share", "rate", "前十大客户占比", "Top-10 share", "赢单金额最多的十个客户之和 ÷ 赢单金额",
                    "the ten customers with the most won amount ÷ won amount"),
             Column("hhi", "number", "集中度 HHI", "HHI", "各客户赢单金额占比的平方和（1 = 只有一个客户）",
                    "sum of the customers' squared shares of the won amount (1 = one customer)"),
             C.SMALL_SAMPLE),
    headline=("repeat_rate",))

__all__ = ["customers", "SEGMENTS", "COLUMNS"]
