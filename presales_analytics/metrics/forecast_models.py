"""The forecast's models, their validation and the bookings simulation (docs/forecast.md).

Everything here works on the training rows of :func:`~presales_analytics.metrics.forecast.training_rows`
(small: one row per open project and cutoff) in pandas/numpy; the store is read only there.

- :class:`ConversionTable`, the baseline: won within the horizon ÷ rows, per stage × age bucket, with a
  Wilson interval; a cell resting on fewer than ``min_cell`` rows gives way to its stage, and a stage
  to the overall rate.
- :class:`NaiveBayes`, the peer, in the manner of Odoo's predictive lead scoring: per field, the
  frequency of each value among the won and among the not-won rows, Laplace-smoothed (+1), multiplied
  with the prior odds. Unlike Odoo, the values are those known at the cutoff, not at closing.
- :func:`backtest`: forward chaining by cutoff with a gap of one horizon: a model scored at cutoff ``v``
  learned only from cutoffs ``c <= v - horizon``, whose labels were all known on ``v``.
- :func:`brier`, :func:`calibration` (deciles of the predicted probability: mean predicted, observed
  rate, count), :func:`simulate` (independent Bernoulli draws with a fixed seed) and :func:`quantiles`.
"""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pandas as pd

from .base import wilson

UNKNOWN = "unknown"
#: days-in-stage bucket edges
STAGE_DAY_EDGES = [14, 30, 60, 120]
#: amount bucket edges, yuan
AMOUNT_EDGES = [100_000, 500_000, 1_000_000, 5_000_000, 20_000_000]
#: win-rate bucket edges, and the fewest closed projects a win rate is used on
RATE_EDGES = [0.2, 0.4, 0.6]
RATE_MIN_CLOSED = 5


def bucket(values: pd.Series, edges: list[float], *, unit: str = "") -> pd.Series:
    """``values`` as labels of the half-open ranges ``edges`` cut (``<30``, ``30-90``, ``>=365``);
    missing values are ``unknown``.

    >>> list(bucket(pd.Series([0, 30, 400, None]), [30, 90, 365]))
    ['<30', '30-90', '>=365', 'unknown']
    """
    labels = [f"<{edges[0]}{unit}"] + [f"{a}-{b}{unit}" for a, b in zip(edges, edges[1:])] + [f">={edges[-1]}{unit}"]
    v = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), v.to_numpy(), side="right")
    out = np.array(labels, dtype=object)[np.minimum(idx, len(labels) - 1)]
    out[v.isna().to_numpy()] = UNKNOWN
    return pd.Series(out, index=v.index, dtype="str")


def features(rows: pd.DataFrame, age_edges: list[int]) -> pd.DataFrame:
    """The discrete fields the models count, one column each (every missing value is ``unknown``)."""
    def rate(column: str, closed: str) -> pd.Series:
        r = rows[column].where(rows[closed] >= RATE_MIN_CLOSED)
        return bucket(r, RATE_EDGES)
    return pd.DataFrame({
        "stage": rows["stage"].fillna(UNKNOWN).astype("str"),
        "age": bucket(rows["age_days"], age_edges),
        "days_in_stage": bucket(rows["days_in_stage"], STAGE_DAY_EDGES),
        "grade": rows["grade"].fillna(UNKNOWN).astype("str"),
        "amount": bucket(rows["amount"], AMOUNT_EDGES),
        "director_rate": rate("director_win_rate", "director_closed"),
        "channel_rate": rate("channel_win_rate", "channel_closed"),
        "competitor": rows["competitor_present"].map({True: "yes", False: "no"}).astype("str"),
    }, index=rows.index)


class Counts:
    """Rows and wins per value of every field (and per stage × age cell), cumulated over the cutoffs:
    ``rows[key][k, code]`` counts the training rows at cutoffs ``0..k``. A model learned on the cutoffs
    up to ``k`` reads row ``k``; forward chaining reads, for each row it scores, the ``k`` of the last
    cutoff a horizon before the row's own, all rows in one pass.

    ``f``: the fields (:func:`features`) of every row, training or not; ``won``: the labels;
    ``cut``: each row's cutoff index among the ``n_cut`` training cutoffs, -1 for a row not learned from."""

    def __init__(self, f: pd.DataFrame, won, cut, n_cut: int) -> None:
        won = np.asarray(won, dtype="float64")
        cut = np.asarray(cut, dtype="int64")
        train = cut >= 0
        self.n_cut = n_cut
        self.codes, self.uniques, self.rows, self.wins, self.distinct = {}, {}, {}, {}, {}
        columns = {**{c: f[c] for c in f.columns}, "cell": f["stage"] + "|" + f["age"]}
        for key, values in columns.items():
            codes, uniques = pd.factorize(values)
            m = np.zeros((n_cut, len(uniques)))
            w = np.zeros((n_cut, len(uniques)))
            np.add.at(m, (cut[train], codes[train]), 1.0)
            np.add.at(w, (cut[train], codes[train]), won[train])
            self.codes[key], self.uniques[key] = codes, list(uniques)
            self.rows[key], self.wins[key] = m.cumsum(axis=0), w.cumsum(axis=0)
            self.distinct[key] = (self.rows[key] > 0).sum(axis=1)
        self.total = np.bincount(cut[train], minlength=n_cut).astype("float64").cumsum()
        self.total_won = np.bincount(cut[train], weights=won[train], minlength=n_cut).cumsum()

    def at(self, key: str, k, idx) -> tuple[np.ndarray, np.ndarray]:
        """(rows, wins) of row ``idx``'s value of ``key`` in the model learned up to cutoff ``k``."""
        code = self.codes[key][idx]
        return self.rows[key][k, code], self.wins[key][k, code]


class ConversionTable:
    """The baseline: stage × age-bucket conversion (module docstring)."""

    name = "baseline"

    def __init__(self, *, min_cell: int = 5) -> None:
        self.min_cell = int(min_cell)

    def predict(self, c: Counts, k, idx) -> np.ndarray:
        n, w = c.at("cell", k, idx)
        sn, sw = c.at("stage", k, idx)
        with np.errstate(divide="ignore", invalid="ignore"):
            overall = c.total_won[k] / c.total[k]
            return np.where(n >= self.min_cell, w / n, np.where(sn >= self.min_cell, sw / sn, overall))

    @staticmethod
    def table(c: Counts, confidence: float = 0.95) -> pd.DataFrame:
        """The conversion table learned on every training cutoff: stage, age, rows, won, rate and its
        Wilson interval."""
        k = c.n_cut - 1
        cells = [u.split("|") for u in c.uniques["cell"]]
        df = pd.DataFrame({"stage": [s for s, _ in cells], "age": [a for _, a in cells],
                           "rows": c.rows["cell"][k].astype("int64"), "won": c.wins["cell"][k].astype("int64")})
        df = df[df["rows"] > 0].sort_values(["stage", "age"]).reset_index(drop=True)
        df["rate"] = df["won"] / df["rows"]
        low, high = wilson(df["won"].to_numpy(), df["rows"].to_numpy(), confidence)
        df["rate_low"], df["rate_high"] = low.to_numpy(), high.to_numpy()
        return df


class NaiveBayes:
    """Odoo-style naive Bayes over the discrete fields of :func:`features` (module docstring): the prior
    odds (won + 1) ÷ (not won + 1) times, per field, P(value | won) ÷ P(value | not won), each
    (count + 1) ÷ (class total + the field's distinct values + 1) (the +1: a value not seen yet)."""

    name = "naive_bayes"

    def __init__(self, fields: list[str], *, alpha: float = 1.0) -> None:
        self.fields, self.alpha = list(fields), float(alpha)

    def predict(self, c: Counts, k, idx) -> np.ndarray:
        a = self.alpha
        n_won = c.total_won[k]
        n_lost = c.total[k] - n_won
        logit = np.log((n_won + a) / (n_lost + a))
        for field in self.fields:
            n, w = c.at(field, k, idx)
            values = c.distinct[field][k] + 1
            logit = logit + np.log((w + a) / (n_won + a * values)) - np.log((n - w + a) / (n_lost + a * values))
        return 1.0 / (1.0 + np.exp(-logit))


FIELDS = ["stage", "age", "days_in_stage", "grade", "amount", "director_rate", "channel_rate", "competitor"]


def models(*, min_cell: int = 5) -> list:
    """The models compared, baseline first."""
    return [ConversionTable(min_cell=min_cell), NaiveBayes(FIELDS)]


def prepare(rows: pd.DataFrame, age_edges: list[int]) -> tuple[Counts, list, np.ndarray]:
    """Counts over the resolved rows of ``rows``, the training cutoffs in order, and each row's cutoff
    index among them (-1: not a training cutoff)."""
    cutoffs = sorted(set(rows.loc[rows["resolved"], "cutoff"]))
    position = {c: i for i, c in enumerate(cutoffs)}
    index = np.array([position.get(c, -1) for c in rows["cutoff"]], dtype="int64")
    cut = np.where(rows["resolved"].to_numpy(dtype=bool), index, -1)
    return Counts(features(rows, age_edges), rows["won"].to_numpy(dtype="float64"), cut, len(cutoffs)), cutoffs, cut


def backtest(rows: pd.DataFrame, models: list, horizon_days: int, age_edges: list[int]) -> pd.DataFrame:
    """Forward chaining by cutoff with a gap of one horizon (module docstring): every resolved row at
    cutoff ``v`` that has at least one earlier cutoff ``c <= v - horizon`` is scored by each model learned
    on those cutoffs' rows only. Returns the rows scored (``cutoff``, ``project_id``, ``won``) with one
    column of probabilities per model (``p_<name>``) and ``p_base_rate`` (the training base rate: the
    reference a model must beat)."""
    rows = rows[rows["resolved"]].reset_index(drop=True)
    counts, cutoffs, cut = prepare(rows, age_edges)
    gap = timedelta(days=int(horizon_days))
    k = np.searchsorted(np.array(cutoffs, dtype="datetime64[D]"),
                        np.array([c - gap for c in rows["cutoff"]], dtype="datetime64[D]"), side="right") - 1
    scored = np.flatnonzero(k >= 0)
    out = rows.loc[scored, ["cutoff", "project_id", "won"]].reset_index(drop=True)
    ks = k[scored]
    out["p_base_rate"] = counts.total_won[ks] / counts.total[ks] if len(ks) else []
    for model in models:
        out[f"p_{model.name}"] = model.predict(counts, ks, scored) if len(ks) else []
    return out


def brier(p, y) -> float:
    """Mean squared difference of the probabilities ``p`` and the outcomes ``y`` (0/1); NaN when empty.

    >>> brier([0.8, 0.4, 0.5], [1, 0, 1])
    0.15
    """
    p, y = np.asarray(p, dtype="float64"), np.asarray(y, dtype="float64")
    return round(float(np.mean((p - y) ** 2)), 12) if len(p) else math.nan


def calibration(p, y, bins: int = 10) -> pd.DataFrame:
    """The reliability table: the predicted probabilities in ``bins`` equal-width ranges (0–10% …
    90–100%), each with its count, mean predicted and observed rate (empty ranges left out)."""
    p, y = np.asarray(p, dtype="float64"), np.asarray(y, dtype="float64")
    b = np.minimum((p * bins).astype("int64"), bins - 1)
    df = pd.DataFrame({"bin": b, "p": p, "y": y})
    out = df.groupby("bin").agg(rows=("p", "size"), mean_predicted=("p", "mean"), observed=("y", "mean")).reset_index()
    out["range"] = [f"{int(i * 100 / bins)}-{int((i + 1) * 100 / bins)}%" for i in out["bin"]]
    out["rows"] = out["rows"].astype("int64")
    return out[["range", "rows", "mean_predicted", "observed"]]


def backtest(rows: pd.DataFrame, models: list, horizon_days: int) -> pd.DataFrame:
    """Forward chaining by cutoff with a gap of one horizon (module docstring): for every cutoff ``v``
    that has at least one earlier cutoff ``c <= v - horizon``, each model is fitted on those cutoffs'
    rows and predicts the rows at ``v``. Returns the rows predicted (``cutoff``, ``project_id``, ``won``)
    with one column of probabilities per model (``p_<name>``) and ``p_base_rate`` (the training base
    rate: the reference a model must beat)."""
    rows = rows[rows["resolved"]].reset_index(drop=True)
    cutoffs = sorted(set(rows["cutoff"]))
    gap = timedelta(days=int(horizon_days))
    parts = []
    for v in cutoffs:
        train = rows[rows["cutoff"] <= v - gap]
        test = rows[rows["cutoff"] == v]
        if train.empty or test.empty:
            continue
        part = test[["cutoff", "project_id", "won"]].copy()
        part["p_base_rate"] = float(train["won"].mean())
        for model in models:
            part[f"p_{model.name}"] = model.fit(train).predict(test)
        parts.append(part)
    columns = ["cutoff", "project_id", "won", "p_base_rate"] + [f"p_{m.name}" for m in models]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def simulate(p, amount, *, n: int = 10_000, seed: int = 13) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws of the projects' outcomes, each won independently with its probability ``p``: the
    number won and the amount won in each draw (a missing amount counts 0)."""
    p = np.asarray(p, dtype="float64")
    amount = np.nan_to_num(np.asarray(amount, dtype="float64"))
    rng = np.random.default_rng(seed)
    wins = rng.random((n, len(p))) < p
    return wins.sum(axis=1), wins.astype("float64") @ amount


def quantiles(draws, levels=(0.1, 0.5, 0.9)) -> list[float]:
    """The inverted-CDF quantiles of ``draws`` (the smallest value whose share of draws at or below
    it reaches the level: always a value some draw took)."""
    draws = np.asarray(draws, dtype="float64")
    if not len(draws):
        return [math.nan] * len(levels)
    return [float(v) for v in np.quantile(draws, levels, method="inverted_cdf")]


__all__ = ["ConversionTable", "NaiveBayes", "backtest", "brier", "calibration", "simulate", "quantiles",
           "bucket", "features"]
