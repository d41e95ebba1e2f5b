"""The management dashboard (``presales dashboard``): one self-contained, offline HTML file.

``data`` aggregates in DuckDB and gathers the per-scope library results, ``page`` assembles the HTML
(template, CSS and JavaScript in ``assets/``), ``command`` is the command. See docs/dashboard.md.
"""

from .command import build_dashboard

__all__ = ["build_dashboard"]
