"""A metric column's label, unit and format, as every output shows it: read from the metric's spec.

The spec (``presales_analytics.metrics.SPECS[name].column(key)``) is the one place a figure's name,
kind and unit are defined; the reports' tables, the dashboard and the workbook take them from here, so
one figure has one name and one format everywhere (tests/test_labels.py compares every output with
the specs).

>>> header(metric_column("win-rate", "won_amount")), header(metric_column("win-rate", "won_amount"), "en")
('赢单金额（万元）', 'Won amount')
>>> header(metric_column("directors", "score"))
'审计考核得分'
"""

from __future__ import annotations

from ..metrics import SPECS
from ..metrics.columns import SHARED
from ..metrics.spec import Column

#: the unit a table header carries in Chinese for a kind (amounts print without their unit in cells)
_HEADER_UNIT = {"amount": "（万元）"}


def metric_column(metric: str, key: str) -> Column:
    """The spec column ``key`` of ``metric``, or for a ``--by`` breakdown column the metric does not
    list (director, region …) the shared column of that name; a KeyError names the metric's columns."""
    spec = SPECS[metric]
    if not spec.has(key) and key in SHARED:
        return SHARED[key]
    return spec.column(key)


def header(column: Column, lang: str = "zh") -> str:
    """A table header for ``column``: its label, with the unit its cells leave out (万元 in Chinese;
    English amounts print as ¥ in full and need none)."""
    label = column.label(lang)
    return label + _HEADER_UNIT.get(column.kind, "") if lang == "zh" else label


def table_columns(metric: str, *keys: str, shown: dict[str, str] | None = None) -> dict[str, tuple[str, str, str]]:
    """``{table column: (zh header, en header, kind)}`` for :meth:`ReportContext.table`, from the spec:
    ``keys`` are spec column keys; ``shown`` maps a key to the table column that holds its display text."""
    shown = shown or {}
    out = {}
    for key in keys:
        c = metric_column(metric, key)
        out[shown.get(key, key)] = (header(c, "zh"), header(c, "en"), "text" if key in shown else c.kind)
    return out


__all__ = ["metric_column", "header", "table_columns"]
