"""The dashboard's data: one JSON-ready dict, aggregated in DuckDB, small enough to embed in the page.

What the page needs to recompute every number for any choice of its filters (region, department,
grade, director), and where each piece comes from. A *cell* is one (region, department, grade,
director) combination (``cells``: their value indexes into ``dims``); everything additive is summed
per cell in DuckDB, and the page adds up the cells its filters keep.

- ``cube``: ``[cell, bucket, won, closed, won_amount]``, buckets being the period (``cur``), the
  previous period (``prev``) and the 8 quarters of the trend; ``closed`` is the win-rate denominator
  (won + lost + abandoned, or won + lost with ``[metrics] exclude_abandoned``) and amounts are yuan,
  counting projects closed in the bucket exactly as :func:`~presales_analytics.metrics.win_rate.win_rate`
  does; the page computes rates and Wilson intervals from the sums. ``channels``: the period's won
  amount per cell and channel partner (-1 = direct).
- ``cycle``: ``[cell, days]`` per project closed in the period (and the previous one) with a created
  date; the page takes the median of the kept ones, as the scorecard's company median does.
- ``compliance``: per cell, checks due and passed (and, for the period, projects checked, projects
  with a failed check and failures per check), from :func:`~presales_analytics.metrics.compliance.compliance`.
  A project's checks do not depend on the scope (its stall is judged by the company's limit), so these
  cells serve every filter.
- ``scopes``: what is not additive, computed by the library itself for the whole company and for each
  region, department and director **as a scope**, all of them in one pass per metric (a
  :class:`~presales_analytics.metrics.context.MetricContext` grouping by company, region, department
  and director):
  stalled projects per cell and the most overdue listed (``STALLED_ROWS``; details in ``projects``),
  the director scorecard (audit score), stage
  durations and funnel (overall and per grade), open and weighted pipeline per grade, and the scope's
  own target. With one of region / department / director chosen the page uses that scope's numbers
  (equal to ``presales report --scope``); with several it uses the most specific (director, then
  department, then region) narrowed by the others.

Amounts are yuan, rates fractions, durations days. Nothing here formats or escapes: the page sets all
text with ``textContent``.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from ..config import Config
from ..errors import MissingColumnError
from ..metrics import compute
from ..metrics.base import check_scope, data_date, scope as base_scope, state_date
from ..metrics.context import MetricContext
from ..metrics.competitors import TREND_SPEC, trend_quarters as rival_quarters
from ..metrics.members import members_by_role
from ..presentation.order import order_rows
from ..periods import Period
from ..scoping import ReportScope
from ..store import connect

#: the cell dimensions, in the order the cube and the per-project rows hold them
DIMS = ["region", "department", "grade", "director", "channel"]
#: compliance checks, one bit each in ``compliance`` rows' mask (bit i = CHECKS[i] failed)
CHECKS = ["archive_ok", "weekly_ok", "meeting_ok", "summary_ok", "evaluation_ok", "grade_ok"]
#: scope kinds computed per value when the dashboard is for the whole company
SCOPE_KINDS = ["region", "department", "director"]
TREND_QUARTERS = 8
#: stalled projects listed: the most overdue 300 of the whole dashboard, 50 of each region, department
#: and director (all of them are counted); keeps the file small at 100k projects and 200 directors
STALLED_ROWS = {"company": 300, "scope": 50}
#: members the key-members card lists per role: the company's up to 300, another scope's the 15 with most
#: projects in it (a director may share projects with most of the company's managers: at 100,000 generated
#: projects every list in full was 4 MB of the page); the note gives the full count
MEMBER_ROWS = {"company": 300, "scope": 15}


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
    return int(f) if f.is_integer() and abs(f) < 2**53 else round(f, 6)


#: what ``all`` is "compared with": a day before any data, so that every previous-period figure is empty
#: (the page shows no comparison for ``all``: ``meta.compare`` is false)
NO_PREVIOUS = Period(date(1900, 1, 1), date(1900, 1, 2), "range")


def previous_of(p: Period) -> Period:
    """The period ``p`` is compared with: the previous one, or :data:`NO_PREVIOUS` for ``all``."""
    return NO_PREVIOUS if p.grain == "all" else p.previous()


def trend_quarters(p: Period, data_day=None) -> list[Period]:
    """The 8 quarters ending with the quarter that holds the period's last day (for ``all``: the data
    date), oldest first."""
    q = Period.containing("quarter", p.last_day if p.grain != "all" else data_day)
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
    con = connect(database, read_only=True, config=config, wait_seconds=None)
    try:
        ctx = MetricContext(con, scope=scope, config=config)
        check_scope(ctx)
        prev = previous_of(period)
        idx = {d: _Index() for d in DIMS}
        values = base_scope(ctx).query(
            "SELECT " + ", ".join(f"list(DISTINCT {d} ORDER BY {d} COLLATE zh, {d}) FILTER ({d} IS NOT NULL) AS {d}"
                                  for d in DIMS)
            + " FROM prj").iloc[0]
        for d in DIMS:                   # value lists for the filters, in pinyin order (ICU zh, built in)
            listed = values[d]                           # NULL (no value at all: no region in a CRM export)
            for v in (listed if not (listed is None or pd.api.types.is_scalar(listed) and pd.isna(listed)) else []):
                idx[d](v)
        cells = _Cells(idx)
        quarters = trend_quarters(period, data_date(ctx) if period.grain == "all" else None)
        buckets = [("cur", period), ("prev", prev)] + [(str(q), q) for q in quarters]
        cube, channels = _cube(ctx, buckets, cells)
        cycle = {key: _cycle(ctx, per, cells) for key, per in (("cur", period), ("prev", prev))}
        comp = {key: _compliance_cells(compute(ctx, "compliance", per), con, cells, key)
                for key, per in (("cur", period), ("prev", prev))}
        targets = {kind: _targets(ctx, period, kind) for kind in ("region", "director")}
        shown: dict[str, dict] = {}                      # project_id -> details, for the stalled table
        # every scope in one pass per metric: the company and each region, department and director
        # (a scoped dashboard has its scope only, shown as its "company")
        every = ctx.across("company", *SCOPE_KINDS) if scope.is_company else ctx
        scopes = _scope_parts(every, period, prev, cells, shown, progress)
        names = _project_names(con, sorted(shown), redact, pseudonym)
        latest = data_date(ctx)
        sd = state_date(ctx, period, None)
        sd_prev = state_date(ctx, prev, None)
        ctx.close()
    finally:
        con.close()
    order = {pid: i for i, pid in enumerate(sorted(shown))}
    for part in scopes.values():                         # stalled rows point into the projects list
        part["stalled_rows"] = [[order[r[0]], *r[1:]] for r in part["stalled_rows"]]
    grade_labels = {g["key"]: g.get(lang, g.get("zh", g["key"])) for g in config.raw.get("grades", [])}
    return {
        "dims": {d: idx[d].values for d in DIMS},
        "cells": cells.rows,
        "grade_labels": [grade_labels.get(g, g) for g in idx["grade"].values],
        "stages": [{"key": s, "label": config.stage_label(s, lang)} for s in config.working_stages + ["won"]],
        "buckets": [b for b, _ in buckets],
        "quarters": [{"key": str(q), "label": q.label(lang)} for q in quarters],
        "cube": cube,
        "channels": channels,
        "cycle": cycle,
        "projects": [[pid, *shown[pid], *names.get(pid, ("", ""))] for pid in sorted(shown)],
        "compliance": comp,
        "checks": CHECKS,
        "targets": targets,
        "scopes": scopes,
        "dates": {"data": latest.isoformat() if latest else None, "state": sd.isoformat() if sd else None,
                  "state_prev": sd_prev.isoformat() if sd_prev else None},
        "confidence": float(config.raw.get("metrics", {}).get("confidence", 0.95)),
        "small_sample": int(config.raw.get("metrics", {}).get("small_sample", 10)),
    }


class _Cells:
    """(region, department, grade, director) -> a cell number; ``rows`` lists each cell's 4 indexes."""

    def __init__(self, idx: dict) -> None:
        self.idx = idx
        self.rows: list[list[int]] = []
        self._pos: dict[tuple, int] = {}

    def __call__(self, region, department, grade, director) -> int:
        key = (self.idx["region"](region), self.idx["department"](department), self.idx["grade"](grade),
               self.idx["director"](director))
        if key not in self._pos:
            self._pos[key] = len(self.rows)
            self.rows.append(list(key))
        return self._pos[key]


def _cube(ctx: MetricContext, buckets: list[tuple[str, Period]], cells: _Cells) -> tuple[list, list]:
    """Rows ``[cell, bucket, won, closed, won_amount]`` (bucket: an index into ``buckets``), and the
    period's won amount per cell and channel: ``[cell, channel (index, -1 = direct), won_amount]``."""
    exclude = bool(ctx.setting("metrics", "exclude_abandoned", False))
    counted = ["won", "lost"] if exclude else ["won", "lost", "abandoned"]
    s = base_scope(ctx)
    df = s.query("""
        , b AS (SELECT unnest($b_i) AS b, unnest($b_s) AS s, unnest($b_e) AS e)
        SELECT region, department, grade, director, b.b AS bucket,
               CAST(count(*) FILTER (status = 'won') AS BIGINT) AS won,
               CAST(count(*) AS BIGINT) AS closed,
               CAST(coalesce(sum(amount) FILTER (status = 'won'), 0) AS DOUBLE) AS won_amount
        FROM prj JOIN b ON prj.closed_at >= b.s AND prj.closed_at < b.e
        WHERE list_contains($counted, status)
        GROUP BY ALL ORDER BY ALL""",
                 {"b_i": list(range(len(buckets))), "b_s": [p.start for _, p in buckets],
                  "b_e": [p.end for _, p in buckets], "counted": counted})
    cube = [[cells(*r[:4]), int(r[4]), int(r[5]), int(r[6]), _num(r[7])] for r in df.itertuples(index=False)]
    p = buckets[0][1]
    ch = s.query("""
        SELECT region, department, grade, director, channel,
               CAST(coalesce(sum(amount), 0) AS DOUBLE) AS won_amount
        FROM prj WHERE status = 'won' AND closed_at >= $s AND closed_at < $e
        GROUP BY ALL ORDER BY ALL""", {"s": p.start, "e": p.end})
    channels = [[cells(*r[:4]), cells.idx["channel"](r[4]), _num(r[5])] for r in ch.itertuples(index=False)]
    return cube, channels


def _cycle(ctx: MetricContext, p: Period, cells: _Cells) -> list[list[int]]:
    """Rows ``[cell, days]``: projects closed in ``p`` (any outcome) with a created date on or before the
    close (as cycle-time counts them), days from created to closed."""
    df = base_scope(ctx).query("""
        SELECT region, department, grade, director,
               CAST(date_diff('day', created_at, closed_at) AS BIGINT) AS days
        FROM prj WHERE status <> 'open' AND closed_at >= $s AND closed_at < $e AND created_at <= closed_at
        ORDER BY ALL""", {"s": p.start, "e": p.end})
    return [[cells(*r[:4]), int(r[4])] for r in df.itertuples(index=False)]


def _cell_of(con, ids: list[str], cells: _Cells) -> dict[str, int]:
    rows = con.execute("""SELECT project_id, region, department, grade, director FROM projects
                          WHERE list_contains($ids, project_id)""", {"ids": ids}).fetchall()
    return {r[0]: cells(*r[1:]) for r in rows}


def _compliance_cells(df: pd.DataFrame, con, cells: _Cells, key: str) -> list[list]:
    """Compliance summed per cell. ``cur``: ``[cell, checks_due, checks_passed, projects, projects with a
    failed check, failures of each of CHECKS…]``; ``prev``: ``[cell, checks_due, checks_passed]``."""
    where = _cell_of(con, df["project_id"].tolist(), cells)
    sums: dict[int, list[int]] = {}
    for r in df.to_dict("records"):
        failed = [1 if (r.get(c) is False or r.get(c) == 0) else 0 for c in CHECKS]
        row = sums.setdefault(where[r["project_id"]], [0] * (4 + len(CHECKS)))
        row[0] += int(r["checks_due"])
        row[1] += int(r["checks_passed"])
        row[2] += 1
        row[3] += 1 if any(failed) else 0
        for i, f in enumerate(failed):
            row[4 + i] += f
    width = 4 + len(CHECKS) if key == "cur" else 2
    return [[cell, *row[:width]] for cell, row in sorted(sums.items())]


def _targets(ctx: MetricContext, p: Period, kind: str) -> dict:
    """``{name: [target_cur, target_prev]}`` from the targets metric by ``kind`` (empty without targets)."""
    out: dict[str, list] = {}
    for i, per in enumerate((p, previous_of(p))):
        try:
            df = compute(ctx, "targets", per, by=kind)
        except MissingColumnError:
            return {}
        for r in df.itertuples(index=False):
            if r.scope is None or (isinstance(r.scope, float) and math.isnan(r.scope)):
                continue
            out.setdefault(str(r.scope), [None, None])[i] = _num(r.target_amount)
    return out


def _split(df: pd.DataFrame, keys: list[str], multi: bool) -> dict[str, pd.DataFrame]:
    """A metric's result per scope: by its ``scope`` column with groupings, else the one scope's."""
    if not multi:
        return {keys[0]: df}
    groups = {k: g.drop(columns="scope").reset_index(drop=True) for k, g in df.groupby("scope", sort=False)}
    empty = df.iloc[0:0].drop(columns="scope")
    return {k: groups.get(k, empty) for k in keys}


def _scope_parts(ctx: MetricContext, p: Period, prev: Period, cells: _Cells, shown: dict, progress) -> dict:
    """The non-additive numbers of every scope of ``ctx`` (``company`` first), each metric computed once
    for all of them: stalled projects counted per cell and the most overdue listed (``STALLED_ROWS``);
    pipeline per grade; the scope's own target; the director scorecard; stage durations and funnel,
    overall and per grade. A context without groupings (a scoped dashboard) gives its one scope as
    ``company``."""
    from ..metrics.base import scope as metric_scope

    keys = metric_scope(ctx).keys() if ctx.multi else ["company"]
    parts: dict[str, dict] = {k: {} for k in keys}
    steps = [("stalled", "cur"), ("stalled", "prev"), ("pipeline", "cur"), ("pipeline", "prev"),
             ("targets", "cur"), ("targets", "prev"), ("directors", "cur"), ("stage-durations", "cur"),
             ("funnel", "cur"), ("win-loss", "cur")]
    periods = {"cur": p, "prev": prev}
    for i, (name, key) in enumerate(steps):
        if progress:
            progress(i + 1, len(steps), f"{name} {periods[key]} × {len(keys)}")
        per = periods[key]
        if name == "stalled":
            st = compute(ctx, "stalled", per)
            where = _cell_of(ctx.con, sorted(set(st["project_id"])), cells)
            for k, df in _split(st, keys, ctx.multi).items():
                counts: dict[int, int] = {}
                for pid in df["project_id"]:
                    counts[where[pid]] = counts.get(where[pid], 0) + 1
                parts[k][f"stalled_{key}"] = sorted([c, n] for c, n in counts.items())
                if key == "cur":      # already sorted by days_over, most overdue first
                    top = df.head(STALLED_ROWS["company" if k == "company" else "scope"]).to_dict("records")
                    parts[k]["stalled_rows"] = [[r["project_id"], _num(r["limit_days"]),
                                                 int(bool(r["meeting_since_stall"]))] for r in top]
                    for r in top:
                        shown.setdefault(r["project_id"], [where[r["project_id"]], r["stage"],
                                                           str(r["entered_at"])[:10], int(r["days_in_stage"])])
        elif name == "pipeline":
            for k, pipe in _split(compute(ctx, "pipeline", per), keys, ctx.multi).items():
                parts[k][f"pipeline_{key}"] = [[g, int(n), _num(a), _num(w if not pd.isna(w) else 0.0)]
                                               for g, n, a, w in zip(pipe["grade"], pipe["projects"], pipe["amount"],
                                                                     pipe["weighted_amount"])]
        elif name == "targets":
            try:
                t = _split(compute(ctx, "targets", per, by="company"), keys, ctx.multi)
            except MissingColumnError:
                t = {}
            for k in keys:
                df = t.get(k)
                parts[k][f"target_{key}"] = _num(df["target_amount"].iloc[0]) if df is not None and len(df) else None
        elif name == "directors":
            for k, d in _split(compute(ctx, "directors", per), keys, ctx.multi).items():
                parts[k]["directors"] = [[r["director"], r["rank"], _num(r["score"]), _num(r["score_low"]),
                                          _num(r["attainment"]), _num(r["compliance_rate"]), int(r["stalled"])]
                                         for r in d.to_dict("records")]
        elif name == "win-loss":
            for k, value in _win_loss(ctx, per, keys).items():
                parts[k].update(value)
        else:
            columns = ["projects", "median_days", "p75_days"] if name == "stage-durations" else ["reached"]
            part_key = "durations" if name == "stage-durations" else "funnel"
            for k, value in _by_grade(ctx, name, per, columns, keys).items():
                parts[k][part_key] = value
    return parts


#: rivals and loss reasons the win/loss panel lists per scope (the most met / the most frequent)
WIN_LOSS_ROWS = 10
#: rivals the panel's quarter-by-quarter table follows per scope (the most met over the quarters), and
#: how many quarters (competitor-trend's own default)
TREND_RIVALS = 5
TREND_QUARTERS = next(o.default for o in TREND_SPEC.options if o.name == "quarters")


def _win_loss(ctx: MetricContext, p: Period, keys: list[str]) -> dict:
    """Per scope, the win/loss panel's figures, each metric computed once for every scope: ``bids``
    ``[bids, won, lost, decided, open, bid_win_rate, low, high]``; ``customers`` ``[new customers won,
    repeat_rate, prior customers, top10_share]``; ``collection`` ``[won_amount, collected, rate, overdue,
    overdue_amount, rated, satisfaction_mean]`` (None where the exports lack the column); ``rivals`` rows
    ``[competitor or None, met, won, decided, win_rate, low, high, share]``; ``reasons`` rows ``[reason or
    None, projects, amount_lost, share]``; ``trend`` ``{"quarters": [...], "rows": [[competitor, [[won, decided,
    win_rate] or None per quarter]], …]}`` for the :data:`TREND_RIVALS` rivals met most over the 8 quarters
    (``competitor-trend``); ``members`` rows ``[role, member, projects, closed, won, win_rate, won_amount,
    stalled, compliance_rate, small_sample]`` of every role an export names (``members``; by role, then most
    projects in the scope first, ties by name in pinyin order; at most :data:`MEMBER_ROWS` per role) and
    ``members_total`` (all of them). A metric whose column no export has gives None."""
    out: dict[str, dict] = {k: {"bids": None, "customers": None, "collection": None, "rivals": None, "reasons": None,
                                "trend": None, "members": None} for k in keys}

    def each(name: str, **options):
        try:
            return _split(compute(ctx, name, p, **options), keys, ctx.multi)
        except MissingColumnError:
            return {}
    for k, df in each("bids").items():
        r = df.iloc[0]
        out[k]["bids"] = [int(r["bids"]), int(r["won"]), int(r["lost"]), int(r["decided"]), int(r["open"]),
                          _num(r["bid_win_rate"]), _num(r["bid_win_rate_low"]), _num(r["bid_win_rate_high"])]
    for k, df in each("customers").items():
        new, every = df[df["segment"] == "new"].iloc[0], df[df["segment"] == "all"].iloc[0]
        out[k]["customers"] = [int(new["customers_won"]), _num(every["repeat_rate"]),
                               int(every["prior_customers"]) if not pd.isna(every["prior_customers"]) else 0,
                               _num(every["top10_share"])]
    for k, df in each("collection").items():
        r, missing = df.iloc[0], df.attrs.get("missing", [])
        out[k]["collection"] = [_num(r["won_amount"]), _num(r["collected_amount"]), _num(r["collection_rate"]),
                                None if "collected_amount" in missing else int(r["overdue"]),
                                _num(r["overdue_amount"]), int(r["rated"]), _num(r["satisfaction_mean"])]
    for k, df in each("competitors").items():
        out[k]["rivals"] = [[c if isinstance(c, str) else None, int(m), int(w), int(dd), _num(rt), _num(lo), _num(hi),
                             _num(sh)] for c, m, w, dd, rt, lo, hi, sh in zip(
            df["competitor"], df["met"], df["won"], df["decided"], df["win_rate"], df["win_rate_low"],
            df["win_rate_high"], df["share_of_projects"])][:WIN_LOSS_ROWS + 1]
    trend = each("competitor-trend")
    quarters = [str(q) for q in rival_quarters(p, data_date(ctx), TREND_QUARTERS)] if trend else []
    for k, df in trend.items():
        rivals = list(dict.fromkeys(df["competitor"]))[:TREND_RIVALS]
        cells = {(c, q): [int(w), int(dd), _num(rt)] for c, q, w, dd, rt in zip(
            df["competitor"], df["quarter"], df["won"], df["decided"], df["win_rate"])}
        out[k]["trend"] = {"quarters": quarters, "rows": [[c, [cells.get((c, q)) for q in quarters]] for c in rivals]}
    for role, board in members_by_role(ctx, p).items():       # the roles some export names
        boards = _split(board, keys, ctx.multi)
        for k in keys:
            df = boards.get(k)
            rows = out[k]["members"] = out[k]["members"] or []
            out[k]["members_total"] = out[k].get("members_total", 0) + (0 if df is None else len(df))
            if df is None or not len(df):
                continue
            df = order_rows(df, "member", "projects").head(MEMBER_ROWS["company" if k == "company" else "scope"])
            rows += [[role, m, int(n), int(c), int(w), _num(rt), _num(a), int(st), _num(cr), int(bool(sm))]
                     for m, n, c, w, rt, a, st, cr, sm in zip(
                df["member"], df["projects"], df["closed"], df["won"], df["win_rate"], df["won_amount"],
                df["stalled"], df["compliance_rate"], df["small_sample"])]
    for k, df in each("losses").items():
        out[k]["reasons"] = [[c if isinstance(c, str) else None, int(n), _num(a), _num(sh)]
                             for c, n, a, sh in zip(df["reason"], df["projects"], df["amount_lost"], df["share"])
                             ][:WIN_LOSS_ROWS]
    return out


def _by_grade(ctx: MetricContext, name: str, p: Period, columns: list[str], keys: list[str]) -> dict:
    """Per scope, ``{"": {stage: [cols…]}, grade: {stage: [cols…]}}``: the metric overall and per grade."""
    out: dict = {k: {} for k in keys}
    for k, whole in _split(compute(ctx, name, p), keys, ctx.multi).items():
        out[k][""] = {r["stage"]: [_num(r[c]) for c in columns] for r in whole.to_dict("records")}
    try:
        per = compute(ctx, name, p, by="grade")
    except MissingColumnError:
        return out
    for k, df in _split(per, keys, ctx.multi).items():
        for r in df.to_dict("records"):
            g = r["grade"]
            if g is None or (isinstance(g, float) and math.isnan(g)):
                continue
            out[k].setdefault(str(g), {})[r["stage"]] = [_num(r[c]) for c in columns]
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
