"""The order rows are shown in: by the figure a table is about, largest first, and where no figure
orders them (or two are equal), by the names' pinyin (陈静, 胡斌, 黄丽华, 李娜, 刘洋…), as a Chinese reader
looks a name up, not by Unicode code point (刘洋, 吴敏, 周杰…). The pinyin order is ICU's ``zh``
collation, built into DuckDB (nothing is downloaded).

>>> pinyin_sorted(["周杰", "刘洋", "吴敏", "张伟", "陈静", None, "Acme"])
['陈静', '刘洋', '吴敏', '张伟', '周杰', 'Acme', None]
"""

from __future__ import annotations

import duckdb
import pandas as pd


def pinyin_sorted(values) -> list:
    """``values`` (text; missing ones last) in the pinyin order of Chinese names (ICU ``zh``: Han names
    first, then Latin ones)."""
    values = list(values)
    text = sorted({str(v) for v in values if not _missing(v)})
    with duckdb.connect() as con:
        ordered = [r[0] for r in con.execute("SELECT v FROM unnest($values::VARCHAR[]) t(v) ORDER BY v COLLATE zh, v",
                                             {"values": text}).fetchall()]
    rank = {v: i for i, v in enumerate(ordered)}
    return sorted(values, key=lambda v: (1, 0) if _missing(v) else (0, rank[str(v)]))


def order_rows(df: pd.DataFrame, name: str, by: str | None = None, *, ascending: bool = False) -> pd.DataFrame:
    """``df``'s rows by ``by`` (largest first unless ``ascending``; missing values last), ties and rows
    without ``by`` in the pinyin order of column ``name``."""
    if df.empty or name not in df.columns:
        return df
    rank = {v: i for i, v in enumerate(pinyin_sorted(df[name].dropna().astype(str).unique()))}
    keyed = df.assign(_name=[rank.get(str(v), len(rank)) if not _missing(v) else len(rank) for v in df[name]])
    keys, orders = ["_name"], [True]
    if by is not None and by in df.columns:
        keyed = keyed.assign(_by=pd.to_numeric(keyed[by], errors="coerce"))
        keys, orders = ["_by", "_name"], [ascending, True]
    return keyed.sort_values(keys, ascending=orders, na_position="last", kind="stable").drop(
        columns=[c for c in ("_name", "_by") if c in keyed.columns])


def _missing(v) -> bool:
    return v is None or (not isinstance(v, str) and pd.isna(v))


__all__ = ["pinyin_sorted", "order_rows"]
