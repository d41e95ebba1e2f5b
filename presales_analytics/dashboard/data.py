"""The dashboard's data: one JSON-ready dict, aggregated in DuckDB, small enough to embed in the page.

What the page needs to recompute every number for any choice of its filters (region, department,
grade, director), and where each piece comes from:

- ``cube``: additive counts and sums per (region, department, grade, director, channel, bucket),
  buckets being the period (``cur``), the previous period (``prev``) and the 8 quarters of the trend:
  ``won``, ``closed`` (the win-rate denominator: won + lost + abandoned, or won + lost when
  ``[metrics] exclude_abandoned``), ``won_amount``, ``closed_amount`` (yuan), counting projects closed
  in the bucket exactly as :func:`~presales_analytics.metrics.win_rate.win_rate` does. The page sums
  the cells the filters keep and computes rates and Wilson intervals.
- ``cycle``: per project closed in the period (and the previous one) with a created date, its cell and
  its cycle days (created → closed); the page takes the median of the kept ones, as
  :func:`~presales_analytics.metrics.directors.directors` does (``company_median_cycle_days``).
- ``projects``: the attributes (cell, name, customer) of the projects listed in the tables.
- ``compliance``: per project active in the period (and the previous one): checks due, checks passed
  and a bit mask of the failed checks, from :func:`~presales_analytics.metrics.compliance.compliance`.
- ``scopes``: what is not additive, computed by the library itself for the whole company and for each
  region, department and director **as a scope** (:func:`presales_analytics.scoping.restrict`): the
  stalled projects (their limit is the p75 of the scope's own stays), the compliance rows that differ
  from the company's (a project stalled in one scope and not in another), the director scorecard
  (audit score), stage durations and funnel (overall and per grade), open and weighted pipeline per
  grade, and the scope's own target. With one of region / department / director chosen the page uses
  that scope's numbers (equal to ``presales report --scope``); with several it uses the most specific
  (director, then department, then region) and narrows its lists by the others.

Amounts are yuan, rates fractions, durations days. Nothing here formats or escapes: the page sets all
text with ``textContent``.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import pandas as pd

from ..config import Config
from ..errors import InputError, MissingColumnError
from ..metrics import compute
from ..metrics.base import data_date, scope as base_scope, state_date
from ..periods import Period
from ..scoping import ReportScope, restrict
from ..store import connect

#: the cell dimensions, in the order the cube and the per-project rows hold them
DIMS = ["region", "department", "grade", "director", "channel"]
#: compliance checks, one bit each in ``compliance`` rows' mask (bit i = CHECKS[i] failed)
CHECKS = ["archive_ok", "weekly_ok", "meeting_ok", "summary_ok", "evaluation_ok", "grade_ok"]
#: scope kinds computed per value when the dashboard is for the whole company
SCOPE_KINDS = ["region", "department", "director"]
TREND_QUARTERS = 8


def _num(v):
    """A JSON-safe number: NaN / None -> None, numpy scalars -> Python."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return int(f) if f.is_integer() and abs(f) < 2**53 and not isinstance(v, float) else round(f, 6)


def trend_quarters(p: Period) -> list[Period]:
    """The 8 quarters ending with the quarter that holds the period's last day, oldest first."""
    q = Period.containing("quarter", p.last_day)
    out = [q]
    for _ in range(TREND_QUARTERS - 1):
        out.append(out[-1].previous())
    return out[::-1]


class _Index:
    """Values of one dimension -> small integers (None -> -1), in order of first appearance."""

    def __init__(self) -> None:
        self.values: list[str] = []
        self._pos: dict[str, int] = {}

    def __call__(self, v) -> int:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return -1
        v = str(v)
        if v not in self._pos:
            self._pos[v] = len(self.values)
            self.values.append(v)
        return self._pos[v]


def build_data(database, period: Period, *, config: Config, scope: ReportScope, lang: str = "zh",
               redact: bool = False, pseudonym=None, progress=None) -> dict:
    """Everything the page embeds (see the module docstring), for ``period`` and ``scope``.

    ``pseudonym(kind, name)`` (kind ``customer`` or ``project``) replaces names when ``redact``."""
    if period.grain == "all":
        raise InputError("the dashboard compares a period with the previous one: give a dated period "
                         "(2026-Q3, 2026, 2026-09 …), not all")
    con = connect(database, read_only=True, config=config, wait_seconds=60)
    try:
        restrict(con, scope)
        prev = period.previous()
        idx = {d: _Index() for d in DIMS}
        for d in DIMS:                                   # sorted value lists for the filters
            for (v,) in con.execute(f"SELECT DISTINCT {d} FROM projects WHERE {d} IS NOT NULL ORDER BY 1").fetchall():
                idx[d](v)
        quarters = trend_quarters(period)
        buckets = [("cur", period), ("prev", prev)] + [(str(q), q) for q in quarters]
        cube = _cube(con, config, buckets, idx)
        cycle = {key: _cycle(con, config, per, idx) for key, per in (("cur", period), ("prev", prev))}
        projects: dict[str, list] = {}
        comp = {key: _compliance_rows(compute(con, "compliance", per, config=config), con, config, idx, projects)
                for key, per in (("cur", period), ("prev", prev))}
        targets = {kind: _targets(con, period, kind, config) for kind in ("region", "director")}
        scopes: dict[str, dict] = {"company": _scope_part(con, period, prev, config, idx, projects, None)}
        if scope.is_company:
            values = [(k, v) for k in SCOPE_KINDS for v in idx[k].values]
            for i, (kind, value) in enumerate(values):
                if progress:
                    progress(i + 1, len(values), f"{kind}:{value}")
                c = connect(database, read_only=True, config=config, wait_seconds=60)
                try:
                    restrict(c, ReportScope(kind, value))
                    scopes[f"{kind}:{value}"] = _scope_part(c, period, prev, config, idx, projects, comp)
                finally:
                    c.close()
        named = {r[0] for part in scopes.values() for r in part["stalled_cur"]}
        failing = comp["cur"] + [r for part in scopes.values() for r in part.get("compliance_cur", [])]
        named |= {r[0] for r in failing if r[3]}
        names = _project_names(con, sorted(named), redact, pseudonym)
        latest = data_date(con)
        sd = state_date(con, period, None)
        sd_prev = state_date(con, prev, None)
    finally:
        con.close()
    grade_labels = {g["key"]: g.get(lang, g.get("zh", g["key"])) for g in config.raw.get("grades", [])}
    return {
        "dims": {d: idx[d].values for d in DIMS},
        "grade_labels": [grade_labels.get(g, g) for g in idx["grade"].values],
        "stages": [{"key": s, "label": config.stage_label(s, lang)} for s in config.working_stages + ["won"]],
        "buckets": [b for b, _ in buckets],
        "quarters": [{"key": str(q), "label": q.label(lang)} for q in quarters],
        "cube": cube,
        "cycle": cycle,
        "projects": [[pid, *cells, *names.get(pid, ("", ""))] for pid, cells in projects.items()],
        "compliance": comp,
        "checks": CHECKS,
        "targets": targets,
        "scopes": scopes,
        "dates": {"data": latest.isoformat() if latest else None, "state": sd.isoformat() if sd else None,
                  "state_prev": sd_prev.isoformat() if sd_prev else None},
        "confidence": float(config.raw.get("metrics", {}).get("confidence", 0.95)),
        "small_sample": int(config.raw.get("metrics", {}).get("small_sample", 10)),
    }


def _cells(row, idx) -> list[int]:
    return [idx[d](v) for d, v in zip(DIMS, row)]


def _cube(con, config: Config, buckets: list[tuple[str, Period]], idx) -> list[list]:
    """Rows ``[region, department, grade, director, channel, bucket, won, closed, won_amount,
    closed_amount]`` (dimension values as indexes into ``dims``, bucket as an index into ``buckets``)."""
    exclude = bool(config.raw.get("metrics", {}).get("exclude_abandoned", False))
    counted = ["won", "lost"] if exclude else ["won", "lost", "abandoned"]
    s = base_scope(con, None, config)
    df = s.query(con, """
        , b AS (SELECT unnest($b_i) AS b, unnest($b_s) AS s, unnest($b_e) AS e)
        SELECT region, department, grade, director, channel, b.b AS bucket,
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount,
               CAST(coalesce(sum(amount), 0) AS DOUBLE) AS closed_amount
        FROM prj JOIN b ON prj.closed_at >= b.s AND prj.closed_at < b.e
        WHERE list_contains($counted, status)
        GROUP BY ALL ORDER BY ALL""",
                 {"b_i": list(range(len(buckets))), "b_s": [p.start for _, p in buckets],
                  "b_e": [p.end for _, p in buckets], "counted": counted})
    return [_cells(r[:5], idx) + [int(r[5]), int(r[6]), int(r[7]), _num(r[8]), _num(r[9])]
            for r in df.itertuples(index=False)]


def _cycle(con, config: Config, p: Period, idx) -> list[list[int]]:
    """Rows ``[region, department, grade, director, channel, days]``: projects closed in ``p`` (any
    outcome) with a created date, days from created to closed."""
    s = base_scope(con, None, config)
    df = s.query(con, """
        SELECT region, department, grade, director, channel,
               CAST(date_diff('day', created_at, closed_at) AS BIGINT) AS days
        FROM prj WHERE status <> 'open' AND closed_at >= $s AND closed_at < $e AND created_at IS NOT NULL
        ORDER BY ALL""", {"s": p.start, "e": p.end})
    return [_cells(r[:5], idx) + [int(r[5])] for r in df.itertuples(index=False)]


def _attributes(con, ids: list[str], idx, projects: dict) -> None:
    """Remember the cells of ``ids`` in ``projects`` (project_id -> [5 dimension indexes])."""
    missing = [i for i in ids if i not in projects]
    if not missing:
        return
    rows = con.execute("""SELECT project_id, region, department, grade, director, channel FROM projects
                          WHERE list_contains($ids, project_id)""", {"ids": missing}).fetchall()
    for r in rows:
        projects[r[0]] = _cells(r[1:], idx)


def _compliance_rows(df: pd.DataFrame, con, config, idx, projects: dict) -> list[list]:
    """``[project_id, checks_due, checks_passed, failed mask, status]`` per project."""
    _attributes(con, df["project_id"].tolist(), idx, projects)
    out = []
    for r in df.to_dict("records"):
        mask = sum(1 << i for i, c in enumerate(CHECKS) if r.get(c) is False or r.get(c) == 0)
        out.append([r["project_id"], int(r["checks_due"]), int(r["checks_passed"]), mask, str(r["status"])])
    return out


def _targets(con, p: Period, kind: str, config: Config) -> dict:
    """``{name: [target_cur, target_prev]}`` from the targets metric by ``kind`` (empty without targets)."""
    out: dict[str, list] = {}
    for i, per in enumerate((p, p.previous())):
        try:
            df = compute(con, "targets", per, by=kind, config=config)
        except MissingColumnError:
            return {}
        for r in df.itertuples(index=False):
            if r.scope is None or (isinstance(r.scope, float) and math.isnan(r.scope)):
                continue
            out.setdefault(str(r.scope), [None, None])[i] = _num(r.target_amount)
    return out


def _scope_part(con, p: Period, prev: Period, config: Config, idx, projects: dict, company_comp: dict) -> dict:
    """The non-additive numbers of one scope (``con`` already narrowed), as the library computes them."""
    part: dict = {}
    for key, per in (("cur", p), ("prev", prev)):
        st = compute(con, "stalled", per, config=config)
        _attributes(con, st["project_id"].tolist(), idx, projects)
        part[f"stalled_{key}"] = [[r["project_id"], r["stage"], str(r["entered_at"])[:10], int(r["days_in_stage"]),
                                   _num(r["limit_days"]), _num(r["days_over"]), bool(r["meeting_since_stall"])]
                                  for r in st.to_dict("records")]
        pipe = compute(con, "pipeline", per, config=config)
        part[f"pipeline_{key}"] = [[g, int(n), _num(a), _num(w if not pd.isna(w) else 0.0)] for g, n, a, w in
                                   zip(pipe["grade"], pipe["projects"], pipe["amount"], pipe["weighted_amount"])]
        try:
            t = compute(con, "targets", per, by="company", config=config)
            part[f"target_{key}"] = _num(t["target_amount"].iloc[0]) if len(t) else None
        except MissingColumnError:
            part[f"target_{key}"] = None
        if company_comp is not None:      # None for the company itself: nothing differs
            rows = _compliance_rows(compute(con, "compliance", per, config=config, stalled_projects=st),
                                    con, config, idx, projects)
            base = {r[0]: r for r in company_comp[key]}
            part[f"compliance_{key}"] = [r for r in rows if base.get(r[0]) != r]
    d = compute(con, "directors", p, config=config)
    part["directors"] = [[r["director"], r["rank"], _num(r["score"]), _num(r["score_low"]), _num(r["attainment"]),
                          _num(r["compliance_rate"]), int(r["stalled"])] for r in d.to_dict("records")]
    part["durations"] = _by_grade(con, "stage-durations", p, config, ["projects", "median_days", "p75_days"])
    part["funnel"] = _by_grade(con, "funnel", p, config, ["reached"])
    return part


def _by_grade(con, name: str, p: Period, config: Config, columns: list[str]) -> dict:
    """``{"": {stage: [cols…]}, grade: {stage: [cols…]}}``: the metric overall and per grade."""
    out: dict = {}
    whole = compute(con, name, p, config=config)
    out[""] = {r["stage"]: [_num(r[c]) for c in columns] for r in whole.to_dict("records")}
    try:
        per = compute(con, name, p, by="grade", config=config)
    except MissingColumnError:
        return out
    for r in per.to_dict("records"):
        g = r["grade"]
        if g is None or (isinstance(g, float) and math.isnan(g)):
            continue
        out.setdefault(str(g), {})[r["stage"]] = [_num(r[c]) for c in columns]
    return out


def _project_names(con, ids: list[str], redact: bool, pseudonym) -> dict:
    """project_id -> (name, customer) of the projects a table lists (stalled, or failing a check in the
    period); pseudonyms when ``redact``, numbered in project_id order."""
    rows = con.execute("SELECT project_id, name, customer FROM projects WHERE list_contains($ids, project_id) "
                       "ORDER BY project_id", {"ids": ids}).fetchall()
    out = {}
    for pid, name, customer in rows:
        if redact:
            name = pseudonym("project", name) if name is not None else ""
            customer = pseudonym("customer", customer) if customer is not None else ""
        out[pid] = (name or "", customer or "")
    return out


__all__ = ["build_data", "trend_quarters", "DIMS", "CHECKS"]
