"""Columns several metrics share: one figure, one name, one label, one format.

A metric's spec lists these objects (or its own) in ``columns``; a column that means the same figure
in two metrics (won, closed, win_rate …) is the same object, so it cannot be labelled two ways.
"""

from __future__ import annotations

from .spec import Column

C = Column

WON = C("won", "count", "赢单", "Won", "本期结束且赢单的项目数", "projects won and closed in the period")
LOST = C("lost", "count", "丢单", "Lost")
ABANDONED = C("abandoned", "count", "放弃", "Abandoned")
CLOSED = C("closed", "count", "已结束（分母）", "Closed (denominator)",
           "本期结束的项目数：赢单 + 丢单 + 放弃（赢单率的分母）",
           "projects closed in the period: won + lost + abandoned (the win rate's denominator)")
OPEN = C("open", "count", "在途", "Open", "状态日仍在进行中的项目数", "projects still open on the state date")
WIN_RATE = C("win_rate", "rate", "赢单率", "Win rate", "赢单 ÷ 本期结束项目（赢单 + 丢单 + 放弃）；Wilson 95% 区间",
             "won ÷ projects closed in the period (won + lost + abandoned); Wilson 95% interval")
WIN_RATE_LOW = C("win_rate_low", "rate", "区间下限", "Interval low", "赢单率的 Wilson 95% 区间下限",
                 "lower bound of the win rate's Wilson 95% interval")
WIN_RATE_HIGH = C("win_rate_high", "rate", "区间上限", "Interval high", "赢单率的 Wilson 95% 区间上限",
                  "upper bound of the win rate's Wilson 95% interval")
WON_AMOUNT = C("won_amount", "amount", "赢单金额", "Won amount", "本期结束且赢单的项目金额之和（元，显示为万元）",
               "sum of the amounts of the projects won and closed in the period (yuan)")
CLOSED_AMOUNT = C("closed_amount", "amount", "已结束金额", "Closed amount")
VALUE_WIN_RATE = C("value_win_rate", "rate", "金额赢单率", "Value win rate", "赢单金额 ÷ 已结束金额",
                   "won amount ÷ closed amount")
SMALL_SAMPLE = C("small_sample", "bool", "小样本", "Small sample", "已结束项目少于小样本阈值（默认 10）",
                 "fewer closed projects than the small-sample threshold (10)")
PROJECTS = C("projects", "count", "项目数", "Projects")
STAGE = C("stage", "text", "阶段", "Stage")
STAGE_ZH = C("stage_zh", "text", "阶段（中文）", "Stage (Chinese)")
TARGET_AMOUNT = C("target_amount", "amount", "目标金额", "Target", "本期业绩目标（按月分解，按天折算）",
                  "the period's target (broken down by month, pro rata by day)")
ATTAINMENT = C("attainment", "rate", "目标达成率", "Target attainment",
               "赢单金额 ÷ 目标（分母：本期目标，按月分解、按天折算）；范围内用该范围自己的目标",
               "won amount ÷ target (denominator: the period's target, broken down by month, pro rata by day); a "
               "scope uses its own target")
STALLED = C("stalled", "count", "停滞项目", "Stalled projects",
            "状态日在途且当前阶段停留超过限值（配置 [stall_days]，否则全公司该阶段已完成停留的 P75）的项目数",
            "projects open on the state date whose current stay exceeds the stage's limit ([stall_days], else the "
            "P75 of the company's finished stays in the stage)")
COMPLIANCE_RATE = C("compliance_rate", "rate", "制度执行率", "Policy compliance",
                    "通过的制度检查 ÷ 应查检查（档案、周报、停滞后分析会、总结与评价报告、项目等级）",
                    "policy checks passed ÷ checks due (archive, weekly reports, analysis meeting after a stall, "
                    "summary and evaluation reports, grade)")
CHECKS_DUE = C("checks_due", "count", "应查项（分母）", "Checks due (denominator)",
               "应做的制度检查项数（制度执行率的分母）", "policy checks due (the compliance rate's denominator)")
CHECKS_PASSED = C("checks_passed", "count", "通过项", "Checks passed")
MEDIAN_CYCLE_DAYS = C("median_cycle_days", "days", "结束周期中位天数", "Median days to close",
                      "本期结束的全部项目（赢单、丢单、放弃）从创建到结束的天数中位数",
                      "median days from created to closed, every project closed in the period (any outcome)")
MEDIAN_DAYS_TO_WIN = C("median_days_to_win", "days", "赢单周期中位天数", "Median days to win",
                       "本期赢单项目从创建到赢单的天数中位数",
                       "median days from created to won, projects won in the period")
MEDIAN_DAYS = C("median_days", "days", "中位天数", "Median days")
P75_DAYS = C("p75_days", "days", "P75 天数", "P75 days")
P90_DAYS = C("p90_days", "days", "P90 天数", "P90 days")
MEAN_DAYS = C("mean_days", "days", "平均天数", "Mean days")
SCORE = C("score", "score", "审计考核得分", "Audit score",
          "赢单率、目标达成、制度执行与速度的加权平均（权重见 [score_weights]），百分制；按保守得分排名",
          "weighted mean of win rate, attainment, compliance and speed ([score_weights]), on a 0–100 scale; "
          "ranked on the conservative score")
SCORE_LOW = C("score_low", "score", "保守得分", "Conservative score",
              "同上，赢单率取其区间下限；排名依据", "the same with the win rate at its interval's lower bound; ranks on it")
RANK = C("rank", "count", "排名", "Rank")
DIRECTOR = C("director", "text", "项目总监", "Director")
REGION = C("region", "text", "区域", "Region")
NAME = C("name", "text", "项目名称", "Name")
PROJECT_ID = C("project_id", "text", "项目编号", "Project")
GRADE = C("grade", "text", "项目等级", "Grade")
CHANNEL = C("channel", "text", "渠道商", "Channel")
SCOPE = C("scope", "text", "范围", "Scope")
TARGET_HOLDER = C("scope", "text", "目标持有者", "Target holder", "公司，或区域、项目总监、系统部的名称",
                  "the company, or the region, director or department name")
ELAPSED_DAYS = C("elapsed_days", "count", "已过天数", "Days elapsed", "期间内截至状态日（含）的天数",
                 "days of the period up to and including the state date")
PERIOD_DAYS = C("period_days", "count", "期间天数", "Days in period")
PROJECTED_AMOUNT = C("projected_amount", "amount", "预计金额", "Run-rate projection",
                     "赢单金额 ÷ 已过天数 × 期间天数", "won amount ÷ days elapsed × days in the period")
PROJECTED_ATTAINMENT = C("projected_attainment", "rate", "预计达成率", "Projected attainment",
                         "按进度预计 ÷ 目标", "run-rate projection ÷ target")
TARGET_COVERED = C("target_covered", "bool", "目标覆盖全期", "Target covers the period",
                   "期间涉及的每个月都有目标", "every month the period touches has a target")
OPEN_PROJECTS = C("open_projects", "count", "在途项目数", "Open projects",
                  "状态日在途的项目数", "projects open on the state date")
OPEN_AMOUNT = C("open_amount", "amount", "在途金额", "Open pipeline", "状态日（期末）在途项目的金额之和",
                "amount of the projects open on the state date (the period's end)")
WEIGHTED_AMOUNT = C("weighted_amount", "amount", "加权金额", "Weighted pipeline",
                    "在途金额 × 阶段赢单概率（配置 [stage_probability]）",
                    "open amount × the stage's probability of winning ([stage_probability])")

#: every shared column, by key (a metric's own column must not reuse one of these keys for another figure)
SHARED = {c.key: c for c in list(globals().values()) if isinstance(c, Column)}

__all__ = list(k for k, v in globals().items() if isinstance(v, Column) and k.isupper()) + ["SHARED"]
