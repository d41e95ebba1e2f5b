"""Stable pseudonyms for a redacted output: 客户-001, 项目-001, 文件-001 (Customer-001, Project-001, File-001 in English),
numbered per kind in order of first appearance, one numbering per output (a report, a dashboard, a
workbook), so the same customer has the same pseudonym everywhere in that output. The names of the
loaded files are replaced too (``天津市公安局交通管理局-商机导出.csv`` names a customer); their sha256 stays,
so a redacted report still proves which files it was computed from.

>>> names = Pseudonyms("zh")
>>> names("customer", "天津市交通局"), names("project", "智慧停车"), names("customer", "天津市交通局")
('客户-001', '项目-001', '客户-001')
>>> Pseudonyms("en")("project", "x")
'Project-001'
"""

from __future__ import annotations

import pandas as pd

from .format import is_missing

WORDS = {"customer": ("客户", "Customer"), "project": ("项目", "Project"), "file": ("文件", "File")}
#: DataFrame column -> the kind of name it holds (file names: the load log's and the rejects').
COLUMNS = {"customer": "customer", "name": "project", "file_name": "file", "file": "file"}


class Pseudonyms:
    """``names(kind, name)`` (kind ``customer`` or ``project``) -> its pseudonym in this output."""

    def __init__(self, lang: str = "zh"):
        self.lang = lang
        self._names: dict = {}
        self._counts: dict[str, int] = {}

    def __call__(self, kind: str, name) -> str:
        key = (kind, name)
        if key not in self._names:
            n = self._counts[kind] = self._counts.get(kind, 0) + 1
            zh, en = WORDS[kind]
            self._names[key] = f"{zh if self.lang == 'zh' else en}-{n:03d}"
        return self._names[key]

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``df`` with its ``customer``, ``name`` (project name) and file name (``file_name``,
        ``file``: a path counts by its last part) columns replaced; missing names stay missing (None)."""
        out = df.copy()
        for column, kind in COLUMNS.items():
            if column in out.columns:
                out[column] = pd.Series([None if is_missing(v) else self(kind, _key(kind, v)) for v in out[column]],
                                        index=out.index, dtype="object")
        return out


def _key(kind: str, value):
    """What makes two names the same: a file by its last path part (the load log keeps it bare, the rejects
    with its folder)."""
    return str(value).replace("\\", "/").rsplit("/", 1)[-1] if kind == "file" else value


__all__ = ["Pseudonyms"]
