"""The charts of a rendered page as plotly draws them: every ``Plotly.newPlot(id, data, layout, …)`` call's
data and layout, read from the HTML (what a reader's browser gets), with plotly.py's typed arrays decoded.

plotly.py 6 writes a numeric array as ``{"dtype": "f8", "bdata": "<base64>"}``; :func:`figures` turns it
back into a list (NaN as None, as plotly draws a gap), so a test compares the chart's numbers with a table's.
"""

from __future__ import annotations

import base64
import json
import math
import re

import numpy as np

_CALL = re.compile(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*")


def _decoded(value):
    if isinstance(value, dict):
        if "bdata" in value and "dtype" in value:
            array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
            return _decoded(array.tolist())
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def figures(page: str) -> list[dict]:
    """``[{"data": [trace, …], "layout": {…}}, …]`` of every chart on ``page``, in page order."""
    decoder = json.JSONDecoder()
    out = []
    for m in _CALL.finditer(page):
        data, end = decoder.raw_decode(page, m.end())
        end = re.compile(r"\s*,\s*").match(page, end).end()
        layout, _ = decoder.raw_decode(page, end)
        out.append({"data": _decoded(data), "layout": layout})
    return out
