"""Validation rules: which rows are rejected and which are loaded with a data-quality warning.

| rule | table | effect | why |
|---|---|---|---|
| value not readable (date, amount, stage ...) | all | reject | never guess a value |
| blank project id / stage / date / kind | all | reject | the row cannot be placed |
| no stage and no status | projects | reject | the project's state is unknown |
| status contradicts a terminal stage | projects | reject | which one is true is unknown |
| negative amount or collected amount | projects, targets | reject | not a sales amount |
| closed before created | projects | reject | one of the dates is wrong |
| duplicate project id (target scope+period) in one file | projects, targets | reject all but the last row | the last row of an export is its latest |
| project id not in `projects` | stage_events, activities, documents | reject | load the projects export first (or in the same command) |
| won/lost/abandoned without a closed date | projects | warning | kept; period metrics cannot place it |
| closed date on an open project | projects | warning | kept; the date is ignored by period metrics |
| collected more than the amount | projects | warning | kept |
| initiated before created | projects | warning | kept |
| stage entered before the project was created | stage_events (any shape) | warning | kept |

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
                 "CASE WHEN amount < 0 THEN 'negative amount: ' || amount || ' yuan' END", "reject"),
            Rule("negative_collected", "collected_amount",
                 "CASE WHEN collected_amount < 0 THEN 'negative collected amount: ' || collected_amount || ' yuan' END",
                 "reject"),
            Rule("closed_before_created", "closed_at",
                 "CASE WHEN closed_final < created_at THEN 'closed ' || closed_final || ' before it was created ' "
                 "|| created_at END", "reject"),
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
            _UNKNOWN_PROJECT,
            Rule("event_before_created", "entered_at",
                 "CASE WHEN entered_at < _project_created THEN 'entered ' || stage || ' on ' || entered_at "
                 "|| ', before the project was created ' || _project_created END", "warn", ("entered_at",)),
        ]
    if table == "activities":
        return [_blank("project_id", "project id"), _blank("kind", "activity kind"), _UNKNOWN_PROJECT]
    if table == "documents":
        return [_blank("project_id", "project id"), _blank("doc_type", "document type"), _UNKNOWN_PROJECT]
    if table == "targets":
        return [_blank("scope", "scope"), _blank("period", "period"), _blank("amount", "target amount"),
                Rule("negative_target", "amount",
                     "CASE WHEN amount < 0 THEN 'negative target: ' || amount || ' yuan' END", "reject")]
    raise ValueError(table)


#: The key within which only the last row of a file is loaded.
DEDUP_KEYS = {"projects": ["project_id"], "targets": ["scope", "period"]}
