"""The metrics of the audit (docs/metrics.md): pure functions ``f(con, period, *, by, as_of, …) -> DataFrame``.

``METRICS`` maps each command-line name to ``module:function``; functions are imported on use.
"""

from __future__ import annotations

from importlib import import_module
from typing import Callable

import pandas as pd

from ..errors import InputError

METRICS: dict[str, str] = {
    "win-rate": "win_rate:win_rate",
    "stage-durations": "durations:stage_durations",
    "cycle-time": "durations:cycle_time",
    "funnel": "funnel:funnel",
    "stalled": "stalled:stalled",
    "directors": "directors:directors",
    "channels": "channels:channels",
    "targets": "targets:targets",
    "pipeline": "pipeline:pipeline",
    "compliance": "compliance:compliance",
}


def metric_function(name: str) -> Callable[..., pd.DataFrame]:
    """The function behind a metric's command-line name (``win-rate`` …)."""
    key = name.strip().lower().replace("_", "-")
    if key not in METRICS:
        raise InputError(f"unknown metric {name!r}; the metrics are: {', '.join(METRICS)}")
    module, function = METRICS[key].split(":")
    return getattr(import_module(f".{module}", __name__), function)


def compute(con, name: str, period=None, **options) -> pd.DataFrame:
    """``compute(con, "win-rate", "2026-Q3", by="director")``: one metric by its command-line name."""
    return metric_function(name)(con, period, **options)


__all__ = ["METRICS", "metric_function", "compute"]
