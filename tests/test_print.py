"""Reports management reads, prints and forwards: the executive page's findings on a hand-typed fixture,
PDFs printed by headless Chromium (A4, page count, charts whole on one page, no heading at a page's end,
no table cut, no toolbar, CJK text), no local path in any output, no English sentence or JSON in the
Chinese audit report.

Real parts: a DuckDB file, the ``presales`` command (papermill, nbconvert), Debian's chromium for the
PDFs (``presales_analytics.pdf``) and, through Playwright, for the page geometry; poppler's ``pdfinfo`` and
``pdftotext`` read the PDFs back.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import presales_analytics as pa

from conftest import write_csv

PERIOD = "2026-Q3"
HEADER = ["项目编号", "项目名称", "客户名称", "项目总监", "区域", "金额（万元）", "项目阶段", "状态", "创建日期", "结束日期"]
ROWS = [
    ["P1", "杭州市智慧停车一期", "杭州市城市管理局", "张伟", "华东", "100", "谈判", "赢单", "2026-01-10", "2026-07-15"],
    ["P2", "宁波停车诱导", "宁波市交通局", "张伟", "华东", "50", "投标", "赢单", "2026-02-01", "2026-08-20"],
    ["P3", "成都天府停车", "成都市交通局", "李娜", "西南", "40", "谈判", "赢单", "2026-03-01", "2026-09-10"],
    ["P4", "广州停车诱导", "广州市交通局", "王芳", "华南", "30", "谈判", "赢单", "2026-03-05", "2026-08-01"],
    ["P6", "南京新街口改造", "南京市城管局", "王芳", "华东", "80", "方案设计", "进行中", "2026-05-01", ""],
    ["P7", "温州静态交通", "温州市公安局", "李娜", "华东", "60", "投标", "丢单", "2026-04-02", "2026-09-01"],
    ["P9", "苏州停车平台", "苏州市交通局", "王芳", "华东", "10", "线索", "进行中", "2026-10-05", ""],
]
# 华东: won P1 100 + P2 50 = 150 of 240 -> 62.5%, 90 short; 西南: won P3 40 of 90 -> 44.4%, 50 short;
# 华南 has no target (no finding: nothing to fall short of)
TARGETS = [["目标范围", "期间", "目标金额（万元）"], ["公司", PERIOD, "400"], ["区域:华东", PERIOD, "240"],
           ["区域:西南", PERIOD, "90"]]


def _run(root: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("presales", path=str(Path(sys.executable).parent))
    base = {k: v for k, v in os.environ.items() if k != "PRESALES_DB"}
    return subprocess.run([exe, *args], cwd=root, env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The fixture loaded, and every output of the period: the audit (zh, with --pdf), a director review
    (--pdf), the dashboard (--pdf), the workbook and the index."""
    root = tmp_path_factory.mktemp("print")
    con = pa.connect(root / "p.duckdb")
    pa.load(con, [write_csv(root / "商机.csv", [HEADER, *ROWS]), write_csv(root / "目标.csv", TARGETS)])
    con.close()
    out = root / "reports"
    runs = {
        "audit": _run(root, "report", "audit", "--period", PERIOD, "--db", "p.duckdb", "--out", "reports", "--pdf"),
        "director": _run(root, "report", "director-review", "--scope", "director:张伟", "--period", PERIOD,
                         "--db", "p.duckdb", "--out", "reports", "--pdf"),
        "dashboard": _run(root, "dashboard", "--period", PERIOD, "--db", "p.duckdb", "--pdf",
                          "--out", f"reports/{PERIOD}/dashboard.html"),
        "workbook": _run(root, "export", "xlsx", "--period", PERIOD, "--db", "p.duckdb",
                         "--out", f"reports/{PERIOD}/workbook.xlsx"),
    }
    for name, r in runs.items():
        assert r.returncode == 0, (name, r.stderr)
    folder = out / PERIOD
    return {"root": root, "runs": runs, "audit": folder / "audit.html", "director": folder / "director-review-director-张伟.html",
            "dashboard": folder / "dashboard.html", "workbook": folder / "workbook.xlsx", "index": out / "index.html"}


# --- findings, by hand ---------------------------------------------------------------------------------

def test_findings_name_the_target_gaps_with_their_figures_largest_first(printed):
    from presales_analytics.reports.context import setup
    from presales_analytics.reports.findings import findings, target_gaps, weak_directors

    ctx = setup(str(printed["root"] / "p.duckdb"), PERIOD)
    try:
        gaps = target_gaps(ctx)
        assert [(f.owner_zh, f.zh) for f in gaps] == [
            ("华东 区域", "华东 目标达成率 62.5%：赢单 150.0万元，目标 240.0万元，差 90.0万元。"),
            ("西南 区域", "西南 目标达成率 44.4%：赢单 40.0万元，目标 90.0万元，差 50.0万元。")]
        assert [round(f.severity, 4) for f in gaps] == [0.375, round(1 - 40 / 90, 4)]
        assert weak_directors(ctx) == []          # every director has fewer than 10 closed: never judged
        ranked = findings(ctx)
        assert [f.severity for f in ranked] == sorted((f.severity for f in ranked), reverse=True)
        rules = [f.rule for f in ranked]
        assert rules.index("target_gap") < len(rules)
        order = [f.owner_zh for f in ranked if f.rule == "target_gap"]
        assert order == ["西南 区域", "华东 区域"]        # 55.6% short before 37.5% short
    finally:
        ctx.con.close()


def test_the_executive_page_comes_first_with_tiles_findings_and_contents(printed):
    html = printed["audit"].read_text(encoding="utf-8")
    assert "<title>审计考核报告 · 2026年第3季度 · 全公司</title>" in html
    first = [html.index(x) for x in ("<h1>", 'class="kpis"', 'id="sec-findings"', 'class="toc"', 'id="sec-summary"')]
    assert first == sorted(first)
    # the won tile: 150 + 40 + 30 = 220 万元 won of 5 closed... (P1 P2 P3 P4 won, P7 lost): 4/5
    assert "80.0%" in html and "4/5 个已结束项目" in html
    assert "华东 目标达成率 62.5%" in html
    assert 'href="#sec-definitions"' in html and 'id="sec-definitions"' in html
    assert 'href="../index.html"' in html and 'href="dashboard.html"' in html
    director = printed["director"].read_text(encoding="utf-8")
    assert director.index('id="sec-findings"') < director.index('id="sec-outcomes"') < director.index('id="sec-projects"')


def test_the_index_lists_the_period_audit_first_with_pdfs(printed):
    index = printed["index"].read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert links == [f"{PERIOD}/audit.html", f"{PERIOD}/audit.pdf",
                     f"{PERIOD}/director-review-director-张伟.html", f"{PERIOD}/director-review-director-张伟.pdf",
                     f"{PERIOD}/dashboard.html", f"{PERIOD}/dashboard.pdf", f"{PERIOD}/workbook.xlsx"]


# --- PDFs ----------------------------------------------------------------------------------------------

def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def _page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Page size:\s+595(\.\d+)? x 842(\.\d+)? pts \(A4\)|Page size:\s+594\.\d+ x 841\.\d+ pts \(A4\)", info), info
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


#: injected into a copy of a page before it is printed: a blank of @@OFFSET@@ px at the top (so the same page
#: is cut at other places too), a marker at the top and the bottom of every chart, at the end of every
#: heading and before the first text that follows it. Markers are tiny text, so pdftotext finds which page
#: each lands on.
MARKERS = """<script>
window.addEventListener('load', () => setTimeout(() => {
  const pad = document.createElement('div'); pad.style.height = '@@OFFSET@@px';
  document.body.insertBefore(pad, document.body.firstChild);
  const mark = (text, css) => { const s = document.createElement('span'); s.textContent = text;
    s.style.cssText = 'font-size:3px;color:#fdfdfd;line-height:3px;' + (css || ''); return s; };
  document.querySelectorAll('.js-plotly-plot').forEach((d, i) => {
    d.appendChild(mark(' QQTOP' + i + 'QQ ', 'position:absolute;top:0;left:0;'));
    d.appendChild(mark(' QQEND' + i + 'QQ ', 'position:absolute;bottom:0;left:0;'));
  });
  document.querySelectorAll('h1, h2').forEach((h, i) => {
    if (!h.offsetParent) return;
    h.appendChild(mark(' QQHEAD' + i + 'QQ '));
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    walker.currentNode = h.lastChild;
    let t;
    while ((t = walker.nextNode())) { if (t.textContent.trim() && t.parentElement.offsetParent !== null) break; }
    if (t) t.parentElement.insertBefore(mark(' QQNEXT' + i + 'QQ '), t);
  });
}, 300));
</script>"""


#: the blanks printed above the page: without the print stylesheet's rules, one of the three cuts a chart
OFFSETS = (0, 330, 660)


def _print_marked(page: Path, tmp: Path, offset: int) -> Path:
    from presales_analytics.pdf import print_pdf

    copy = page.with_name(f"{page.stem}.marked{offset}.html")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", MARKERS.replace("@@OFFSET@@", str(offset))
                                                             + "</body>"), encoding="utf-8")
    try:
        return print_pdf(copy, tmp / f"{page.stem}.marked{offset}.pdf")
    finally:
        copy.unlink()


def _where(pages: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for n, text in enumerate(pages, 1):
        for m in re.findall(r"QQ([A-Z]+\d+)QQ", text.replace(" ", "")):
            found.setdefault(m, []).append(n)
    return found


@pytest.mark.parametrize("which,title", [("audit", "审计考核报告"), ("director", "项目总监评价报告"),
                                         ("dashboard", "售前项目管理看板")])
def test_pdf_is_a4_paged_whole_charts_no_orphan_heading(printed, tmp_path, which, title):
    page = printed[which]
    charts = page.read_text(encoding="utf-8").count('class="plotly-graph-div') or \
        page.read_text(encoding="utf-8").count('<div class="chart"')
    assert charts >= 1
    pdf = page.with_suffix(".pdf")
    assert pdf.exists(), f"--pdf wrote no {pdf.name}"
    n = _page_count(pdf)
    pages = _pdf_pages(pdf)
    assert len(pages) == n and n >= 2
    assert title in pages[0]                                           # CJK text is in the PDF's text
    assert re.search(rf"\b1\s*/\s*{n}\s*$", pages[0]) and re.search(rf"\b{n}\s*/\s*{n}\s*$", pages[-1])  # footer
    assert title in pages[-1]                                          # and the report's name in the footer
    for offset in OFFSETS:
        marked = _where(_pdf_pages(_print_marked(page, tmp_path, offset)))
        tops = sorted(k for k in marked if k.startswith("TOP"))
        assert len(tops) == charts, marked
        for top in tops:
            end = "END" + top[3:]
            assert marked[top] == marked.get(end), \
                f"offset {offset}: chart {top[3:]} split across pages {marked[top]} / {marked.get(end)}"
        heads = [k for k in marked if k.startswith("HEAD")]
        assert heads
        for head in heads:
            after = "NEXT" + head[4:]
            if after in marked:
                assert marked[head] == marked[after], \
                    f"offset {offset}: heading {head} ends page {marked[head]}, its text starts on {marked[after]}"


@pytest.mark.parametrize("which", ["audit", "director", "dashboard"])
def test_in_print_no_toolbar_no_table_wider_than_the_page(printed, browser, which):
    from browser import open_offline
    from presales_analytics.pdf import PRINT_WIDTH_PX

    o = open_offline(browser, printed[which], viewport=(PRINT_WIDTH_PX, 1000))
    o.page.emulate_media(media="print")
    o.page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
    o.page.wait_for_timeout(300)
    shown = o.page.evaluate("""() => [...document.querySelectorAll('.modebar')]
        .filter(m => getComputedStyle(m).display !== 'none' && m.getBoundingClientRect().height > 0).length""")
    assert shown == 0
    wide = o.page.evaluate(f"""() => [...document.querySelectorAll('table')].filter(t => t.offsetParent)
        .map(t => [t.id || t.className, Math.round(t.getBoundingClientRect().right)]).filter(x => x[1] > {PRINT_WIDTH_PX} + 1)""")
    assert wide == []
    scrolls = o.page.evaluate("""() => [...document.querySelectorAll('table')].filter(t => t.offsetParent)
        .map(t => t.parentElement).filter(p => p.scrollHeight > p.clientHeight + 2 || p.scrollWidth > p.clientWidth + 2).length""")
    assert scrolls == 0                                                # long lists print whole, no scroll box
    # every chart is shorter than a printed page (A4 less the margins: 267 mm = 1009 px) and kept whole
    # (break-inside: avoid on it or its card), so the browser moves it to the next page rather than cut it
    charts = o.page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d => {
        let e = d, avoid = false;
        for (let i = 0; i < 3 && e; i++, e = e.parentElement) avoid = avoid || getComputedStyle(e).breakInside.startsWith('avoid');
        return [Math.round(d.getBoundingClientRect().height), avoid, Math.round(d.getBoundingClientRect().right)]; })""")
    assert charts and all(h < 1009 and avoid and right <= PRINT_WIDTH_PX + 1 for h, avoid, right in charts), charts
    assert o.problems == []
    o.page.context.close()


def test_pdf_without_chromium_says_what_to_install(printed, tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    r = _run(printed["root"], "report", "audit", "--period", PERIOD, "--db", "p.duckdb", "--out", str(tmp_path / "o"),
             "--pdf", env={"PATH": str(bare)})
    assert r.returncode == 2
    assert "apt-get install chromium fonts-noto-cjk" in r.stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").rglob("*.html"))   # nothing rendered


# --- nothing local leaks --------------------------------------------------------------------------------

def _texts(printed) -> dict[str, str]:
    folder = printed["audit"].parent
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.suffix in (".html", ".ipynb")}
    texts["index.html"] = printed["index"].read_text(encoding="utf-8")
    for pdf in folder.glob("*.pdf"):
        texts[pdf.name] = "\f".join(_pdf_pages(pdf))
    with zipfile.ZipFile(printed["workbook"]) as z:
        texts["workbook.xlsx"] = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                         if n.endswith(".xml"))
    return texts


def test_no_output_carries_a_local_path(printed):
    root = printed["root"]
    local = {str(root), str(root.resolve()), str(Path.cwd()), str(Path.home()) + "/", str(Path(__file__).parents[1]),
             str(Path(sys.executable).parent)}
    texts = _texts(printed)
    assert {"audit.html", "audit.ipynb", "audit.pdf", "dashboard.html", "dashboard.pdf", "index.html",
            "workbook.xlsx"} <= set(texts)
    for name, text in texts.items():
        for path in local:
            assert path not in text, f"{name} names the local path {path}"
        assert not re.search(r"/tmp/|[A-Z]:\\\\Users", text), f"{name} names a temporary or home folder"
    assert "p.duckdb" in texts["audit.html"]                           # the database by its file name


# --- Chinese first --------------------------------------------------------------------------------------

#: three or more English words in a row: a sentence, not a product name, an id or a unit
ENGLISH_RUN = re.compile(r"(?<![\w./-])[A-Za-z][A-Za-z'’-]+(?:[ ,;:()]+[A-Za-z][A-Za-z'’-]+){2,}")


def test_the_chinese_audit_has_no_english_sentence_and_no_json(printed, browser):
    from browser import open_offline

    o = open_offline(browser, printed["audit"])
    text = o.page.evaluate("document.body.innerText")
    o.page.context.close()
    assert "审计考核报告" in text and "指标定义" in text
    assert ENGLISH_RUN.search("'待定' is not an amount (expected e.g. 1234.56)")     # the check can fail
    assert not ENGLISH_RUN.search("95% Wilson 区间；SHA-256；docs/metrics.md；win_rate = 0.35")
    runs = [m.group(0) for m in ENGLISH_RUN.finditer(text)]
    assert runs == [], runs
    assert '{"' not in text and '":' not in text
