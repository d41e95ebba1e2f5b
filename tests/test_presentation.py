"""What the outputs share (presales_analytics.presentation): formatting, pseudonyms, output names, the
language check and the error-to-exit-code mapping; and that reports, dashboard and workbook use it."""

from __future__ import annotations

import doctest
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from presales_analytics import presentation
from presales_analytics.errors import DatabaseBusyError, InputError, MissingColumnError
from presales_analytics.exporting.workbook import default_path
from presales_analytics.periods import Period
from presales_analytics.presentation import (Pseudonyms, check_lang, exit_code, exit_on_error, fmt_amount, fmt_cell,
                                             fmt_date, fmt_month, fmt_pct, output_name, output_path)
from presales_analytics.reports.context import ReportContext
from presales_analytics.reports.kinds import ReportRequest
from presales_analytics.scoping import ReportScope

from test_cli import presales


def test_numbers_round_ties_away_from_zero():
    # 0.3125 -> 31.25%: Python's format gives 31.2 (ties to even), the dashboard's JS 31.3
    assert fmt_pct(0.3125, 1) == "31.3%" and f"{31.25:.1f}" == "31.2"
    assert fmt_amount(12_345_678) == "1,235万元"  # 1,234.5678万: no decimals from 1,000万 up
    assert fmt_amount(123_456_789) == "1.23亿元"
    assert fmt_amount(123_456_789, yi=False) == "12,346万元"
    assert fmt_amount(9_999_999) == "1,000.0万元" and fmt_amount(125_000) == "12.5万元" and fmt_amount(-50_000) == "-5.0万元"
    assert fmt_amount(1234.5, "en") == "¥1,235"
    assert [fmt_cell(v, "pct") for v in (0.5, None, float("nan"), pd.NA)] == ["50.0%", "—", "—", "—"]
    assert [fmt_cell(v, "int") for v in (1234.5, 2.5, pd.NaT)] == ["1,235", "3", "—"]
    assert (fmt_cell(True, "text"), fmt_cell(False, "text", "en")) == ("是", "no")


def test_dates_in_both_languages_agree_with_the_period_labels():
    for day in (date(2026, 9, 30), datetime(2026, 9, 30, 23, 59), "2026-09-30"):
        assert fmt_date(day) == "2026年9月30日" and fmt_date(day, "en") == "2026-09-30"
        assert fmt_month(day) == Period.parse("2026-09").label("zh") == "2026年9月"
        assert fmt_month(day, "en") == Period.parse("2026-09").label("en") == "Sep 2026"
    assert fmt_date("2026-01-05") == "2026年1月5日"
    assert [fmt_date(v) for v in (None, "", pd.NaT)] == ["—", "—", "—"]


def test_pseudonyms_number_each_kind_in_order_of_first_appearance():
    names = Pseudonyms("zh")
    seen = [names("customer", "甲局"), names("project", "P1"), names("customer", "乙局"), names("customer", "甲局"),
            names("project", "P2")]
    assert seen == ["客户-001", "项目-001", "客户-002", "客户-001", "项目-002"]
    assert Pseudonyms("en")("customer", "甲局") == "Customer-001"
    assert Pseudonyms()("customer", "乙局") == "客户-001"       # a new output numbers afresh


def test_a_frame_keeps_missing_names_missing():
    df = pd.DataFrame({"name": ["智慧停车", None, "智慧停车"], "customer": ["甲局", "乙局", float("nan")],
                       "amount": [1.0, 2.0, 3.0]})
    out = Pseudonyms("zh").frame(df)
    assert out["name"].tolist() == ["项目-001", None, "项目-001"]
    assert out["customer"].tolist() == ["客户-001", "客户-002", None]
    assert out["amount"].tolist() == [1.0, 2.0, 3.0] and df["name"].tolist()[0] == "智慧停车"


def test_the_report_context_pseudonymises_as_the_workbook_does():
    df = pd.DataFrame({"name": ["B", "A", None, "B"], "customer": ["x", None, "y", "x"]})
    ctx = ReportContext(None, Period.parse("2026-Q3"), "en", ReportScope.parse("company"), True, None, "", None)
    assert ctx.redacted(df).equals(Pseudonyms("en").frame(df))
    assert ctx.redacted(df)["name"].tolist() == ["Project-001", "Project-002", None, "Project-001"]
    assert ctx.pseudonym("customer", "x") == "Customer-001"      # the numbering the table used


@pytest.mark.parametrize("scope, redact, lang, suffix", [
    ("company", False, "zh", ""), ("company", True, "en", "-redacted-en"),
    ("region:华东", False, "en", "-region-华东-en"), ("director:张 伟", True, "zh", "-director-张_伟-redacted")])
def test_every_output_is_named_by_one_scheme(scope, redact, lang, suffix):
    s = ReportScope.parse(scope)
    assert output_name("dashboard", scope=s, redact=redact, lang=lang) == f"dashboard{suffix}.html"
    assert default_path("2026-Q3", scope=scope, lang=lang, redact=redact) == \
        Path("reports") / "2026-Q3" / f"workbook{suffix}.xlsx"
    request = ReportRequest("audit", Path("audit.ipynb"), Period.parse("2026-Q3"), "", str(s),
                            "" if s.is_company else s.slug, lang, redact, "", Path("x.duckdb"))
    assert request.relative_path == Path("2026-Q3") / f"audit{suffix}.html"
    assert output_path("out", "2026-Q3", "audit", scope=s, redact=redact, lang=lang, ext="ipynb") == \
        Path("out") / "2026-Q3" / f"audit{suffix}.ipynb"


def test_check_lang():
    assert check_lang("en") == "en"
    with pytest.raises(InputError, match=r"^--lang 'EN' must be zh or en$"):
        check_lang("EN")
    with pytest.raises(InputError, match=r"^lang 'fr' must be zh or en$"):
        check_lang("fr", "lang")


def test_exit_codes_follow_the_contract():
    class RenderFailed(Exception):
        pass

    assert [exit_code(e) for e in (InputError("a"), MissingColumnError("b", column="c"), DatabaseBusyError("d"),
                                   RenderFailed("e"))] == [2, 2, 3, None]
    assert exit_code(RenderFailed("e"), {RenderFailed: 2}) == 2


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def run(what: str) -> None:
        errors = {"input": InputError("column 'amount' row 17: '12,3O0' is not a number [x]"),
                  "column": MissingColumnError("win-rate needs 'closed_at'", column="closed_at"),
                  "busy": DatabaseBusyError("data/presales.duckdb is in use"), "key": KeyError("k")}
        with exit_on_error({LookupError: 4} if what == "key" else None):
            if what in errors:
                raise errors[what]
        print("done")

    return app


@pytest.mark.parametrize("what, code, message", [
    ("input", 2, "error: column 'amount' row 17: '12,3O0' is not a number [x]"),   # [x] is no rich markup
    ("column", 2, "error: win-rate needs 'closed_at'"), ("busy", 3, "error: data/presales.duckdb is in use"),
    ("key", 4, "error: 'k'"), ("ok", 0, "done")])
def test_exit_on_error_prints_one_line_and_exits_with_the_code(what, code, message):
    result = CliRunner().invoke(_app(), [what])
    assert (result.exit_code, result.output.strip()) == (code, message)


def test_an_unmapped_error_propagates():
    with pytest.raises(ValueError, match="not ours"):
        with exit_on_error():
            raise ValueError("not ours")


@pytest.mark.parametrize("command", [["dashboard"], ["export", "xlsx"], ["report", "audit"]])
def test_every_output_command_refuses_a_language_the_same_way(command, tmp_path):
    r = presales(*command, "--lang", "fr", "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path)
    assert (r.returncode, r.stderr.strip()) == (2, "error: --lang 'fr' must be zh or en")
    assert list(tmp_path.iterdir()) == []        # nothing written, not even the database


def test_docstring_examples():
    from presales_analytics.presentation import exits, format, lang, names, pseudonyms, status

    for module in (presentation, exits, format, lang, names, pseudonyms, status):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_rows_in_pinyin_order_and_by_their_figure():
    """Directors by pinyin (陈 chén, 胡 hú, 黄 huáng, 李 lǐ, 刘 liú, 马 mǎ, 王 wáng, 吴 wú, 张 zhāng, 赵 zhào, 周 zhōu),
    not by code point (刘 U+5218 before 吴 U+5434 before 周 U+5468 before 张 U+5F20 …); by a figure, largest
    first, ties by pinyin, missing figures last."""
    import pandas as pd

    from presales_analytics.presentation.order import order_rows, pinyin_sorted

    names = ["周杰", "刘洋", "吴敏", "张伟", "李娜", "王芳", "黄丽华", "马俊峰", "胡斌", "赵磊", "陈静"]
    assert sorted(names)[:3] == ["刘洋", "吴敏", "周杰"]                       # the code-point order readers saw
    assert pinyin_sorted(names) == ["陈静", "胡斌", "黄丽华", "李娜", "刘洋", "马俊峰", "王芳", "吴敏", "张伟", "赵磊", "周杰"]
    df = pd.DataFrame({"director": ["周杰", "刘洋", "吴敏", "陈静", "张伟"], "attainment": [0.5, None, 0.5, 0.9, 0.5]})
    assert order_rows(df, "director", "attainment")["director"].tolist() == ["陈静", "吴敏", "张伟", "周杰", "刘洋"]
    assert order_rows(df, "director", "attainment", ascending=True)["director"].tolist() == ["吴敏", "张伟", "周杰", "陈静", "刘洋"]
    assert order_rows(df, "director")["director"].tolist() == ["陈静", "刘洋", "吴敏", "张伟", "周杰"]
