"""The reference part of docs/metrics.md, written from the registry (``SPECS``): every metric's name,
title, definition, denominator, options and output columns (kind, unit, labels), and the ``--by``
dimensions. ``python -m presales_analytics.metrics.reference`` rewrites the block between the markers
in docs/metrics.md; tests/test_metrics_reference.py fails when the file and the registry disagree."""

from __future__ import annotations

import sys
from pathlib import Path

from . import SPECS
from .base import DIMENSIONS
from .spec import UNITS

START = "<!-- registry:start (written by python -m presales_analytics.metrics.reference; do not edit) -->"
END = "<!-- registry:end -->"


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _by(spec) -> str:
    """What ``--by`` takes: any dimension (yes), none (no), or only the spec's ``by_values``."""
    if not spec.by:
        return "no"
    if spec.by_values:
        return "only " + ", ".join(f"`{v}`" for v in spec.by_values) + " (the role, the same as `-o role=`)"
    return "yes"


def render() -> str:
    """The generated block, markers included."""
    out = [START, "", "## Reference: every metric of the registry", "",
           f"`--by` takes a column of projects: {', '.join(f'`{d}`' for d in DIMENSIONS)} "
           "(a metric without `--by` says so). Every metric also takes `as_of` and `scope` (`presales metrics "
           "--scope`, `pa.compute(..., scope=)`). Kinds print as: count `1,234`; amount `1,235万元`, `12.5万元` or `27.28亿元` by size (¥ in "
           "English); rate `31.3%`; pp `+5.0个百分点`; days `172 天`; score `64.8` (0–100); date `2026年9月30日`.", ""]
    for name, spec in SPECS.items():
        out += [f"### `{name}` · {spec.zh} · {spec.en}", "",
                f"- 定义：{spec.definition_zh}", f"- Definition: {spec.definition_en}",
                f"- 分母：{spec.denominator_zh}", f"- Denominator: {spec.denominator_en}",
                f"- `--by`: {_by(spec)}", ""]
        if spec.options:
            out += ["| option | default | 说明 | meaning |", "|---|---|---|---|"]
            out += [f"| `{o.name}` | `{o.default!r}` | {_cell(o.zh)} | {_cell(o.en)}"
                    + (f" ({', '.join(map(str, o.choices))})" if o.choices else "") + " |" for o in spec.options]
            out.append("")
        out += ["| column | kind | unit | 中文 | English |", "|---|---|---|---|---|"]
        out += [f"| `{c.key}` | {c.kind} | {_cell(UNITS[c.kind][0]) or '—'} | {_cell(c.zh)} | {_cell(c.en)} |"
                for c in spec.columns]
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def rewrite(path: Path) -> bool:
    """Replace the block in ``path`` (appended when absent); True when the file changed."""
    text = path.read_text(encoding="utf-8")
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + render() + ("\n" + tail if tail else "")
    else:
        new = text.rstrip("\n") + "\n\n" + render()
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def block_of(path: Path) -> str:
    """The block as it stands in ``path`` ("" when absent)."""
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        return ""
    return START + text.split(START, 1)[1].split(END, 1)[0] + END + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/metrics.md")
    print(f"{target}: {'rewritten' if rewrite(target) else 'up to date'}")
