"""投标 bids: the projects that reached the bidding stage in the period, and 中标率 (won ÷ bids decided).

A bid is a project's first entry into the bid stage (``[metrics] bid_stage``, ``bidding`` = 投标 by
default) as the stage history knows it on the as-of date; it belongs to the period that entry falls
in. Its outcome is the project's status on the state date: won or lost (decided: the denominator),
abandoned (withdrawn: counted, not decided), or still open (counted and shown, not in the rate).
A project whose history never shows the bid stage made no bid (an export without stage history
has no bids: ``bids`` is 0, not an error).
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import check_dimension, context, finish, period_filter, period_of, scope, small_sample, state_date, \
    with_win_rate
from .base import require_column
from .competitors import COMPETITOR_ROWS, DECIDED, DECIDED_SMALL
from .durations import OPEN_ON_SD
from .spec import Column, MetricSpec

COLUMNS = ["bids", "won", "lost", "abandoned", "decided", "open", "bid_win_rate", "bid_win_rate_low",
           "bid_win_rate_high", "bid_amount", "won_amount", "lost_amount", "small_sample"]


def bids(con, period: Period | str | None = None, *, by: str | None = None, as_of=None,
         config: Config | None = None) -> pd.DataFrame:
    """Bids (投标) entered in the period and their outcome (one row; per ``by`` value with ``by``:
    director, region, grade, channel … or ``competitor``, where a bid counts once for every rival it
    names and bids naming none are the empty row).

    Columns: ``bids`` (projects whose first entry into the bid stage is in the period); ``won``,
    ``lost``, ``abandoned`` (their status on the state date); ``decided`` = won + lost (the denominator);
    ``open`` (still open on the state date: shown, not in the rate); ``bid_win_rate`` (中标率) = won ÷
    decided, with its Wilson interval ``_low`` / ``_high``; ``bid_amount``, ``won_amount``,
    ``lost_amount`` (yuan: every bid, the won ones, the lost ones); ``small_sample`` (decided fewer than
    the small-sample threshold).

    >>> import presales_analytics as pa
    >>> bids(pa.connect(":memory:")).to_dict("records")[0]["bids"]
    0
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    stage = str(ctx.setting("metrics", "bid_stage", "bidding"))
    if stage not in ctx.config.working_stages:
        raise InputError(f"configuration [metrics] bid_stage = {stage!r} is not a working stage; use one of: "
                         f"{', '.join(ctx.config.working_stages)}", value=stage)
    if by == "competitor":
        require_column(ctx, "competitor", "bids", why="(the rivals each bid met)")
        dim, group = f"{COMPETITOR_ROWS} AS competitor", ", competitor"
    else:
        by = check_dimension(ctx, by, "bids")
        dim, group = (f"p.{ident(by)} AS {ident(by)}", f", {ident(by)}") if by else ("NULL AS _none", "")
    sd = state_date(ctx, p, ctx.as_of)
    s = scope(ctx)
    entered_in, params = period_filter("b.bid_at", p)
    params.update({"bid_stage": stage, "sd": sd})
    df = s.query(f"""
        , first_bid AS (SELECT project_id, min(entered_at) AS bid_at FROM evt WHERE stage = $bid_stage
                        GROUP BY project_id),
        bid AS (
            SELECT p._scope, {dim}, p.amount,
                   CASE WHEN {OPEN_ON_SD} THEN 'open' ELSE p.status END AS outcome
            FROM prj p JOIN first_bid b ON b.project_id = p.project_id
            WHERE {entered_in})
        SELECT _scope{group},
               CAST(count(*) AS BIGINT) AS bids,
               CAST(count(*) FILTER (outcome = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (outcome = 'lost') AS BIGINT) AS lost,
               CAST(count(*) FILTER (outcome = 'abandoned') AS BIGINT) AS abandoned,
               CAST(count(*) FILTER (outcome IN ('won', 'lost')) AS BIGINT) AS decided,
               CAST(count(*) FILTER (outcome = 'open') AS BIGINT) AS open,
               CAST(coalesce(sum(amount), 0) AS DOUBLE) AS bid_amount,
               CAST(coalesce(sum(amount) FILTER (outcome = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(amount) FILTER (outcome = 'lost'), 0) AS DOUBLE) AS lost_amount
        FROM bid GROUP BY ALL""", params)
    key = "competitor" if by == "competitor" else by
    if key:
        df = df.sort_values(["_scope", key], na_position="last", kind="stable").reset_index(drop=True)
    zero = None if key else {c: (0.0 if c.endswith("amount") else 0) for c in
                             ("bids", "won", "lost", "abandoned", "decided", "open", "bid_amount", "won_amount",
                              "lost_amount")}
    df = s.finish_scopes(df, fill=zero)
    if key:
        df[key] = pd.Series(df[key], dtype="str")       # an all-empty column is still text
    with_win_rate(df, ctx, closed="decided", prefix="bid_win_rate")
    df["small_sample"] = df["decided"] < small_sample(ctx)
    df = df[(["scope"] if ctx.multi else []) + ([key] if key else []) + COLUMNS].reset_index(drop=True)
    return finish(df, metric="bids", period=p, as_of=ctx.as_of, by=key,
                  denominator=f"decided = won + lost, of the projects first entering {stage} in {p}; open and "
                              f"abandoned bids counted apart", options={"bid_stage": stage,
                                                                         "state_date": sd.isoformat() if sd else None})


SPEC = MetricSpec(
    name="bids", function=bids, zh="投标与中标率", en="Bids and bid win rate",
    definition_zh="本期首次进入投标阶段的项目（按阶段历史）；中标率 = 赢单 ÷ 已决（赢单 + 丢单），Wilson 95% 区间；"
                  "仍在进行的投标和放弃的项目单独计数，不进分母。可按竞争对手分（一个投标计入它所列的每个对手）。",
    definition_en="projects first entering the bidding stage in the period (by the stage history); bid win rate = "
                  "won ÷ decided (won + lost), Wilson 95% interval; bids still open and abandoned ones are counted "
                  "apart, not in the denominator. Can be broken down by competitor (a bid counts for each rival).",
    denominator_zh="已决投标：赢单 + 丢单", denominator_en="bids decided: won + lost",
    columns=(Column("bids", "count", "投标数", "Bids", "本期首次进入投标阶段的项目数",
                    "projects first entering the bidding stage in the period"),
             Column("won", "count", "赢单", "Won", "本期投标中状态日已赢单的项目数",
                    "of the period's bids, projects won by the state date"),
             C.LOST, C.ABANDONED, DECIDED,
             Column("open", "count", "在途", "Open", "本期投标中状态日仍在进行的（不进分母）",
                    "of the period's bids, still open on the state date (not in the denominator)"),
             Column("bid_win_rate", "rate", "中标率", "Bid win rate", "赢单 ÷ 已决投标（赢单 + 丢单）",
                    "won ÷ bids decided (won + lost)"),
             C.WIN_RATE_LOW.renamed("bid_win_rate_low"), C.WIN_RATE_HIGH.renamed("bid_win_rate_high"),
             Column("bid_amount", "amount", "投标金额", "Bid amount"), C.WON_AMOUNT,
             Column("lost_amount", "amount", "丢单金额", "Lost amount"), DECIDED_SMALL),
    headline=("bid_win_rate",))

__all__ = ["bids", "COLUMNS"]
