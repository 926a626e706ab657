"""Plain data for the demo's cases: the category tree, the holiday calendar, the wording.

Like `demo.data`, all of it is our own invented material for Guicheng's
campaign (三清三拆三整治, 三线整治, 河涌, 违法建设, 厕所革命, 田头棚), written in
Chinese because it is content, not UI. Departments are named as in
`demo.data.DEPARTMENTS` (their codes D01..D32 follow that list's order).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from zhenxing.demo import data

HOURS = "hours"
WORKING_DAYS = "working_days"
COMMUNITY = "community"
DEPARTMENT = "department"

# A new case at a place and category closed within this many days is a relapse (回潮).
RELAPSE_DAYS = 30


@dataclass(frozen=True)
class SubCategory:
    code: str
    name: str
    time_limit: int
    unit: str
    handler: str
    # The department that handles it (handler=department) or, for a
    # community matter, answers for it when it reaches the joint meeting.
    department: str
    after_photo: bool
    radius_m: int
    # Relative frequency among the demo's reports.
    weight: int
    # What a reporter writes; "{place}" is a spot such as 祠堂旁.
    descriptions: tuple[str, ...]


@dataclass(frozen=True)
class MainCategory:
    code: str
    name: str
    department: str
    # What a handler writes when reporting the spot fixed.
    fixes: tuple[str, ...]
    subs: tuple[SubCategory, ...]


def _sub(
    code: str,
    name: str,
    limit: tuple[int, str],
    department: str,
    *,
    handler: str = COMMUNITY,
    after_photo: bool = True,
    radius_m: int = 50,
    weight: int = 10,
    descriptions: tuple[str, ...],
) -> SubCategory:
    if department not in data.DEPARTMENTS:
        raise ValueError(f"{code}: {department} is not one of the demo's departments")
    return SubCategory(
        code=code,
        name=name,
        time_limit=limit[0],
        unit=limit[1],
        handler=handler,
        department=department,
        after_photo=after_photo,
        radius_m=radius_m,
        weight=weight,
        descriptions=descriptions,
    )


CITY = data.CITY_MANAGEMENT  # 城市管理和综合执法办公室
WATER = "住房城乡建设和水利办公室"
ENVIRONMENT = "环境保护办公室"
PLANNING = "规划建设办公室"
AGRICULTURE = "农业农村办公室"
POWER = "桂城供电所"
TELECOM = "中国电信桂城分公司"
HEALTH = "卫生健康办公室"
REVITALISATION = "乡村振兴办公室"

CATEGORIES: tuple[MainCategory, ...] = (
    MainCategory(
        code="HJ",
        name="环境卫生",
        department=CITY,
        fixes=(
            "已组织保洁员清理完毕，现场恢复整洁。",
            "垃圾已清运，并对周边进行冲洗消杀。",
            "已清理并安排专人每日巡查保洁。",
        ),
        subs=(
            _sub(
                "HJ01",
                "暴露垃圾",
                (24, HOURS),
                CITY,
                radius_m=30,
                weight=40,
                descriptions=(
                    "{place}有一堆生活垃圾未及时清运，散发异味。",
                    "{place}路边堆放暴露垃圾，约两立方米。",
                    "{place}垃圾袋散落地面，有蚊蝇滋生。",
                    "{place}发现建筑垃圾混合生活垃圾露天堆放。",
                ),
            ),
            _sub(
                "HJ02",
                "乱堆乱放",
                (2, WORKING_DAYS),
                CITY,
                weight=25,
                descriptions=(
                    "{place}堆放旧家具和杂物，占用通道。",
                    "{place}有人长期堆放泡沫箱、纸皮等杂物。",
                    "{place}乱堆木料和砖块，影响通行。",
                ),
            ),
            _sub(
                "HJ03",
                "卫生死角",
                (2, WORKING_DAYS),
                CITY,
                weight=15,
                descriptions=(
                    "{place}角落长期积存垃圾，形成卫生死角。",
                    "{place}杂草丛生，夹杂塑料袋和饮料瓶。",
                    "{place}墙角积水发臭，有明显污渍。",
                ),
            ),
            _sub(
                "HJ04",
                "垃圾桶满溢",
                (12, HOURS),
                CITY,
                after_photo=False,
                radius_m=30,
                weight=20,
                descriptions=(
                    "{place}垃圾桶已满溢，垃圾散落桶外。",
                    "{place}分类垃圾桶满溢未清运，桶盖无法盖上。",
                ),
            ),
            _sub(
                "HJ05",
                "乱张贴",
                (3, WORKING_DAYS),
                CITY,
                radius_m=30,
                weight=8,
                descriptions=(
                    "{place}墙面、电线杆上有大量小广告。",
                    "{place}乱张贴办证、通下水道等广告。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="SQ",
        name="三清三拆三整治",
        department=REVITALISATION,
        fixes=(
            "已组织工作队清理完毕，并与户主签订门前三包责任书。",
            "已拆除并清运余料，现场平整。",
            "已完成整治，设置提示牌并纳入日常巡查。",
        ),
        subs=(
            _sub(
                "SQ01",
                "清理村巷道及生产工具乱堆乱放",
                (3, WORKING_DAYS),
                REVITALISATION,
                weight=12,
                descriptions=(
                    "{place}巷道堆放农具和建材，消防通道受阻。",
                    "{place}村巷内乱放竹竿、旧轮胎等杂物。",
                ),
            ),
            _sub(
                "SQ02",
                "清理房前屋后杂物",
                (3, WORKING_DAYS),
                REVITALISATION,
                weight=12,
                descriptions=(
                    "{place}房前屋后堆放废旧物品，影响村容村貌。",
                    "{place}屋后杂物堆积，存在鼠患隐患。",
                ),
            ),
            _sub(
                "SQ03",
                "清理沟渠池塘淤泥",
                (10, WORKING_DAYS),
                WATER,
                radius_m=100,
                weight=5,
                descriptions=(
                    "{place}沟渠淤积严重，水流不畅。",
                    "{place}池塘淤泥发黑发臭，需要清淤。",
                ),
            ),
            _sub(
                "SQ04",
                "拆除危旧房",
                (10, WORKING_DAYS),
                WATER,
                handler=DEPARTMENT,
                radius_m=50,
                weight=3,
                descriptions=(
                    "{place}有一间无人居住的危旧泥砖房，墙体开裂，存在倒塌风险。",
                    "{place}旧瓦房屋顶坍塌，需评估拆除。",
                ),
            ),
            _sub(
                "SQ05",
                "拆除乱搭乱建",
                (7, WORKING_DAYS),
                CITY,
                handler=DEPARTMENT,
                weight=5,
                descriptions=(
                    "{place}有人用铁皮搭建简易棚，占用公共空间。",
                    "{place}围墙外私自搭建雨棚和杂物间。",
                ),
            ),
            _sub(
                "SQ06",
                "拆除违规广告牌",
                (5, WORKING_DAYS),
                CITY,
                handler=DEPARTMENT,
                weight=4,
                descriptions=(
                    "{place}设置大型广告牌未经审批，支架锈蚀。",
                    "{place}商铺外挂广告牌破损，有坠落隐患。",
                ),
            ),
            _sub(
                "SQ07",
                "整治垃圾乱扔",
                (2, WORKING_DAYS),
                REVITALISATION,
                radius_m=30,
                weight=10,
                descriptions=(
                    "{place}经常有人乱扔垃圾，屡清屡现。",
                    "{place}绿化带内被丢弃大量生活垃圾。",
                ),
            ),
            _sub(
                "SQ08",
                "整治污水乱排",
                (5, WORKING_DAYS),
                ENVIRONMENT,
                radius_m=80,
                weight=6,
                descriptions=(
                    "{place}有生活污水直排路面，气味难闻。",
                    "{place}商户将污水排入雨水井。",
                ),
            ),
            _sub(
                "SQ09",
                "整治厕所",
                (5, WORKING_DAYS),
                HEALTH,
                weight=4,
                descriptions=(
                    "{place}旱厕破旧，粪污外溢。",
                    "{place}户厕未改造，化粪池渗漏。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="SX",
        name="三线",
        department=POWER,
        fixes=(
            "已会同运营商对线缆进行捆扎整理，规范入槽。",
            "已剪除废弃线缆并清理现场。",
            "已拆除废弃线杆，恢复路面。",
        ),
        subs=(
            _sub(
                "SX01",
                "乱拉线",
                (5, WORKING_DAYS),
                TELECOM,
                handler=DEPARTMENT,
                weight=8,
                descriptions=(
                    "{place}通信线缆乱拉乱挂，形成“蜘蛛网”。",
                    "{place}有人私拉电线为电动车充电。",
                ),
            ),
            _sub(
                "SX02",
                "线缆垂落",
                (48, HOURS),
                POWER,
                handler=DEPARTMENT,
                weight=6,
                descriptions=(
                    "{place}线缆垂落至离地面不足两米，行人易触碰。",
                    "{place}一段电线垂落横跨巷道，存在安全隐患。",
                ),
            ),
            _sub(
                "SX03",
                "废弃线杆",
                (10, WORKING_DAYS),
                POWER,
                handler=DEPARTMENT,
                radius_m=50,
                weight=3,
                descriptions=(
                    "{place}有一根废弃水泥线杆倾斜，未拆除。",
                    "{place}废弃木质线杆腐朽，占用人行道。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="HC",
        name="河涌",
        department=WATER,
        fixes=(
            "已安排保洁船打捞，河面恢复清洁。",
            "已清理河岸垃圾并加密巡河频次。",
            "已封堵排污口并溯源整改。",
        ),
        subs=(
            _sub(
                "HC01",
                "水面漂浮物",
                (24, HOURS),
                WATER,
                handler=DEPARTMENT,
                after_photo=False,
                radius_m=100,
                weight=12,
                descriptions=(
                    "{place}河涌水面漂浮大量水浮莲和塑料瓶。",
                    "{place}涌面有成片漂浮垃圾。",
                ),
            ),
            _sub(
                "HC02",
                "河岸垃圾",
                (2, WORKING_DAYS),
                WATER,
                handler=DEPARTMENT,
                radius_m=80,
                weight=8,
                descriptions=(
                    "{place}河岸边堆放建筑垃圾和生活垃圾。",
                    "{place}涌边护栏外有人倾倒垃圾。",
                ),
            ),
            _sub(
                "HC03",
                "排污口异常",
                (3, WORKING_DAYS),
                ENVIRONMENT,
                handler=DEPARTMENT,
                radius_m=100,
                weight=4,
                descriptions=(
                    "{place}排污口排出黑色污水，水面有泡沫。",
                    "{place}晴天排污口仍有污水流出。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="WJ",
        name="违法建设",
        department=CITY,
        fixes=(
            "已下达整改通知书，当事人已自行拆除。",
            "已组织执法队依法拆除。",
            "已恢复原状并拍照存档。",
        ),
        subs=(
            _sub(
                "WJ01",
                "违章搭建",
                (10, WORKING_DAYS),
                CITY,
                handler=DEPARTMENT,
                weight=6,
                descriptions=(
                    "{place}在空地上新建砖混结构房屋，未见规划许可。",
                    "{place}天台违规搭建铁皮房。",
                ),
            ),
            _sub(
                "WJ02",
                "违规加建",
                (10, WORKING_DAYS),
                PLANNING,
                handler=DEPARTMENT,
                weight=4,
                descriptions=(
                    "{place}民房正在违规加建第四层。",
                    "{place}商铺向外扩建，占用公共通道。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="CS",
        name="厕所",
        department=HEALTH,
        fixes=(
            "已安排专人清洁并张贴保洁记录表。",
            "已维修损坏设施，恢复正常使用。",
        ),
        subs=(
            _sub(
                "CS01",
                "公厕脏乱",
                (24, HOURS),
                HEALTH,
                weight=6,
                descriptions=(
                    "{place}公厕地面脏污，气味较大。",
                    "{place}公厕洗手池堵塞，无人清理。",
                ),
            ),
            _sub(
                "CS02",
                "设施损坏",
                (3, WORKING_DAYS),
                HEALTH,
                weight=4,
                descriptions=(
                    "{place}公厕冲水设备损坏。",
                    "{place}公厕门锁损坏、照明不亮。",
                ),
            ),
        ),
    ),
    MainCategory(
        code="TP",
        name="田头棚",
        department=AGRICULTURE,
        fixes=(
            "已督促棚主修缮加固，统一外观。",
            "已清退违规用途并恢复农业生产使用。",
        ),
        subs=(
            _sub(
                "TP01",
                "田头棚破旧",
                (5, WORKING_DAYS),
                AGRICULTURE,
                radius_m=100,
                weight=5,
                descriptions=(
                    "{place}田头棚破旧，顶棚塑料布破损飘散。",
                    "{place}田头棚倾斜，四周杂物堆积。",
                ),
            ),
            _sub(
                "TP02",
                "田头棚违规使用",
                (7, WORKING_DAYS),
                AGRICULTURE,
                radius_m=100,
                weight=3,
                descriptions=(
                    "{place}田头棚被改作住人和仓储。",
                    "{place}田头棚内经营废品回收。",
                ),
            ),
        ),
    ),
)


# --- the working calendar -----------------------------------------------------------
#
# China's public holidays and make-up working days (调休) as the State
# Council's General Office announces them each year (2025: 国办发明电〔2024〕12号;
# 2026: the notice of late 2025). These rows MUST be checked against each
# year's official notice, and the next year's added when it is published:
# the platform cannot derive them. Weekend days inside a holiday are listed
# too (they rest anyway), so the table reads like the notice.


def _days(name: str, start: str, end: str | None = None) -> list[tuple[datetime.date, bool, str]]:
    first = datetime.date.fromisoformat(start)
    last = datetime.date.fromisoformat(end or start)
    return [
        (first + datetime.timedelta(days=i), False, name) for i in range((last - first).days + 1)
    ]


def _work(name: str, *days: str) -> list[tuple[datetime.date, bool, str]]:
    return [(datetime.date.fromisoformat(d), True, f"{name}调休上班") for d in days]


HOLIDAYS: tuple[tuple[datetime.date, bool, str], ...] = tuple(
    sorted(
        # 2025
        _days("元旦", "2025-01-01")
        + _days("春节", "2025-01-28", "2025-02-04")
        + _work("春节", "2025-01-26", "2025-02-08")
        + _days("清明节", "2025-04-04", "2025-04-06")
        + _days("劳动节", "2025-05-01", "2025-05-05")
        + _work("劳动节", "2025-04-27")
        + _days("端午节", "2025-05-31", "2025-06-02")
        + _days("国庆节、中秋节", "2025-10-01", "2025-10-08")
        + _work("国庆节", "2025-09-28", "2025-10-11")
        # 2026
        + _days("元旦", "2026-01-01", "2026-01-03")
        + _work("元旦", "2026-01-04")
        + _days("春节", "2026-02-15", "2026-02-23")
        + _work("春节", "2026-02-14", "2026-02-28")
        + _days("清明节", "2026-04-04", "2026-04-06")
        + _days("劳动节", "2026-05-01", "2026-05-05")
        + _work("劳动节", "2026-05-09")
        + _days("端午节", "2026-06-19", "2026-06-21")
        + _days("中秋节", "2026-09-25", "2026-09-27")
        + _days("国庆节", "2026-10-01", "2026-10-07")
        + _work("国庆节", "2026-09-20", "2026-10-10")
    )
)


# --- wording ------------------------------------------------------------------------

PLACES: tuple[str, ...] = (
    "村口",
    "祠堂旁",
    "市场后巷",
    "河涌边",
    "篮球场旁",
    "公交站旁",
    "桥头",
    "老人活动中心门口",
    "幼儿园附近",
    "停车场内",
    "菜地旁",
    "文化室后面",
    "榕树头",
    "巷口",
    "小学围墙外",
)

ROADS: tuple[str, ...] = (
    "龙舟路",
    "兴业路",
    "文明路",
    "桂和路",
    "新村大街",
    "南华路",
    "东平路",
    "北街",
    "祠堂街",
    "河堤路",
    "工业大道",
    "平洲大道",
    "夏北路",
    "南约大街",
)

REJECT_REASONS: tuple[str, ...] = (
    "经核实，不属于本次整治范围。",
    "重复上报，已在原案件中处理。",
    "现场核查未发现所报问题。",
    "属私人庭院内部事务，已告知当事人自行处理。",
)

REWORK_REASONS: tuple[str, ...] = (
    "现场仍有少量垃圾残留，请彻底清理。",
    "整改照片与现场不符，请重新整改并拍照。",
    "杂物仅移至旁边，未清运。",
    "问题复现，请落实长效管理措施。",
)

EXTENSION_REASONS: tuple[str, ...] = (
    "涉及多户协调，需要更多时间。",
    "需等待施工队进场，申请延期。",
    "连日降雨无法施工，申请延期。",
)

DEFERRAL_REASONS: tuple[str, ...] = (
    "涉及产权纠纷，待调解结束后处理。",
    "拟纳入城市更新项目统一整治，申请缓办。",
)

SEND_BACK_REASONS: tuple[str, ...] = (
    "不属于本单位职责范围，请重新派遣。",
    "位置在相邻社区，请改派。",
)

APPROVAL_NOTES: tuple[str, ...] = ("同意。", "同意，请按新期限完成。", "")
DENIAL_NOTES: tuple[str, ...] = ("理由不充分，请按原期限完成。", "请先落实临时措施，按期完成。")
RESUME_NOTES: tuple[str, ...] = ("纠纷已调解，恢复整改。", "条件已具备，恢复办理。")
FURTHER_REPORTS: tuple[str, ...] = (
    "又有居民反映此处问题仍未处理。",
    "补充现场情况：问题范围有所扩大。",
)
