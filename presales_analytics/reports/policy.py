"""The policy's thresholds the reports judge figures against (one home: the findings, the director
review's 问题与建议, the KPI tiles and every table cell that falls below one, marked ``fails``)."""

from __future__ import annotations

#: a compliance rate (policy checks passed ÷ checks due, or one check's pass rate) below this is a finding
COMPLIANCE_FLOOR = 0.8

#: metric column -> the value below which it fails the policy: every compliance rate below the floor,
#: target attainment below 100%
FLOORS: dict[str, float] = {
    "compliance_rate": COMPLIANCE_FLOOR, "archive_rate": COMPLIANCE_FLOOR, "weekly_coverage": COMPLIANCE_FLOOR,
    "meeting_rate": COMPLIANCE_FLOOR, "summary_rate": COMPLIANCE_FLOOR, "evaluation_rate": COMPLIANCE_FLOOR,
    "attainment": 1.0,
}


def fails(column: str, value) -> bool:
    """Whether ``value`` of metric column ``column`` is below its policy floor (missing values never fail).

    >>> fails("meeting_rate", 0.0), fails("attainment", 1.0), fails("win_rate", 0.0), fails("archive_rate", None)
    (True, False, False, False)
    """
    floor = FLOORS.get(column)
    if floor is None or value is None:
        return False
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return v == v and v < floor


__all__ = ["COMPLIANCE_FLOOR", "FLOORS", "fails"]
