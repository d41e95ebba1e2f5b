"""Deterministic, realistic demo exports for a smart-parking (静态交通) solutions company.

:func:`generate_demo` writes the *messy* files a real user would export from a CRM and a
ledger spreadsheet into one folder; the ingest loads them. Nothing here touches the database.
The same ``seed``, ``export_date`` and ``n_projects`` always give byte-identical files
(randomness comes only from ``numpy.random.default_rng(seed)``; the XLSX zip timestamps and
document properties are pinned to ``export_date``).

The world
---------
* History starts on the first day of the quarter 8 quarters before the latest complete quarter
  that ends on or before ``export_date`` (so it spans 27 months / 9 complete quarters) and runs
  to ``export_date``; the current quarter is partial. ``export_date`` 2026-11-27 gives
  2024-07-01 .. 2026-11-27.
* 6 regions (华东 华南 华北 西南 华中 西北), 2 departments (政府系统部, 企业系统部), 15 directors
  with clearly different latent win probability (0.15 .. 0.55), speed and diligence
  (0.50 .. 0.98; see ``_DIRECTORS``), 25 project managers, 8 monitors, 8 channel partners plus
  direct (blank 渠道商, about 40 %), about 400 distinct customers (city departments and
  enterprises, many repeat customers).
* Amounts in 万元: lognormal, median about 300; at least ``n/500`` projects over 5000 and
  ``n/80`` over 2000. The declared 项目等级 follows the amount rule except for about a quarter
  of the projects over 2000万, which are deliberately declared too low (audit findings, about
  1 % of all rows: only a grade *below* the amount's can be proven wrong).
* Stage paths: 线索 需求确认 立项 方案设计 投标 谈判, then 赢单 (sometimes written 合同签订),
  丢单 or 放弃. About 15 % skip a stage (entering at 需求确认/立项 or jumping one), about 10 %
  move back once and re-enter, some stall for months. Projects whose path has not ended by
  ``export_date`` are open (状态 进行中).

Files (headers exactly as below)
--------------------------------
1. ``商机台账.xlsx`` sheet ``商机``: 项目编号 项目名称 客户名称 区域 系统部 项目总监 项目经理
   监控人 渠道商 项目等级 预计金额（万元） 项目阶段 状态 创建日期 立项日期 预计签约日期 结束日期
   丢单原因 竞争对手 回款金额（万元） 客户满意度. Messiness: about 10 % of date cells are text
   ("2025/3/7", "2025年3月7日", "2025-03-07 14:30:00"), a few text cells (including two
   项目编号) carry leading/trailing ASCII or full-width (U+3000) spaces, a few names contain
   "&" or "<一期>", about 4 % of amounts are text like "1,234.50".
   Three hand-typed rows at the bottom are deliberately bad (``DEMO_BAD_ROWS``):
   SQ-2025-9901 has 预计金额（万元） "待定", SQ-2025-9902 has 创建日期 "2025-13-45",
   SQ-2025-9903 has 状态 "暂停". Their ids appear in no other file, so rejecting the three rows
   leaves nothing orphaned.
2. ``阶段变更记录.csv`` (GBK): 项目编号 阶段 进入日期 ("2025/3/7"), one row per stage entry
   including the terminal one, chronological per project, projects interleaved by date.
   It agrees with the ledger: first entry = 创建日期, terminal entry = 状态 and 结束日期, last
   non-terminal entry = 项目阶段, first 立项 entry = 立项日期.
3. ``项目活动.csv`` (UTF-8 with BOM): 项目编号 活动类型 日期 (ISO).
4. ``项目档案.csv`` (UTF-8): 项目编号 文档类型 归档日期 (ISO).
5. ``业绩目标.csv`` (UTF-8): 目标范围 (公司 / 区域:华东 / 总监：张伟, ASCII or full-width
   colon) 期间 (2025, 2025-Q3) 目标金额（万元）: every quarter (regions, directors) and year
   (company) from the first full calendar year of the history to the year of ``export_date``;
   roughly the achievement times 1.1 .. 1.45, except 刘洋 and 孙悦 (beat theirs) and 朱琳 and
   黄丽华 (far below theirs).

>>> from datetime import date; import tempfile
>>> files = generate_demo(Path(tempfile.mkdtemp()), export_date=date(2026, 11, 27), n_projects=300)
>>> [p.name for p in files.all()][:2]
['商机台账.xlsx', '阶段变更记录.csv']
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import numpy as np

__all__ = ["DemoFiles", "BadRow", "DEMO_BAD_ROWS", "generate_demo", "demo_summary",
           "history_start", "latest_complete_quarter"]

# ---------------------------------------------------------------------------------------------
# File names and headers (the ingest's built-in aliases know these)

PROJECTS_FILE = "商机台账.xlsx"
PROJECTS_SHEET = "商机"
STAGE_HISTORY_FILE = "阶段变更记录.csv"
ACTIVITIES_FILE = "项目活动.csv"
DOCUMENTS_FILE = "项目档案.csv"
TARGETS_FILE = "业绩目标.csv"

AMOUNT_HEADER = "预计金额（万元）"
COLLECTED_HEADER = "回款金额（万元）"
TARGET_AMOUNT_HEADER = "目标金额（万元）"

PROJECT_HEADERS = (
    "项目编号", "项目名称", "客户名称", "区域", "系统部", "项目总监", "项目经理", "监控人", "渠道商",
    "项目等级", AMOUNT_HEADER, "项目阶段", "状态", "创建日期", "立项日期", "预计签约日期", "结束日期",
    "丢单原因", "竞争对手", COLLECTED_HEADER, "客户满意度",
)
STAGE_HISTORY_HEADERS = ("项目编号", "阶段", "进入日期")
ACTIVITY_HEADERS = ("项目编号", "活动类型", "日期")
DOCUMENT_HEADERS = ("项目编号", "文档类型", "归档日期")
TARGET_HEADERS = ("目标范围", "期间", TARGET_AMOUNT_HEADER)


class BadRow(NamedTuple):
    """A deliberately invalid row: the ingest must reject it (file, project id, column, value)."""

    file: str
    project_id: str
    column: str
    value: str


#: The exactly three deliberately bad rows of the demo ledger (hand-typed rows at the bottom).
DEMO_BAD_ROWS: tuple[BadRow, ...] = (
    BadRow(PROJECTS_FILE, "SQ-2025-9901", AMOUNT_HEADER, "待定"),
    BadRow(PROJECTS_FILE, "SQ-2025-9902", "创建日期", "2025-13-45"),
    BadRow(PROJECTS_FILE, "SQ-2025-9903", "状态", "暂停"),
)

# ---------------------------------------------------------------------------------------------
# Vocabulary

STAGES = ("线索", "需求确认", "立项", "方案设计", "投标", "谈判")
LEAD, QUALIFIED, INITIATED, SOLUTION, BIDDING, NEGOTIATION = range(6)
WON, WON_ALT, LOST, ABANDONED, OPEN = "赢单", "合同签订", "丢单", "放弃", "进行中"
ACTIVITY_KINDS = ("项目周报", "项目分析会", "客户拜访", "方案评审", "总结报告", "评价报告")
DOC_TYPES = ("调研报告", "分析报告", "项目可行性分析", "项目策划", "项目计划", "建设方案", "解决方案",
             "立项报告", "投标书", "合同", "实施计划", "运营维护", "风险控制", "客户拜访纪要", "来往邮件",
             "洽谈纪要", "相关信息", "项目总结")
#: Archive documents written when a stage is first entered.
_DOCS_AT_STAGE = {
    LEAD: ("调研报告", "客户拜访纪要", "相关信息"),
    QUALIFIED: ("分析报告", "项目可行性分析"),
    INITIATED: ("立项报告", "项目策划", "项目计划"),
    SOLUTION: ("建设方案", "解决方案", "风险控制"),
    BIDDING: ("投标书", "来往邮件"),
    NEGOTIATION: ("洽谈纪要",),
}
_DOCS_AT_WIN = ("合同", "实施计划", "运营维护")

REGIONS = ("华东", "华南", "华北", "西南", "华中", "西北")
DEPARTMENTS = ("政府系统部", "企业系统部")
GRADES = ("公司级", "系统部级", "办事处重点", "渠道项目")


@dataclass(frozen=True)
class _Director:
    name: str
    region: str
    department: str
    skill: float      # latent win probability of a project
    speed: float      # multiplier of stage durations (lower is faster)
    diligence: float  # probability a due weekly report / archive document exists
    volume: float     # relative number of projects
    ambition: float   # target / expected achievement (below 1: beats the target)


_GOV, _ENT = DEPARTMENTS
_DIRECTORS = (
    _Director("张伟", "华东", _GOV, 0.55, 0.80, 0.95, 1.40, 1.15),
    _Director("王芳", "华东", _ENT, 0.38, 1.00, 0.90, 1.00, 1.20),
    _Director("李建国", "华东", _GOV, 0.22, 1.30, 0.60, 1.10, 1.25),
    _Director("刘洋", "华南", _GOV, 0.48, 0.90, 0.85, 1.20, 0.80),
    _Director("陈静", "华南", _ENT, 0.30, 1.10, 0.98, 0.90, 1.10),
    _Director("杨海涛", "华南", _GOV, 0.15, 1.50, 0.50, 0.85, 1.30),
    _Director("赵磊", "华北", _GOV, 0.42, 0.85, 0.75, 1.30, 1.20),
    _Director("黄丽华", "华北", _ENT, 0.26, 1.20, 0.70, 0.80, 2.00),
    _Director("周杰", "华北", _GOV, 0.35, 1.00, 0.88, 1.00, 1.15),
    _Director("吴敏", "西南", _GOV, 0.52, 0.75, 0.92, 1.10, 1.25),
    _Director("徐志强", "西南", _ENT, 0.18, 1.40, 0.55, 0.90, 1.20),
    _Director("孙悦", "华中", _GOV, 0.45, 0.95, 0.80, 1.00, 0.85),
    _Director("马俊峰", "华中", _ENT, 0.28, 1.25, 0.65, 0.85, 1.30),
    _Director("朱琳", "西北", _GOV, 0.40, 1.05, 0.78, 0.90, 1.60),
    _Director("胡斌", "西北", _ENT, 0.20, 1.35, 0.58, 0.75, 1.20),
)
_REGION_AMBITION = {"华东": 1.15, "华南": 1.25, "华北": 1.10, "西南": 1.20, "华中": 1.30, "西北": 1.45}

_MANAGERS = {
    "华东": ("钱海波", "孙丽", "李明", "周晓东", "郑丹"),
    "华南": ("吴刚", "冯雪", "陈晨", "褚志远"),
    "华北": ("卫强", "蒋涛", "沈洁", "韩冰", "王磊"),
    "西南": ("杨光", "朱浩", "秦亮", "尤佳"),
    "华中": ("许诺", "何平", "吕鹏", "施雨"),
    "西北": ("张敏", "孔祥瑞", "曹阳"),
}
_MONITORS = {_GOV: ("高建华", "林国栋", "罗文博", "梁志刚"), _ENT: ("宋美玲", "谢永春", "唐振华", "董立新")}


@dataclass(frozen=True)
class _Partner:
    name: str
    region: str
    volume: float
    win_factor: float


_PARTNERS = (
    _Partner("华东智联科技有限公司", "华东", 3.0, 1.30),
    _Partner("杭州云泊信息技术有限公司", "华东", 1.0, 0.80),
    _Partner("深圳市前海停车科技有限公司", "华南", 2.0, 1.10),
    _Partner("北京京通智行科技有限公司", "华北", 1.5, 1.00),
    _Partner("四川蜀道智慧交通有限公司", "西南", 1.2, 1.40),
    _Partner("重庆渝泊科技有限公司", "西南", 0.6, 0.70),
    _Partner("武汉楚天智联科技有限公司", "华中", 1.0, 0.90),
    _Partner("陕西秦川信息工程有限公司", "西北", 0.5, 0.60),
)

_CITIES = {
    "华东": ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门", "无锡", "温州"),
    "华南": ("广州", "深圳", "东莞", "佛山", "南宁", "海口", "珠海", "三亚"),
    "华北": ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山", "保定"),
    "西南": ("成都", "重庆", "昆明", "贵阳", "绵阳", "遵义"),
    "华中": ("武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳"),
    "西北": ("西安", "兰州", "银川", "西宁", "乌鲁木齐", "宝鸡"),
}
#: Government customers (city department suffix -> typical project subjects).
_GOV_UNITS = {
    "城市管理局": ("智慧停车", "路内停车收费管理系统", "城市级智慧停车平台"),
    "交通运输局": ("静态交通综合管理平台", "停车诱导系统", "智慧停车"),
    "公安局交通管理局": ("违停抓拍系统", "交通信号与停车诱导系统", "智慧停车"),
    "住房和城乡建设局": ("公共停车场建设", "停车设施规划及信息化", "老旧小区停车改造"),
    "发展和改革委员会": ("城市级智慧停车平台", "停车资源普查", "智慧停车"),
    "城市建设投资集团有限公司": ("公共停车场智能化改造", "立体停车库", "智慧停车"),
    "静态交通投资运营有限公司": ("智慧停车运营平台", "路内停车泊位改造", "停车诱导系统"),
}
_ENT_SUBJECTS = ("停车场智能化改造", "停车诱导系统", "无感支付停车", "智慧停车管理平台",
                 "充电桩与停车一体化", "车位引导及反向寻车系统")
#: Enterprises bound to a city: (full name template, short name template).
_ENT_CITY_UNITS = (("{c}地铁集团有限公司", "{c}地铁"), ("{c}市第一人民医院", "{c}市第一人民医院"),
                   ("{c}国际会展中心有限公司", "{c}国际会展中心"))
#: Enterprises active in every region (the short name gets the project's city).
_ENT_NATIONAL = (("万达商业管理集团", "{c}万达广场"), ("华润万象生活有限公司", "{c}万象城"),
                 ("龙湖集团控股有限公司", "{c}龙湖天街"), ("银泰商业集团", "{c}银泰城"),
                 ("万科物业服务股份有限公司", "{c}万科城"))
_ENT_AIRPORTS = (("首都机场集团有限公司", "北京大兴国际机场", "华北"),
                 ("上海机场集团有限公司", "上海虹桥国际机场", "华东"),
                 ("广东省机场管理集团有限公司", "广州白云国际机场", "华南"),
                 ("四川省机场集团有限公司", "成都天府国际机场", "西南"),
                 ("湖北机场集团有限公司", "武汉天河国际机场", "华中"),
                 ("西部机场集团有限公司", "西安咸阳国际机场", "西北"))
_LOST_REASONS = ("价格因素", "技术方案未获认可", "竞争对手客户关系强", "客户预算削减",
                 "资质不满足招标要求", "商务条件未达成一致")
_COMPETITORS = ("智泊科技", "安停智能", "路通信息", "城泊网络", "易停宝科技", "泊联股份")
_CN_NUM = "一二三四五六七八九十"

# Stage duration medians in days (before director speed and grade factors).
_STAGE_MEDIAN_DAYS = (18.0, 22.0, 12.0, 38.0, 28.0, 18.0)
_MONTH_WEIGHT = (0.9, 0.6, 1.1, 1.1, 1.05, 1.0, 0.95, 0.9, 1.05, 0.8, 1.1, 1.0)


# ---------------------------------------------------------------------------------------------
# Public API

@dataclass(frozen=True)
class DemoFiles:
    """The five demo exports, as written by :func:`generate_demo`."""

    projects: Path       # 商机台账.xlsx
    stage_history: Path  # 阶段变更记录.csv (GBK)
    activities: Path     # 项目活动.csv (UTF-8 with BOM)
    documents: Path      # 项目档案.csv (UTF-8)
    targets: Path        # 业绩目标.csv (UTF-8)

    def all(self) -> list[Path]:
        """The files in load order: projects, stage history, activities, documents, targets."""
        return [self.projects, self.stage_history, self.activities, self.documents, self.targets]


def latest_complete_quarter(export_date: date) -> tuple[date, date]:
    """First and last day of the latest quarter that ends on or before ``export_date``.

    >>> latest_complete_quarter(date(2026, 11, 27))
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    >>> latest_complete_quarter(date(2026, 9, 30))
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    """
    q_start = date(export_date.year, 3 * ((export_date.month - 1) // 3) + 1, 1)
    next_q = _add_months(q_start, 3)
    if export_date == next_q - timedelta(days=1):  # the quarter of export_date is complete
        return q_start, export_date
    start = _add_months(q_start, -3)
    return start, q_start - timedelta(days=1)


def history_start(export_date: date) -> date:
    """First day of the demo history: 8 quarters before the latest complete quarter starts.

    >>> history_start(date(2026, 11, 27))
    datetime.date(2024, 7, 1)
    """
    return _add_months(latest_complete_quarter(export_date)[0], -24)


def generate_demo(out_dir: Path, *, seed: int = 20261127, export_date: date,
                  n_projects: int = 3000) -> DemoFiles:
    """Write the five demo exports into ``out_dir`` (created if needed) and return their paths.

    ``n_projects`` (200 .. 20000) generated projects plus the 3 bad rows of ``DEMO_BAD_ROWS``.
    Deterministic: the same arguments give byte-identical files. Files are written atomically
    (temporary name, then renamed).

    >>> import tempfile
    >>> f = generate_demo(Path(tempfile.mkdtemp()), export_date=date(2026, 11, 27), n_projects=200)
    >>> f.stage_history.read_bytes().decode("gbk").splitlines()[0]
    '项目编号,阶段,进入日期'
    """
    if not 200 <= n_projects <= 20000:
        raise ValueError(f"n_projects must be between 200 and 20000, got {n_projects}")
    if isinstance(export_date, datetime) or not isinstance(export_date, date):
        raise TypeError(f"export_date must be a datetime.date, got {export_date!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world = _World(np.random.default_rng(seed), export_date, n_projects, rivals=np.random.default_rng([seed, 12]))
    world.build()
    files = DemoFiles(
        projects=out_dir / PROJECTS_FILE,
        stage_history=out_dir / STAGE_HISTORY_FILE,
        activities=out_dir / ACTIVITIES_FILE,
        documents=out_dir / DOCUMENTS_FILE,
        targets=out_dir / TARGETS_FILE,
    )
    _atomic_write(files.projects, world.projects_xlsx())
    _atomic_write(files.stage_history, _csv_bytes(STAGE_HISTORY_HEADERS, world.history_rows(), "gbk"))
    _atomic_write(files.activities, _csv_bytes(ACTIVITY_HEADERS, world.activity_rows, "utf-8-sig"))
    _atomic_write(files.documents, _csv_bytes(DOCUMENT_HEADERS, world.document_rows, "utf-8"))
    _atomic_write(files.targets, _csv_bytes(TARGET_HEADERS, world.target_rows(), "utf-8"))
    return files


def demo_summary(files: DemoFiles) -> dict:
    """Counts read back from the generated files themselves (not from any database).

    Keys: ``projects``, ``stage_history``, ``activities``, ``documents``, ``targets`` (data rows
    per file; ``projects`` includes the bad rows), ``bad_rows``, ``status`` (ledger rows per 状态
    value), ``directors``, ``channels`` (partners, direct not counted), ``customers``,
    ``first_created`` / ``last_event`` (ISO dates from the stage history).
    """
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(files.projects)).get_sheet_by_name(PROJECTS_SHEET).to_python()[1:]
    col = {h: i for i, h in enumerate(PROJECT_HEADERS)}

    def distinct(name: str) -> int:
        return len({str(r[col[name]]).strip() for r in rows if r[col[name]] not in (None, "")})

    status: dict[str, int] = {}
    for r in rows:
        status[str(r[col["状态"]])] = status.get(str(r[col["状态"]]), 0) + 1
    history = _read_csv(files.stage_history, "gbk")
    dates = sorted(date(*map(int, d.split("/"))) for _, _, d in history)
    return {
        "projects": len(rows),
        "stage_history": len(history),
        "activities": len(_read_csv(files.activities, "utf-8-sig")),
        "documents": len(_read_csv(files.documents, "utf-8")),
        "targets": len(_read_csv(files.targets, "utf-8")),
        "bad_rows": len(DEMO_BAD_ROWS),
        "status": dict(sorted(status.items())),
        "directors": distinct("项目总监"),
        "channels": distinct("渠道商"),
        "customers": distinct("客户名称"),
        "first_created": dates[0].isoformat() if dates else None,
        "last_event": dates[-1].isoformat() if dates else None,
    }


# ---------------------------------------------------------------------------------------------
# The simulation

@dataclass(frozen=True)
class _Customer:
    name: str
    region: str | None  # None: active in every region
    kind: str           # department that serves it
    city: str | None    # fixed city, or None (use the project's city)
    short: str          # name stem for project names ({c} = project city)
    subjects: tuple[str, ...]


@dataclass
class _Project:
    idx: int
    created: int  # date ordinals
    director: _Director
    region: str
    department: str
    manager: str
    monitor: str
    partner: _Partner | None
    customer: _Customer
    name: str
    diligence: float
    expected_close: int
    amount: float = 0.0  # 万元
    grade: str = ""
    outcome: str = ""  # WON / LOST / ABANDONED (as it will end, maybe after export_date)
    pid: str = ""
    events: list[tuple[int, int]] = field(default_factory=list)  # (stage index, date ordinal)
    closed: int | None = None  # terminal date ordinal, None if still open at export_date
    status: str = OPEN
    terminal_label: str = ""
    stalls: list[tuple[int, int]] = field(default_factory=list)  # (start, end) of long visits
    lost_reason: str | None = None
    competitor: str | None = None
    collected: float | None = None
    satisfaction: int | None = None

    @property
    def initiated(self) -> int | None:
        return next((d for s, d in self.events if s == INITIATED), None)


class _World:
    def __init__(self, rng: np.random.Generator, export_date: date, n: int,
                 rivals: np.random.Generator | None = None):
        self.rng = rng
        # the further rivals a project names draw from their own generator, so that adding them changed
        # nothing else the demo holds (the golden numbers, the forecast's features)
        self.rivals = rivals if rivals is not None else np.random.default_rng(0)
        self.export = export_date.toordinal()
        self.export_date = export_date
        self.start = history_start(export_date).toordinal()
        self.n = n
        self.projects: list[_Project] = []
        self.activity_rows: list[tuple[str, str, str]] = []
        self.document_rows: list[tuple[str, str, str]] = []

    # -- building -------------------------------------------------------------------------
    def build(self) -> None:
        self._make_customers()
        created = self._created_dates()
        director_p = np.array([d.volume for d in _DIRECTORS])
        director_idx = self.rng.choice(len(_DIRECTORS), size=self.n, p=director_p / director_p.sum())
        name_counter: dict[tuple[str, str], int] = {}
        for i in range(self.n):
            self.projects.append(self._make_project(i, int(created[i]), _DIRECTORS[int(director_idx[i])],
                                                    name_counter))
        amounts = self._amounts()
        for p, amount in zip(self.projects, amounts):
            self._decide(p, float(amount))
            self._simulate_path(p)
            self._finish(p)
        self._assign_ids()
        self._sprinkle_name_escapes()
        for p in self.projects:
            self._activities(p)
            self._documents(p)
        self.activity_rows.sort(key=lambda r: (r[2], r[0], ACTIVITY_KINDS.index(r[1])))

    def _make_customers(self) -> None:
        customers: list[_Customer] = []
        for region, cities in _CITIES.items():
            for c in cities:
                for unit, subjects in _GOV_UNITS.items():
                    customers.append(_Customer(f"{c}市{unit}", region, _GOV, c, f"{c}市", subjects))
                for full, short in _ENT_CITY_UNITS:
                    customers.append(_Customer(full.format(c=c), region, _ENT, c,
                                               short.format(c=c), _ENT_SUBJECTS))
        for full, short in _ENT_NATIONAL:
            customers.append(_Customer(full, None, _ENT, None, short, _ENT_SUBJECTS))
        for full, short, region in _ENT_AIRPORTS:
            customers.append(_Customer(full, region, _ENT, None, short, _ENT_SUBJECTS))
        weights = self.rng.lognormal(0.0, 1.1, size=len(customers))
        first_national = len(customers) - len(_ENT_AIRPORTS) - len(_ENT_NATIONAL)
        weights[first_national:first_national + len(_ENT_NATIONAL)] *= 3.0  # busy national chains
        self.customers = customers
        self.pools: dict[tuple[str, str], tuple[list[_Customer], np.ndarray]] = {}
        for region in REGIONS:
            for kind in DEPARTMENTS:
                idx = [k for k, cu in enumerate(customers)
                       if cu.kind == kind and cu.region in (region, None)]
                w = weights[idx]
                self.pools[(region, kind)] = ([customers[k] for k in idx], w / w.sum())

    def _created_dates(self) -> np.ndarray:
        days = np.arange(self.start, self.export + 1)
        months = np.array([date.fromordinal(int(d)).month for d in days])
        weekday = (days - 1) % 7  # date.fromordinal(1) is a Monday -> 0
        w = np.array(_MONTH_WEIGHT)[months - 1] * np.where(weekday >= 5, 0.25, 1.0)
        w = w * (1.0 + 0.15 * (days - self.start) / max(1, len(days) - 1))  # slow growth
        return np.sort(self.rng.choice(days, size=self.n, p=w / w.sum()))

    def _amounts(self) -> np.ndarray:
        """Amounts in 万元: lognormal, median about 300 (channel deals smaller), big deals guaranteed.

        At least ``n/500`` amounts are over 5000 and ``n/80`` over 2000.
        """
        factor = np.array([0.8 if p.partner else 1.25 for p in self.projects])
        a = self.rng.lognormal(math.log(300.0), 1.0, size=self.n) * factor
        order = np.argsort(-a, kind="stable")
        k50 = max(1, round(self.n / 500))
        k20 = max(k50 + 1, round(self.n / 80))
        for rank, i in enumerate(order[:k20]):
            if rank < k50 and a[i] <= 5000:
                a[i] = self.rng.uniform(5100, 15000)
            elif rank >= k50 and a[i] <= 2000:
                a[i] = self.rng.uniform(2050, 4900)
        return np.round(np.clip(a, 8.0, None), 2)

    def _make_project(self, i: int, created: int, d: _Director,
                      name_counter: dict[tuple[str, str], int]) -> _Project:
        rng = self.rng
        region = d.region if rng.random() < 0.92 else REGIONS[int(rng.integers(len(REGIONS)))]
        department = d.department if rng.random() < 0.95 else DEPARTMENTS[1 - DEPARTMENTS.index(d.department)]
        managers = _MANAGERS[region]
        manager = managers[int(rng.integers(len(managers)))]
        monitors = _MONITORS[department]
        monitor = monitors[int(rng.integers(len(monitors)))]
        partner = None
        if rng.random() >= (0.45 if department == _GOV else 0.35):
            local = [pt for pt in _PARTNERS if pt.region == region]
            pool = local if (local and rng.random() < 0.8) else list(_PARTNERS)
            w = np.array([pt.volume for pt in pool])
            partner = pool[int(rng.choice(len(pool), p=w / w.sum()))]
        custs, cw = self.pools[(region, department)]
        customer = custs[int(rng.choice(len(custs), p=cw))]
        city = customer.city or _CITIES[region][int(rng.integers(len(_CITIES[region])))]
        subject = customer.subjects[int(rng.integers(len(customer.subjects)))]
        key = (customer.short.format(c=city), subject)
        name_counter[key] = name_counter.get(key, 0) + 1
        k = name_counter[key]
        if k == 1:
            u = rng.random()
            phase = "一期项目" if u < 0.45 else "项目" if u < 0.8 else "建设项目"
            if subject.endswith(("系统", "平台")) and u >= 0.9:
                phase = ""
        elif k <= 3:
            phase = f"{_CN_NUM[k - 1]}期项目"
        else:
            year = date.fromordinal(created).year
            phase = ("扩容项目", "升级改造项目", "运维服务项目", f"（{year}年）项目")[int(rng.integers(4))]
        name = f"{key[0]}{subject}{phase}"
        diligence = float(np.clip(d.diligence + rng.normal(0, 0.04), 0.3, 0.995))
        expected = created + int(rng.lognormal(math.log(150 * d.speed), 0.4))
        return _Project(i, created, d, region, department, manager, monitor, partner, customer,
                        name, diligence, expected)

    def _decide(self, p: _Project, amount: float) -> None:
        """Amount, declared grade and the outcome the project is heading for."""
        p.amount = amount
        p.grade = self._grade(amount, p.partner is not None)
        win_p = p.director.skill * (p.partner.win_factor if p.partner else 1.0) * (0.8 if amount > 2000 else 1.0)
        if self.rng.random() < min(0.9, max(0.03, win_p)):
            p.outcome = WON
        else:
            p.outcome = LOST if self.rng.random() < 0.55 else ABANDONED

    def _grade(self, amount: float, channel: bool) -> str:
        u = self.rng.random()
        if amount > 5000:
            return "公司级" if u < 0.75 else ("系统部级" if u < 0.9 else "办事处重点")
        if amount > 2000:
            return "系统部级" if u < 0.68 else ("公司级" if u < 0.75 else "办事处重点")
        if channel:
            return "渠道项目" if u < 0.7 else "办事处重点"
        return "办事处重点" if u < 0.7 else ("系统部级" if u < 0.95 else "公司级")

    def _simulate_path(self, p: _Project) -> None:
        rng = self.rng
        u = rng.random()
        entry = LEAD if u < 0.91 else (QUALIFIED if u < 0.96 else INITIATED)
        if p.outcome == WON:
            exit_stage = NEGOTIATION if rng.random() < 0.9 else BIDDING
        elif p.outcome == LOST:
            exit_stage = int(rng.choice(6, p=[0.0, 0.02, 0.05, 0.10, 0.53, 0.30]))
        else:
            exit_stage = int(rng.choice(6, p=[0.28, 0.30, 0.20, 0.12, 0.06, 0.04]))
        exit_stage = max(exit_stage, entry)
        path = list(range(entry, exit_stage + 1))
        if len(path) >= 3 and rng.random() < 0.09:  # jump over one stage
            del path[int(rng.integers(1, len(path) - 1))]
        if rng.random() < 0.16:  # move back once, re-enter later
            cands = [k for k in range(1, len(path)) if path[k] >= SOLUTION]
            if cands:
                k = cands[int(rng.integers(len(cands)))]
                path = path[:k + 1] + [path[k - 1], path[k]] + path[k + 1:]
        grade_factor = {"公司级": 1.6, "系统部级": 1.25}.get(p.grade, 1.0)
        scale = p.director.speed * grade_factor
        durations = [max(1, int(round(rng.lognormal(math.log(_STAGE_MEDIAN_DAYS[s] * scale), 0.55))))
                     for s in path]
        if rng.random() < 0.12:  # a long stall in one visit
            weights = np.array([2.0 if s in (SOLUTION, BIDDING) else 1.0 for s in path])
            k = int(rng.choice(len(path), p=weights / weights.sum()))
            durations[k] = int(durations[k] * rng.uniform(3.0, 6.0)) + 60
        t = p.created
        for s, dur in zip(path, durations):
            if t > self.export:
                break
            p.events.append((s, t))
            if dur >= 90:
                p.stalls.append((t, t + dur))
            t += dur
        if t <= self.export and len(p.events) == len(path):
            p.closed = t
            p.status = p.outcome
            p.terminal_label = WON_ALT if (p.outcome == WON and rng.random() < 0.15) else p.outcome

    def _finish(self, p: _Project) -> None:
        rng = self.rng
        u = rng.random()
        if p.status == LOST:
            p.lost_reason = _LOST_REASONS[int(rng.integers(len(_LOST_REASONS)))] if u < 0.95 else None
        comp_p = {LOST: 0.75, WON: 0.30, ABANDONED: 0.15, OPEN: 0.25}[p.status]
        if rng.random() < comp_p:
            p.competitor = _COMPETITORS[int(rng.integers(len(_COMPETITORS)))]
            p.competitor = self._more_rivals(p.competitor, p.status)
        if p.status == WON:
            age = self.export - p.closed
            frac = 0.0 if rng.random() < 0.08 else min(1.0, 0.3 + age / rng.uniform(200, 600))
            p.collected = round(p.amount * frac, 2)
            if rng.random() < 0.88:
                shift = (p.director.skill - 0.35) * 0.5
                pr = np.array([0.03, 0.07, 0.20 - shift / 2, 0.40, 0.30 + shift])
                p.satisfaction = int(rng.choice(5, p=pr / pr.sum())) + 1
        elif p.status in (LOST, ABANDONED) and rng.random() < 0.25:
            p.satisfaction = int(rng.choice(5, p=[0.1, 0.2, 0.4, 0.2, 0.1])) + 1

    def _more_rivals(self, first: str, status: str) -> str:
        """``first``, and for a share of the projects (more of the lost ones: a bid lost to a field) one or
        two more rivals, the repeat rivals 易停宝科技 and 安停智能 the likeliest, written as exports write
        several: ``、`` mostly, sometimes ``, `` or ``/``."""
        r = self.rivals
        extra = int(r.choice(3, p=[0.55, 0.35, 0.10] if status == LOST else [0.80, 0.17, 0.03]))
        weights = np.array([1.0 if c not in ("易停宝科技", "安停智能") else 2.5 for c in _COMPETITORS])
        names = [first]
        for _ in range(extra):
            w = np.array([0.0 if c in names else x for c, x in zip(_COMPETITORS, weights)])
            names.append(_COMPETITORS[int(r.choice(len(_COMPETITORS), p=w / w.sum()))])
        return str(r.choice(["、", "、", "、", ", ", "/"])).join(names)

    def _assign_ids(self) -> None:
        per_year: dict[int, int] = {}
        for p in self.projects:  # already in creation order
            y = date.fromordinal(p.created).year
            per_year[y] = per_year.get(y, 0) + 1
            if per_year[y] >= 9900:
                raise ValueError("too many projects per year for the SQ-YYYY-NNNN ids; lower n_projects")
            p.pid = f"SQ-{y}-{per_year[y]:04d}"

    def _sprinkle_name_escapes(self) -> None:
        """A few project names need HTML escaping: "&" and "<一期>"."""
        k = max(2, self.n // 600)
        idx = self.rng.choice(self.n, size=2 * k, replace=False)
        for j, i in enumerate(idx):
            p = self.projects[int(i)]
            if j % 2 == 0:
                p.name = p.name.replace("停车", "停车&充电", 1) if "停车" in p.name else p.name + "&运维"
            else:
                base = re.sub(r"(一期项目|建设项目|项目|[二三四五六七八九十]期项目)$", "", p.name)
                p.name = f"{base}<一期>项目"

    # -- activities and documents ---------------------------------------------------------
    def _activities(self, p: _Project) -> None:
        rng, out, pid = self.rng, self.activity_rows, p.pid
        dil = p.diligence
        end = p.closed if p.closed is not None else self.export

        def add(kind: str, day: int) -> None:
            if p.created <= day <= self.export:
                out.append((pid, kind, date.fromordinal(int(day)).isoformat()))

        init = p.initiated
        if init is not None:
            weeks = np.arange(init + 7, end + 1, 7)
            keep = rng.random(len(weeks)) < dil
            jitter = rng.integers(0, 3, size=len(weeks))
            for w, j in zip(weeks[keep], jitter[keep]):
                add("项目周报", min(int(w + j), end))
            if rng.random() < dil:
                add("项目分析会", init + int(rng.integers(0, 15)))
            months = (end - init) // 30
            extra = rng.random(months) < max(0.0, dil - 0.55)
            for m in np.nonzero(extra)[0]:
                add("项目分析会", init + 30 * int(m + 1) - int(rng.integers(0, 10)))
        bid = next((d for s, d in p.events if s == BIDDING), None)
        if bid is not None and rng.random() < dil:
            add("项目分析会", max(p.created, bid - int(rng.integers(1, 15))))
        for s0, s1 in p.stalls:
            if rng.random() < dil * 0.9:
                day = s0 + 60 + int(rng.integers(0, 30))
                if day < s1:
                    add("项目分析会", day)
        span = max(1, end - p.created)
        for _ in range(int(rng.poisson(span / 40 * (0.4 + dil)))):
            add("客户拜访", p.created + int(rng.integers(0, span + 1)))
        for k, (s, d) in enumerate(p.events):
            if s == SOLUTION and rng.random() < 0.4 + 0.5 * dil:
                nxt = p.events[k + 1][1] if k + 1 < len(p.events) else (p.closed or self.export)
                add("方案评审", d + int(rng.integers(0, max(1, nxt - d))))
        if p.closed is not None and init is not None:
            if rng.random() < dil:
                add("总结报告", p.closed + max(1, int(rng.lognormal(math.log(14), 0.7))))
            if rng.random() < 0.5 + 0.45 * dil:
                add("评价报告", p.closed + max(1, int(rng.lognormal(math.log(20), 0.6))))

    def _documents(self, p: _Project) -> None:
        rng, out, pid = self.rng, self.document_rows, p.pid
        rows: list[tuple[int, int, str]] = []

        def add(doc: str, day: int) -> None:
            if p.created <= day <= self.export:
                rows.append((day, DOC_TYPES.index(doc), doc))

        seen: set[int] = set()
        for s, d in p.events:
            if s in seen:
                continue
            seen.add(s)
            for doc in _DOCS_AT_STAGE[s]:
                if rng.random() < p.diligence:
                    add(doc, d + int(rng.integers(0, 15)))
        if p.status == WON:
            for doc in _DOCS_AT_WIN:
                if rng.random() < p.diligence:
                    add(doc, p.closed + int(rng.integers(0 if doc == "合同" else 5, 11 if doc == "合同" else 41)))
        if p.closed is not None and p.initiated is not None and rng.random() < p.diligence:
            add("项目总结", p.closed + max(1, int(rng.lognormal(math.log(12), 0.6))))
        rows.sort()
        out.extend((pid, doc, date.fromordinal(day).isoformat()) for day, _, doc in rows)

    # -- outputs --------------------------------------------------------------------------
    def history_rows(self) -> list[tuple[str, str, str]]:
        keyed = []
        for p in self.projects:
            for k, (s, d) in enumerate(p.events):
                keyed.append((d, p.idx, k, STAGES[s]))
            if p.closed is not None:
                keyed.append((p.closed, p.idx, len(p.events), p.terminal_label))
        keyed.sort()
        return [(self.projects[i].pid, label, _slash_date(d)) for d, i, _, label in keyed]

    def target_rows(self) -> list[tuple[str, str, str]]:
        """Targets in 万元: expected achievement times an ambition factor, noisy, rounded to 10.

        Targets exist for every quarter (regions, directors) and year (company) of the calendar
        years from the first full year of the history through the year of ``export_date``.
        """
        rng = self.rng
        first = date.fromordinal(self.start)
        first_year = first.year + (0 if first.month == 1 else 1)
        _, lcq_end = latest_complete_quarter(self.export_date)
        complete = _quarters(first, lcq_end)
        quarters = _quarters(date(first_year, 1, 1), date(self.export_date.year, 12, 31))
        won_dq: dict[tuple[str, str], float] = {}
        won_rq: dict[tuple[str, str], float] = {}
        for p in self.projects:
            if p.status == WON:
                q = _quarter_label(date.fromordinal(p.closed))
                won_dq[(p.director.name, q)] = won_dq.get((p.director.name, q), 0.0) + p.amount
                won_rq[(p.region, q)] = won_rq.get((p.region, q), 0.0) + p.amount
        won_q: dict[str, float] = {}
        for (_, q), v in won_rq.items():
            won_q[q] = won_q.get(q, 0.0) + v
        # the first two quarters are a ramp-up (no projects before the history): leave them out
        recent = complete[2:] if len(complete) >= 6 else complete[-4:]
        mean_recent = max(1.0, sum(won_q.get(q, 0.0) for q in recent) / len(recent))
        season = {1: 0.8, 2: 1.0, 3: 1.0, 4: 1.2}
        # how much a quarter is expected to bring relative to a recent average quarter
        shape = {q: (won_q.get(q, 0.0) / mean_recent if q in complete else season[int(q[-1])])
                 for q in quarters}

        def quarterly(won: dict[tuple[str, str], float], key: str, ambition: float) -> list[float]:
            base = sum(won.get((key, q), 0.0) for q in recent) / len(recent)
            vals = []
            for q in quarters:
                v = base * ambition * shape[q] * float(rng.normal(1.0, 0.08))
                vals.append(max(50.0, round(v / 10.0) * 10.0))
            return vals

        def colon() -> str:
            return "：" if rng.random() < 0.3 else ":"

        region_rows, director_rows = [], []
        region_q: dict[str, float] = {}
        for region in REGIONS:
            for q, v in zip(quarters, quarterly(won_rq, region, _REGION_AMBITION[region])):
                region_rows.append((f"区域{colon()}{region}", q, _fmt_wan(v)))
                region_q[q] = region_q.get(q, 0.0) + v
        for d in _DIRECTORS:
            for q, v in zip(quarters, quarterly(won_dq, d.name, d.ambition)):
                director_rows.append((f"总监{colon()}{d.name}", q, _fmt_wan(v)))
        company_rows = []
        for y in range(first_year, self.export_date.year + 1):
            total = sum(v for q, v in region_q.items() if q.startswith(f"{y}-"))
            company_rows.append(("公司", str(y), _fmt_wan(round(total * 1.05 / 100.0) * 100.0)))
        return company_rows + region_rows + director_rows

    def projects_xlsx(self) -> bytes:
        from openpyxl import Workbook

        rng = self.rng
        fixed = datetime(self.export_date.year, self.export_date.month, self.export_date.day, 18, 0, 0)
        wb = Workbook(write_only=True)
        wb.properties.created = fixed
        wb.properties.modified = fixed
        wb.properties.creator = "CRM导出"
        ws = wb.create_sheet(PROJECTS_SHEET)
        ws.append(list(PROJECT_HEADERS))
        n = len(self.projects)
        space_rows = set(int(i) for i in rng.choice(n, size=max(4, n // 250), replace=False))
        id_space_rows = set(int(i) for i in rng.choice(sorted(space_rows), size=2, replace=False))
        for p in self.projects:
            row = self._ledger_row(p)
            for c in (13, 14, 15, 16):  # 创建日期 立项日期 预计签约日期 结束日期
                if row[c] is not None and rng.random() < 0.10:
                    row[c] = _text_date(row[c], rng)
            if rng.random() < 0.04:
                row[10] = f"{row[10]:,.2f}"
            if p.idx in space_rows:
                if p.idx in id_space_rows:
                    row[0] = row[0] + " "
                else:
                    c = (1, 2, 5, 6, 3)[int(rng.integers(5))]
                    pad = ("\u3000", " ", "  ")[int(rng.integers(3))]
                    row[c] = pad + row[c] if rng.random() < 0.5 else row[c] + pad
            ws.append(row)
        for row in self._bad_rows():
            ws.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        return _pin_zip(buf.getvalue(), fixed)

    def _ledger_row(self, p: _Project) -> list:
        def day(o: int | None) -> date | None:
            return date.fromordinal(o) if o is not None else None

        last_nonterminal = STAGES[p.events[-1][0]]
        return [p.pid, p.name, p.customer.name, p.region, p.department, p.director.name, p.manager,
                p.monitor, p.partner.name if p.partner else None, p.grade, p.amount, last_nonterminal,
                p.status, day(p.created), day(p.initiated), day(p.expected_close), day(p.closed),
                p.lost_reason, p.competitor, p.collected, p.satisfaction]

    def _bad_rows(self) -> list[list]:
        """Three hand-typed rows at the bottom of the ledger, each with one invalid cell."""
        rng = self.rng
        rows = []
        for bad in DEMO_BAD_ROWS:
            d = _DIRECTORS[int(rng.integers(len(_DIRECTORS)))]
            custs, cw = self.pools[(d.region, d.department)]
            cu = custs[int(rng.choice(len(custs), p=cw))]
            city = cu.city or _CITIES[d.region][0]
            day = date(2025, 1, 1).toordinal() + int(rng.integers(0, 365))  # the ids say 2025
            created = date.fromordinal(min(max(day, self.start), self.export))
            row = [bad.project_id, f"{cu.short.format(c=city)}{cu.subjects[0]}项目", cu.name, d.region,
                   d.department, d.name, _MANAGERS[d.region][0], _MONITORS[d.department][0], None,
                   "办事处重点", round(float(rng.uniform(80, 600)), 2), "需求确认", OPEN, created, None,
                   created + timedelta(days=180), None, None, None, None, None]
            row[PROJECT_HEADERS.index(bad.column)] = bad.value
            rows.append(row)
        return rows


# ---------------------------------------------------------------------------------------------
# Small helpers

def _add_months(d: date, months: int) -> date:
    m = d.year * 12 + d.month - 1 + months
    return date(m // 12, m % 12 + 1, 1)


def _quarter_label(d: date) -> str:
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def _quarters(first: date, last: date) -> list[str]:
    out, d = [], date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while d <= last:
        out.append(_quarter_label(d))
        d = _add_months(d, 3)
    return out


def _slash_date(o: int) -> str:
    d = date.fromordinal(o)
    return f"{d.year}/{d.month}/{d.day}"


def _text_date(d: date, rng: np.random.Generator) -> str:
    k = int(rng.integers(3))
    if k == 0:
        return f"{d.year}/{d.month}/{d.day}"
    if k == 1:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.isoformat()} {int(rng.integers(8, 19)):02d}:{int(rng.integers(0, 60)):02d}:00"


def _fmt_wan(v: float) -> str:
    return str(int(round(v)))


def _csv_bytes(headers: tuple[str, ...], rows: list[tuple[str, ...]], encoding: str) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode(encoding, errors="strict")


def _read_csv(path: Path, encoding: str) -> list[list[str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.reader(f))[1:]


def _pin_zip(data: bytes, stamp: datetime) -> bytes:
    """Rewrite an XLSX zip with fixed member timestamps and document dates (byte-reproducible)."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                for tag in ("created", "modified"):
                    text = re.sub(rf"(<dcterms:{tag}[^>]*>)[^<]*(</dcterms:{tag}>)", rf"\g<1>{iso}\g<2>", text)
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
