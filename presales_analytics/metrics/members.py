"""项目成员考核 the scorecard of every other accountable role: 项目经理 (manager), 项目监控人 (monitor) and
规划经理 (planner, when an export names one).

The policy evaluates "the performance of its key members", not only the 项目总监. A member's card is
shaped like the director's (:mod:`.directors`): projects, outcomes with the win rate's interval, won
amount, stalled projects and policy compliance, over the projects that name the member in the role's
column. A role no loaded export names (often the planner: few CRMs have the column) is a
:class:`~presales_analytics.errors.MissingColumnError` naming the header to add. The audit score and
targets are the director's alone (targets are set per director and region), so members are listed by
name, not ranked; ``small_sample`` flags a win rate on few projects.
"""

from __future__ import annotations

import pandas as pd

from ..config import Config
from ..errors import InputError
from ..sql import ident
from . import columns as C
from .base import active_filter, context, finish, period_of, require_column, scope, small_sample, state_date
from .spec import Column, MetricSpec, Option
from .win_rate import win_rate

ROLES = ("manager", "monitor", "planner")
ROLE_LABELS = {"manager": ("项目经理", "Project manager"), "monitor": ("项目监控人", "Project monitor"),
               "planner": ("规划经理", "Planning manager")}
COLUMNS = ["role", "member", "projects", "open", "won", "lost", "abandoned", "closed", "win_rate", "win_rate_low",
           "win_rate_high", "won_amount", "stalled", "compliance_rate", "small_sample"]


def member_role(by: str | None = None, role: str | None = None) -> str:
    """The role a ``members`` call is for: ``by`` (``--by manager|monitor|planner``) and ``role``
    (``-o role=…``) say the same thing two ways; manager when neither is given. A value that is not a role,
    or two that differ, is an :class:`InputError` naming what was given and the valid values.

    >>> member_role(), member_role(by="planner"), member_role(by="Monitor", role="monitor")
    ('manager', 'planner', 'monitor')
    """
    given = {}
    for name, value in (("by", by), ("role", role)):
        if value is None or str(value).strip() == "":
            continue
        key = str(value).strip().lower()
        if key not in ROLES:
            flag = "--by" if name == "by" else "-o role="
            raise InputError(f"members: {name}={value!r} ({flag}) is not a role; the roles are: {', '.join(ROLES)} "
                             "(--by manager|monitor|planner and -o role= both choose whose scorecard is shown)",
                             value=str(value))
        given[name] = key
    if len(set(given.values())) > 1:
        raise InputError(f"members: by={by!r} (--by) and role={role!r} (-o role=) name different roles; "
                         "give one of them", value=f"{by}/{role}")
    return next(iter(given.values()), "manager")


def members(con, period=None, *, by: str | None = None, as_of=None, config: Config | None = None,
            role: str | None = None) -> pd.DataFrame:
    """One row per member of ``role`` (``manager`` 项目经理, ``monitor`` 项目监控人 or ``planner`` 规划经理;
    ``by`` names the role too, as ``presales metrics members --by planner`` does: :func:`member_role`)
    with a project in scope, sorted by name.

    Columns: ``role``; ``member`` (the name in the role's column); ``projects`` (active in the period:
    created by its end, not closed before its start); ``open`` (open on the state date); ``won``,
    ``lost``, ``abandoned``, ``closed`` and ``win_rate`` with its interval exactly as
    :func:`~.win_rate.win_rate` by the role (closed in the period); ``won_amount`` (yuan); ``stalled``
    (of the company's stalled projects on the state date, those naming the member); ``compliance_rate``
    (checks passed ÷ checks due over the member's projects, :func:`~.compliance.compliance`);
    ``small_sample``.

    >>> ROLES
    ('manager', 'monitor', 'planner')
    """
    ctx = context(con, as_of, config)
    p = period_of(period)
    role = member_role(by, role)
    require_column(ctx, role, "members", why=f"(the {ROLE_LABELS[role][0]} of each project)")
    column = ident(role)
    when = state_date(ctx, p, ctx.as_of)
    s = scope(ctx)
    active, params = active_filter(p)
    params["when"] = when
    keys = (["scope"] if ctx.multi else []) + [role]
    base = s.query(f"""
        SELECT _scope, {column} AS {column},
               CAST(count(*) FILTER ({active}) AS BIGINT) AS projects,
               CAST(count(*) FILTER (status = 'open' AND (created_at IS NULL OR created_at <= $when)) AS BIGINT) AS open
        FROM prj WHERE {column} IS NOT NULL GROUP BY ALL""", params)
    base = s.finish_scopes(base)
    rates = win_rate(ctx, p, by=role)
    df = base.merge(rates.drop(columns=["open", "small_sample"]), on=keys, how="outer")
    df = df[df[role].notna()]

    from .stalled import stalled as stalled_metric
    st = stalled_metric(ctx, p)
    ids = st["project_id"].drop_duplicates().astype(str).tolist() if len(st) else []
    counts = s.query(f"""SELECT _scope, {column} AS {column}, CAST(count(*) AS BIGINT) AS stalled
                         FROM prj JOIN (SELECT unnest(CAST($ids AS VARCHAR[])) AS project_id) USING (project_id)
                         WHERE {column} IS NOT NULL GROUP BY ALL""", {"ids": ids})
    counts = s.finish_scopes(counts)
    df = df.merge(counts, on=keys, how="left")

    from .compliance import compliance as compliance_metric
    comp = compliance_metric(ctx, p, by=role, stalled_projects=st)
    df = df.merge(comp[keys + ["compliance_rate"]], on=keys, how="left")
    for name in ("projects", "open", "won", "lost", "abandoned", "closed", "stalled"):
        df[name] = df[name].fillna(0).astype("int64")
    df["won_amount"] = df["won_amount"].fillna(0.0)
    df["small_sample"] = df["closed"] < small_sample(ctx)
    order = {k: i for i, k in enumerate(s.keys())}
    if ctx.multi:
        df = df.assign(_o=df["scope"].map(order)).sort_values(["_o", role], kind="stable").drop(columns="_o")
    else:
        df = df.sort_values(role, kind="stable")
    df = df.rename(columns={role: "member"}).assign(role=role).reset_index(drop=True)
    df = df[(["scope"] if ctx.multi else []) + COLUMNS]
    return finish(df, metric="members", period=p, as_of=ctx.as_of, by=role,
                  denominator="win rate: closed in the period (won + lost + abandoned); compliance: checks due",
                  options={"role": role, "small_sample": small_sample(ctx)})


def members_by_role(con, period=None, **options) -> dict[str, pd.DataFrame]:
    """``{role: members(con, period, role=role, **options)}`` for every role of :data:`ROLES` some loaded
    export names, in that order (a role no export names is left out; empty: the exports name none). What the
    audit's 关键成员考核, the workbook's sheet and the dashboard's card each show."""
    from ..errors import MissingColumnError

    out = {}
    for role in ROLES:
        try:
            out[role] = members(con, period, role=role, **options)
        except MissingColumnError:
            continue
    return out


SPEC = MetricSpec(
    name="members", function=members, zh="项目成员考核", en="Member scorecard",
    definition_zh="项目经理、项目监控人或规划经理（--by manager|monitor|planner，或 -o role=…）每人：本期活跃项目、在途、结果与赢单率（Wilson 区间）、赢单金额、"
                  "停滞项目与制度执行率，与项目总监考核同一口径（不计考核得分与目标）。",
    definition_en="per project manager, monitor or planning manager (--by manager|monitor|planner, or -o role=…): projects active in the period, open, "
                  "outcomes and win rate (Wilson interval), won amount, stalled projects and compliance, on the "
                  "director scorecard's definitions (no audit score or target).",
    denominator_zh="赢单率：本期结束的项目；制度执行率：应做的检查", denominator_en=
    "win rate: projects closed in the period; compliance: checks due",
    columns=(Column("role", "text", "角色", "Role", "manager 项目经理 / monitor 项目监控人 / planner 规划经理",
                    "manager / monitor / planner"),
             Column("member", "text", "成员", "Member"),
             C.PROJECTS.renamed(zh="项目数（本期活跃）", en="Projects active"), C.OPEN, C.WON, C.LOST, C.ABANDONED,
             C.CLOSED, C.WIN_RATE, C.WIN_RATE_LOW, C.WIN_RATE_HIGH, C.WON_AMOUNT, C.STALLED, C.COMPLIANCE_RATE,
             C.SMALL_SAMPLE),
    options=(Option("role", "manager", "manager：项目经理；monitor：项目监控人；planner：规划经理（导出有该列时）；同 --by",
                    "manager: 项目经理; monitor: 项目监控人; planner: 规划经理 (when an export has the column); the same as "
                    "--by", ROLES),),
    by=True, by_values=ROLES, headline=())

__all__ = ["members", "members_by_role", "member_role", "ROLES", "COLUMNS"]
