"""The metrics of the audit (docs/metrics.md): pure functions ``f(ctx, period, *, by, …) -> DataFrame``.

``SPECS`` is the registry: one :class:`~presales_analytics.metrics.spec.MetricSpec` per metric, by its
command-line name, in the order the command line and the docs list them. It is the only list of
metrics: the CLI (``presales metrics``), the reports, the workbook, the dashboard and docs/metrics.md
read it. ``METRICS`` is the same mapping (the name it had before the specs).

>>> list(SPECS)[:3]
['win-rate', 'stage-durations', 'cycle-time']
>>> SPECS["win-rate"].column("win_rate").label("zh")
'赢单率'
"""

from __future__ import annotations

import sys
import types
from typing import Callable

import pandas as pd

from ..errors import InputError
from . import (bids, channels, collection, competitors, compliance, customers, directors, durations, forecast,
               funnel, headline, losses, members, pipeline, stalled, targets, win_rate)
from .context import MetricContext
from .spec import Column, MetricSpec, Option

SPECS: dict[str, MetricSpec] = {spec.name: spec for spec in (
    win_rate.SPEC, durations.STAGE_SPEC, durations.CYCLE_SPEC, funnel.SPEC, stalled.SPEC, directors.SPEC,
    channels.SPEC, targets.SPEC, pipeline.SPEC, compliance.SPEC, pipeline.SUMMARY_SPEC, pipeline.SLIPPAGE_SPEC,
    headline.SPEC, bids.SPEC, competitors.SPEC, competitors.TREND_SPEC, losses.SPEC, customers.SPEC, collection.SPEC,
    members.SPEC, forecast.SPEC)}

#: the registry under its earlier name
METRICS = SPECS

#: options every metric takes besides its own
COMMON_OPTIONS = ("by", "as_of", "config")


def spec(name: str) -> MetricSpec:
    """The spec of a metric by its command-line name (``win-rate``; ``win_rate`` is accepted too)."""
    key = str(name).strip().lower().replace("_", "-")
    if key not in SPECS:
        raise InputError(f"unknown metric {name!r}; the metrics are: {', '.join(SPECS)}")
    return SPECS[key]


def metric_function(name: str) -> Callable[..., pd.DataFrame]:
    """The function behind a metric's command-line name (``win-rate`` …)."""
    return spec(name).function


def check_options(metric: MetricSpec, options: dict) -> None:
    """Refuse an option the metric does not take, naming the ones it does (not a TypeError)."""
    allowed = ([] if not metric.by else ["by"]) + ["as_of", "config"] + metric.option_names
    unknown = [k for k in options if k not in allowed and not (k == "by" and options[k] is None)]
    if unknown:
        raise InputError(f"metric {metric.name} has no option {', '.join(map(repr, unknown))}; "
                         f"its options are: {', '.join(allowed)}")
    for option in metric.options:
        value = options.get(option.name)
        if option.choices and value is not None and value not in option.choices:
            raise InputError(f"metric {metric.name}: {option.name}={value!r} is not one of "
                             f"{', '.join(map(str, option.choices))}")


def compute(con, name: str, period=None, **options) -> pd.DataFrame:
    """``compute(con_or_ctx, "win-rate", "2026-Q3", by="director")``: one metric by its command-line
    name; an option the metric does not take is refused naming the valid ones."""
    metric = spec(name)
    check_options(metric, options)
    return metric.function(con, period, **options)


class _Registry(types.ModuleType):
    """This package, callable: ``pa.metrics()`` is the list of the metrics' names, in registry order."""

    def __call__(self) -> list[str]:
        return list(SPECS)


sys.modules[__name__].__class__ = _Registry

__all__ = ["SPECS", "METRICS", "spec", "metric_function", "compute", "check_options", "MetricContext",
           "MetricSpec", "Column", "Option", "COMMON_OPTIONS"]
