"""渠道贡献 channel contribution: per channel partner and for direct (直销) sales."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..periods import Period
from .base import (as_date, data_date, finish, period_filter, period_of, require_column, scope, state_date,
                   wilson)

#: What the ``channel`` column shows for projects with no channel partner (channel NULL).
DIRECT = "直销"

COLUMNS = ["channel", "direct", "projects", "won", "closed", "win_rate", "win_rate_low", "win_rate_high",
           "won_amount", "won_share", "open_pipeline_amount", "open_pipeline_share", "median_cycle_days",
           "vs_direct_same_grade", "small_sample"]


def _flag(value: bool | str | None, name: str) -> bool | None:
    """A boolean option, also as command-line text (true/false, 1/0, yes/no)."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "y", "on"):
        return True
    if text in ("false", "0", "no", "n", "off"):
        return False
    raise InputError(f"option {name}={value!r} must be true or false")


def state_scope_date(con: duckdb.DuckDBPyConnection, period: Period, as_of: date | None) -> tuple[date | None,
                                                                                                   date | None]:
    """``(state date, as-of date for scope())`` of a state metric: the state date of
    :func:`base.state_date`, and the date to build the scope at (None = the latest data, which is
    the same state as the latest data date and cheaper to read)."""
    s = state_date(con, period, as_of)
    if as_of is None and (s is None or s == data_date(con)):
        return s, None
    return s, s


def channels(con: duckdb.DuckDBPyConnection, period: Period | str | None = None, *, by: str | None = None,
             as_of: date | str | None = None, config: Config | None = None,
             exclude_abandoned: bool | str | None = None) -> pd.DataFrame:
    """Channel contribution (渠道贡献): one row per channel partner (渠道商) and one for direct sales.

    Direct = projects with no channel partner (channel NULL), shown as ``直销`` in ``channel`` with
    ``direct`` = True. Rows: partners by name, then direct.

    Columns:

    - ``projects``: projects created in the period (all projects for ``all``), count;
    - ``won``, ``closed``: projects closed in the period (closed date in it), counts; closed = won +
      lost + abandoned (won + lost with ``exclude_abandoned``) — **the denominator** of ``win_rate``;
    - ``win_rate`` = won ÷ closed (NaN when closed = 0); ``win_rate_low`` / ``win_rate_high``: its
      Wilson interval (``[metrics] confidence``, 95%);
    - ``won_amount``: yuan, projects won in the period (no amount adds 0); ``won_share``: of all won
      amount in the period, partners + direct = 1 (NaN when nothing was won);
    - ``open_pipeline_amount``: yuan, projects open at the state date (the as-of date, else the
      period's last day capped at the latest data date); ``open_pipeline_share``: of all open amount;
    - ``median_cycle_days``: median days created → closed over the projects counted in ``closed``
      that have both dates (NaN when none);
    - ``vs_direct_same_grade``: the partner's win rate minus direct's win rate *in the same grade*
      (项目等级; no grade counts as a grade of its own), averaged over the grades weighted by the
      partner's closed projects in each grade. Grades where direct closed no project in the period
      are left out (no comparison possible); NaN when no grade is left, and always NaN for direct.
      A positive value: the partner wins more often than direct sales on comparable projects;
    - ``small_sample``: closed < ``[metrics] small_sample`` (10).

    ``by``: only ``None`` or ``"channel"`` (the rows already are the channels). Raises
    :class:`MissingColumnError` when no loaded export had a channel column.

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> channels(con)
    Traceback (most recent call last):
    ...
    presales_analytics.errors.MissingColumnError: channels needs the column 'channel', ...
    """
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    if by is not None and by.strip().lower() != "channel":
        raise InputError(f"channels has one row per channel partner and one for direct; --by {by!r} is not "
                         "meaningful here: leave --by out (or use --by channel)")
    by = "channel" if by is not None else None
    require_column(con, "channel", "channels")
    if p.grain != "all":
        require_column(con, "closed_at", "channels", why=f"to place projects in period {p}")
    settings = config.raw.get("metrics", {})
    exclude = _flag(exclude_abandoned, "exclude_abandoned")
    if exclude is None:
        exclude = bool(settings.get("exclude_abandoned", False))
    small = int(settings.get("small_sample", 10))
    counted = "('won', 'lost')" if exclude else "('won', 'lost', 'abandoned')"

    created, params = period_filter("created_at", p)
    closed_in, _ = period_filter("closed_at", p)
    closed = f"status IN {counted} AND {closed_in}"
    won = f"status = 'won' AND {closed_in}"
    s_date, s_scope = state_scope_date(con, p, d)
    same = s_scope == d
    open_cols = ("CAST(coalesce(sum(amount) FILTER (status = 'open'), 0) AS DOUBLE) AS open_pipeline_amount"
                 if same else "0.0 AS open_pipeline_amount")
    # one scan: per (channel, grade) for the comparison with direct, and per channel for the median
    df = scope(con, d, config).query(con, f"""
        SELECT channel, grade, CAST(grouping(grade) AS INTEGER) AS _total,
               CAST(count(*) FILTER ({created}) AS BIGINT) AS projects,
               CAST(count(*) FILTER ({won}) AS BIGINT) AS won,
               CAST(count(*) FILTER ({closed}) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER ({won}), 0) AS DOUBLE) AS won_amount,
               CAST(median(closed_at - created_at) FILTER ({closed}) AS DOUBLE) AS median_cycle_days,
               {open_cols}
        FROM prj GROUP BY GROUPING SETS ((channel), (channel, grade))""", params)
    per_grade = df[df["_total"] == 0]
    out = df[df["_total"] == 1].drop(columns=["grade", "_total"]).set_index("channel", drop=False)
    if not same:
        opened = scope(con, s_scope, config).query(con, """
            SELECT channel, CAST(coalesce(sum(amount), 0) AS DOUBLE) AS open_pipeline_amount
            FROM prj WHERE status = 'open' GROUP BY channel""")
        missing = opened[~opened["channel"].isin(out["channel"])]
        out = pd.concat([out, missing.assign(projects=0, won=0, closed=0, won_amount=0.0)
                         .set_index("channel", drop=False)])
        amounts = dict(zip(opened["channel"], opened["open_pipeline_amount"]))
        out["open_pipeline_amount"] = [float(amounts.get(c, 0.0)) for c in out["channel"]]
    if not out["channel"].isna().any():  # direct always has a row
        out = pd.concat([out, pd.DataFrame([{"channel": None, "projects": 0, "won": 0, "closed": 0,
                                              "won_amount": 0.0, "median_cycle_days": np.nan,
                                              "open_pipeline_amount": 0.0}])])
    out = out.reset_index(drop=True)
    out["direct"] = out["channel"].isna()
    out = out.sort_values(["direct", "channel"], kind="stable").reset_index(drop=True)
    for column in ("projects", "won", "closed"):
        out[column] = out[column].astype("int64")
    out["win_rate"] = (out["won"] / out["closed"]).where(out["closed"] > 0)
    out["win_rate_low"], out["win_rate_high"] = wilson(out["won"], out["closed"],
                                                       float(settings.get("confidence", 0.95)))
    out["won_share"] = _share(out["won_amount"])
    out["open_pipeline_share"] = _share(out["open_pipeline_amount"])
    out["vs_direct_same_grade"] = _vs_direct(out["channel"], per_grade)
    out["small_sample"] = out["closed"] < small
    out["channel"] = out["channel"].where(~out["direct"], DIRECT).astype("str")
    out = out[COLUMNS]
    denominator = (f"closed = won + lost{'' if exclude else ' + abandoned'}, projects closed in {p}; "
                   f"won_share: of all won amount in {p}; open pipeline at {s_date}; "
                   "vs_direct_same_grade: grades weighted by the partner's closed projects")
    return finish(out, metric="channels", period=p, as_of=d, by=by, denominator=denominator,
                  options={"exclude_abandoned": exclude, "small_sample": small,
                           "state_date": s_date.isoformat() if s_date else None})


def _share(amounts: pd.Series) -> pd.Series:
    total = float(amounts.sum())
    return amounts / total if total > 0 else pd.Series(np.nan, index=amounts.index)


def _vs_direct(channel: pd.Series, per_grade: pd.DataFrame) -> list[float]:
    """Per row of ``channel``: the closed-weighted mean over grades of (partner − direct) win rate."""
    key = per_grade["grade"].fillna("\x00")   # no grade: a grade of its own
    rows = per_grade.assign(_grade=key)
    direct = rows[rows["channel"].isna() & (rows["closed"] > 0)]
    direct_rate = dict(zip(direct["_grade"], direct["won"] / direct["closed"]))
    out = []
    for c in channel:
        if c is None or (isinstance(c, float) and np.isnan(c)):
            out.append(np.nan)
            continue
        mine = rows[(rows["channel"] == c) & (rows["closed"] > 0) & rows["_grade"].isin(list(direct_rate))]
        weight = float(mine["closed"].sum())
        if not weight:
            out.append(np.nan)
            continue
        diff = mine["won"] / mine["closed"] - mine["_grade"].map(direct_rate)
        out.append(float((diff * mine["closed"]).sum() / weight))
    return out


__all__ = ["channels", "DIRECT", "COLUMNS"]
