"""What several outputs share, below reports, dashboard, workbook and CLI (DESIGN.md, "The metric
layer"): number and date formatting (:mod:`.format`), pseudonyms (:mod:`.pseudonyms`), output file
names (:mod:`.names`), the period's state in words (:mod:`.status`), the language
check (:mod:`.lang`), the error-to-exit-code mapping
(:mod:`.exits`) and the atomic writer (:mod:`presales_analytics.atomic`, re-exported here).

Names are imported on first use, so the command line (which needs only the exit mapping) does not pay
for pandas.

>>> from presales_analytics.presentation import fmt_pct, output_name
>>> fmt_pct(0.3125, 1), output_name("dashboard", redact=True)
('31.3%', 'dashboard-redacted.html')
"""

from importlib import import_module

_HOMES = {
    "fixed": ".format", "fmt_amount": ".format", "fmt_pct": ".format", "fmt_cell": ".format",
    "fmt_date": ".format", "fmt_month": ".format", "is_missing": ".format", "MISSING": ".format",
    "Pseudonyms": ".pseudonyms",
    "output_name": ".names", "output_path": ".names", "output_file": ".names",
    "period_banner": ".status", "partial": ".status",
    "LANGS": ".lang", "check_lang": ".lang",
    "EXIT_CODES": ".exits", "exit_code": ".exits", "fail": ".exits", "exit_on_error": ".exits",
    "atomic_path": "..atomic", "write_text_atomic": "..atomic",
}

__all__ = list(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        return getattr(import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module 'presales_analytics.presentation' has no attribute {name!r}")
