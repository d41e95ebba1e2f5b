"""Output file names, one scheme for every output: ``<kind>[-<scope slug>][-redacted][-en].<ext>``
under ``<root>/<period>/`` (reports, the dashboard, the workbook).

>>> from presales_analytics.scoping import ReportScope
>>> output_name("audit", scope=ReportScope.parse("region:华东"), redact=True, lang="en")
'audit-region-华东-redacted-en.html'
>>> output_name("project-summary", scope="project-SQ-1"), output_name("audit", scope=ReportScope.parse("company"))
('project-summary-project-SQ-1.html', 'audit.html')
>>> output_path("reports", "2026-Q3", "workbook", ext="xlsx").as_posix()
'reports/2026-Q3/workbook.xlsx'
"""

from __future__ import annotations

import os
from pathlib import Path


def output_name(kind: str, *, scope=None, redact: bool = False, lang: str = "zh", ext: str = "html") -> str:
    """``<kind>[-<scope slug>][-redacted][-en].<ext>``. ``scope``: a
    :class:`~presales_analytics.scoping.ReportScope` (the company's outputs carry no slug), a slug
    already made (``project-SQ-1``), or None."""
    slug = scope if isinstance(scope, str) or scope is None else ("" if scope.is_company else scope.slug)
    return (kind + (f"-{slug}" if slug else "") + ("-redacted" if redact else "")
            + ("-en" if lang == "en" else "") + f".{ext}")


def output_path(root: str | os.PathLike, period, kind: str, **options) -> Path:
    """``<root>/<period>/<output_name(kind, **options)>``."""
    return Path(root) / str(period) / output_name(kind, **options)


__all__ = ["output_name", "output_path"]
