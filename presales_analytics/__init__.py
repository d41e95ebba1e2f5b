"""presales-analytics: presales pipeline exports in, 审计考核 audit out.

The public surface is small; everything else is private to the package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("presales-analytics")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

from .config import Config, load_config
from .errors import DatabaseBusyError, InputError, MissingColumnError, PresalesError
from .store import connect

__all__ = [
    "__version__", "connect", "load_config", "Config",
    "PresalesError", "InputError", "DatabaseBusyError", "MissingColumnError",
]
