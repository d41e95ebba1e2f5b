"""Canonical columns of each table, their value kinds, and the built-in header aliases.

A header matches an alias when :func:`~presales_analytics.config.value_key` of both are equal
(case, spaces, underscores, hyphens, slashes, dots and full-width forms do not matter). A unit in
the header, ``金额（万元）`` or ``Amount (CNY)``, is taken off before matching and sets the column's
amount unit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..config import value_key

#: table -> {canonical column: value kind}. Kinds: id, text, date, amount, number, stage, status,
#: grade, activity, document, scope, period, close_date (CRM "Close Date": expected while open,
#: actual once closed).
TABLES: dict[str, dict[str, str]] = {
    "projects": {
        "project_id": "id", "name": "text", "customer": "text", "region": "text",
        "department": "text", "director": "text", "manager": "text", "monitor": "text",
        "planner": "text",
        "channel": "text", "grade": "grade", "industry": "text", "amount": "amount",
        "stage": "stage", "status": "status", "created_at": "date", "initiated_at": "date",
        "expected_close_at": "date", "closed_at": "date", "close_date": "close_date",
        "lost_reason": "text", "competitor": "text", "collected_amount": "amount",
        "satisfaction": "number",
    },
    "stage_events": {"project_id": "id", "stage": "stage", "entered_at": "date"},
    "activities": {"project_id": "id", "kind": "activity", "date": "date"},
    "documents": {"project_id": "id", "doc_type": "document", "date": "date"},
    "targets": {"scope": "scope", "period": "period", "amount": "amount"},
}

#: Columns a file for the table must have. For projects: project_id, and stage or status.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "projects": [("project_id",), ("stage", "status")],
    "stage_events": [("project_id",), ("stage",), ("entered_at",)],
    "activities": [("project_id",), ("kind",)],
    "documents": [("project_id",), ("doc_type",)],
    "targets": [("scope",), ("period",), ("amount",)],
}

_COMMON = {
    "project_id": ["项目编号", "商机编号", "项目ID", "商机ID", "项目代码", "Opportunity ID", "Id",
                   "Record ID", "opportunity_id", "OpportunityId", "Deal ID", "Project ID"],
}

#: table -> {canonical column: header spellings}. The canonical name always works too.
ALIASES: dict[str, dict[str, list[str]]] = {
    "projects": {
        **_COMMON,
        "name": ["项目名称", "商机名称", "名称", "Opportunity Name", "Deal Name", "Name", "Project Name"],
        "customer": ["客户", "客户名称", "最终客户", "Account Name", "Associated Company", "account",
                     "Company", "Customer"],
        "region": ["区域", "办事处", "营销中心", "大区", "Region", "regional_office", "Sales Team", "Office"],
        "department": ["系统部", "产品部", "部门", "系统部/产品部", "Department"],
        "director": ["项目总监", "负责人", "销售负责人", "Opportunity Owner", "Deal owner", "Owner",
                     "Salesperson", "sales_agent", "Director"],
        "manager": ["项目经理", "Project Manager", "Manager"],
        "monitor": ["监控人", "项目监控人", "Monitor"],
        "planner": ["规划经理", "规划", "Planner", "Planning Manager"],
        "channel": ["渠道商", "渠道", "合作伙伴", "Partner", "Route To Market", "Lead Source",
                    "Deal source", "Channel"],
        "grade": ["项目等级", "等级", "项目级别", "Grade", "Project Grade"],
        "industry": ["行业", "所属行业", "Industry"],
        "amount": ["金额", "预计金额", "合同金额", "项目金额", "Amount", "Expected Revenue",
                   "close_value", "Opportunity Amount"],
        "stage": ["阶段", "项目阶段", "商机阶段", "Stage", "Deal Stage", "deal_stage", "StageName"],
        "status": ["状态", "项目状态", "结果", "Status", "Opportunity Result"],
        "created_at": ["创建日期", "创建时间", "Created Date", "Create Date", "CreatedDate",
                       "engage_date", "Created On"],
        "initiated_at": ["立项日期", "立项时间", "Initiated Date", "Initiation Date"],
        "expected_close_at": ["预计签约日期", "预计结束日期", "预计成交日期", "Expected Closing",
                              "Expected Close Date"],
        "closed_at": ["结束日期", "签约日期", "关闭日期", "结单日期", "Closed Date", "Date Closed",
                      "Actual Close Date"],
        # "Close Date" (Salesforce) / close_date: expected while open, actual once closed.
        "close_date": ["Close Date", "close_date", "CloseDate"],
        "lost_reason": ["丢单原因", "输单原因", "Lost Reason", "Closed Lost Reason"],
        "competitor": ["竞争对手", "Competitor", "Competitors"],
        "collected_amount": ["回款金额", "已回款金额", "回款", "Collected Amount", "Collected"],
        "satisfaction": ["客户满意度", "满意度", "Satisfaction", "Customer Satisfaction"],
    },
    "stage_events": {
        **_COMMON,
        "stage": ["阶段", "项目阶段", "商机阶段", "Stage", "StageName", "To Stage", "Deal Stage"],
        "entered_at": ["进入日期", "变更日期", "进入时间", "变更时间", "日期", "Entered At", "Entered Date",
                       "CreatedDate", "Created Date", "Date", "Changed Date"],
    },
    "activities": {
        **_COMMON,
        "kind": ["活动类型", "类型", "活动", "Activity Type", "Type", "Kind"],
        "date": ["日期", "活动日期", "时间", "Date", "Activity Date"],
    },
    "documents": {
        **_COMMON,
        "doc_type": ["文档类型", "档案类型", "文档", "资料类型", "Document Type", "Doc Type"],
        "date": ["归档日期", "日期", "Date", "Archived Date", "Archived At"],
    },
    "targets": {
        "scope": ["目标范围", "范围", "考核对象", "Scope"],
        "period": ["期间", "目标期间", "周期", "考核期间", "Period"],
        "amount": ["目标金额", "目标", "金额", "Target", "Amount", "Target Amount"],
    },
}

#: Headers that only one table has: they tell which table an export feeds.
SIGNATURES: list[tuple[str, str]] = [("targets", "scope"), ("documents", "doc_type"),
                                     ("activities", "kind"), ("stage_events", "entered_at")]

_UNIT = re.compile(r"\s*[(（\[【]?\s*(万元|万|元|人民币|rmb|cny|yuan|wan|万人民币)\s*[)）\]】]?\s*$",
                   re.IGNORECASE)
_WAN = {"万元", "万", "wan", "万人民币"}


@dataclass(frozen=True)
class HeaderUnit:
    base: str          # the header without its unit
    unit: str | None   # "wan", "yuan" or None when the header names none


def split_unit(header: str) -> HeaderUnit:
    """``金额（万元）`` -> base ``金额``, unit ``wan``; ``Amount (CNY)`` -> ``Amount``, ``yuan``.

    >>> split_unit("预计金额（万元）")
    HeaderUnit(base='预计金额', unit='wan')
    >>> split_unit("Amount")
    HeaderUnit(base='Amount', unit=None)
    """
    m = _UNIT.search(header)
    if not m or m.start() == 0:
        return HeaderUnit(header, None)
    unit = "wan" if m.group(1).lower() in _WAN else "yuan"
    return HeaderUnit(header[: m.start()], unit)


_ENTERED = [
    re.compile(r"^(?:date\s*)?entered\s*[:：_\-]?\s*(.+?)$", re.IGNORECASE),
    re.compile(r"^(.+?)\s*[_\-]?\s*entered(?:\s*(?:date|at|on))?$", re.IGNORECASE),
    re.compile(r"^进入(.+?)(?:阶段)?(?:的)?(?:日期|时间)$"),
]
_QUOTES = "\"'“”‘’「」"


def entered_stage_text(header: str) -> str | None:
    """The stage named by a wide history header, or None if it is not one.

    >>> entered_stage_text('Date entered "Contract Sent (Sales Pipeline)"')
    'Contract Sent'
    >>> entered_stage_text("进入投标阶段日期")
    '投标'
    >>> entered_stage_text("entered_negotiation")
    'negotiation'
    """
    text = unicodedata.normalize("NFKC", header).strip()
    for pattern in _ENTERED:
        m = pattern.match(text)
        if m:
            stage = m.group(1).strip().strip(_QUOTES).strip()
            stage = re.sub(r"\s*\([^)]*\)\s*$", "", stage).strip().strip(_QUOTES).strip()
            return stage or None
    return None


def alias_table(table: str) -> dict[str, str]:
    """``value_key(header) -> canonical column`` for one table."""
    out: dict[str, str] = {}
    for canonical, spellings in ALIASES[table].items():
        for spelling in [canonical, *spellings]:
            out.setdefault(value_key(spelling), canonical)
    for canonical in TABLES[table]:
        out.setdefault(value_key(canonical), canonical)
    return out
