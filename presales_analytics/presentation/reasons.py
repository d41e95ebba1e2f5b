"""Why a row was rejected or flagged, in the report's language.

The loader records its reasons in English (``rejects.reason``, ``data_quality.message``: what the
command line prints and the logs keep). A Chinese report shows them in Chinese: :func:`reason_text`
recognises each reason the loader writes (ingest/parse.py, ingest/rules.py, ingest/lookups.py) and
says it again in Chinese with the value as written; a reason it does not recognise is shown as it is.
:data:`RULES_ZH` names the data-quality rules.

>>> reason_text("'待定' is not an amount (expected e.g. 1234.56)", "zh")
'「待定」不是金额（例如 1234.56、1,234.56、¥1,234、12.5万）'
>>> reason_text("'暂停' is not a known status (known: open (进行中)); add it", "zh")
'「暂停」不是已知的状态；可在映射文件的 [values.status] 中添加'
"""

from __future__ import annotations

import re

#: the data-quality rules (ingest/rules.py), in Chinese
RULES_ZH = {
    "blank": "必填项为空", "no_stage_or_status": "既无阶段也无状态", "status_contradicts_stage": "状态与阶段矛盾",
    "negative_amount": "金额为负", "negative_collected": "回款金额为负", "closed_before_created": "结束早于创建",
    "satisfaction_out_of_scale": "满意度超出量表", "date_out_of_range": "日期超出合理范围",
    "closed_without_date": "已结束但无结束日期", "open_with_close_date": "进行中却有结束日期",
    "collected_exceeds_amount": "回款超过金额", "initiated_before_created": "立项早于创建",
    "event_before_created": "阶段记录早于项目创建", "unknown_project": "项目编号不在项目表中",
    "negative_target": "目标为负", "duplicate": "重复行",
}

_KINDS_ZH = {"stage": ("阶段", "stage"), "status": ("状态", "status"), "grade": ("级别", "grade"),
             "activity kind": ("活动类型", "activity"), "document type": ("文档类型", "document")}

_V = r"'(?P<v>(?:[^']|'')*)'"
#: (pattern on the English reason, the Chinese text with {v} the value as written and named groups)
_PATTERNS = [
    (_V + r" is not an amount", "「{v}」不是金额（例如 1234.56、1,234.56、¥1,234、12.5万）"),
    (_V + r" is not a date", "「{v}」不是日期（例如 2026-09-05、2026/9/5、2026年9月5日）"),
    (_V + r" is not a number", "「{v}」不是数字"),
    (_V + r" is not a known (?P<kind>stage|status|grade|activity kind|document type)\b", None),
    (_V + r" is not a target scope", "「{v}」不是目标范围（公司、区域:<名称>、部门:<名称> 或 总监:<名称>）"),
    (_V + r" is not a (?:target )?period", "「{v}」不是期间（例如 2026-Q3、2026-09、2026）"),
    (r"^blank (?P<what>.+?): every row needs one", "必填项为空：每行都需要{what}"),
    (r"^duplicate (?P<what>.+?): row (?P<row>\d+)", "与第 {row} 行重复，只载入最后一行"),
    (r"^no stage and no status", "既无阶段也无状态：请至少填写其一"),
    (r"^status " + _V + r" contradicts stage '(?P<stage>(?:[^']|'')*)'", "状态「{v}」与阶段「{stage}」矛盾"),
    (r"^project " + _V + r" is not in projects", "项目「{v}」不在项目表中：请先载入项目导出（或在同一命令中载入）"),
    (r"^negative target: (?P<n>\S+)", "目标为负：{n} 元"),
    (r"^negative amount: (?P<n>\S+)", "金额为负：{n} 元；已保留"),
]
_WHAT_ZH = {"project id": "项目编号", "stage": "阶段", "date": "日期", "activity kind": "活动类型",
            "document type": "文档类型", "scope": "范围", "period": "期间", "target amount": "目标金额"}


def reason_text(reason: str | None, lang: str = "zh") -> str:
    """``reason`` (the loader's English) in ``lang``: Chinese for every reason the loader writes, the
    reason as it is otherwise (and always for ``en``)."""
    if reason is None or lang != "zh":
        return reason or ""
    for pattern, zh in _PATTERNS:
        m = re.search(pattern, reason)
        if not m:
            continue
        groups = {k: (v or "").replace("''", "'") for k, v in m.groupdict().items()}
        if "kind" in groups:
            name, key = _KINDS_ZH[groups["kind"]]
            return f"「{groups['v']}」不是已知的{name}；可在映射文件的 [values.{key}] 中添加"
        if "what" in groups:
            groups["what"] = _WHAT_ZH.get(groups["what"], groups["what"])
        return zh.format(**groups)
    return reason


def rule_text(rule: str | None, lang: str = "zh") -> str:
    """A data-quality rule's name in ``lang`` (the rule's key in English)."""
    if rule is None:
        return ""
    if lang != "zh":
        return rule
    if rule.startswith("blank_"):                      # blank_<column>: a required value is missing
        return RULES_ZH["blank"]
    return RULES_ZH.get(rule, rule)
