"""What goes on each sheet of the workbook export: one builder per sheet, each calling the metrics.

A builder takes a :class:`Build` (a connection already narrowed to the scope, the period, the as-of
date, the language and the configuration) and returns a :class:`Sheet`: its Chinese and English
names, the metric, the definition (from docs/metrics.md), the table exactly as the metric returns it
(amounts still in yuan, rates as fractions), the columns to show with their kind, and the denominator
(``df.attrs["denominator"]``). Units are applied when the sheet is written (:mod:`.workbook`):
``amount`` columns become 万元, ``pct`` columns stay fractions shown as percentages.

A metric's column takes its header and kind from the metric's spec (:func:`spec_columns`; the
registry, ``presales_analytics.metrics.SPECS``), so a figure is named and formatted in the workbook as
in the reports and on the dashboard. Column kinds: ``text``; ``int`` (counts); ``amount`` (yuan in the
table, 万元 in the cell, the unit in the header); ``pct`` (a fraction, shown 0.0%); ``pp`` (a
difference of two rates, in percentage points: +5.0个百分点); ``days`` (whole days shown);
``score`` (the 0–1 audit score, shown on a 0–100 scale: 64.8); ``number``; ``date``; ``bool`` (是 / 否).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..config import Config
from ..errors import MissingColumnError
from ..metrics import SPECS
from ..metrics.base import data_date
from ..metrics.bids import bids
from ..metrics.collection import collection
from ..metrics.competitors import competitor_trend, competitors
from ..metrics.customers import customers
from ..metrics.losses import losses
from ..metrics.members import ROLE_LABELS, members_by_role
from ..metrics.channels import channels
from ..metrics.compliance import compliance
from ..metrics.directors import directors
from ..metrics.durations import stage_durations
from ..metrics.funnel import funnel
from ..metrics.headline import headline
from ..metrics.pipeline import pipeline, pipeline_summary
from ..metrics.stalled import stalled
from ..metrics.targets import targets
from ..metrics.win_rate import win_rate
from ..periods import Period

#: Quarters on the trend sheet (the period's last quarter and the ones before it).
TREND_QUARTERS = 8

#: Row levels of the sheets that stack the company, regions and directors in one table.
LEVELS = {"company": ("全公司", "Company"), "region": ("区域", "Region"), "director": ("项目总监", "Director")}


@dataclass(frozen=True)
class Column:
    key: str       # column of the metric's DataFrame
    zh: str        # header in Chinese (an amount's unit is added when written)
    en: str        # header in English
    kind: str = "text"


@dataclass
class Sheet:
    """One sheet: a table from a metric, or a note saying why there is none."""

    zh: str
    en: str
    metric: str
    definition: tuple[str, str]                    # (zh, en), after docs/metrics.md
    frame: pd.DataFrame | None = None
    columns: list[Column] = field(default_factory=list)
    denominator: str = ""                          # df.attrs["denominator"], verbatim
    note: tuple[str, str] | None = None            # (zh, en): shown on the sheet (or on 说明 when skipped)
    skipped: bool = False                          # no sheet at all; the note goes on 说明

    def name(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass
class Build:
    """What every builder needs. ``con`` is the :class:`~presales_analytics.metrics.context.MetricContext`
    of the workbook (its scope, configuration and as-of date)."""

    con: object
    period: Period
    as_of: date | None
    lang: str
    config: Config

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def stage(self, key) -> str | None:
        if not isinstance(key, str):
            return self.t("未知阶段", "Unknown stage")
        return self.config.stage_label(key, self.lang)

    def grade(self, key) -> str | None:
        for g in self.config.raw.get("grades", []):
            if g["key"] == key:
                return g.get(self.lang, key)
        return key if isinstance(key, str) and key != "未定级" else self.t("未定级", "Ungraded")

    def blank(self, value) -> str:
        """A dimension value, or 未填写 for the projects that have none."""
        return value if isinstance(value, str) and value else self.t("（未填写）", "(blank)")

    def metric(self, function, **options) -> pd.DataFrame:
        return function(self.con, self.period, as_of=self.as_of, config=self.config, **options)


#: The sheet builders after 说明, in order (registered by :func:`sheet`).
BUILDERS: list = []


def sheet(zh: str, en: str, metric: str, definition_zh: str, definition_en: str):
    """Register a builder ``f(b, head) -> Sheet`` (``head`` carries the names and the definition; the
    builder adds the table). A metric the data cannot support (:class:`MissingColumnError`: a column or
    the targets no export provided) gives a sheet that says why instead of failing the workbook."""
    def register(build):
        def run(b: "Build") -> Sheet:
            head = Sheet(zh, en, metric, (definition_zh, definition_en))
            try:
                return build(b, head)
            except MissingColumnError as exc:
                head.frame, head.note = None, (f"无法计算：{exc}", f"Not available: {exc}")
                return head
        run.__name__, run.__doc__ = build.__name__, build.__doc__
        BUILDERS.append(run)
        return run
    return register


#: spec kinds (metrics/spec.py) -> the workbook's cell kinds
_KINDS = {"count": "int", "rate": "pct"}


def spec_columns(metric: str, *keys: str, shown: dict[str, str] | None = None) -> list[Column]:
    """Columns of ``metric``'s spec (header and kind from the spec): ``keys`` are spec column keys;
    ``shown`` maps a key to the table column holding its display text (``stage`` -> ``stage_label``)."""
    spec, shown = SPECS[metric], shown or {}
    out = []
    for key in keys:
        c = spec.column(key)
        out.append(Column(shown.get(key, key), c.zh, c.en, "text" if key in shown else _KINDS.get(c.kind, c.kind)))
    return out


RATE_COLUMNS = spec_columns("win-rate", "won", "lost", "abandoned", "closed", "win_rate", "win_rate_low",
                            "win_rate_high", "won_amount", "closed_amount", "value_win_rate", "small_sample")
LEVEL_COLUMNS = [Column("level", "层级", "Level"), Column("scope_name", "名称", "Name")]


def _levels(b: Build, function, levels: tuple[str, ...], **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The company row(s), then one block per level (region, director …) in one table with ``level``
    and ``scope_name`` first; a level whose column no export provided is left out. Returns the table and
    the company result (for its attrs)."""
    parts, first = [], None
    for level in levels:
        try:
            if level == "company":
                df = b.metric(function, **options)
                first = df
                names = [b.t("全公司", "Company")] * len(df)
            else:
                df = b.metric(function, by=level, **options)
                key = level if level in df.columns else "scope"
                names = [b.blank(v) for v in df[key]]
        except MissingColumnError:
            if level == "company":
                raise
            continue
        df = df.copy()
        df.insert(0, "scope_name", pd.Series(names, index=df.index, dtype="str"))
        df.insert(0, "level", b.t(*LEVELS[level]))
        parts.append(df)
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return table, first


@sheet("关键指标", "Headline", "headline", SPECS["headline"].definition_zh, SPECS["headline"].definition_en)
def headline_sheet(b: Build, head: Sheet) -> Sheet:
    """The headline figures of the scope (the audit report's summary table, the dashboard's tiles)."""
    df = b.metric(headline)
    head.frame = df
    head.columns = spec_columns("headline", *[c.key for c in SPECS["headline"].columns])
    head.denominator = df.attrs["denominator"]
    return head


@sheet("赢单率", "Win rate", "win-rate",
       "赢单 ÷ 已结束（赢单 + 丢单 + 放弃），本期结束的项目；金额赢单率 = 赢单金额 ÷ 已结束金额；区间为 Wilson 95% 区间。"
       "先全公司，再按区域，再按项目总监。",
       "won ÷ closed (won + lost + abandoned), projects closed in the period; value win rate = won amount ÷ closed "
       "amount; Wilson 95% interval. The company first, then by region, then by director.")
def win_rate_sheet(b: Build, head: Sheet) -> Sheet:
    head.frame, company = _levels(b, win_rate, ("company", "region", "director"))
    head.columns, head.denominator = LEVEL_COLUMNS + RATE_COLUMNS, company.attrs["denominator"]
    return head


@sheet("阶段停留", "Stage durations", "stage-durations",
       "项目在某阶段的停留 = 各次进入该阶段的天数之和；只统计本期结束的停留（分母），仍在该阶段的项目另列，不计入也不丢弃。",
       "a project's stay in a stage = the sum of its visits; finished stays ending in the period only (the "
       "denominator); projects still in the stage are counted apart, never dropped.")
def stage_durations_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(stage_durations)
    head.frame = df.assign(stage_label=[b.stage(s) for s in df["stage"]])
    head.columns = spec_columns("stage-durations", "stage", "projects", "median_days", "p75_days", "p90_days",
                                "mean_days", "open_now", "regressions", shown={"stage": "stage_label"})
    head.denominator = df.attrs["denominator"]
    return head


@sheet("漏斗", "Funnel", "funnel",
       "本期新建项目（队列）中曾到达各阶段的项目数；下一阶段转化率 = 到达下一阶段 ÷ 到达本阶段；累计转化率 = 到达 ÷ 到达第一阶段。",
       "projects created in the period (the cohort) that ever reached each stage; next conversion = reached the "
       "next stage ÷ reached this one; cumulative = reached ÷ reached the first stage.")
def funnel_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(funnel)
    head.frame = df.assign(stage_label=[b.stage(s) for s in df["stage"]])
    head.columns = spec_columns("funnel", "stage", "reached", "entered_directly", "next_conversion",
                                "cumulative_conversion", shown={"stage": "stage_label"})
    head.denominator = df.attrs["denominator"]
    return head


@sheet("停滞项目", "Stalled projects", "stalled",
       "状态日在途、且当前阶段已停留超过该阶段上限（配置的 [stall_days]，否则该阶段已完成停留的 P75）的项目；制度要求召开项目分析会。",
       "projects open on the state date whose current stage has lasted longer than its limit ([stall_days], else "
       "the P75 of finished stays in the stage); the policy wants an analysis meeting.")
def stalled_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(stalled)
    head.frame = df.assign(
        stage_label=[b.stage(s) for s in df["stage"]],
        grade_label=[b.grade(g) if isinstance(g, str) else None for g in df["grade"]],
        source_label=[b.t("配置", "configured") if s == "config" else "P75" for s in df["limit_source"]])
    head.columns = spec_columns("stalled", "project_id", "name", "director", "grade", "stage", "entered_at",
                                "days_in_stage", "limit_days", "limit_source", "days_over", "stalled_since",
                                "meeting_since_stall",
                                shown={"grade": "grade_label", "stage": "stage_label", "limit_source": "source_label"})
    head.denominator = df.attrs["denominator"]
    n = df.attrs.get("open_projects")
    if n is not None:
        head.note = (f"状态日在途项目 {n} 个（比率的分母）",
                     f"{n} projects open on the state date (the denominator of rates built on this list)")
    return head


@sheet("项目总监考核", "Director scorecard", "directors",
       "每位项目总监：项目、赢单率及区间、赢单金额、目标达成、成交周期、停滞项目、制度执行率与审计考核得分；"
       "按保守得分（用赢单率区间下限）排名。",
       "per director: projects, win rate with its interval, won amount, target attainment, cycle days, stalled "
       "projects, compliance and the audit score; ranked by the conservative score (win rate's lower bound).")
def directors_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(directors)
    labels = {"win_rate": ("赢单率", "win rate"), "attainment": ("目标达成", "attainment"),
              "compliance": ("制度执行", "compliance"), "speed": ("速度", "speed")}
    w = df.attrs["options"]["weights"]
    head.note = ("得分权重：" + "、".join(f"{labels.get(k, (k, k))[0]} {v:.2f}" for k, v in w.items()),
                 "score weights: " + ", ".join(f"{labels.get(k, (k, k))[1]} {v:.2f}" for k, v in w.items()))
    head.frame = df
    head.columns = spec_columns("directors", "rank", "director", "projects", "open", "won", "lost", "abandoned",
                                "closed", "win_rate", "win_rate_low", "win_rate_high", "won_amount", "target_amount",
                                "attainment", "median_cycle_days", "stalled", "compliance_rate", "score", "score_low",
                                "small_sample")
    head.denominator = df.attrs["denominator"]
    return head


@sheet("渠道贡献", "Channels", "channels",
       "每个渠道商及直销：本期新建项目、本期结束项目的赢单率（分母：已结束）、赢单金额及占比、在途金额及占比、成交周期，"
       "以及同等级下较直销的赢单率差。",
       "per channel partner and for direct sales: projects created, win rate of projects closed in the period "
       "(denominator: closed), won amount and share, open pipeline and share, cycle days, and the win rate against "
       "direct in the same grade.")
def channels_sheet(b: Build, head: Sheet) -> Sheet:
    try:
        df = b.metric(channels)
    except MissingColumnError as exc:
        head.note = (f"未载入渠道列（渠道商），无法计算渠道贡献：{exc}", f"No channel column was loaded: {exc}")
        return head
    head.frame = df.assign(channel_label=[b.t("直销", "Direct") if d else c for c, d in zip(df["channel"], df["direct"])])
    head.columns = spec_columns("channels", "channel", "projects", "won", "closed", "win_rate", "win_rate_low",
                                "win_rate_high", "won_amount", "won_share", "open_pipeline_amount",
                                "open_pipeline_share", "median_cycle_days", "vs_direct_same_grade", "vs_direct_low",
                                "vs_direct_high", "vs_direct_projects", "vs_direct_comparable", "small_sample",
                                shown={"channel": "channel_label"})
    head.denominator = df.attrs["denominator"]
    return head


@sheet("目标达成", "Targets", "targets",
       "达成率 = 本期赢单金额 ÷ 本期目标（分母：目标；年度目标按月平均分解，细分目标优先）；预计 = 按已过天数的速度推算到期末。"
       "先全公司，再按区域，再按项目总监。",
       "attainment = won amount in the period ÷ the period's target (denominator: the target; yearly targets "
       "spread evenly over months unless a finer one is given); projected = run rate to the period's end. The "
       "company first, then by region, then by director.")
def targets_sheet(b: Build, head: Sheet) -> Sheet:
    try:
        head.frame, company = _levels(b, targets, ("company", "region", "director"))
    except MissingColumnError as exc:
        head.skipped = True
        head.note = (f"未载入业绩目标，未生成此工作表：{exc}", f"No targets are loaded, so this sheet is left out: {exc}")
        return head
    head.columns = [*LEVEL_COLUMNS, *spec_columns("targets", "target_amount", "won_amount", "attainment",
                                                  "elapsed_days", "period_days", "projected_amount",
                                                  "projected_attainment", "target_covered")]
    head.denominator = company.attrs["denominator"]
    return head


@sheet("商机储备", "Pipeline", "pipeline",
       "状态日在途项目，按阶段 × 项目等级：项目数、金额、赢单概率（[stage_probability]）与加权金额 = 金额 × 概率。",
       "projects open on the state date by stage × grade: count, amount, probability of winning "
       "([stage_probability]) and weighted amount = amount × probability.")
def pipeline_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(pipeline)
    head.frame = df.assign(stage_label=[b.stage(s) for s in df["stage"]],
                           grade_label=[b.grade(g) for g in df["grade"]])
    head.columns = spec_columns("pipeline", "stage", "grade", "projects", "amount", "probability",
                                "weighted_amount", shown={"stage": "stage_label", "grade": "grade_label"})
    head.denominator = df.attrs["denominator"]
    return head


@sheet("商机覆盖", "Pipeline coverage", "pipeline",
       "覆盖率 = 加权在途金额 ÷ 剩余目标（目标 − 已赢单，不低于 0；分母：剩余目标）；推迟项目 = 预计签约日推迟到更晚期间的项目。",
       "coverage = weighted open pipeline ÷ remaining target (target − won, not below 0; denominator: the "
       "remaining target); slipped = projects whose expected close moved to a later period.")
def coverage_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(pipeline_summary)
    head.frame = df
    head.columns = spec_columns("pipeline-summary", "open_projects", "open_amount", "weighted_amount",
                                "target_amount", "won_amount", "remaining_target", "coverage", "slipped_projects")
    head.denominator = df.attrs["denominator"]
    return head


@sheet("制度执行", "Compliance", "compliance",
       "本期活跃项目在状态日的制度检查（档案、周报、停滞后分析会、总结与评价报告、项目等级），按项目总监汇总；执行率 = 通过项 ÷ 应查项。",
       "the policy's checks (archive, weekly reports, meeting after a stall, summary and evaluation reports, grade) "
       "on projects active in the period, at the state date, per director; compliance = passed ÷ due.")
def compliance_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(compliance, level="director")
    head.frame = df
    head.columns = spec_columns("compliance", "director", "projects", "archive_rate", "weekly_coverage",
                                "meeting_rate", "summary_rate", "evaluation_rate", "grade_mismatches", "checks_due",
                                "checks_passed", "compliance_rate")
    head.denominator = df.attrs["denominator"]
    return head


def trend_quarters(b: Build) -> list[Period]:
    """The last :data:`TREND_QUARTERS` quarters, oldest first, ending with the quarter that holds the
    period's last day (for ``all``: the quarter of the latest data date)."""
    last = b.period.last_day if b.period.grain != "all" else data_date(b.con)
    if last is None:
        return []
    quarters = [Period.containing("quarter", last)]
    while len(quarters) < TREND_QUARTERS:
        quarters.insert(0, quarters[0].previous())
    return quarters


@sheet("趋势", "Trend", "win-rate",
       f"最近 {TREND_QUARTERS} 个季度的赢单率（各季度结束的项目），口径同赢单率。",
       f"win rate in each of the last {TREND_QUARTERS} quarters (projects closed in the quarter), as on the win-rate "
       "sheet.")
def trend_sheet(b: Build, head: Sheet) -> Sheet:
    rows = []
    for q in trend_quarters(b):
        df = win_rate(b.con, q, as_of=b.as_of, config=b.config)
        rows.append({"quarter": str(q), "quarter_label": q.label(b.lang), **df.iloc[0].to_dict()})
        head.denominator = df.attrs["denominator"].replace(str(q), "each quarter")
    head.frame = pd.DataFrame(rows)
    head.columns = [Column("quarter", "季度", "Quarter"), Column("quarter_label", "季度名称", "Quarter (label)"),
                    *RATE_COLUMNS]
    return head


def _spec_sheet(zh: str, en: str, metric: str):
    """A sheet titled and defined from ``metric``'s spec (the newer metrics: one definition, one home)."""
    return sheet(zh, en, metric, SPECS[metric].definition_zh, SPECS[metric].definition_en)


@_spec_sheet("投标", "Bids", "bids")
def bids_sheet(b: Build, head: Sheet) -> Sheet:
    head.frame, company = _levels(b, bids, ("company", "region", "director"))
    head.columns = LEVEL_COLUMNS + spec_columns("bids", "bids", "won", "lost", "abandoned", "decided", "open",
                                                "bid_win_rate", "bid_win_rate_low", "bid_win_rate_high", "bid_amount",
                                                "won_amount", "lost_amount", "small_sample")
    head.denominator = company.attrs["denominator"]
    return head


@_spec_sheet("竞争对手", "Competitors", "competitors")
def competitors_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(competitors)
    head.frame = df.assign(competitor_label=[c if isinstance(c, str) else b.t("（未记录）", "(none recorded)")
                                             for c in df["competitor"]])
    head.columns = spec_columns("competitors", "competitor", "met", "won", "lost", "abandoned", "decided",
                                "win_rate", "win_rate_low", "win_rate_high", "won_amount", "lost_amount", "open",
                                "projects_total", "share_of_projects", "small_sample",
                                shown={"competitor": "competitor_label"})
    head.denominator = df.attrs["denominator"]
    return head


@_spec_sheet("竞争对手趋势", "Competitor trend", "competitor-trend")
def competitor_trend_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(competitor_trend)
    head.frame = df
    head.columns = spec_columns("competitor-trend", "competitor", "quarter", "met", "won", "lost", "decided",
                                "win_rate", "win_rate_low", "win_rate_high", "small_sample")
    head.denominator = df.attrs["denominator"]
    return head


@_spec_sheet("丢单分析", "Losses", "losses")
def losses_sheet(b: Build, head: Sheet) -> Sheet:
    parts = []
    for group, (zh, en) in (("reason", ("丢单原因", "Reason")), ("stage", ("丢失阶段", "Stage lost at"))):
        try:
            df = b.metric(losses, group=group)
        except MissingColumnError:          # no reasons in the exports: the stages still tell
            continue
        labels = ([b.blank(v) for v in df["reason"]] if group == "reason"
                  else [b.config.stage_label(v, b.lang) if isinstance(v, str) else b.blank(v) for v in df["stage"]])
        parts.append(df.drop(columns=[group] + (["stage_zh"] if group == "stage" else []))
                     .assign(level=b.t(zh, en), item=pd.Series(labels, index=df.index, dtype="str")))
        head.denominator = df.attrs["denominator"]
    head.frame = pd.concat(parts, ignore_index=True)
    head.columns = [Column("level", "分组", "Grouped by"), Column("item", "原因或阶段", "Reason or stage"),
                    *spec_columns("losses", "projects", "lost", "abandoned", "amount_lost", "share", "rank")]
    return head


@_spec_sheet("新老客户", "Customers", "customers")
def customers_sheet(b: Build, head: Sheet) -> Sheet:
    df = b.metric(customers)
    names = {"new": ("新客户", "New"), "returning": ("老客户", "Returning"), "all": ("全部", "All")}
    head.frame = df.assign(segment_label=[b.t(*names[k]) for k in df["segment"]])
    head.columns = spec_columns("customers", "segment", "closed", "won", "win_rate", "win_rate_low", "win_rate_high",
                                "won_amount", "customers", "customers_won", "prior_customers", "repeat_rate",
                                "top10_share", "hhi", "small_sample", shown={"segment": "segment_label"})
    head.denominator = df.attrs["denominator"]
    return head


@_spec_sheet("回款与满意度", "Collection", "collection")
def collection_sheet(b: Build, head: Sheet) -> Sheet:
    head.frame, company = _levels(b, collection, ("company", "region", "director"))
    head.columns = LEVEL_COLUMNS + spec_columns("collection", "won", "won_amount", "collected_amount",
                                                "collection_rate", "with_collection", "uncollected", "overdue",
                                                "overdue_amount", "rated", "satisfaction_mean", "satisfaction_sd")
    head.denominator = company.attrs["denominator"]
    if company.attrs.get("missing"):
        zh = {"collected_amount": "回款金额", "satisfaction": "客户满意度"}
        missing = company.attrs["missing"]
        head.note = ("导出数据没有以下列，相应指标为空：" + "、".join(zh[m] for m in missing),
                     "The exports have no column for: " + ", ".join(missing) + "; those figures are empty")
    return head


@_spec_sheet("项目成员考核", "Members", "members")
def members_sheet(b: Build, head: Sheet) -> Sheet:
    parts = []
    for role, df in b.metric(members_by_role).items():      # the roles some export names
        parts.append(df.assign(role_label=b.t(*ROLE_LABELS[role])))
        head.denominator = df.attrs["denominator"]
    if not parts:
        raise MissingColumnError("members needs the column 'manager', 'monitor' or 'planner' (项目经理 / 监控人 / "
                                 "规划经理), and no loaded export has any of them", column="manager")
    head.frame = pd.concat(parts, ignore_index=True)
    head.columns = spec_columns("members", "role", "member", "projects", "open", "won", "lost", "abandoned", "closed",
                                "win_rate", "win_rate_low", "win_rate_high", "won_amount", "stalled",
                                "compliance_rate", "small_sample", shown={"role": "role_label"})
    return head


def build_sheets(b: Build) -> list[Sheet]:
    """Every sheet after 说明, computed on ``b.con``."""
    return [build(b) for build in BUILDERS]


__all__ = ["Build", "Sheet", "Column", "BUILDERS", "build_sheets", "sheet", "trend_quarters", "TREND_QUARTERS"]
