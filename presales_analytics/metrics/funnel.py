"""漏斗 funnel: how many projects of a cohort ever reached each stage, and how they converted."""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..sql import ident
from ..periods import Period
from . import columns as C
from .base import context, finish, period_filter, period_of, require_column, scope
from .durations import order_rows, per_dimension_stage
from .spec import Column, MetricSpec

COLUMNS = ["stage", "stage_zh", "reached", "entered_directly", "next_conversion", "cumulative_conversion"]


def funnel(con, period: Period | str | None = None, *, by: str | None = None,
           as_of=None, config: Config | None = None) -> pd.DataFrame:
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
    ctx = context(con, as_of, config)
    config, d = ctx.config, ctx.as_of
    p = period_of(period)
    by = per_dimension_stage(ctx, by, "funnel")
    if p.grain != "all":
        require_column(ctx, "created_at", "funnel", why=f"to place the cohort in period {p}")
    stages = [*config.working_stages, "won"]
    s = scope(ctx)
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
    wide = s.query(f"""
        , firsts AS (
            SELECT project_id, {firsts}
            FROM evt WHERE list_contains($stage_list, stage) GROUP BY project_id)
        SELECT p._scope, {dim} {", ".join(counts)}
        FROM prj p LEFT JOIN firsts f USING (project_id)
        WHERE {where} GROUP BY ALL""", {**params, "stage_list": stages})
    rows = []
    for record in wide.to_dict("records"):
        for i, stage in enumerate(stages):
            rows.append({"_scope": record["_scope"], **({by: record[by]} if by else {}), "stage": stage,
                         "reached": record[f"r{i}"], "entered_directly": record[f"d{i}"]})
    long = pd.DataFrame(rows, columns=["_scope"] + ([by] if by else []) + ["stage", "reached", "entered_directly"])
    df = order_rows(long, by, "stage", stages, s.keys())
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
    df = s.finish_scopes(df)
    df = df[(["scope"] if ctx.multi else []) + keys + COLUMNS]
    return finish(df, metric="funnel", period=p, as_of=d, by=by,
                  denominator=(f"cohort: projects created in {p}; next_conversion = reached next stage ÷ "
                               "reached this stage (won ÷ reached for the last working stage); "
                               f"cumulative_conversion = reached ÷ reached of {stages[0]}"),
                  options={"stages": stages})



SPEC = MetricSpec(
    name="funnel", function=funnel, zh="漏斗", en="Funnel",
    definition_zh="本期新建项目（队列）中曾到达各阶段的项目数；下一阶段转化率 = 到达下一阶段 ÷ 到达本阶段；"
                  "累计转化率 = 到达 ÷ 到达第一阶段；跳过前一阶段直接进入的另计。",
    definition_en="projects created in the period (the cohort) that ever reached each stage; next conversion = "
                  "reached the next stage ÷ reached this one; cumulative = reached ÷ reached the first stage; "
                  "projects entering without the previous stage are counted apart.",
    denominator_zh="队列：本期创建的项目（无创建日期时按立项日期）",
    denominator_en="the cohort: projects created in the period (initiated date when there is no created date)",
    columns=(C.STAGE, C.STAGE_ZH,
             Column("reached", "count", "到达项目数（本期新建）", "Reached (created in the period)"),
             Column("entered_directly", "count", "直接进入", "Entered directly"),
             Column("next_conversion", "rate", "下一阶段转化率", "Next-stage conversion"),
             Column("cumulative_conversion", "rate", "累计转化率", "Cumulative conversion")))
