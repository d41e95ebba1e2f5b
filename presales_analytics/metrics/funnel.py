"""漏斗 funnel: how many projects of a cohort ever reached each stage, and how they converted."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from ..config import Config, load_config
from ..sql import ident
from ..periods import Period
from .base import as_date, finish, period_filter, period_of, require_column, scope
from .durations import order_rows, per_dimension_stage

COLUMNS = ["stage", "stage_zh", "reached", "entered_directly", "next_conversion", "cumulative_conversion"]


def funnel(con: duckdb.DuckDBPyConnection, period: Period | str | None = None, *, by: str | None = None,
           as_of: date | str | None = None, config: Config | None = None) -> pd.DataFrame:
    """Funnel (漏斗) of the projects created in the period (the cohort; every project for ``all``),
    one row per working stage and one for ``won``, in the stage model's order; with ``by``, per
    (``by`` value, stage).

    Columns: ``stage``, ``stage_zh``; ``reached`` — cohort projects that ever entered the stage
    (stage events as known at as-of; a project that skipped it has not reached it); ``entered_directly``
    — of those, the ones whose first entry into the stage came before any entry into the previous
    working stage (skips, and projects that start later in the pipeline); for the first stage every
    entry is direct; ``next_conversion`` = reached of the next stage ÷ reached of this one (for the
    last working stage: won ÷ reached; none for ``won``; may exceed 1 when projects skip a stage);
    ``cumulative_conversion`` = reached ÷ reached of the first stage. Rates are fractions, NaN when
    the denominator is 0.

    The cohort is placed in the period by ``created_at`` (``initiated_at`` when there is none).

    >>> import presales_analytics as pa
    >>> con = pa.connect(":memory:")
    >>> funnel(con)["stage"].tolist()[-2:]
    ['negotiation', 'won']
    """
    config = config or load_config()
    p = period_of(period)
    d = as_date(as_of)
    by = per_dimension_stage(con, by, "funnel")
    if p.grain != "all":
        require_column(con, "created_at", "funnel", why=f"to place the cohort in period {p}")
    stages = [*config.working_stages, "won"]
    s = scope(con, d, config)
    where, params = period_filter("coalesce(p.created_at, p.initiated_at)", p)
    for i, stage in enumerate(stages):
        params[f"s{i}"] = stage
    # per project: the position (seq) of its first entry into each stage
    firsts = ",\n".join(f"min(seq) FILTER (stage = $s{i}) AS f{i}" for i in range(len(stages)))
    counts = []
    for i in range(len(stages)):
        # a won project without a won event (no closing date) has reached won all the same, last
        entered = f"f{i} IS NOT NULL" if i < len(stages) - 1 else f"(f{i} IS NOT NULL OR p.status = 'won')"
        counts.append(f"CAST(count(*) FILTER ({entered}) AS BIGINT) AS r{i}")
        direct = entered if i == 0 else f"{entered} AND (f{i - 1} IS NULL OR f{i - 1} > coalesce(f{i}, 1e18))"
        counts.append(f"CAST(count(*) FILTER ({direct}) AS BIGINT) AS d{i}")
    dim = f"p.{ident(by)} AS {ident(by)}, " if by else ""
    wide = s.query(con, f"""
        , firsts AS (
            SELECT project_id, {firsts}
            FROM evt WHERE list_contains($stage_list, stage) GROUP BY project_id)
        SELECT {dim} {", ".join(counts)}
        FROM prj p LEFT JOIN firsts f USING (project_id)
        WHERE {where} {"GROUP BY ALL" if by else ""}""", {**params, "stage_list": stages})
    rows = []
    for record in wide.to_dict("records"):
        for i, stage in enumerate(stages):
            rows.append({**({by: record[by]} if by else {}), "stage": stage,
                         "reached": record[f"r{i}"], "entered_directly": record[f"d{i}"]})
    long = pd.DataFrame(rows, columns=([by] if by else []) + ["stage", "reached", "entered_directly"])
    df = order_rows(long, by, "stage", stages)
    for col in ("reached", "entered_directly"):
        df[col] = df[col].fillna(0).astype("int64")
    keys = [by] if by else []
    # order_rows gives every by value all the stages, in order: blocks of len(stages) rows
    block = df["reached"].groupby(df.index // len(stages))
    following, first = block.shift(-1), block.transform("first")
    reached = df["reached"].astype("float64")
    df["next_conversion"] = (following / reached).where((reached > 0) & (df["stage"] != "won"))
    df["cumulative_conversion"] = (reached / first).where(first > 0)
    df["stage_zh"] = [config.stage_label(k, "zh") for k in df["stage"]]
    df = df[keys + COLUMNS]
    return finish(df, metric="funnel", period=p, as_of=d, by=by,
                  denominator=(f"cohort: projects created in {p}; next_conversion = reached next stage ÷ "
                               "reached this stage (won ÷ reached for the last working stage); "
                               f"cumulative_conversion = reached ÷ reached of {stages[0]}"),
                  options={"stages": stages})

