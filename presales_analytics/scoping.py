"""A report's scope: the whole company, or one region, department or director (``--scope``), or one
accountable member of project teams: a 项目经理 (``manager:``), 项目监控人 (``monitor:``) or 规划经理
(``planner:``), whose projects are those naming them in that column.

A scope is applied by the metrics' context
(:class:`presales_analytics.metrics.context.MetricContext`): nothing narrows or changes a connection.

Norms stay the company's: the limit a stay must pass to count as stalled (the p75 of finished stays)
and the median cycle the director score compares with are computed over every project, so a project
stalled in the company report is stalled in its region's and director's reports too.

Membership is decided by the project's latest loaded version (``projects``): a project that moved
from one director to another counts, in every period, for the director it has now. In a scope, the
scope's own target is the target of the scope as a whole (the ``company`` row of ``targets``); the
directors and departments with projects in scope keep their own targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError

#: scope kinds and their spellings (English and Chinese) on the command line
KINDS = {"region": ("region", "区域"), "department": ("department", "dept", "系统部", "部门"),
         "director": ("director", "总监", "项目总监"), "manager": ("manager", "经理", "项目经理"),
         "monitor": ("monitor", "监控人", "项目监控人"), "planner": ("planner", "规划", "规划经理")}
_LABELS = {"company": ("全公司", "Company"), "region": ("区域", "Region"), "department": ("系统部", "Department"),
           "director": ("项目总监", "Director"), "manager": ("项目经理", "Project manager"),
           "monitor": ("项目监控人", "Project monitor"), "planner": ("规划经理", "Planning manager")}


def file_safe(text: str) -> str:
    """``text`` for a file name: runs of characters unsafe in a path (``\\ / : * ? " < > |``, blanks)
    become ``_``; Chinese stays as it is."""
    return re.sub(r'[\\/:*?"<>|\s]+', "_", text)


@dataclass(frozen=True)
class ReportScope:
    kind: str                  # company | region | department | director | manager | monitor | planner
    value: str | None = None   # the region's, department's, director's or member's name

    @classmethod
    def parse(cls, text: str | None) -> "ReportScope":
        """``company`` (or empty, 全公司), ``region:华东``, ``department:政府系统部``, ``director:张伟``,
        ``manager:陈静``, ``monitor:周强``, ``planner:赵磊``; the kind may be written in Chinese (``区域:华东``,
        ``总监:张伟``, ``项目经理:陈静``) and ``=`` or ``：`` used for ``:``. Anything else is an
        :class:`InputError` listing the kinds.

        >>> ReportScope.parse("项目经理：陈静")
        ReportScope(kind='manager', value='陈静')
        """
        text = (text or "").strip()
        if text.lower() in ("", "company", "全公司", "公司"):
            return cls("company")
        m = re.match(r"^([^:=：]+)[:=：](.+)$", text)
        if m:
            word, value = m.group(1).strip().lower(), m.group(2).strip()
            for kind, spellings in KINDS.items():
                if word in spellings and value:
                    return cls(kind, value)
        raise InputError(f"scope {text!r} is not understood; write company or <kind>:<name>, the kind one of "
                         f"{', '.join(KINDS)} (e.g. region:华东, director:张伟, manager:陈静)")

    def __str__(self) -> str:
        return "company" if self.kind == "company" else f"{self.kind}:{self.value}"

    @property
    def is_company(self) -> bool:
        return self.kind == "company"

    def label(self, lang: str = "zh") -> str:
        zh, en = _LABELS[self.kind]
        if self.is_company:
            return zh if lang == "zh" else en
        return f"{zh}：{self.value}" if lang == "zh" else f"{en}: {self.value}"

    @property
    def slug(self) -> str:
        """For file names: ``region-华东`` (characters unsafe in a path become ``_``)."""
        if self.is_company:
            return "company"
        return f"{self.kind}-{file_safe(self.value)}"


__all__ = ["ReportScope", "file_safe", "KINDS"]
