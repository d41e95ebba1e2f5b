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
         "generate_demo": ".demo"}

__all__ = [
    "__version__", "connect", "load", "validate", "LoadReport", "Period", "generate_demo",
    "load_config", "Config", "PresalesError", "InputError", "DatabaseBusyError", "MissingColumnError",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'presales_analytics' has no attribute {name!r}")
