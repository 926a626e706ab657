"""The demo's campaigns, task types and the words of its arrangements (一图一表).

Quantities are per area and week. Which areas take part in a task depends
on the area's demo type (`inspections.area_type_for`): farm sheds are
cleared where there is farmland, toilets rebuilt where people live.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from zhenxing.plans.models import Unit


@dataclass(frozen=True)
class TaskSpec:
    code: str
    name: str
    unit: str
    # Weekly target of a typical area, low and high (the area's own scale is drawn in between).
    weekly: tuple[int, int]
    # Share of the areas of each type (demo area type code) that have a target; others: `other`.
    shares: dict[str, float] = field(default_factory=dict)
    other: float = 1.0
    # What a day's arrangement asks, with {place} for the area or street.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CampaignSpec:
    code: str
    name: str
    description: str
    tasks: tuple[TaskSpec, ...]


# Targets are set in whole steps of this size, progress reported in steps of `REPORT_STEP`.
TARGET_STEP: dict[str, Decimal] = {
    Unit.TONNE: Decimal("0.5"),
    Unit.SQUARE_METRE: Decimal("10"),
    Unit.METRE: Decimal("50"),
    Unit.SPOT: Decimal("1"),
    Unit.HOUSEHOLD: Decimal("1"),
}
REPORT_STEP: dict[str, Decimal] = {
    Unit.TONNE: Decimal("0.1"),
    Unit.SQUARE_METRE: Decimal("1"),
    Unit.METRE: Decimal("5"),
    Unit.SPOT: Decimal("1"),
    Unit.HOUSEHOLD: Decimal("1"),
}

CAMPAIGNS: tuple[CampaignSpec, ...] = (
    CampaignSpec(
        "SQSC",
        "三清三拆三整治",
        "清理村巷道及生活垃圾、清理池塘沟渠、清理畜禽养殖污染；拆除危旧房、"
        "拆除乱搭建、拆除违法广告；整治垃圾乱扔、污水乱排、农房乱建。",
        (
            TaskSpec(
                "QLLJ",
                "清理垃圾",
                Unit.TONNE,
                (2, 9),
                notes=(
                    "清运{place}沿线积存垃圾",
                    "清理{place}房前屋后杂物垃圾",
                    "清理{place}绿化带及边角地垃圾",
                ),
            ),
            TaskSpec(
                "CCWJ",
                "拆除违建",
                Unit.SQUARE_METRE,
                (40, 260),
                shares={"residential": 0.55, "road": 0.45, "river": 0.4, "farmland": 0.3},
                notes=("拆除{place}乱搭建铁皮棚", "拆除{place}违法加建部分", "拆除{place}危旧房"),
            ),
            TaskSpec(
                "ZZLDF",
                "整治乱堆放",
                Unit.SPOT,
                (3, 12),
                shares={"residential": 0.95, "road": 0.9, "river": 0.7, "farmland": 0.6},
                notes=("整治{place}乱堆放点", "清走{place}占道堆放物", "整治{place}杂物乱堆"),
            ),
        ),
    ),
    CampaignSpec(
        "CSGM",
        "厕所革命",
        "推进农村户厕改造和公厕提升，改厕一户、验收一户。",
        (
            TaskSpec(
                "GC",
                "改厕",
                Unit.HOUSEHOLD,
                (2, 7),
                shares={"residential": 0.8, "road": 0.2, "river": 0.25, "farmland": 0.1},
                notes=("入户改造{place}旱厕", "{place}户厕改造验收", "{place}化粪池改造"),
            ),
        ),
    ),
    CampaignSpec(
        "TTPZZ",
        "田头棚整治",
        "清理整治农田田头棚，拆除违规搭建、规范保留田头棚外观。",
        (
            TaskSpec(
                "ZZTTP",
                "整治田头棚",
                Unit.SPOT,
                (1, 5),
                shares={"farmland": 1.0, "river": 0.35, "residential": 0.08, "road": 0.05},
                notes=("拆除{place}违规田头棚", "规范{place}保留田头棚外观", "清理{place}田头杂物"),
            ),
        ),
    ),
    CampaignSpec(
        "SXZZ",
        "三线整治",
        "规范整理电力、通信、广电线路，消除“蜘蛛网”。",
        (
            TaskSpec(
                "ZLXL",
                "整理线路",
                Unit.METRE,
                (200, 1200),
                shares={"road": 0.9, "residential": 0.6, "river": 0.2, "farmland": 0.1},
                notes=("整理{place}架空线路", "拆除{place}废弃线缆", "{place}线路入槽捆扎"),
            ),
        ),
    ),
    CampaignSpec(
        "WMXD",
        "五美行动",
        "美丽庭院、美丽街巷、美丽河涌、美丽田园、美丽村居，一片一景。",
        (
            TaskSpec(
                "MHTY",
                "美化庭院",
                Unit.HOUSEHOLD,
                (3, 10),
                shares={"residential": 0.75, "road": 0.3, "river": 0.35, "farmland": 0.2},
                notes=("{place}庭院绿化美化", "{place}门前三包整治", "{place}庭院杂物清理与种植"),
            ),
        ),
    ),
)

# The extra people a team lead writes down by name (no login).
NAMED_HELPERS = ("志愿者", "网格员", "保洁员")

REPORT_NOTES: tuple[str, ...] = (
    "按计划完成",
    "已清理完毕，待巡查复核",
    "群众配合，进展顺利",
    "部分点位需机械配合，明日继续",
    "雨天影响，完成部分",
    "",
    "",
    "",
)
