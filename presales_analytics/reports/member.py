"""项目成员评价报告 one member's review for a period (``notebooks/member_review.ipynb``): a 项目经理
(``--scope manager:<name>``), 项目监控人 (``monitor:<name>``) or 规划经理 (``planner:<name>``).

The policy's evaluation report judges "the performance of its key members", not only the director's.
The review is the director review (:mod:`.director`) with the role's column in place of ``director``:
the same functions compute and print it, over the member's projects (those naming them in the role's
column, as known at the as-of date) and their row of the ``members`` scorecard. What only a director
has (rank, audit score, target) is left out. 同事比较 is the director review's section for the role: the
member's win rate, won amount and compliance against the medians of the others in the same role (the win
rate's over those with closed projects), everyone's win rate as a chart and their scorecard rows as a
table, listed by name, not ranked, small samples flagged. Sections: the conclusion first (问题与建议), then
outcomes, peers, wins and losses, stalled projects, compliance gaps and the project list last.

>>> member_of("manager:陈静")
('manager', '陈静')
>>> member_of("项目监控人：周强")
('monitor', '周强')
"""

from __future__ import annotations

from .context import ReportContext, section_heading
from .director import (MEMBER_ROLES, SECTIONS as DIRECTOR_SECTIONS, Review, compliance_gaps, definitions,  # noqa: F401
                       findings, findings_list, outcomes, peer_chart, peer_table, projects_table, provenance, review,
                       reviewed, stalled_table, standing, win_loss)
from .director import heading as _heading

#: the review's sections in the order the notebook shows them: key -> (zh, en) heading
SECTIONS = {"findings": DIRECTOR_SECTIONS["findings"], "outcomes": DIRECTOR_SECTIONS["outcomes"],
            "peers": DIRECTOR_SECTIONS["peers"], "win-loss": DIRECTOR_SECTIONS["win-loss"],
            "stalled": DIRECTOR_SECTIONS["stalled"], "compliance": DIRECTOR_SECTIONS["compliance"],
            "projects": ("参与的项目", "Projects in the period"),
            "definitions": DIRECTOR_SECTIONS["definitions"], "provenance": DIRECTOR_SECTIONS["provenance"]}
INTROS = {"peers": ("成员不排名（审计得分与目标只属于项目总监）：与同一角色其他成员的中位数比较，赢单率的中位数只计有已结束项目者；"
                    "本期结束项目少于小样本阈值的标为小样本，赢单率不宜与同事比较。图表中本人以橙色标出，表格中本人一行加粗。",
                    "Members are not ranked (the audit score and targets are the director's): each is set against "
                    "the median of the others in the same role, the win rate's over those with closed projects; "
                    "fewer closed projects than the small-sample threshold are flagged, and such a win rate is not "
                    "compared with peers. The member under review is the orange bar and the bold row.")}


def member_of(scope: str) -> tuple[str, str]:
    """``(role, name)`` from a scope ``manager:<name>``, ``monitor:<name>`` or ``planner:<name>`` (the
    kinds in Chinese too: ``项目经理:陈静``); any other scope is an InputError listing them."""
    parsed = reviewed(scope, MEMBER_ROLES, "member review")
    return parsed.kind, parsed.value


def section(ctx: ReportContext, key: str):
    """A section's heading (anchor ``sec-<key>``) in the report's language, with its introduction."""
    return section_heading(ctx, key, SECTIONS[key], INTROS.get(key))


def heading(ctx: ReportContext, r: Review):
    """Links back, the title (项目成员评价报告 · the role and name · the period), the period in words and
    the contents."""
    return _heading(ctx, r, SECTIONS)


__all__ = ["member_of", "review", "heading", "section", "SECTIONS", "findings", "findings_list", "outcomes",
           "standing", "peer_chart", "peer_table", "stalled_table", "compliance_gaps", "projects_table", "definitions", "provenance", "win_loss"]
