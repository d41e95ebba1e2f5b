"""Validation rules: which rows are rejected and which are loaded with a data-quality warning.

| rule | table | effect | why |
|---|---|---|---|
| value not readable (date, amount, stage ...) | all | reject | never guess a value |
| blank project id / stage / date / kind | all | reject | the row cannot be placed |
| no stage and no status | projects | reject | the project's state is unknown |
| status contradicts a terminal stage | projects | reject | which one is true is unknown |
| duplicate project id (target scope+period) in one file | projects, targets | reject all but the last row | the last row of an export is its latest |
| project id not in `projects` | stage_events, activities, documents | reject | load the projects export first (or in the same command) |
| negative target | targets | reject | not a target |
| negative amount or collected amount | projects | warning | kept: a credit note or a typo, the row is otherwise usable |
| closed before created | projects | warning | kept: CRMs have deals entered after the fact; its win and amount count |
| a date outside 1990-2100 | all | warning | kept: likely a placeholder (0001-01-01, 9999-12-31) |
| satisfaction outside 0-100 | projects | warning | kept: no scale (1-5 scores, 0-100 percentages) has it |
| won/lost/abandoned without a closed date | projects | warning | kept; period metrics cannot place it |
| closed date on an open project | projects | warning | kept; the date is ignored by period metrics |
| collected more than the amount | projects | warning | kept |
| initiated before created | projects | warning | kept |
| stage entered before the project was created | stage_events (any shape) | warning | kept |

Only rows that no metric can use are rejected; a suspicious value that some metric can use is
loaded, and the row is flagged (``data_quality``: rule, column, value, message).

A warning is only raised for a column the export has: an export without a closed-date column
produces no "without a closed date" warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config
from ..sql import sql_literal

_TYPES = {"id": "VARCHAR", "text": "VARCHAR", "date": "DATE", "close_date": "DATE",
          "amount": "DECIMAL(18,2)", "number": "DOUBLE", "stage": "VARCHAR", "status": "VARCHAR",
          "grade": "VARCHAR", "activity": "VARCHAR", "document": "VARCHAR", "scope": "VARCHAR",
          "period": "VARCHAR"}


def sql_type(kind: str) -> str:
    return _TYPES[kind]


@dataclass(frozen=True)
class Rule:
    name: str          # short key, stored as data_quality.rule for warnings
    column: str        # the canonical column the finding is about
    reason: str        # SQL expression: the message when the rule fires, else NULL
    severity: str      # "reject" or "warn"
    needs: tuple[str, ...] = ()   # columns the export must have for the rule to apply

    @property
    def result(self) -> str:
        """The checked statement's column of this rule's finding (one rule name can cover several
        columns, e.g. date_out_of_range)."""
        return f"{'rej' if self.severity == 'reject' else 'warn'}_{self.name}_{self.column}"


def _in(values: list[str]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def derived_columns(table: str, config: Config) -> dict[str, str]:
    """SQL of columns computed from the parsed ones (projects: final status, working stage, dates)."""
    if table != "projects":
        return {}
    terminal = _in(config.terminal_stages)
    status = (f"CASE WHEN status IS NOT NULL THEN status WHEN stage IN {terminal} THEN stage "
              "WHEN stage IS NOT NULL THEN 'open' END")
    return {
        "status_final": status,
        "stage_final": f"CASE WHEN stage IN {terminal} THEN NULL ELSE stage END",
        "closed_final": f"coalesce(closed_at, CASE WHEN ({status}) <> 'open' THEN close_date END)",
        "expected_final": f"coalesce(expected_close_at, CASE WHEN ({status}) = 'open' THEN close_date END)",
    }


def _blank(column: str, what: str) -> Rule:
    return Rule(f"blank_{column}", column,
                f"CASE WHEN {column} IS NULL AND err_{column} IS NULL THEN 'blank {what}: every row needs one' END",
                "reject", (column,))


#: Dates outside these years (inclusive) are flagged: likely placeholders such as 0001-01-01.
DATE_YEARS = (1990, 2100)
#: Satisfaction outside this range is on no scale (1-5 scores and 0-100 percentages are inside).
SATISFACTION_SCALE = (0, 100)


def _date_ranges(columns: list[str]) -> list[Rule]:
    """One warning rule per date column: a date outside :data:`DATE_YEARS`. A rule needs its column:
    the closed date also comes from Salesforce's Close Date (``close_date``)."""
    lo, hi = DATE_YEARS
    return [Rule("date_out_of_range", c,
                 f"CASE WHEN {c} < DATE '{lo}-01-01' OR {c} > DATE '{hi}-12-31' THEN '{c} ' || {c} || "
                 f"' is outside {lo}-{hi}: is it a placeholder? kept' END", "warn",
                 (c, "close_date") if c in ("closed_at", "expected_close_at") else (c,))
            for c in columns]


#: Tables whose rows belong to a project: their checked rows see the project as ``_project_id``
#: (NULL when unknown) and ``_project_created`` (see :mod:`.parse`).
CHILD_TABLES = ("stage_events", "activities", "documents")

_UNKNOWN_PROJECT = Rule(
    "unknown_project", "project_id",
    "CASE WHEN project_id IS NOT NULL AND _project_id IS NULL "
    "THEN 'project ''' || project_id || ''' is not in projects: load the projects export first "
    "(or in the same command)' END", "reject")


def rules(table: str, config: Config) -> list[Rule]:
    terminal = _in(config.terminal_stages)
    if table == "projects":
        return [
            _blank("project_id", "project id"),
            Rule("no_stage_or_status", "stage",
                 "CASE WHEN status_final IS NULL AND err_stage IS NULL AND err_status IS NULL "
                 "THEN 'no stage and no status: give one of them' END", "reject"),
            Rule("status_contradicts_stage", "status",
                 f"CASE WHEN stage IN {terminal} AND status IS NOT NULL AND status <> stage THEN "
                 "'status ''' || trim(_r_status) || ''' contradicts stage ''' || trim(_r_stage) || '''' END", "reject"),
            Rule("negative_amount", "amount",
                 "CASE WHEN amount < 0 THEN 'negative amount: ' || amount || ' yuan; kept' END", "warn"),
            Rule("negative_collected", "collected_amount",
                 "CASE WHEN collected_amount < 0 THEN 'negative collected amount: ' || collected_amount "
                 "|| ' yuan; kept' END", "warn"),
            Rule("closed_before_created", "closed_at",
                 "CASE WHEN closed_final < created_at THEN 'closed ' || closed_final || ' before it was created ' "
                 "|| created_at || ': one of the dates is wrong; kept' END", "warn"),
            Rule("satisfaction_out_of_scale", "satisfaction",
                 f"CASE WHEN satisfaction < {SATISFACTION_SCALE[0]} OR satisfaction > {SATISFACTION_SCALE[1]} THEN "
                 "'satisfaction ' || satisfaction || ' is outside its scale "
                 f"({SATISFACTION_SCALE[0]}-{SATISFACTION_SCALE[1]}, or 1-5 for a score); kept' END", "warn",
                 ("satisfaction",)),
            *_date_ranges(["created_at", "initiated_at", "expected_close_at", "closed_at"]),
            Rule("closed_without_date", "closed_at",
                 f"CASE WHEN status_final IN {terminal} AND closed_final IS NULL THEN "
                 "'status ' || status_final || ' but no closed date: period metrics cannot place this project' END",
                 "warn", ("closed_at", "close_date")),
            Rule("open_with_close_date", "closed_at",
                 "CASE WHEN status_final = 'open' AND closed_at IS NOT NULL THEN "
                 "'open project with a closed date ' || closed_at || ': the date is ignored' END",
                 "warn", ("closed_at",)),
            Rule("collected_exceeds_amount", "collected_amount",
                 "CASE WHEN collected_amount > amount THEN 'collected ' || collected_amount || "
                 "' yuan, more than the amount ' || amount || ' yuan' END", "warn"),
            Rule("initiated_before_created", "initiated_at",
                 "CASE WHEN initiated_at < created_at THEN 'initiated ' || initiated_at || "
                 "' before it was created ' || created_at END", "warn"),
        ]
    if table == "stage_events":
        return [
            _blank("project_id", "project id"), _blank("stage", "stage"), _blank("entered_at", "date"),
            _UNKNOWN_PROJECT, *_date_ranges(["entered_at"]),
            Rule("event_before_created", "entered_at",
                 "CASE WHEN entered_at < _project_created THEN 'entered ' || stage || ' on ' || entered_at "
                 "|| ', before the project was created ' || _project_created END", "warn", ("entered_at",)),
        ]
    if table == "activities":
        return [_blank("project_id", "project id"), _blank("kind", "activity kind"), _UNKNOWN_PROJECT,
                *_date_ranges(["date"])]
    if table == "documents":
        return [_blank("project_id", "project id"), _blank("doc_type", "document type"), _UNKNOWN_PROJECT,
                *_date_ranges(["date"])]
    if table == "targets":
        return [_blank("scope", "scope"), _blank("period", "period"), _blank("amount", "target amount"),
                Rule("negative_target", "amount",
                     "CASE WHEN amount < 0 THEN 'negative target: ' || amount || ' yuan' END", "reject")]
    raise ValueError(table)


#: The key within which only the last row of a file is loaded.
DEDUP_KEYS = {"projects": ["project_id"], "targets": ["scope", "period"]}
