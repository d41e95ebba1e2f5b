"""What every output says about its period's state (DESIGN.md "Periods"; issue 10): a period still in
progress carries a banner "截至 <data date>，期间未结束" and its comparisons are labelled partial; ``all``
says that it is compared with nothing. The states are :func:`presales_analytics.periods.period_state`'s.

>>> from datetime import date
>>> from presales_analytics.periods import Period
>>> period_banner(Period.parse("2026-Q4"), date(2026, 12, 3)), period_banner(Period.parse("2026-Q4"), date(2026, 12, 3), "en")
('截至 2026年12月3日，期间未结束', 'as of 2026-12-03, period not finished')
>>> period_banner(Period.parse("all"), date(2026, 12, 3)), period_banner(Period.parse("2026-Q3"), date(2026, 12, 3))
('全部数据（截至 2026年12月3日），不与其他期间对比', None)
>>> partial(Period.parse("2026-Q4"), date(2026, 12, 3), "上季度"), partial(Period.parse("2026-Q3"), date(2026, 12, 3), "上季度")
('上季度（部分期间）', '上季度')
"""

from __future__ import annotations

from ..periods import IN_PROGRESS, period_state
from .format import fmt_date


def period_banner(period, data_day, lang: str = "zh") -> str | None:
    """The banner of an output of ``period`` with data up to ``data_day``; None for a complete period."""
    if period.grain == "all":
        return (f"全部数据（截至 {fmt_date(data_day, 'zh')}），不与其他期间对比" if lang == "zh"
                else f"all data (up to {fmt_date(data_day, 'en')}): no comparison with another period")
    if period_state(period, data_day) == IN_PROGRESS:
        return (f"截至 {fmt_date(data_day, 'zh')}，期间未结束" if lang == "zh"
                else f"as of {fmt_date(data_day, 'en')}, period not finished")
    return None


def partial(period, data_day, against: str, lang: str = "zh") -> str:
    """``against`` (the period compared with, in words) marked as a partial comparison when ``period`` is
    still in progress."""
    if period_state(period, data_day) != IN_PROGRESS:
        return against
    return f"{against}（部分期间）" if lang == "zh" else f"{against} (partial)"


__all__ = ["period_banner", "partial"]
