"""赢单率 win rate: won ÷ closed, by count and by value, with a Wilson interval and its denominator."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ..config import Config, load_config
from ..errors import InputError
from ..periods import Period
from .base import as_date, check_dimension, finish, period_filter, period_of, require_column, scope, wilson
from ..sql import ident

COLUMNS = ["won", "lost", "abandoned", "closed", "win_rate", "win_rate_low", "win_rate_high",
           "won_amount", "closed_amount", "value_win_rate", "open", "small_sample"]


def win_rate(con: duckdb.DuckDBPyConnection, period: Period | str | None = None, *, by: str | None = None,
             as_of: date | str | None = None, basis: str = "closed", exclude_abandoned: bool | None = None,
             config: Config | None = None) -> pd.DataFrame:
    """Win rate (赢单率) per ``by`` value (one row for everything without ``by``).

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
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    by = check_dimension(con, by, "win-rate")
    if basis not in ("closed", "cohort"):
        raise InputError(f"basis {basis!r} must be 'closed' or 'cohort'")
    settings = config.raw.get("metrics", {})
    if exclude_abandoned is None:
        exclude_abandoned = bool(settings.get("exclude_abandoned", False))
    small = int(settings.get("small_sample", 10))
    if p.grain != "all":
        require_column(con, "closed_at" if basis == "closed" else "created_at", "win-rate",
                       why=f"to place projects in period {p}")
    s = scope(con, d, config)
    if basis == "closed":
        where, params = period_filter("closed_at", p)
        where = f"status <> 'open' AND {where}"
    else:
        where, params = period_filter("coalesce(created_at, initiated_at)", p)
    counted = "('won', 'lost')" if exclude_abandoned else "('won', 'lost', 'abandoned')"
    dim = f"{ident(by)} AS {ident(by)}, " if by else ""
    group = "GROUP BY ALL" if by else ""
    df = s.query(con, f"""
        SELECT {dim}
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) FILTER (status = 'lost') AS BIGINT) AS lost,
               CAST(count(*) FILTER (status = 'abandoned') AS BIGINT) AS abandoned,
               CAST(count(*) FILTER (status IN {counted}) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(amount) FILTER (status IN {counted}), 0) AS DOUBLE) AS closed_amount,
               CAST(count(*) FILTER (status = 'open') AS BIGINT) AS open
        FROM prj WHERE {where} {group}""", params)
    if by:
        df = df.sort_values(by, na_position="last", kind="stable").reset_index(drop=True)
    df["win_rate"] = (df["won"] / df["closed"]).where(df["closed"] > 0)
    df["win_rate_low"], df["win_rate_high"] = wilson(df["won"], df["closed"],
                                                     float(settings.get("confidence", 0.95)))
    df["value_win_rate"] = (df["won_amount"] / df["closed_amount"]).where(df["closed_amount"] > 0)
    df["small_sample"] = df["closed"] < small
    df = df[([by] if by else []) + COLUMNS]
    denominator = ("closed = won + lost" if exclude_abandoned else "closed = won + lost + abandoned")
    denominator += (f", projects closed in {p}" if basis == "closed" else f", projects created in {p} "
                    "(open ones counted apart, not in the rate)")
    return finish(df, metric="win-rate", period=p, as_of=d, by=by, denominator=denominator,
                  options={"basis": basis, "exclude_abandoned": exclude_abandoned, "small_sample": small})
