"""The docs stay true to the code: every built-in alias is documented, the README's commands exist."""

from __future__ import annotations

from pathlib import Path

from presales_analytics.ingest.columns import ALIASES

ROOT = Path(__file__).resolve().parents[1]


def test_every_alias_is_in_the_data_format_doc():
    doc = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    missing = [(t, c, a) for t, cols in ALIASES.items() for c, aliases in cols.items() for a in aliases
               if a not in doc]
    assert missing == []


def test_design_contract_aliases_are_built_in():
    # the minimum alias table of DESIGN.md (contract)
    contract = {
        "project_id": ["项目编号", "商机编号", "项目ID", "Opportunity ID", "Id", "Record ID", "opportunity_id", "Deal ID"],
        "name": ["项目名称", "商机名称", "Opportunity Name", "Deal Name", "Name"],
        "customer": ["客户", "客户名称", "Account Name", "Associated Company", "account", "Company"],
        "region": ["区域", "办事处", "Region", "regional_office", "Sales Team"],
        "department": ["系统部", "产品部", "部门", "Department"],
        "director": ["项目总监", "负责人", "Opportunity Owner", "Deal owner", "Owner", "Salesperson", "sales_agent"],
        "manager": ["项目经理"], "monitor": ["监控人"], "planner": ["规划经理"],
        "channel": ["渠道商", "渠道", "Partner", "Route To Market", "Lead Source", "Deal source"],
        "grade": ["项目等级"],
        "amount": ["金额", "预计金额", "合同金额", "Amount", "Expected Revenue", "close_value", "Opportunity Amount"],
        "stage": ["阶段", "项目阶段", "Stage", "Deal Stage", "deal_stage", "StageName"],
        "status": ["状态", "Opportunity Result"],
        "created_at": ["创建日期", "创建时间", "Created Date", "Create Date", "CreatedDate", "engage_date"],
        "initiated_at": ["立项日期"],
        "expected_close_at": ["预计签约日期", "Expected Closing"],
        "closed_at": ["结束日期", "签约日期", "关闭日期", "Closed Date", "Date Closed"],
        "lost_reason": ["丢单原因", "Lost Reason"], "competitor": ["竞争对手", "Competitor"],
        "collected_amount": ["回款金额"], "satisfaction": ["客户满意度"],
    }
    projects = ALIASES["projects"]
    missing = [(c, a) for c, aliases in contract.items() for a in aliases if a not in projects[c]]
    assert missing == []
    assert "Close Date" in projects["close_date"] and "close_date" in projects["close_date"]
    assert {"进入日期", "变更日期", "CreatedDate"} <= set(ALIASES["stage_events"]["entered_at"])


def test_every_command_the_readme_shows_exists():
    import re

    from typer.testing import CliRunner

    from presales_analytics.cli import app
    from presales_analytics.reports.kinds import KINDS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"\./run presales ([a-z]+(?: xlsx| show)?)", readme))
    assert {"load", "validate", "metrics", "report", "dashboard", "export xlsx"} <= commands
    runner = CliRunner()
    for command in sorted(commands):
        r = runner.invoke(app, [*command.split(), "--help"])
        assert r.exit_code == 0, (command, r.output)
    kinds = set(re.findall(r"\./run presales report ([a-z][a-z-]+)", readme))
    assert kinds == set(KINDS), kinds


def test_every_test_the_hardening_table_names_exists():
    """docs/hardening.md maps each case of issue 10's Why section to its test: every `file::function`
    it names is defined in that file, every corpus case it names is in the corpus, one row per case."""
    import ast
    import re
    import sys

    doc = (ROOT / "docs" / "hardening.md").read_text(encoding="utf-8")
    defined: dict[str, set[str]] = {}
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined[f"tests/{path.name}"] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    everywhere = set().union(*defined.values())
    named = re.findall(r"(tests/[\w/]+\.py)?::(test_\w+)", doc)
    assert len(named) > 40
    for file, function in named:
        assert function in (defined.get(file, set()) if file else everywhere), (file, function)
    sys.path.insert(0, str(ROOT / "tests" / "corpus"))
    from make_corpus import CASES

    names = [c.name for c in CASES]
    cases = re.findall(r"test_case\[([^\]]+)\]|`\[([a-z_0-9.*]+)\]`", doc)
    assert len(cases) > 30
    for case in (a or b for a, b in cases if (a or b) != "<case>"):
        if ".." in case:                                   # xlsx_error_0..6
            pattern = re.escape(re.sub(r"\d+\.\.\d+$", "", case)) + r"\d+"
        elif case.endswith("*"):                           # flag_date_out_of_range_*
            pattern = re.escape(case[:-1]) + r"\w+"
        else:
            pattern = re.escape(case)
        assert any(re.fullmatch(pattern, n) for n in names), case
    rows = [line for line in doc.splitlines() if re.match(r"\| \d+ \|", line)]
    assert [int(r.split("|")[1]) for r in rows] == list(range(1, len(rows) + 1))
    assert f"{len(rows)} cases;" in doc
