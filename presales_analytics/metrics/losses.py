"""丢单分析 loss analysis: lost and abandoned projects by reason and by the stage they were lost at.

Reasons are free text in most exports. They are grouped by exact value (trimmed); the configuration's
``[lost_reasons]`` maps spellings to one reason (``"价格因素" = ["价格", "报价过高"]``: the key is the
reason shown, the list the spellings counted as it; the key itself always counts). A project with no
reason is its own row (``reason`` empty).

The stage a project was lost at is the last stage its history shows before the terminal one (the
last visit whose stage is a working stage, as known on the as-of date); a project with no working
stage in its history has none (``stage`` empty).
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..periods import Period
from ..sql import ident
from . import columns as C
from .base import check_dimension, context, finish, period_filter, period_of, require_column, scope
from .spec import Column, MetricSpec, Option

GROUPS = ("reason", "stage")
COLUMNS = ["projects", "lost", "abandoned", "amount_lost", "share", "rank"]


def reason_aliases(config: Config) -> dict[str, str]:
    """``spelling -> reason`` from ``[lost_reasons]`` (each key maps to itself too)."""
    table = config.raw.get("lost_reasons", {}) or {}
    out: dict[str, str] = {}
    for reason, spellings in table.items():
        if isinstance(spellings, str):
            spellings = [spellings]
        if not isinstance(spellings, list) or not all(isinstance(x, str) for x in spellings):
            raise InputError(f"configuration ({config.source}) [lost_reasons] {reason}: write a list of "
                             f"spellings, e.g. {reason} = [\"…\", \"…\"]", value=spellings)
        out[reason.strip()] = reason.strip()
        for spelling in spellings:
            out[spelling.strip()] = reason.strip()
    return out


def losses(con, period: Period | str | None = None, *, by: str | None = None, as_of=None,
           config: Config | None = None, group: str = "reason") -> pd.DataFrame:
    """Lost and abandoned projects closed in the period, one row per reason (``group="reason"``) or per
    stage lost at (``group="stage"``); with ``by`` (director, grade …), per ``by`` value, each value's
    rows ranked within it (the top reasons per director).

    Columns: the ``by`` value; ``reason`` or ``stage`` (empty: none recorded); ``projects`` = lost +
    abandoned; ``lost``, ``abandoned``; ``amount_lost`` (yuan, both kinds); ``share`` = projects ÷ the
    lost and abandoned projects of the ``by`` value (the denominator); ``rank`` (1 = most projects,
    then amount, then name; the empty row last). With ``group="stage"``, ``stage_zh`` follows ``stage``.

    >>> import presales_analytics as pa
    >>> losses(pa.connect(":memory:")).shape[0]
    0
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    group = str(group).strip().lower()
    if group not in GROUPS:
        raise InputError(f"group {group!r} must be one of: {', '.join(GROUPS)}", value=group)
    by = check_dimension(ctx, by, "losses")
    if group == "reason":
        require_column(ctx, "lost_reason", "losses", why="(why each project was lost)")
    if p.grain != "all":
        require_column(ctx, "closed_at", "losses", why=f"to place projects in period {p}")
    aliases = reason_aliases(ctx.config)
    s = scope(ctx)
    closed_in, params = period_filter("p.closed_at", p)
    params.update({"alias_from": list(aliases), "alias_to": list(aliases.values()),
                   "working": ctx.config.working_stages})
    dim = f"p.{ident(by)} AS {ident(by)}, " if by else ""
    keys = f"_scope, {ident(by)}" if by else "_scope"
    lost_at = ""
    if group == "reason" and aliases:
        item = """coalesce(list_extract($alias_to, list_position($alias_from, nullif(trim(p.lost_reason), ''))),
                            nullif(trim(p.lost_reason), '')) AS item"""
    elif group == "reason":
        item = "nullif(trim(p.lost_reason), '') AS item"
    else:
        item = "la.stage AS item"
        lost_at = """, lost_at AS (SELECT project_id, arg_max(stage, seq) AS stage FROM evt
                                    WHERE list_contains($working, stage) GROUP BY project_id)"""
    join = "LEFT JOIN lost_at la ON la.project_id = p.project_id" if group == "stage" else ""
    df = s.query(f"""
        {lost_at}
        , gone AS (
            SELECT p._scope, {dim} p.status, p.amount, {item}
            FROM prj p {join}
            WHERE p.status IN ('lost', 'abandoned') AND {closed_in}),
        counted AS (
            SELECT {keys}, item,
                   CAST(count(*) AS BIGINT) AS projects,
                   CAST(count(*) FILTER (status = 'lost') AS BIGINT) AS lost,
                   CAST(count(*) FILTER (status = 'abandoned') AS BIGINT) AS abandoned,
                   CAST(coalesce(sum(amount), 0) AS DOUBLE) AS amount_lost
            FROM gone GROUP BY ALL)
        SELECT *, projects / sum(projects) OVER (PARTITION BY {keys}) AS share,
               CAST(row_number() OVER (PARTITION BY {keys}
                    ORDER BY item IS NULL, projects DESC, amount_lost DESC, item) AS BIGINT) AS rank
        FROM counted
        ORDER BY {keys} NULLS LAST, rank""", params)
    df = s.finish_scopes(df.rename(columns={"item": group}))
    df[group] = pd.Series(df[group], dtype="str")       # an all-empty column is still text
    if group == "stage":
        df.insert(list(df.columns).index("stage") + 1, "stage_zh",
                  [ctx.config.stage_label(k, "zh") if isinstance(k, str) else None for k in df["stage"]])
    lead = (["scope"] if ctx.multi else []) + ([by] if by else []) + [group] + (["stage_zh"] if group == "stage" else [])
    df = df[lead + COLUMNS].reset_index(drop=True)
    return finish(df, metric="losses", period=p, as_of=ctx.as_of, by=by,
                  denominator=f"lost + abandoned projects closed in {p}" + (f" of each {by}" if by else ""),
                  options={"group": group, "lost_reasons": len(ctx.config.raw.get("lost_reasons", {}) or {})})


SPEC = MetricSpec(
    name="losses", function=losses, zh="丢单分析", en="Loss analysis",
    definition_zh="本期结束的丢单与放弃项目，按原因（原文逐字归类，配置 [lost_reasons] 可把不同写法合并为一个原因）"
                  "或按丢失前所处阶段（阶段历史中终态前的最后一个工作阶段）统计项目数与金额；按维度分时在维度内排名。",
    definition_en="lost and abandoned projects closed in the period, by reason (free text grouped by exact value; "
                  "[lost_reasons] in the configuration maps spellings to one reason) or by the stage they were lost "
                  "at (the last working stage before the terminal one); with --by, ranked within each value.",
    denominator_zh="本期结束的丢单 + 放弃项目（按维度分时为该维度值的）",
    denominator_en="lost + abandoned projects closed in the period (of the --by value)",
    columns=(Column("reason", "text", "丢单原因", "Reason", "空白表示未填写原因", "empty: no reason recorded"),
             C.STAGE.renamed(zh="丢失阶段", en="Lost at stage"), C.STAGE_ZH,
             C.PROJECTS.renamed(zh="项目数（丢单 + 放弃）", en="Projects (lost + abandoned)"), C.LOST, C.ABANDONED,
             Column("amount_lost", "amount", "丢失金额", "Amount lost", "丢单与放弃项目的金额之和",
                    "amount of the lost and abandoned projects"),
             Column("share", "rate", "占比", "Share", "项目数 ÷ 本期丢单与放弃项目", "projects ÷ lost and abandoned projects"),
             C.RANK),
    options=(Option("group", "reason", "reason：按原因；stage：按丢失阶段", "reason: by reason; stage: by the stage lost at",
                    GROUPS),),
    headline=())

__all__ = ["losses", "reason_aliases", "GROUPS", "COLUMNS"]
