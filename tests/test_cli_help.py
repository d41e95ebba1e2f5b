"""Every command's --help at 80 and 120 columns: paragraphs flow to the width (no hard line break inside a
paragraph), nothing runs past the width, flags show no metavar, and help text in brackets is not eaten as
rich markup."""

from __future__ import annotations

import re

import pytest
import typer
from rich.cells import cell_len
from typer.testing import CliRunner

from presales_analytics.cli import app

BORDER = "│╭╰"


def command_paths(command=None, path=()) -> list[tuple[str, ...]]:
    """Every command and group of the CLI, as the words that name it (() is ``presales`` itself)."""
    command = command or typer.main.get_command(app)
    paths = [path]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        paths += command_paths(sub, (*path, name))
    return paths


PATHS = command_paths()


def render_help(path: tuple[str, ...], width: int) -> str:
    r = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(width)})
    assert r.exit_code == 0, (path, r.output)
    return r.output


def continues_sentence(text: str) -> bool:
    """Text that goes on with a sentence begun on the line above: a lowercase word or a CJK character."""
    return bool(text) and (text[0].islower() or "\u3400" <= text[0] <= "\u9fff")


def ragged_breaks(output: str, width: int) -> list[str]:
    """Pairs of lines where the second goes on with the first's sentence although its first word would
    have fitted on the first with room to spare (30 columns): a hard line break inside a paragraph. In
    the description, lines indented further than the margin (lists, examples) are left as written, and
    a line at the margin straight after one of them is a list item the terminal broke back to the margin."""
    found = []
    lines = output.splitlines()
    for a, b in zip(lines, lines[1:]):
        in_panel = a[:1] in BORDER and b[:1] in BORDER
        if in_panel:
            a, b, right = a[1:].rstrip(" │"), b[1:].rstrip(" │"), width - 2
            if len(b) - len(b.lstrip()) < 4:                 # a new row of the panel, not a continuation
                continue
        elif a[:1] in BORDER or b[:1] in BORDER:
            continue
        else:
            a, b, right = a.rstrip(), b.rstrip(), width
            indent_a, indent_b = len(a) - len(a.lstrip()), len(b) - len(b.lstrip())
            if not a.strip() or indent_b > 1:
                continue
            if indent_a > 1 and continues_sentence(b.lstrip()):
                found.append(f"{a!r} / {b!r} (a list line broken back to the margin)")
                continue
        text = b.lstrip()
        first_word = text.split()[0] if text else ""
        if (continues_sentence(text) and cell_len(a) < right - 30
                and cell_len(a) + 1 + cell_len(first_word) <= right):
            found.append(f"{a!r} / {b!r}")
    return found


def test_the_ragged_check_finds_a_hard_break():
    text = (" Writes reports/<period>/<kind>.html beside the executed notebook, and\n"
            " reports/index.html; with --pdf also the .pdf beside the HTML.\n")
    assert ragged_breaks(text, 120) and not ragged_breaks(text, 60)


def test_the_commands_are_all_there():
    assert {("load",), ("validate",), ("demo",), ("metrics",), ("forecast",), ("report",), ("dashboard",),
            ("config", "show"), ("export", "xlsx")} <= set(PATHS)


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "presales")
def test_help_flows_to_the_width_and_flags_show_as_flags(path, width):
    output = render_help(path, width)
    assert "<bool>" not in output
    too_long = [line for line in output.splitlines() if cell_len(line) > width]
    assert not too_long, too_long
    assert not ragged_breaks(output, width), "\n".join(ragged_breaks(output, width))
    assert not re.search(r"^ presales ", output, flags=re.M), "an example at the margin, not set off"
    flags = [line for line in output.splitlines() if re.search(r"--(help|redact|pdf|due|dry-run|list)\b", line)
             and line.startswith("│ --")]
    for line in flags:                                  # a flag's row names no value type
        assert not re.search(r"<\w+>|\b(TEXT|BOOLEAN)\b", line.split("  ")[1] if "  " in line else ""), line


def test_bracketed_help_text_is_shown_not_taken_for_markup():
    report = render_help(("report",), 120)
    assert "[reports] pdf" in report
    assert "data/presales.duckdb" in report and "$PRESALES_DB" in report
    load = render_help(("load",), 120)
    assert "[default: guessed from the headers]" in load
