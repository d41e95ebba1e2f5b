"""主要问题: the audit report's rule-based findings, each with its figures and who owns it.

Each rule reads figures the report already shows (the ``targets``, ``stalled``, ``directors`` and
``compliance`` metrics of the report's period and scope) and returns :class:`Finding` s. A finding's
``severity`` is *the share that fails*, so findings of different rules rank on one scale:

- **target gap** (per region with a target): 1 − attainment, when attainment < 100%;
- **stalled without a meeting**: stalled projects with no analysis meeting since the stall ÷ stalled
  projects (the policy requires a meeting);
- **weak director**: 1 − (their conservative score ÷ the median over directors with enough closed
  projects), when the score is below ``WEAK_SCORE`` × that median (small samples are never flagged:
  their score is not certain enough to judge on);
- **compliance check** (archive, weekly reports, summary, evaluation): 1 − the check's pass rate, when
  the rate is below ``COMPLIANCE_FLOOR`` (80%); owners are the directors with the lowest rates;
- **grade mismatch**: projects declared below the grade their amount implies ÷ projects checked.

:func:`findings` returns them ranked, largest first, at most ``MAX_FINDINGS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ..metrics import SPECS, compute
from ..presentation.format import agree, fmt_amount, fmt_pct, fmt_value
from .context import ReportContext, metric_or_note_quiet
from .policy import COMPLIANCE_FLOOR

#: a director whose conservative score is below this share of the median is a finding
WEAK_SCORE = 0.75
#: at most this many findings on the executive page
MAX_FINDINGS = 8
#: owners named per finding
OWNERS = 3


@dataclass(frozen=True)
class Finding:
    rule: str          # target_gap, stalled_without_meeting, weak_director, compliance_<check>, grade_mismatch
    severity: float    # the share that fails (0–1): what findings are ranked by
    zh: str
    en: str
    owner_zh: str
    owner_en: str

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def owner(self, lang: str) -> str:
        return self.owner_zh if lang == "zh" else self.owner_en


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _rate(x) -> str:
    """A rate as the metric specs print it (31.3%)."""
    return fmt_value(x, "rate")


def _names(values, lang: str) -> str:
    return ("、" if lang == "zh" else ", ").join(str(v) for v in values)


def target_gaps(ctx: ReportContext) -> list[Finding]:
    """Regions below their target (won amount closed in the period ÷ the period's target)."""
    t = metric_or_note_quiet(ctx, "targets", by="region")
    if t is None:
        return []
    out = []
    for r in t.to_dict("records"):
        a = r["attainment"]
        if not _ok(a) or a >= 1 or not r.get("target_covered", True):
            continue
        gap = r["target_amount"] - r["won_amount"]
        region = r["scope"]
        out.append(Finding(
            "target_gap", 1 - a,
            f"{region} 目标达成率 {_rate(a)}：赢单 {fmt_amount(r['won_amount'])}，目标 {fmt_amount(r['target_amount'])}，"
            f"差 {fmt_amount(gap)}。",
            f"{region} at {_rate(a)} of target: won {fmt_amount(r['won_amount'], 'en')} of "
            f"{fmt_amount(r['target_amount'], 'en')}, {fmt_amount(gap, 'en')} short.",
            f"{region} 区域", f"Region {region}"))
    return out


def stalled_without_meeting(ctx: ReportContext) -> list[Finding]:
    """Stalled projects (open, over their stage's limit at the period's end) with no analysis meeting since."""
    st = compute(ctx.metrics, "stalled", ctx.period, as_of=ctx.as_of)
    if not len(st):
        return []
    missing = st[~st["meeting_since_stall"].astype(bool)]
    if not len(missing):
        return []
    top = missing["director"].value_counts().sort_index().sort_values(ascending=False, kind="stable").head(OWNERS)
    owners_zh = _names([f"{d} {n} 个" for d, n in top.items()], "zh")
    owners_en = _names([f"{d} {n}" for d, n in top.items()], "en")
    return [Finding(
        "stalled_without_meeting", len(missing) / len(st),
        f"停滞项目 {len(st)} 个中 {len(missing)} 个（{_rate(len(missing) / len(st))}）停滞后未召开项目分析会，制度要求召开。",
        f"{len(missing)} of {len(st)} stalled projects ({_rate(len(missing) / len(st))}) have had no analysis "
        "meeting since the stall; the policy requires one.",
        owners_zh, owners_en)]


def weak_directors(ctx: ReportContext) -> list[Finding]:
    """Directors whose conservative score is below ``WEAK_SCORE`` × the median (enough closed projects only)."""
    board = compute(ctx.metrics, "directors", ctx.period, as_of=ctx.as_of)
    judged = board[~board["small_sample"].astype(bool) & board["score_low"].notna()]
    if len(judged) < 3:                      # a median of one or two is no yardstick
        return []
    median = float(judged["score_low"].median())
    out = []
    for r in judged.to_dict("records"):
        if median <= 0 or r["score_low"] >= WEAK_SCORE * median:
            continue
        d = r["director"]
        out.append(Finding(
            "weak_director", 1 - r["score_low"] / median,
            f"{d} 保守得分 {fmt_value(r['score_low'], 'score')}，不到总监中位数 {fmt_value(median, 'score')} 的 {fmt_pct(WEAK_SCORE, 0)}"
            f"（赢单率 {_rate(r['win_rate'])}，{r['won']}/{r['closed']}）。",
            f"{d}'s conservative score {fmt_value(r['score_low'], 'score')} is under {fmt_pct(WEAK_SCORE, 0)} of the directors' "
            f"median {fmt_value(median, 'score')} (win rate {_rate(r['win_rate'])}, {r['won']}/{r['closed']}).",
            d, d))
    return out


#: the checks judged against COMPLIANCE_FLOOR: the project frame's passed and applies-when columns (None:
#: every project), the roll-up's rate column (the owners' figure), zh and en names
CHECKS = {"archive": ("archive_ok", None, "archive_rate", "项目档案齐全", "Complete archive"),
          "weekly": ("weekly_ok", "weeks_due", "weekly_coverage", "周报覆盖达标", "Weekly reports on threshold"),
          "summary": ("summary_ok", "summary_due", "summary_rate", "总结报告按时", "Summary report on time"),
          "evaluation": ("evaluation_ok", "evaluation_due", "evaluation_rate", "评价报告按时",
                         "Evaluation report on time")}


def compliance_checks(ctx: ReportContext) -> list[Finding]:
    """Each policy check passed by fewer than ``COMPLIANCE_FLOOR`` of the projects it applies to, and the
    grade mismatches; owners are the directors with the lowest rate (the most mismatches)."""
    projects = compute(ctx.metrics, "compliance", ctx.period, as_of=ctx.as_of)
    if not len(projects):
        return []
    by_director = compute(ctx.metrics, "compliance", ctx.period, as_of=ctx.as_of, level="director")
    spec = SPECS["compliance"]
    out = []
    for check, (ok, due, rate_column, zh, en) in CHECKS.items():
        applies = projects if due is None else projects[projects[due].astype(float) > 0]
        if not len(applies):
            continue
        passed = int(applies[ok].astype(bool).sum())
        rate = passed / len(applies)
        if rate >= COMPLIANCE_FLOOR:
            continue
        worst = by_director[by_director[rate_column].notna()].sort_values([rate_column, "director"]).head(OWNERS)
        owners_by = spec.column(rate_column).label("zh"), spec.column(rate_column).label("en")
        out.append(Finding(
            f"compliance_{check}", 1 - rate,
            f"{zh}：{passed}/{len(applies)} 个项目通过（{_rate(rate)}），低于 {fmt_pct(COMPLIANCE_FLOOR, 0)}。",
            f"{en}: {passed} of {len(applies)} {agree(len(applies), 'project', 'projects')} "
            f"{agree(passed, 'passes', 'pass')} ({_rate(rate)}), "
            f"under {fmt_pct(COMPLIANCE_FLOOR, 0)}.",
            f"{owners_by[0]}最低：" + _names([f"{d} {_rate(v)}" for d, v in zip(worst["director"], worst[rate_column])], "zh"),
            f"lowest {owners_by[1].lower()}: "
            + _names([f"{d} {_rate(v)}" for d, v in zip(worst["director"], worst[rate_column])], "en")))
    wrong = projects[~projects["grade_ok"].astype(bool)]
    if len(wrong):
        top = wrong["director"].value_counts().sort_index().sort_values(ascending=False, kind="stable").head(OWNERS)
        out.append(Finding(
            "grade_mismatch", len(wrong) / len(projects),
            f"{len(wrong)} 个项目申报的级别低于金额对应的级别（共检查 {len(projects)} 个）。",
            f"{len(wrong)} of {len(projects)} {agree(len(projects), 'project', 'projects')} "
            f"{agree(len(wrong), 'is', 'are')} declared below the "
            "grade their amount implies.",
            _names([f"{d} {n} 个" for d, n in top.items()], "zh"), _names([f"{d} {n}" for d, n in top.items()], "en")))
    return out


RULES = (target_gaps, stalled_without_meeting, weak_directors, compliance_checks)


def findings(ctx: ReportContext, limit: int = MAX_FINDINGS) -> list[Finding]:
    """Every rule's findings, largest share failing first (ties: in rule order), at most ``limit``."""
    found = [f for rule in RULES for f in rule(ctx)]
    return sorted(found, key=lambda f: -f.severity)[:limit]


def findings_frame(found: list[Finding], lang: str = "zh") -> pd.DataFrame:
    """The findings as a table (rule, severity, text, owner): what a test or an analyst reads."""
    return pd.DataFrame([{"rule": f.rule, "severity": f.severity, "text": f.text(lang), "owner": f.owner(lang)}
                         for f in found], columns=["rule", "severity", "text", "owner"])
