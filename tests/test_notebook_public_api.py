"""notebooks/explore.ipynb uses only the public API, and that API does what the notebook relies on.

The check reads the notebook's code cells with ``ast``: the package may be imported only as
``import presales_analytics as pa`` or ``from presales_analytics import NAME`` with NAME in
``presales_analytics.__all__``, and every ``pa.NAME`` must be in ``__all__`` too.

The fixture for ``pa.compute`` (hand-typed, counted by hand), closed in 2026-Q3:
P1 张伟 华东 won, P2 张伟 华东 lost, P3 李娜 华北 won, P4 王芳 华东 won; P5 李娜 华北 open.
Company: 3 won of 4 closed = 0.75. Region 华东: P1 P4 won, P2 lost = 2/3; by director there:
张伟 1/2, 王芳 1/1 (in code point order; 李娜 has no project in 华东).
"""

from __future__ import annotations

import ast
import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest

import presales_analytics as pa
from conftest import write_csv
from presales_analytics.store import cursor

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = set(pa.__all__)
PACKAGE = "presales_analytics"


def private_uses(source: str, public: set[str] = PUBLIC) -> list[str]:
    """Every place ``source`` reaches past the public API, as ``line N: what``."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == PACKAGE and (a.name, a.asname) != (PACKAGE, "pa"):
                    problems.append(f"line {node.lineno}: import {a.name}{' as ' + a.asname if a.asname else ''}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == PACKAGE:
            for a in node.names:
                if node.module != PACKAGE or a.name not in public:
                    problems.append(f"line {node.lineno}: from {node.module} import {a.name}")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "pa":
            if node.attr not in public:
                problems.append(f"line {node.lineno}: pa.{node.attr}")
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
              in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant)
              and str(node.args[0].value).split(".")[0] == PACKAGE):
            problems.append(f"line {node.lineno}: imports {node.args[0].value}")
    return sorted(problems, key=lambda p: int(p.split(":")[0][5:]))


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def test_explore_uses_only_the_public_api():
    cells = code_cells(ROOT / "notebooks" / "explore.ipynb")
    assert [(i, p) for i, cell in enumerate(cells) for p in private_uses(cell)] == []
    used = {n.attr for cell in cells for n in ast.walk(ast.parse(cell))
            if isinstance(n, ast.Attribute) and getattr(n.value, "id", None) == "pa"}
    assert {"connect", "compute", "metrics", "report_period"} <= used <= PUBLIC
    assert any("import presales_analytics as pa" in cell for cell in cells)


def test_the_check_finds_private_uses():
    # the import cell explore.ipynb had before it used the public API only
    before = ("import presales_analytics as pa\nfrom presales_analytics import charts\n"
              "from presales_analytics.metrics import compute\nfrom presales_analytics.metrics.base import data_date\n"
              "from presales_analytics.reports.offline import use_offline_renderer\n"
              "from presales_analytics.scoping import restrict\nuse_offline_renderer()\n")
    assert private_uses(before) == [
        "line 2: from presales_analytics import charts", "line 3: from presales_analytics.metrics import compute",
        "line 4: from presales_analytics.metrics.base import data_date",
        "line 5: from presales_analytics.reports.offline import use_offline_renderer",
        "line 6: from presales_analytics.scoping import restrict"]
    assert private_uses("import presales_analytics\nimport presales_analytics.scoping as s\n"
                        "import presales_analytics as p2\nfrom presales_analytics import *\n") == [
        "line 1: import presales_analytics", "line 2: import presales_analytics.scoping as s",
        "line 3: import presales_analytics as p2", "line 4: from presales_analytics import *"]
    assert private_uses("import presales_analytics as pa\nx = pa.charts.plot_funnel(pa.compute(c, 'funnel'))\n"
                        "import importlib\nm = importlib.import_module('presales_analytics.scoping')\n") == [
        "line 2: pa.charts", "line 4: imports presales_analytics.scoping"]
    assert private_uses("from presales_analytics import connect, compute, metrics\nimport pandas as pd\n") == []


def test_every_public_name_resolves_and_the_examples_run():
    assert [n for n in pa.__all__ if not hasattr(pa, n)] == []
    result = doctest.testmod(pa)
    assert (result.failed, result.attempted >= 6) == (0, True)


def test_metrics_is_the_registry_and_calling_it_lists_the_names():
    # pa.metrics is the subpackage itself, callable: pa.metrics() the names, pa.metrics.SPECS the specs;
    # a fresh interpreter, so the first import of the subpackage happens after the package's
    code = ("import presales_analytics as pa, presales_analytics.metrics.win_rate\n"
            "import presales_analytics.metrics as m\n"
            "print(pa.metrics() == list(m.SPECS) == list(pa.metrics.SPECS), pa.metrics()[:2],"
            " pa.metrics.SPECS['win-rate'].column('win_rate').label('zh'))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout.strip()) == (0, "True ['win-rate', 'stage-durations'] 赢单率"), r.stderr


def test_metrics_lists_the_names():
    assert pa.metrics() == ["win-rate", "stage-durations", "cycle-time", "funnel", "stalled", "directors",
                            "channels", "targets", "pipeline", "compliance", "pipeline-summary", "slippage", "headline",
                            "bids", "competitors", "competitor-trend", "losses", "customers", "collection", "members",
                            "forecast"]


def test_a_misspelt_option_names_the_valid_ones(reader):
    with pytest.raises(pa.InputError, match="no option 'exclude_abandon'; its options are: by, as_of, config, "
                                            "basis, exclude_abandoned"):
        pa.compute(reader, "win-rate", "2026-Q3", exclude_abandon=True)
    with pytest.raises(pa.InputError, match="basis='cohrt' is not one of closed, cohort"):
        pa.compute(reader, "win-rate", "2026-Q3", basis="cohrt")


@pytest.fixture
def reader(tmp_path, db_path):
    export = write_csv(tmp_path / "商机.csv", [
        ["项目编号", "项目总监", "区域", "状态", "创建日期", "结束日期"],
        ["P1", "张伟", "华东", "won", "2026-03-01", "2026-08-01"],
        ["P2", "张伟", "华东", "lost", "2026-03-02", "2026-09-01"],
        ["P3", "李娜", "华北", "won", "2026-03-03", "2026-07-15"],
        ["P4", "王芳", "华东", "won", "2026-03-04", "2026-09-20"],
        ["P5", "李娜", "华北", "open", "2026-03-05", ""]])
    writer = pa.connect(db_path)
    pa.load(writer, [export])
    writer.close()
    con = pa.connect(db_path, read_only=True)      # as the notebook opens it
    yield con
    con.close()


def temp_objects(con) -> list[tuple]:
    return con.execute("SELECT 'view', view_name FROM duckdb_views() WHERE temporary UNION ALL "
                       "SELECT 'table', table_name FROM duckdb_tables() WHERE temporary").fetchall()


def test_compute_for_a_scope_leaves_the_connection_as_it_was(reader):
    def rate(df):
        return df[["won", "closed", "win_rate"]].values.tolist()

    assert rate(pa.compute(reader, "win-rate", "2026-Q3")) == [[3, 4, 0.75]]
    before = temp_objects(reader)
    assert rate(pa.compute(reader, "win-rate", pa.Period.parse("2026-Q3"), scope="region:华东")) == [[2, 3, 2 / 3]]
    by = pa.compute(reader, "win-rate", "2026-Q3", scope="区域:华东", by="director")
    assert by[["director", "won", "closed"]].values.tolist() == [["张伟", 1, 2], ["王芳", 1, 1]]
    assert temp_objects(reader) == before
    assert reader.execute("SELECT count(*) FROM projects").fetchall() == [(5,)]
    assert rate(pa.compute(reader, "win-rate", "2026-Q3")) == [[3, 4, 0.75]]
    with pytest.raises(pa.InputError, match="no project has region '西北'; known: 华东, 华北"):
        pa.compute(reader, "win-rate", "2026-Q3", scope="region:西北")
    assert temp_objects(reader) == before


def test_the_scoped_cursor_keeps_the_time_zone(reader):
    reader.execute("SET TimeZone = 'America/Los_Angeles'")
    assert cursor(reader).execute("SELECT current_setting('TimeZone')").fetchall() == [("America/Los_Angeles",)]
