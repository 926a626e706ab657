"""Static lists for the demo's responsibility posts: our own invented names and wording.

The figures are the article's (584 posts claimed by 1,701 party members in
the rural communities); river, relic and park names are invented.
"""

from __future__ import annotations

import datetime

POSTS_TOTAL = 584

# Post type code (migration posts/0002) → the code in a post's code, GC01-WS-001.
TYPE_CODES: dict[str, str] = {
    "sanitation": "WS",
    "river": "HY",
    "relic": "WW",
    "greening": "LH",
    "frontage": "MQ",
}

# How often each type is opened: mostly sanitation supervision and frontage duty.
TYPE_WEIGHTS: dict[str, int] = {
    "sanitation": 40,
    "frontage": 30,
    "river": 14,
    "greening": 10,
    "relic": 6,
}

# The demo case category (demo/case_data.py) a problem on such a post usually is.
TYPE_CATEGORIES: dict[str, str] = {
    "sanitation": "HJ01",  # 暴露垃圾
    "river": "HC01",  # 水面漂浮物
    "relic": "WJ01",  # 违章搭建
    "greening": "HJ03",  # 卫生死角
    "frontage": "HJ02",  # 乱堆乱放
}

# Each community's rivers: its short name + one or two of these.
RIVER_SUFFIXES: tuple[str, ...] = ("大涌", "北涌", "南涌", "东涌", "西涌", "新涌", "横涌")
RIVER_SECTIONS: tuple[str, ...] = (
    "村口桥至祠堂桥段",
    "祠堂桥至水闸段",
    "水闸至涌尾段",
    "龙船埠头段",
    "市场桥至学校桥段",
    "新村桥至大榕树段",
)
# Ancestral halls and relics: "{surname}氏大宗祠" and the like, plus the community's own.
RELIC_PATTERNS: tuple[str, ...] = (
    "{surname}氏大宗祠",
    "{surname}公祠",
    "{short}文塔",
    "{short}北帝古庙",
    "{short}镬耳屋群",
    "{short}古井",
)
RELIC_SURNAMES: tuple[str, ...] = ("陈", "梁", "黄", "何", "冯", "潘", "关", "麦", "区", "招")
PARK_PATTERNS: tuple[str, ...] = (
    "{short}公园",
    "{short}文化广场",
    "{area}休闲绿地",
    "{short}滨水绿道",
    "{short}榕荫公园",
)
FRONTAGE_ROADS: tuple[str, ...] = (
    "大街",
    "龙舟路",
    "新村路",
    "市场街",
    "文明路",
    "兴业路",
    "南华路",
    "北街",
)
SANITATION_SPOTS: tuple[str, ...] = ("", "村口", "市场周边", "文化室周边", "巷道", "菜地周边")

# When the posts were opened and claimed (early 2026), and members moved between them.
CLAIMS_FROM = datetime.date(2026, 1, 5)
CLAIMS_UNTIL = datetime.date(2026, 2, 27)
MOVES = 36
MOVES_FROM = datetime.date(2026, 3, 2)
MOVES_UNTIL = datetime.date(2026, 5, 22)
END_REASONS: tuple[str, ...] = (
    "搬离原责任片区，调整到新居附近岗位",
    "身体原因，调整到离家较近的岗位",
    "工作时间变动，调整岗位",
    "支部统筹调整岗位",
)
GRID_FROM = datetime.date(2026, 3, 1)

# Patrols from this day (at most this many days back) to yesterday, 2–6 per member a month.
PATROLS_FROM = datetime.date(2026, 6, 1)
PATROL_DAYS_MAX = 183
PATROLS_PER_MONTH = (2, 6)
PATROL_HOURS: tuple[tuple[int, int], ...] = (
    (7, 10),
    (8, 14),
    (9, 12),
    (10, 8),
    (11, 4),
    (14, 5),
    (15, 8),
    (16, 12),
    (17, 14),
    (18, 9),
    (19, 4),
)
PATROL_NOTES: tuple[str, ...] = (
    "巡查正常",
    "巡查正常",
    "巡查正常，环境整洁",
    "劝导村民垃圾入桶",
    "劝导商户门前物品摆放整齐",
    "清理路边散落垃圾两袋",
    "捡拾河岸垃圾",
    "提醒保洁员清运垃圾桶",
    "宣传垃圾分类",
    "劝导占道摆卖一宗，已整改",
    "检查文物周边环境，无异常",
    "绿地卫生良好",
    "与网格员一同巡查",
    "雨后巡查，排水通畅",
)
FOUND_NOTE = "巡查发现{category}，已拍照上报"
