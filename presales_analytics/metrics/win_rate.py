"""赢单率 win rate: won ÷ closed, by count and by value, with a Wilson interval and its denominator."""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..sql import ident
from ..periods import Period
from . import columns as C
from .base import (check_dimension, context, option_flag, finish, period_filter, period_of, require_column, scope, small_sample,
                   with_win_rate)
from .spec import MetricSpec, Option

COLUMNS = ["won", "lost", "abandoned", "closed", "win_rate", "win_rate_low", "win_rate_high",
           "won_amount", "closed_amount", "value_win_rate", "open", "small_sample"]


def win_rate(con, period: Period | str | None = None, *, by: str | None = None, as_of=None,
             basis: str = "closed", exclude_abandoned: bool | str | None = None,
             config: Config | None = None) -> pd.DataFrame:
    """Win rate (赢单率) per ``by`` value (one row for everything without ``by``; with a context's
    groupings, per scope and ``by`` value, ``scope`` first).

    Basis ``closed`` (default): the projects *closed in the period* (closed date in it); ``cohort``:
    the projects *created in the period* (initiated date when there is no created date), with the ones
    still open counted in ``open`` and left out of the rate.

    Columns: the ``by`` dimension; ``won``, ``lost``, ``abandoned`` (counts); ``closed`` — the
    denominator: won + lost + abandoned, or won + lost with ``exclude_abandoned``; ``win_rate`` = won ÷
    closed; ``win_rate_low`` / ``win_rate_high``, its Wilson interval (95% by default); ``won_amount``
    and ``closed_amount`` in yuan (amounts of the projects counted in won and closed; a project without
    an amount adds 0 to both); ``value_win_rate`` = won_amount ÷ closed_amount; ``open`` (cohort basis
    only, else 0); ``small_sample``: fewer closed projects than the configured threshold (10).

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> win_rate(con).to_dict("records")[0]["closed"]
    0
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    by = check_dimension(ctx, by, "win-rate")
    if basis not in ("closed", "cohort"):
        raise InputError(f"basis {basis!r} must be 'closed' or 'cohort'")
    exclude_abandoned = option_flag(exclude_abandoned, "exclude_abandoned")
    if exclude_abandoned is None:
        exclude_abandoned = bool(ctx.setting("metrics", "exclude_abandoned", False))
    small = small_sample(ctx)
    if p.grain != "all":
        require_column(ctx, "closed_at" if basis == "closed" else "created_at", "win-rate",
                       why=f"to place projects in period {p}")
    s = scope(ctx)
    if basis == "closed":
        where, params = period_filter("closed_at", p)
        where = f"status <> 'open' AND {where}"
    else:
        where, params = period_filter("coalesce(created_at, initiated_at)", p)
    counted = "('won', 'lost')" if exclude_abandoned else "('won', 'lost', 'abandoned')"
    dim = f", {ident(by)} AS {ident(by)}" if by else ""
    df = s.query(f"""
        SELECT _scope{dim},
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (status = 'lost') AS BIGINT) AS lost,
               CAST(count(*) FILTER (status = 'abandoned') AS BIGINT) AS abandoned,
               CAST(count(*) FILTER (status IN {counted}) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(amount) FILTER (status IN {counted}), 0) AS DOUBLE) AS closed_amount,
               CAST(count(*) FILTER (status = 'open') AS BIGINT) AS open
        FROM prj WHERE {where} GROUP BY ALL""", params)
    zero = None if by else {"won": 0, "lost": 0, "abandoned": 0, "closed": 0, "won_amount": 0.0,
                            "closed_amount": 0.0, "open": 0}
    if by:
        df = df.sort_values(["_scope", by], na_position="last", kind="stable").reset_index(drop=True)
    df = s.finish_scopes(df, fill=zero)
    with_win_rate(df, ctx)
    df["value_win_rate"] = (df["won_amount"] / df["closed_amount"]).where(df["closed_amount"] > 0)
    df["small_sample"] = df["closed"] < small
    df = df[(["scope"] if ctx.multi else []) + ([by] if by else []) + COLUMNS]
    denominator = ("closed = won + lost" if exclude_abandoned else "closed = won + lost + abandoned")
    denominator += (f", projects closed in {p}" if basis == "closed" else f", projects created in {p} "
                    "(open ones counted apart, not in the rate)")
    return finish(df, metric="win-rate", period=p, as_of=ctx.as_of, by=by, denominator=denominator,
                  options={"basis": basis, "exclude_abandoned": exclude_abandoned, "small_sample": small})


SPEC = MetricSpec(
    name="win-rate", function=win_rate, zh="赢单率", en="Win rate",
    definition_zh="赢单 ÷ 已结束（赢单 + 丢单 + 放弃），按结束日期计入期间；金额赢单率 = 赢单金额 ÷ 已结束金额；"
                  "区间为 Wilson 95% 区间；已结束少于小样本阈值（10）的标为小样本。",
    definition_en="won ÷ closed (won + lost + abandoned), projects placed in the period by their close date; "
                  "value win rate = won amount ÷ closed amount; Wilson 95% interval; fewer closed than the "
                  "small-sample threshold (10) is flagged.",
    denominator_zh="本期结束的项目：赢单 + 丢单 + 放弃（可设为不含放弃）",
    denominator_en="projects closed in the period: won + lost + abandoned (abandoned can be excluded)",
    columns=(C.WON, C.LOST, C.ABANDONED, C.CLOSED, C.WIN_RATE, C.WIN_RATE_LOW, C.WIN_RATE_HIGH, C.WON_AMOUNT,
             C.CLOSED_AMOUNT, C.VALUE_WIN_RATE, C.OPEN.renamed(zh="仍在手（队列口径）", en="Still open (cohort)"),
             C.SMALL_SAMPLE),
    options=(Option("basis", "closed", "closed：本期结束的项目；cohort：本期创建的项目",
                    "closed: projects closed in the period; cohort: projects created in it", ("closed", "cohort")),
             Option("exclude_abandoned", None, "分母不含放弃（默认取配置 [metrics] exclude_abandoned）",
                    "leave abandoned out of the denominator (default: [metrics] exclude_abandoned)")),
    headline=("win_rate", "won_amount"))
