"""presales-analytics: presales pipeline exports in, 审计考核 audit out.

The public surface is small; everything else is private to the package. Heavier parts (ingest,
demo) are imported on first use, so the command line starts quickly.

>>> import presales_analytics as pa
>>> con = pa.connect(":memory:")
>>> str(pa.Period.parse("2026年第3季度"))
'2026-Q3'
"""

import sys
import types
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("presales-analytics")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from .config import Config, load_config
from .errors import DatabaseBusyError, InputError, MissingColumnError, PresalesError
from .periods import Period
from .store import connect

_LAZY = {"load": ".ingest.load", "validate": ".ingest.load", "LoadReport": ".ingest.load",
         "generate_demo": ".demo", "ReportScope": ".scoping", "report_period": ".metrics.base",
         "plot_win_rate": ".charts", "use_offline_renderer": ".reports.offline"}

__all__ = [
    "__version__", "connect", "load", "validate", "LoadReport", "Period", "generate_demo",
    "load_config", "Config", "PresalesError", "InputError", "DatabaseBusyError", "MissingColumnError",
    "metrics", "compute", "ReportScope", "report_period", "plot_win_rate", "use_offline_renderer",
]


class _Package(types.ModuleType):
    """This package, keeping :func:`metrics` (the function) when the subpackage of the same name is
    first imported: Python binds ``presales_analytics.metrics`` (the module) here by name then."""

    def __setattr__(self, name, value):
        if name == "metrics" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


# metrics() and compute() are thin front doors over presales_analytics.metrics (compute, METRICS) and
# scoping.restrict, for notebooks/explore.ipynb; the metric layer (issue 9) gives them their bodies.
def metrics() -> list[str]:
    """The metrics' names, as :func:`compute` and ``presales metrics NAME`` take them
    (definitions and denominators: docs/metrics.md).

    >>> "win-rate" in metrics() and "compliance" in metrics()
    True
    """
    from .metrics import METRICS

    return list(METRICS)


def compute(con, name: str, period=None, *, scope: str = "company", by: str | None = None,
            as_of=None, **options):
    r"""One metric as a DataFrame: ``name`` from :func:`metrics`, ``period`` a :class:`Period` or its
    text (None: ``all``), ``scope`` ``company`` or ``region:<name>``, ``department:<name>``,
    ``director:<name>`` (computed on a cursor of ``con`` narrowed to the scope, so ``con`` itself keeps
    seeing every project), ``by`` a dimension, ``as_of`` a date (only what was known then), ``options``
    the metric's own (``exclude_abandoned=True`` …). The denominator is in ``df.attrs``.

    >>> import pathlib, tempfile, presales_analytics as pa
    >>> export = pathlib.Path(tempfile.mkdtemp()) / "商机.csv"
    >>> _ = export.write_text("项目编号,项目总监,区域,状态,结束日期\nP1,张伟,华东,won,2026-08-01\n"
    ...                       "P2,张伟,华东,lost,2026-09-01\nP3,李娜,华北,won,2026-07-15\n", encoding="utf-8")
    >>> con = pa.connect(":memory:"); _ = pa.load(con, [export])
    >>> pa.compute(con, "win-rate", "2026-Q3", by="director")[["director", "won", "closed"]].values.tolist()
    [['张伟', 1, 2], ['李娜', 1, 1]]
    >>> pa.compute(con, "win-rate", "2026-Q3", scope="region:华北")[["won", "closed"]].values.tolist()
    [[1, 1]]
    """
    from .metrics import compute as compute_metric
    from .scoping import ReportScope, restrict
    from .store import cursor

    if ReportScope.parse(scope).is_company:
        return compute_metric(con, name, period, by=by, as_of=as_of, **options)
    scoped = cursor(con)
    try:
        restrict(scoped, scope)
        return compute_metric(scoped, name, period, by=by, as_of=as_of, **options)
    finally:
        scoped.close()


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'presales_analytics' has no attribute {name!r}")
