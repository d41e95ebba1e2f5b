"""Exports for spreadsheets: ``write_workbook`` writes the tables behind the management dashboard as
an .xlsx workbook (``presales export xlsx``; sheets, columns and units in docs/export.md).

Imported lazily, so that the command line (which imports :mod:`.command`) starts quickly.

>>> from presales_analytics.exporting import default_path
>>> default_path("2026-Q3", lang="en").as_posix()
'reports/2026-Q3/workbook-en.xlsx'
"""

from importlib import import_module

__all__ = ["write_workbook", "default_path"]


def __getattr__(name: str):
    if name in __all__:
        return getattr(import_module(".workbook", __name__), name)
    raise AttributeError(f"module 'presales_analytics.exporting' has no attribute {name!r}")
