"""Plain data for the demo's covert inspections: area types, checklists, the scheme, the lists.

Like `demo.case_data`, this is our own invented material modelled on how
Guicheng scores its daily covert inspections (每日暗检): a checklist per kind
of area, a deduction per spot found with a cap per item (暴露垃圾 −2/处,
最多 −10), a weekly circular with red and black lists. It is written in
Chinese because it is content, not UI. Each item names the demo case
category (`case_data` codes) that a finding on it opens a case under.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class AreaTypeSpec:
    code: str
    name: str
    order: int
    # Percent of the demo's areas of this type (assigned by a hash of the area's code).
    share: int


AREA_TYPES: tuple[AreaTypeSpec, ...] = (
    AreaTypeSpec("residential", "村居生活区", 1, 55),
    AreaTypeSpec("road", "道路街巷", 2, 20),
    AreaTypeSpec("river", "河涌水系", 3, 13),
    AreaTypeSpec("farmland", "农田田头", 4, 12),
)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    text: str
    points: Decimal
    max_deduction: Decimal | None
    # The demo case category (a sub-category code of `case_data.CATEGORIES`).
    category: str
    # How often inspectors find it, relative to the template's other items.
    weight: int = 10
    unit: str = "处"


@dataclass(frozen=True)
class TemplateSpec:
    code: str
    version: int
    name: str
    # An `AreaTypeSpec.code`, or None for the general checklist.
    area_type: str | None
    # "active" or "retired" (the demo has no drafts).
    status: str
    items: tuple[ItemSpec, ...]
    notes: str = ""
    full_score: Decimal = Decimal("100")


def _item(
    code: str,
    text: str,
    points: int,
    most: int | None,
    category: str,
    weight: int = 10,
    unit: str = "处",
) -> ItemSpec:
    return ItemSpec(
        code=code,
        text=text,
        points=Decimal(points),
        max_deduction=None if most is None else Decimal(most),
        category=category,
        weight=weight,
        unit=unit,
    )


GENERAL_CODE = "AJ-TY"
GENERAL_NAME = "村居环境卫生暗检表"

TEMPLATES: tuple[TemplateSpec, ...] = (
    # The first version of the general checklist, replaced before the demo's weeks
    # begin: the templates page shows a version history.
    TemplateSpec(
        code=GENERAL_CODE,
        version=1,
        name=GENERAL_NAME,
        area_type=None,
        status="retired",
        notes="2025年版：仅设环境卫生和违建两类检查项。",
        items=(
            _item("G01", "暴露垃圾", 1, 10, "HJ01", 30),
            _item("G02", "乱堆乱放", 1, 10, "HJ02", 25),
            _item("G03", "卫生死角", 2, 10, "HJ03", 15),
            _item("G04", "垃圾桶满溢", 1, 5, "HJ04", 15),
            _item("G05", "乱张贴", 1, 5, "HJ05", 10),
            _item("G08", "公厕不洁", 2, 6, "CS01", 6),
            _item("G12", "违章搭建", 5, 15, "WJ01", 3),
        ),
    ),
    TemplateSpec(
        code=GENERAL_CODE,
        version=2,
        name=GENERAL_NAME,
        area_type=None,
        status="active",
        notes=(
            "2026年第2版：暴露垃圾、乱堆乱放每处扣分由1分提高到2分；新增三线、绿化带、"
            "河涌、田头棚和污水乱排检查项。适用于未设专项检查表的片区。"
        ),
        items=(
            _item("G01", "暴露垃圾", 2, 10, "HJ01", 30),
            _item("G02", "乱堆乱放", 2, 10, "HJ02", 25),
            _item("G03", "卫生死角", 2, 8, "HJ03", 15),
            _item("G04", "垃圾桶满溢", 1, 5, "HJ04", 15),
            _item("G05", "乱张贴", 1, 5, "HJ05", 10),
            _item("G06", "乱拉乱挂（三线）", 1, 5, "SX01", 10),
            _item("G07", "绿化带垃圾", 2, 10, "SQ07", 10),
            _item("G08", "公厕不洁", 3, 6, "CS01", 6),
            _item("G09", "污水乱排", 3, 9, "SQ08", 5),
            _item("G10", "水面漂浮物", 2, 10, "HC01", 5),
            _item("G11", "田头棚违建", 5, 15, "TP02", 3),
            _item("G12", "违章搭建", 5, 15, "WJ01", 3),
        ),
    ),
    TemplateSpec(
        code="AJ-CJ",
        version=1,
        name="村居生活区暗检表",
        area_type="residential",
        status="active",
        notes="村居巷道、房前屋后、公厕、垃圾收集点。",
        items=(
            _item("C01", "暴露垃圾", 2, 10, "HJ01", 30),
            _item("C02", "乱堆乱放", 2, 10, "HJ02", 25),
            _item("C03", "房前屋后杂物", 1, 5, "SQ02", 15),
            _item("C04", "卫生死角", 2, 8, "HJ03", 15),
            _item("C05", "垃圾桶满溢", 1, 5, "HJ04", 15),
            _item("C06", "乱张贴", 1, 5, "HJ05", 10),
            _item("C07", "乱拉乱挂（三线）", 1, 5, "SX01", 10),
            _item("C08", "公厕不洁", 3, 6, "CS01", 6),
            _item("C09", "污水乱排", 3, 9, "SQ08", 5),
            _item("C10", "违章搭建", 5, 15, "WJ01", 3),
        ),
    ),
    TemplateSpec(
        code="AJ-DL",
        version=1,
        name="道路街巷暗检表",
        area_type="road",
        status="active",
        notes="主次干道、街巷两侧、绿化带和杆线。",
        items=(
            _item("D01", "暴露垃圾", 2, 10, "HJ01", 30),
            _item("D02", "占道乱堆乱放", 2, 10, "HJ02", 20),
            _item("D03", "绿化带垃圾", 2, 10, "SQ07", 20),
            _item("D04", "垃圾桶满溢", 1, 5, "HJ04", 15),
            _item("D05", "乱张贴", 1, 5, "HJ05", 12),
            _item("D06", "乱拉乱挂（三线）", 1, 5, "SX01", 12),
            _item("D07", "线缆垂落", 2, 6, "SX02", 6),
            _item("D08", "违规广告牌", 2, 6, "SQ06", 4),
        ),
    ),
    TemplateSpec(
        code="AJ-HY",
        version=1,
        name="河涌水系暗检表",
        area_type="river",
        status="active",
        notes="河涌水面、两岸和排口。",
        items=(
            _item("R01", "水面漂浮物", 2, 10, "HC01", 30),
            _item("R02", "河岸垃圾", 2, 10, "HC02", 25),
            _item("R03", "排污口异常", 5, 15, "HC03", 6),
            _item("R04", "沿岸乱堆乱放", 2, 10, "HJ02", 15),
            _item("R05", "沟渠淤塞", 2, 6, "SQ03", 10),
            _item("R06", "卫生死角", 2, 8, "HJ03", 10),
        ),
    ),
    TemplateSpec(
        code="AJ-NT",
        version=1,
        name="农田田头暗检表",
        area_type="farmland",
        status="active",
        notes="农田、田头棚、机耕路和灌溉沟渠。",
        items=(
            _item("N01", "田头棚违建", 5, 15, "TP02", 12),
            _item("N02", "田头棚破旧", 2, 6, "TP01", 15),
            _item("N03", "暴露垃圾", 2, 10, "HJ01", 25),
            _item("N04", "农资乱堆乱放", 2, 10, "SQ01", 20),
            _item("N05", "沟渠淤塞", 2, 6, "SQ03", 12),
            _item("N06", "卫生死角", 2, 8, "HJ03", 10),
        ),
    ),
)

# --- the assessment scheme and the lists ------------------------------------------------

SCHEME_NAME = "桂城街道乡村振兴综合评价方案"
SCHEME_NOTE = (
    "暗检得分40%、结案率15%、按期结案率15%、超期率10%、返工率10%、回潮率10%；"
    "参与度待志愿服务模块上线后计入（暂按0计权）。"
)
# Indicator value → weight (percent). Participation counts for nothing until volunteering exists.
SCHEME_WEIGHTS: dict[str, Decimal] = {
    "inspection_score": Decimal(40),
    "closure_rate": Decimal(15),
    "on_time_rate": Decimal(15),
    "overdue_rate": Decimal(10),
    "rework_rate": Decimal(10),
    "relapse_rate": Decimal(10),
    "participation": Decimal(0),
}


@dataclass(frozen=True)
class ListRuleSpec:
    name: str
    kind: str  # red / black
    top_n: int | None = None
    bottom_n: int | None = None
    max_composite: Decimal | None = None


LIST_RULES: tuple[ListRuleSpec, ...] = (
    ListRuleSpec("每周红榜：综合得分前3名社区", "red", top_n=3),
    ListRuleSpec("每周黑榜：综合得分后3名社区", "black", bottom_n=3),
    ListRuleSpec("每周黑榜：综合得分低于60分的社区", "black", max_composite=Decimal(60)),
)

# --- the standing inspection team ------------------------------------------------------
#
# The demo has one inspector login (`inspector`); a round is walked by two.
# These members of the standing team have no password (no login): they sign
# the scores the demo's history needs.
TEAM_MEMBERS: tuple[tuple[str, str], ...] = (
    ("demo-inspector-2", "暗检队员陈伟强"),
    ("demo-inspector-3", "暗检队员林嘉欣"),
    ("demo-inspector-4", "暗检队员梁志豪"),
)
TEAM_TITLE = "常规巡查队员"

# --- wording ------------------------------------------------------------------------------


def round_title(month: int, day: int) -> str:
    return f"{month}月{day}日暗检"


ROUND_NOTE = "随机抽取片区，检查前不通知社区。"

GOOD_NOTES: tuple[str, ...] = (
    "整体整洁，保洁到位。",
    "环境卫生良好。",
    "",
    "",
    "",
)
POOR_NOTES: tuple[str, ...] = (
    "整体环境卫生较差，多处问题未整改。",
    "问题集中在巷道和垃圾收集点，保洁不到位。",
    "上周反馈问题仍未整改，存在回潮。",
)
VOID_REASONS: tuple[str, ...] = (
    "提交定位与检查片区不符，成绩作废，另行安排复检。",
    "检查时段与另一组重复，作废本次成绩。",
)

# The office's own closing paragraph, added to the generated narrative when it edits a
# draft. The generated text already asks the communities low in the ranking to rectify and
# report (…整改，并将整改情况报…): this one looks ahead instead, to the next week's focus.
NEXT_WEEK_FOCUS: tuple[str, ...] = (
    "河涌水面漂浮物和河岸垃圾",
    "田头棚整治和农资堆放",
    "巷道三线乱拉乱挂",
    "垃圾收集点和公厕保洁",
)


def narrative_addendum(week: int) -> str:
    """The office's closing paragraph for the circular of ISO week `week`."""
    focus = NEXT_WEEK_FOCUS[week % len(NEXT_WEEK_FOCUS)]
    return (
        f"下周暗检将重点检查{focus}，请各社区提前部署、开展自查。"
        "对连续进入黑榜的社区，街道将约谈社区主要负责人。"
    )


def commendation_reason(period_label: str, community: str, first: bool = True) -> str:
    standing = "综合得分全街道第一" if first else "进入红榜"
    return f"{period_label}{community}{standing}，环境卫生整治成效明显，予以通报表扬。"


def criticism_reason(period_label: str, community: str, last: bool = True) -> str:
    standing = "综合得分全街道末位" if last else "进入黑榜"
    return f"{period_label}{community}{standing}，暗检发现问题整改不及时，予以通报批评。"


def interview_reason(period_labels: list[str], community: str) -> str:
    weeks = "、".join(period_labels)
    return f"{community}在{weeks}两次进入黑榜，暗检问题整改不力，约谈社区党委书记。"
