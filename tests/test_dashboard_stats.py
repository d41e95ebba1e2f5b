"""The dashboard's one JavaScript helper (``assets/stats.js``, ``PresalesStats``) gives what the Python side
gives, in a real headless chromium: rates and Wilson intervals as ``metrics.base.wilson`` (and the win-rate
metric's won ÷ closed), quantiles and medians as DuckDB's ``quantile_cont`` run on the same lists, numbers
printed as ``presentation.format.fixed`` / ``fmt_amount`` / ``fmt_pct``, on over 1,000 inputs per function
(fixed seed, edge cases first). And ``dashboard.js`` keeps no arithmetic or formatting of its own."""

from __future__ import annotations

import math
import random
import re
from importlib import resources

import duckdb
import pandas as pd
import pytest

from presales_analytics.dashboard.page import render_page, z_value
from presales_analytics.metrics.base import wilson
from presales_analytics.presentation.format import fixed, fmt_amount, fmt_cell, fmt_pct, fmt_value

from browser import open_offline

SEED = 20260901
N = 1200                      # random inputs per function, on top of the edge cases
TOL = 1e-9                    # |js - python| <= TOL * max(1, |python|)


def asset(name: str) -> str:
    return resources.files("presales_analytics.dashboard").joinpath("assets", name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def stats_page(browser, tmp_path_factory):
    """A page holding nothing but the real stats.js asset, with the dashboard's Content-Security-Policy."""
    path = tmp_path_factory.mktemp("stats") / "stats.html"
    path.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" '
                    "content=\"default-src 'none'; script-src 'unsafe-inline'\"></head><body><script>"
                    + asset("stats.js") + "</script></body></html>", encoding="utf-8")
    page = open_offline(browser, path)
    yield page
    page.page.context.close()


# ------------------------------------------------------------------------------------------ inputs
def rate_inputs(rng: random.Random) -> list[tuple[float, float]]:
    edge = [(0, 0), (3, 0), (0, 1), (1, 1), (0, 2), (1, 2), (2, 2), (0, 7), (7, 7), (5, 16), (1, 3),
            (7, 10), (0, 10**12), (1, 10**12), (10**12, 10**12), (123_456_789, 987_654_321), (499_999, 10**6), (0, -4)]
    out = list(edge)
    for _ in range(N):
        n = rng.choice([rng.randint(1, 12), rng.randint(1, 400), rng.randint(1, 10**6), rng.randint(1, 10**13)])
        k = rng.choice([0, n, rng.randint(0, n), rng.randint(0, n)])
        out.append((k, n))
    return out


def quantile_inputs(rng: random.Random) -> tuple[list[list], list[float]]:
    qs = [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1 / 3] + [rng.random() for _ in range(12)]
    edge = [[5.0], [2.0, 9.0], [9.0, 2.0], [-3.5, -3.5], [1.0, 2.0, 3.0, 4.0], [None, 4.0], [None],
            [None, None], [], [1e15, -1e15, 3.0], [0.1, 0.2, 0.3], [186, 172, 221, 172]]
    lists = list(edge)
    for _ in range(N):
        size = rng.choice([1, 2, 3, rng.randint(1, 40), rng.randint(1, 400)])
        kind = rng.random()
        if kind < 0.4:        # days: small integers with ties
            xs = [float(rng.randint(0, 400)) for _ in range(size)]
        elif kind < 0.8:      # signed floats of every magnitude
            scale = 10 ** rng.randint(-3, 12)
            xs = [rng.uniform(-1, 1) * scale for _ in range(size)]
        else:                 # missing values mixed in (SQL NULL; null in JavaScript)
            xs = [None if rng.random() < 0.3 else rng.uniform(0, 1000) for _ in range(size)]
        lists.append(xs)
    q_of = [qs[i % len(qs)] for i in range(len(lists))]
    rng.shuffle(q_of)
    return lists, q_of


TIES = [31.25, 0.125, 1234567.5, 2.675, 1.005, 0.5, 1.5, 2.5, 0.045, 8.345, 1.45, 12.25, 0.3125, 45.5, 99.995,
        -31.25, -0.125, -2.5, -2.675, -1234567.5, 0.0, -0.0, -0.001, 1e21, 1.5e22, -2.5e21, 123456789012.345,
        999999.995, 9999.5, 5e-324, 1e-7, 0.049999999999999996]


def number_inputs(rng: random.Random) -> list[float]:
    out = list(TIES)
    for _ in range(N):
        kind = rng.random()
        if kind < 0.35:       # decimal ties: d digits then a 5 (their float is just above or below the tie)
            d = rng.randint(0, 4)
            out.append(rng.choice([1, -1]) * (rng.randint(0, 10**7) + 0.5) / 10**d)
        elif kind < 0.5:      # exact binary ties
            out.append(rng.choice([1, -1]) * rng.randint(0, 10**6) / rng.choice([2, 4, 8, 16, 32]))
        else:
            out.append(rng.uniform(-1, 1) * 10 ** rng.randint(-4, 13))
    return out


# ------------------------------------------------------------------------------------------ the browser side
EVALUATE = """(inp) => {
  const S = PresalesStats;
  return {
    rate: inp.rate.map(([k, n]) => S.rate(k, n)),
    wilson: inp.rate.map(([k, n]) => S.wilson(k, n, inp.z)),
    quantile: inp.lists.map((xs, i) => S.quantile(xs, inp.q[i])),
    median: inp.lists.map((xs) => S.median(xs)),
    sum: inp.lists.map((xs) => S.sum(xs)),
    ratio: inp.pairs.map(([a, b]) => S.ratio(a, b)),
    fixed: inp.fixed.map(([x, d, g]) => S.fixed(x, d, g)),
    amount: inp.amounts.map(([y, lang, yi]) => S.amount(y, lang, yi)),
    pct: inp.pcts.map(([r, d]) => S.pct(r, d)),
    count: inp.counts.map((v) => S.count(v)),
    days: inp.days.map(([v, lang]) => S.days(v, lang)),
    score: inp.pcts.map(([r, d]) => S.score(r)),
    pp: inp.pcts.map(([r, d], i) => S.pp(r, i % 2 ? "en" : "zh")),
  };
}"""


def close(js: float, py: float) -> bool:
    if py is None or (isinstance(py, float) and math.isnan(py)):
        return js is None or math.isnan(js)
    return js is not None and abs(js - py) <= TOL * max(1.0, abs(py))


def duckdb_quantiles(lists: list[list], q_of: list[float]) -> tuple[list, list]:
    """quantile_cont(x, q) and median(x) per list, in DuckDB (an empty or all-NULL list gives NULL)."""
    con = duckdb.connect()
    ids = pd.DataFrame({"id": range(len(lists)), "q": q_of})
    vals = pd.DataFrame([(i, x) for i, xs in enumerate(lists) for x in xs], columns=["id", "x"]).astype(
        {"id": "int64", "x": "Float64"})       # None -> NULL, not NaN
    con.register("ids", ids)
    con.register("vals", vals)
    quant, med = [None] * len(lists), [None] * len(lists)
    for q in sorted(set(q_of)):
        for i, v, m in con.execute("SELECT ids.id, quantile_cont(vals.x, $q), median(vals.x) FROM ids LEFT JOIN vals "
                                   "USING (id) WHERE ids.q = $q GROUP BY ids.id", {"q": q}).fetchall():
            quant[i], med[i] = v, m
    con.close()
    return quant, med


def test_helper_equals_python_and_duckdb(stats_page):
    rng = random.Random(SEED)
    rates = rate_inputs(rng)
    lists, q_of = quantile_inputs(rng)
    numbers = number_inputs(rng)
    pairs = [(rng.uniform(-1e6, 1e6), rng.choice([0, None, rng.uniform(-1e6, 1e6), rng.randint(1, 9)]))
             for _ in range(N)] + [(1.0, 0), (None, 2.0), (0.0, 3.0), (7.0, -2.0)]
    anchors = [(31.25, 1, False), (0.125, 2, False), (1234567.5, 0, True), (2.675, 2, False), (1.005, 2, False),
               (-2.5, 0, False), (-0.0, 2, False), (1e21, 1, True)]
    fixed_in = anchors + [(x, d, g) for i, x in enumerate(numbers)
                          for d, g in [(i % 5, i % 2 == 0), ((i + 2) % 4, i % 2 == 1)]]
    amounts = [(y * 10 ** rng.randint(0, 5), lang, yi) for y in numbers for lang, yi in
               [("zh", True), (rng.choice(["zh", "en"]), rng.choice([True, False]))]] + [
        (None, "zh", True), (math.nan, "en", True), (1e8, "zh", True), (99_999_999.5, "zh", True),
        (-1.5e8, "zh", True), (1.5e8, "zh", False), (12_345_678, "zh", True), (0.5, "en", True)]
    pcts = [(x / 10 ** rng.randint(0, 4), rng.randint(0, 3)) for x in numbers] + [
        (0.3125, 1), (0.3125, 0), (0.00125, 2), (None, 1), (math.nan, 0), (-0.0005, 1)]
    counts = [float(round(x)) if i % 3 else x for i, x in enumerate(numbers)] + [None, math.nan]
    days = [(x, ["zh", "en"][i % 2]) for i, x in enumerate(numbers)] + [(None, "zh"), (45.0, "zh"), (12.04, "en")]
    z = z_value(0.95)
    out = stats_page.page.evaluate(EVALUATE, {
        "rate": rates, "z": z, "lists": lists, "q": q_of, "pairs": pairs, "fixed": fixed_in, "amounts": amounts,
        "pcts": pcts, "counts": counts, "days": days})
    assert stats_page.problems == []
    assert min(len(rates), len(lists), len(pairs), len(fixed_in), len(amounts), len(pcts), len(counts),
               len(days)) >= 1000

    # rates and intervals: the win-rate metric's (won / closed).where(closed > 0) and metrics.base.wilson
    k = pd.Series([r[0] for r in rates], dtype="float64")
    n = pd.Series([r[1] for r in rates], dtype="float64")
    want_rate = (k / n).where(n > 0)
    low, high = wilson(k, n, 0.95)
    bad = [(rates[i], out["rate"][i], want_rate[i]) for i in range(len(rates)) if not close(out["rate"][i], want_rate[i])]
    assert bad == []
    bad = [(rates[i], out["wilson"][i], (low[i], high[i])) for i in range(len(rates))
           if not (close(out["wilson"][i][0], low[i]) and close(out["wilson"][i][1], high[i]))]
    assert bad == []
    # clipped to [0, 1] exactly (k = 0 or k = n leaves a rounding crumb outside it before the clip)
    assert all(0.0 <= lo <= hi <= 1.0 for lo, hi in out["wilson"] if not math.isnan(lo))
    # hand-checked anchors: 7 of 10 -> [0.3968, 0.8922] (the wilson docstring); 0 of 0 -> no rate, no interval
    seven = rates.index((7, 10))
    assert [round(v, 4) for v in out["wilson"][seven]] == [0.3968, 0.8922] and out["rate"][seven] == 0.7
    assert math.isnan(out["wilson"][0][0]) and math.isnan(out["rate"][0])

    quant, med = duckdb_quantiles(lists, q_of)
    bad = [(lists[i], q_of[i], out["quantile"][i], quant[i]) for i in range(len(lists))
           if not close(out["quantile"][i], quant[i])]
    assert bad == []
    bad = [(lists[i], out["median"][i], med[i]) for i in range(len(lists)) if not close(out["median"][i], med[i])]
    assert bad == []
    assert out["median"][:4] == [5.0, 5.5, 5.5, -3.5] and out["median"][11] == 179.0   # (172 + 186) / 2

    bad = [(xs, out["sum"][i]) for i, xs in enumerate(lists)
           if not close(out["sum"][i], math.fsum(x for x in xs if x is not None))]
    assert bad == []
    want_ratio = [math.nan if b in (0, None) or a is None else a / b for a, b in pairs]
    bad = [(pairs[i], out["ratio"][i]) for i in range(len(pairs)) if not close(out["ratio"][i], want_ratio[i])]
    assert bad == []

    # printed numbers: string-equal to the Python formatters
    bad = [(x, d, g, s) for (x, d, g), s in zip(fixed_in, out["fixed"]) if s != fixed(x, d, grouping=g)]
    assert bad == []
    bad = [(y, lang, yi, s) for (y, lang, yi), s in zip(amounts, out["amount"]) if s != fmt_amount(y, lang, yi=yi)]
    assert bad == []
    bad = [(r, d, s) for (r, d), s in zip(pcts, out["pct"]) if s != fmt_pct(r, d)]
    assert bad == []
    bad = [(v, s) for v, s in zip(counts, out["count"]) if s != fmt_cell(v, "int")]
    assert bad == []
    # days, the audit score and rate differences: as the spec kinds print (presentation.format.fmt_value)
    want_days = [fmt_value(v, "days", lang, unit=True) for v, lang in days]
    assert [(v, s, w) for (v, _), s, w in zip(days, out["days"], want_days) if s != w] == []
    assert out["days"][-2:] == ["45 天", "12 d"]
    assert [(r, s) for (r, _), s in zip(pcts, out["score"]) if s != fmt_value(r, "score")] == []
    assert [(r, s) for i, ((r, _), s) in enumerate(zip(pcts, out["pp"]))
            if s != fmt_value(r, "pp", "en" if i % 2 else "zh")] == []
    assert out["score"][-6:-3] == ["31.3", "31.3", "0.1"] and out["pp"][-6] == "+31.3个百分点"
    # worked by hand: 31.25, 0.125, 1234567.5 and -2.5 are exact binary ties (away from zero); 2.675 and 1.005
    # are stored just below their ties (2.67499999999999982236431605997495353221893310546875, 1.00499999…)
    assert out["fixed"][:len(anchors)] == ["31.3", "0.13", "1,234,568", "2.67", "1.00", "-3", "-0.00",
                                           "1,000,000,000,000,000,000,000.0"]
    assert out["pct"][-6:] == ["31.3%", "31%", "0.13%", "—", "—", "-0.1%"]


def test_dashboard_js_leaves_arithmetic_and_formatting_to_the_helper():
    js = asset("dashboard.js")
    for banned in ["Math.sqrt", "toFixed", "Intl.NumberFormat", "Math.floor", "Math.ceil", "function wilson",
                   "function median", "function quantile", "length - 1"]:
        assert banned not in js, banned
    assert not re.search(r"\?\s*[\w.\[\]]+\s*/\s*[\w.\[\]]+\s*:\s*NaN", js)     # no "n > 0 ? k / n : NaN" of its own
    assert "PresalesStats" in js
    # the page inlines the helper once, before the script that uses it
    page = render_page({"x": 1}, lang="zh", title="t")
    stats, dash = asset("stats.js"), asset("dashboard.js")
    assert page.count(stats) == 1 and page.index(stats) < page.index(dash)
