"""竞争对手 competitors: whom we meet, and how often we win against each.

A project's ``competitor`` cell may name several rivals, separated the way exports do (、 , ; / and
their full-width forms); :data:`COMPETITOR_LIST` turns it into a list of distinct trimmed names. A
project counts once for every rival it names, and once in the total; a project naming none is its
own row (``competitor`` empty), whose share of the projects is a data-quality figure.
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from . import columns as C
from .base import context, data_date, finish, period_filter, period_of, require_column, scope, small_sample, \
    state_date, with_win_rate
from .durations import OPEN_ON_SD
from .spec import Column, MetricSpec, Option

#: SQL: the distinct rival names of ``p.competitor`` (a list; empty when none is recorded)
COMPETITOR_LIST = ("list_distinct(list_filter(list_transform(string_split_regex(coalesce(p.competitor, ''), "
                   "'[、,，;；/／]'), lambda x: trim(x, ' 　')), lambda x: x <> ''))")

#: SQL: one row per rival of ``p`` (``NULL`` for a project naming none): ``unnest`` this
COMPETITOR_ROWS = f"unnest(CASE WHEN len({COMPETITOR_LIST}) = 0 THEN [NULL] ELSE {COMPETITOR_LIST} END)"

#: won + lost: the denominator of a rate "against" someone or of bids
DECIDED = Column("decided", "count", "已决（分母）", "Decided (denominator)", "赢单 + 丢单", "won + lost")
#: the small-sample flag of a rate over decided projects
DECIDED_SMALL = Column("small_sample", "bool", "小样本", "Small sample", "已决（赢单 + 丢单）少于小样本阈值（默认 10）",
                       "fewer decided (won + lost) than the small-sample threshold (10)")

COLUMNS = ["competitor", "met", "won", "lost", "abandoned", "decided", "win_rate", "win_rate_low",
           "win_rate_high", "won_amount", "lost_amount", "open", "projects_total", "share_of_projects",
           "small_sample"]


def competitors(con, period: Period | str | None = None, *, as_of=None, config: Config | None = None
                ) -> pd.DataFrame:
    """Per competitor (竞争对手), the projects closed in the period that named it, and our record
    against it. One row per rival name and one (``competitor`` empty) for the projects naming none;
    rivals sorted by projects met (``met``, descending), then name; the empty row last.

    Columns: ``competitor``; ``met`` (projects closed in the period naming it: won + lost +
    abandoned); ``won``, ``lost``, ``abandoned``; ``decided`` = won + lost (the denominator: an abandoned
    project was not decided against anyone); ``win_rate`` = won ÷ decided, with its Wilson interval;
    ``won_amount`` and ``lost_amount`` (yuan: won, lost projects); ``open`` (projects open on the state
    date naming it: met, not decided; not in the rate); ``projects_total`` (every project closed in the
    period, each once: the share's denominator); ``share_of_projects`` = met ÷ projects_total (the
    empty row's share: closed projects with no competitor recorded); ``small_sample`` (decided fewer
    than the small-sample threshold). ``df.attrs["without_competitor_share"]`` is the empty row's share.

    >>> import presales_analytics as pa
    >>> from presales_analytics.errors import MissingColumnError
    >>> try:
    ...     competitors(pa.connect(":memory:"))
    ... except MissingColumnError as missing:     # nothing loaded: no export has named a competitor
    ...     print(missing.column)
    competitor
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    require_column(ctx, "competitor", "competitors", why="(the rivals each project met)")
    if p.grain != "all":
        require_column(ctx, "closed_at", "competitors", why=f"to place projects in period {p}")
    sd = state_date(ctx, p, ctx.as_of)
    s = scope(ctx)
    closed_in, params = period_filter("p.closed_at", p)
    params["sd"] = sd
    df = s.query(f"""
        , met AS (
            SELECT p._scope, p.status, p.amount,
                   p.status <> 'open' AND {closed_in} AS closed_in,
                   {OPEN_ON_SD} AS open_on_sd, {COMPETITOR_ROWS} AS competitor
            FROM prj p),
        totals AS (
            SELECT _scope, count(*) FILTER (p.status <> 'open' AND {closed_in}) AS projects_total
            FROM prj p GROUP BY _scope)
        SELECT m._scope, m.competitor,
               CAST(count(*) FILTER (closed_in) AS BIGINT) AS met,
               CAST(count(*) FILTER (closed_in AND status = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (closed_in AND status = 'lost') AS BIGINT) AS lost,
               CAST(count(*) FILTER (closed_in AND status = 'abandoned') AS BIGINT) AS abandoned,
               CAST(count(*) FILTER (closed_in AND status IN ('won', 'lost')) AS BIGINT) AS decided,
               CAST(coalesce(sum(amount) FILTER (closed_in AND status = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(amount) FILTER (closed_in AND status = 'lost'), 0) AS DOUBLE) AS lost_amount,
               CAST(count(*) FILTER (open_on_sd) AS BIGINT) AS open,
               CAST(any_value(t.projects_total) AS BIGINT) AS projects_total
        FROM met m JOIN totals t USING (_scope)
        WHERE closed_in OR open_on_sd
        GROUP BY m._scope, m.competitor""", params)
    df = df.assign(_none=df["competitor"].isna()).sort_values(
        ["_scope", "_none", "met", "competitor"], ascending=[True, True, False, True], kind="stable")
    df = s.finish_scopes(df.drop(columns="_none"))
    df["competitor"] = pd.Series(df["competitor"], dtype="str")      # an all-empty column is still text
    with_win_rate(df, ctx, closed="decided")
    df["share_of_projects"] = (df["met"] / df["projects_total"]).where(df["projects_total"] > 0)
    df["small_sample"] = df["decided"] < small_sample(ctx)
    df = df[(["scope"] if ctx.multi else []) + COLUMNS].reset_index(drop=True)
    none = df[df["competitor"].isna()] if not ctx.multi else df.iloc[0:0]
    df = finish(df, metric="competitors", period=p, as_of=ctx.as_of, by=None,
                denominator=f"decided = won + lost, projects closed in {p} naming the competitor; share: of "
                            f"every project closed in {p}", options={"state_date": sd.isoformat() if sd else None})
    df.attrs["without_competitor_share"] = float(none["share_of_projects"].iloc[0]) if len(none) else 0.0
    return df


SPEC = MetricSpec(
    name="competitors", function=competitors, zh="竞争对手", en="Competitors",
    definition_zh="本期结束的项目按所列竞争对手（一个项目可列多个，以 、 , ; / 分隔）统计：遇到次数、赢单、丢单，"
                  "对其赢单率 = 赢单 ÷ 已决（赢单 + 丢单），Wilson 95% 区间；未记录竞争对手的项目单列一行，其占比是数据质量指标。",
    definition_en="projects closed in the period, per competitor they name (a project can name several, separated "
                  "by 、 , ; /): met, won, lost; win rate against it = won ÷ decided (won + lost), Wilson 95% "
                  "interval; projects naming none are their own row, whose share is a data-quality figure.",
    denominator_zh="已决 = 赢单 + 丢单（本期结束且列有该对手的项目）；占比的分母为本期结束的全部项目（每个项目计一次）",
    denominator_en="decided = won + lost, projects closed in the period naming the competitor; the share's "
                   "denominator: every project closed in the period, each once",
    columns=(Column("competitor", "text", "竞争对手", "Competitor", "空白表示未记录竞争对手",
                    "empty: no competitor recorded"),
             Column("met", "count", "遇到（本期结束）", "Met (closed)",
                    "本期结束且列有该对手的项目：赢单 + 丢单 + 放弃", "projects closed in the period naming it: won + "
                    "lost + abandoned"), C.WON, C.LOST, C.ABANDONED,
             DECIDED,
             C.WIN_RATE.renamed(zh="对其赢单率", en="Win rate against"), C.WIN_RATE_LOW, C.WIN_RATE_HIGH,
             C.WON_AMOUNT, Column("lost_amount", "amount", "丢单金额", "Lost amount"),
             C.OPEN,
             Column("projects_total", "count", "本期结束项目（占比分母）", "Projects closed (share denominator)"),
             Column("share_of_projects", "rate", "项目占比", "Share of projects", "遇到 ÷ 本期结束的全部项目",
                    "met ÷ every project closed in the period"),
             DECIDED_SMALL),
    by=False, headline=("win_rate",))


TREND_COLUMNS = ["competitor", "quarter", "met", "won", "lost", "decided", "win_rate", "win_rate_low",
                 "win_rate_high", "small_sample"]


def trend_quarters(p: Period, data_day, quarters: int) -> list[Period]:
    """The ``quarters`` quarters, oldest first, up to the one ``p`` ends in (for ``all`` and date ranges
    without an end, the quarter of ``data_day``); [] without a date to end at.

    >>> [str(q) for q in trend_quarters(Period.parse("2026-09"), None, 3)]
    ['2026-Q1', '2026-Q2', '2026-Q3']
    """
    end = p.last_day if p.grain != "all" else data_day
    if end is None:
        return []
    out = [Period.containing("quarter", end)]
    for _ in range(int(quarters) - 1):
        out.append(out[-1].previous())
    return out[::-1]


def competitor_trend(con, period: Period | str | None = None, *, as_of=None, config: Config | None = None,
                     quarters: int | str = 8) -> pd.DataFrame:
    """Our record against each competitor, quarter by quarter: the ``quarters`` quarters up to the one the
    period ends in (:func:`trend_quarters`), one row per rival and quarter in which a project naming it
    closed (a project naming several counts for each, as in :func:`competitors`; projects naming none are
    left out). Rivals in order of projects met over the whole span (most first), then name; quarters
    oldest first.

    Columns: ``competitor``; ``quarter`` (``2026-Q3``); ``met`` (projects closed in the quarter naming it:
    won + lost + abandoned); ``won``, ``lost``; ``decided`` = won + lost (the denominator); ``win_rate`` =
    won ÷ decided with its Wilson interval; ``small_sample`` (decided fewer than the small-sample
    threshold: a quarter of two or three bids says little; read the trend, not a point).
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    quarters = int(quarters)
    if quarters < 1:
        raise InputError(f"competitor-trend: quarters must be 1 or more, not {quarters}", value=str(quarters))
    require_column(ctx, "competitor", "competitor-trend", why="(the rivals each project met)")
    require_column(ctx, "closed_at", "competitor-trend", why="to place projects in quarters")
    span = trend_quarters(p, data_date(ctx), quarters)      # never empty: a closed_at is loaded, so a data date
    s = scope(ctx)
    df = s.query(f"""
        , met AS (
            SELECT p._scope, p.status, CAST(date_trunc('quarter', p.closed_at) AS DATE) AS q,
                   {COMPETITOR_ROWS} AS competitor
            FROM prj p
            WHERE p.status <> 'open' AND p.closed_at >= $t_start AND p.closed_at < $t_end)
        SELECT _scope, competitor, q,
               CAST(count(*) AS BIGINT) AS met,
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (status = 'lost') AS BIGINT) AS lost,
               CAST(count(*) FILTER (status IN ('won', 'lost')) AS BIGINT) AS decided,
               CAST(sum(count(*)) OVER (PARTITION BY _scope, competitor) AS BIGINT) AS _span_met
        FROM met WHERE competitor IS NOT NULL
        GROUP BY _scope, competitor, q""", {"t_start": span[0].start, "t_end": span[-1].end})
    df["quarter"] = [str(Period.containing("quarter", d)) for d in pd.to_datetime(df["q"]).dt.date]
    df = df.sort_values(["_scope", "_span_met", "competitor", "q"], ascending=[True, False, True, True],
                        kind="stable").drop(columns=["q", "_span_met"])
    df = s.finish_scopes(df)
    df["competitor"] = pd.Series(df["competitor"], dtype="str")
    with_win_rate(df, ctx, closed="decided")
    df["small_sample"] = df["decided"] < small_sample(ctx)
    df = df[(["scope"] if ctx.multi else []) + TREND_COLUMNS].reset_index(drop=True)
    return finish(df, metric="competitor-trend", period=p, as_of=ctx.as_of, by=None,
                  denominator="decided = won + lost, projects closed in the quarter naming the competitor",
                  options={"quarters": quarters, "first_quarter": str(span[0]),
                           "last_quarter": str(span[-1])})


TREND_SPEC = MetricSpec(
    name="competitor-trend", function=competitor_trend, zh="竞争对手趋势", en="Competitor trend",
    definition_zh="截至本期所在季度的最近若干个季度（默认 8 个），每个季度按所列竞争对手统计本季度结束的项目：遇到、赢单、丢单，"
                  "对其赢单率 = 赢单 ÷ 已决（赢单 + 丢单），Wilson 95% 区间；一个项目列多个对手时分别计入，未列对手的项目不计。",
    definition_en="for each of the last quarters up to the one the period ends in (8 by default), per competitor named "
                  "on the projects closed in the quarter: met, won, lost; win rate against it = won ÷ decided (won + "
                  "lost), Wilson 95% interval; a project naming several counts for each, one naming none is left out.",
    denominator_zh="已决 = 赢单 + 丢单（该季度结束且列有该对手的项目）",
    denominator_en="decided = won + lost, projects closed in the quarter naming the competitor",
    columns=(Column("competitor", "text", "竞争对手", "Competitor"),
             Column("quarter", "text", "季度", "Quarter"),
             Column("met", "count", "遇到（季度内结束）", "Met (closed in the quarter)",
                    "该季度结束且列有该对手的项目：赢单 + 丢单 + 放弃", "projects closed in the quarter naming it: won + "
                    "lost + abandoned"), C.WON, C.LOST, DECIDED,
             C.WIN_RATE.renamed(zh="对其赢单率", en="Win rate against"), C.WIN_RATE_LOW, C.WIN_RATE_HIGH, DECIDED_SMALL),
    options=(Option("quarters", 8, "显示的季度数（截至本期所在季度）", "how many quarters, up to the period's"),),
    by=False, headline=("win_rate",))

__all__ = ["competitors", "COMPETITOR_LIST", "COMPETITOR_ROWS", "COLUMNS", "DECIDED", "DECIDED_SMALL", "competitor_trend", "trend_quarters",
           "TREND_SPEC", "TREND_COLUMNS"]
