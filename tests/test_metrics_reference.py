"""docs/metrics.md is checked against the registry: its reference block is what the registry writes,
and every metric the prose describes is a metric of the registry."""

from __future__ import annotations

import re
from pathlib import Path

from presales_analytics.metrics import SPECS
from presales_analytics.metrics.reference import block_of, render

DOC = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"


def test_the_reference_block_is_the_registrys():
    assert block_of(DOC) == render(), ("docs/metrics.md is out of date: run "
                                       "`.venv/bin/python -m presales_analytics.metrics.reference`")


def test_every_metric_of_the_prose_is_in_the_registry_and_every_one_is_documented():
    text = DOC.read_text(encoding="utf-8")
    prose = set(re.findall(r"^## ([a-z-]+) ·", text, re.M))
    assert prose and prose <= set(SPECS)
    for name in SPECS:
        assert f"### `{name}` ·" in text
