"""presales-analytics: presales pipeline exports in, 审计考核 audit out.

The public surface is small; everything else is private to the package. Heavier parts (ingest,
demo) are imported on first use, so the command line starts quickly.

>>> import presales_analytics as pa
>>> con = pa.connect(":memory:")
>>> str(pa.Period.parse("2026年第3季度"))
'2026-Q3'
"""

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


def compute(con, name: str, period=None, *, scope: str = "company", by: str | None = None,
            as_of=None, config: Config | None = None, **options):
    r"""One metric as a DataFrame: ``name`` from :func:`metrics` (``pa.metrics()`` lists them,
    ``pa.metrics.SPECS[name]`` is a metric's spec: columns, labels, units, denominator, options),
    ``period`` a :class:`Period` or its text (None: ``all``), ``scope`` ``company`` or
    ``region:<name>``, ``department:<name>``, ``director:<name>``, ``by`` a dimension, ``as_of`` a date
    (only what was known then), ``config`` a :class:`Config` (default: :func:`load_config`, i.e.
    ``presales.toml`` or ``$PRESALES_CONFIG``), ``options`` the metric's own (``exclude_abandoned=True``
    …; a misspelt one is refused naming the valid ones). The denominator is in ``df.attrs``. ``con``
    is never changed: the metric runs on a private cursor of it.

    >>> import pathlib, tempfile, presales_analytics as pa
    >>> export = pathlib.Path(tempfile.mkdtemp()) / "商机.csv"
    >>> _ = export.write_text("项目编号,项目总监,区域,状态,结束日期\nP1,张伟,华东,won,2026-08-01\n"
    ...                       "P2,张伟,华东,lost,2026-09-01\nP3,李娜,华北,won,2026-07-15\n", encoding="utf-8")
    >>> con = pa.connect(":memory:"); _ = pa.load(con, [export])
    >>> pa.compute(con, "win-rate", "2026-Q3", by="director")[["director", "won", "closed"]].values.tolist()
    [['张伟', 1, 2], ['李娜', 1, 1]]
    >>> pa.compute(con, "win-rate", "2026-Q3", scope="region:华北")[["won", "closed"]].values.tolist()
    [[1, 1]]
    >>> pa.compute(con, "win-rate", "2026-Q3", basis="cohrt")
    Traceback (most recent call last):
    ...
    presales_analytics.errors.InputError: metric win-rate: basis='cohrt' is not one of closed, cohort
    """
    from .metrics import MetricContext
    from .metrics import compute as compute_metric
    from .metrics.base import check_scope

    with MetricContext(con, scope=scope, config=config or load_config(), as_of=as_of) as ctx:
        check_scope(ctx)
        if by is not None:
            options["by"] = by
        return compute_metric(ctx, name, period, **options)


def __getattr__(name: str):
    if name == "metrics":   # the subpackage, callable: pa.metrics() lists the names, pa.metrics.SPECS the specs
        return import_module(".metrics", __name__)
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'presales_analytics' has no attribute {name!r}")
