"""Output file names, one scheme for every output: ``<kind>[-<scope slug>][-redacted][-en].<ext>``
under ``<root>/<period>/`` (reports, the dashboard, the workbook).

A name is at most :data:`MAX_NAME_BYTES` bytes of UTF-8 (file systems allow 255 bytes per path
component, and the writers add a temporary suffix and a hidden stamp beside it): a longer scope slug
(a 75-character director name, a 300-character project id) keeps a readable prefix and ends in ``~``
and 10 hex digits of its sha256, so the same scope always gets the same file.

>>> from presales_analytics.scoping import ReportScope
>>> output_name("audit", scope=ReportScope.parse("region:华东"), redact=True, lang="en")
'audit-region-华东-redacted-en.html'
>>> output_name("project-summary", scope="project-SQ-1"), output_name("audit", scope=ReportScope.parse("company"))
('project-summary-project-SQ-1.html', 'audit.html')
>>> output_path("reports", "2026-Q3", "workbook", ext="xlsx").as_posix()
'reports/2026-Q3/workbook.xlsx'
>>> long = output_name("director-review", scope="director-" + "张" * 75)
>>> long, len(long.encode())
('director-review-director-张张张张张张张张张张张张张张张张张张张张张张张张张张~40fa1d44fc.html', 119)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: output kind -> (中文名, English name): the reports ``presales report`` renders, the dashboard and the
#: workbook (their notebooks: :data:`presales_analytics.reports.kinds.KINDS`)
OUTPUT_TITLES: dict[str, tuple[str, str]] = {
    "audit": ("审计考核报告", "Audit report"),
    "director-review": ("项目总监评价报告", "Director review"),
    "member-review": ("项目成员评价报告", "Member review"),
    "project-summary": ("项目总结", "Project summary"),
    "dashboard": ("管理看板", "Dashboard"),
    "workbook": ("工作簿", "Workbook"),
}

#: the longest output file name, in bytes of UTF-8
MAX_NAME_BYTES = 120
_HASH = 10


def shorten(text: str, max_bytes: int) -> str:
    """``text`` if its UTF-8 is at most ``max_bytes`` bytes, else a prefix of whole characters, ``~`` and
    the first 10 hex digits of the sha256 of the whole ``text`` (stable: same text, same result)."""
    if len(text.encode("utf-8")) <= max_bytes:
        return text
    tail = "~" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:_HASH]
    room = max(max_bytes - len(tail), 0)
    prefix = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return prefix + tail


def output_name(kind: str, *, scope=None, redact: bool = False, lang: str = "zh", ext: str = "html") -> str:
    """``<kind>[-<scope slug>][-redacted][-en].<ext>``, the slug shortened (:func:`shorten`) so that the
    name is at most :data:`MAX_NAME_BYTES` bytes. ``scope``: a
    :class:`~presales_analytics.scoping.ReportScope` (the company's outputs carry no slug), a slug
    already made (``project-SQ-1``), or None."""
    slug = scope if isinstance(scope, str) or scope is None else ("" if scope.is_company else scope.slug)
    head, tail = kind, ("-redacted" if redact else "") + ("-en" if lang == "en" else "") + f".{ext}"
    if slug:
        slug = shorten(slug, MAX_NAME_BYTES - len((head + "-" + tail).encode("utf-8")))
    return head + (f"-{slug}" if slug else "") + tail


def output_path(root: str | os.PathLike, period, kind: str, **options) -> Path:
    """``<root>/<period>/<output_name(kind, **options)>``."""
    return Path(root) / str(period) / output_name(kind, **options)


def output_file(out: str | os.PathLike | None, default: str | os.PathLike) -> Path:
    """The file a writer's ``--out`` names: ``default`` without one; ``out`` itself when it names a file;
    and when it names a folder, an existing one or any path ending in ``/``, the default's file name
    inside it (the folder is made if need be), as ``cp`` does.

    >>> output_file(None, "reports/2026-Q3/dashboard.html").as_posix()
    'reports/2026-Q3/dashboard.html'
    >>> output_file("板.html", "reports/2026-Q3/dashboard.html").as_posix()
    '板.html'
    >>> output_file("share/", "reports/2026-Q3/dashboard.html").as_posix()
    'share/dashboard.html'
    """
    if out is None:
        return Path(default)
    text = os.fspath(out)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        return Path(text) / Path(default).name
    return Path(text)


__all__ = ["output_file", "output_name", "output_path", "shorten", "MAX_NAME_BYTES", "OUTPUT_TITLES"]
