"""The demo's charter texts (村规民约) and vote wording: our own invented, plausible text.

Every rural community's charter is written from one template — the common
articles most Guicheng charters share (environment, roads, housing and land,
public order, customs, village affairs) — with variations per community:
some chapters merged, some optional articles left out, a few local articles
added (a dragon-boat scene, a market, field sheds). Placeholders: `{name}`
(叠南社区), `{short}` (叠南) and `{river}` (one of the community's rivers,
named as the posts demo names them).

The figures come from the article: in March 2019 中区 was the first to adopt
its charter by vote, and in 2019 all 22 rural communities did; 中区's
cooperative then voted, through its shareholders' representatives, a subsidy
to each economic cooperative for the garbage clearance (三清理) that the
municipal budget does not pay for.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class ArticleSpec:
    key: str
    text: str
    topics: tuple[str, ...]
    # Optional articles are left out of some communities' charters.
    optional: bool = False


# (chapter key, title, articles). Topic codes: charters/migrations/0002_topics.py.
CHAPTERS: list[tuple[str, str, list[ArticleSpec]]] = [
    (
        "general",
        "总则",
        [
            ArticleSpec(
                "purpose",
                "为推进乡村振兴，建设生态宜居、乡风文明、治理有效的美丽{short}，根据《中华人民共和国"
                "村民委员会组织法》等法律法规和政策规定，结合本社区实际，制定本村规民约。",
                ("affairs",),
            ),
            ArticleSpec(
                "scope",
                "本村规民约适用于本社区户籍村民、经联社及经济社股东，以及在本社区居住、经营的人员。"
                "外来租住人员由出租屋业主负责告知并督促其遵守。",
                ("affairs",),
            ),
            ArticleSpec(
                "duties",
                "村民应当遵守宪法、法律、法规和国家政策，履行村民义务，维护集体利益，爱护公共财产，"
                "积极参与社区建设和管理。",
                ("affairs",),
                optional=True,
            ),
        ],
    ),
    (
        "sanitation",
        "环境卫生",
        [
            ArticleSpec(
                "sorting",
                "生活垃圾实行分类投放，按时按点投放到指定的垃圾桶或收集点，不得乱丢乱倒，"
                "不得露天焚烧垃圾、秸秆和杂物。",
                ("sanitation",),
            ),
            ArticleSpec(
                "frontage",
                "落实“门前三包”责任制，各户、各商铺负责门前卫生、秩序和绿化，"
                "不得在门前屋后、巷道内乱堆乱放杂物。",
                ("sanitation", "roads"),
            ),
            ArticleSpec(
                "rivers",
                "不得向{river}等河涌、鱼塘倾倒垃圾、污水和建筑废料，不得在河涌两岸堆放杂物；"
                "养殖户应当规范处理养殖废水，保持水清岸绿。",
                ("sanitation",),
            ),
            ArticleSpec(
                "greening",
                "爱护绿化，不得毁坏公共绿地、花木和景观设施，不得在公共绿地和边角空地种菜、"
                "圈地或搭建田头棚。",
                ("sanitation", "housing_land"),
            ),
            ArticleSpec(
                "bulky",
                "装修垃圾和大件垃圾应当预约清运，运至指定地点，不得混入生活垃圾或在路边随意堆放。",
                ("sanitation",),
                optional=True,
            ),
            ArticleSpec(
                "animals",
                "饲养家禽家畜应当圈养，不得在村道和公共场所放养；饲养犬只应当依法登记，"
                "出户拴绳并及时清理粪便。",
                ("sanitation", "public_order"),
                optional=True,
            ),
        ],
    ),
    (
        "roads",
        "道路交通",
        [
            ArticleSpec(
                "obstruct",
                "爱护道路、桥梁、路灯等公共设施，不得占用道路、巷道摆卖、晾晒或堆放物品，"
                "不得擅自开挖道路。",
                ("roads",),
            ),
            ArticleSpec(
                "parking",
                "机动车、电动自行车应当在划定的位置有序停放，不得占用消防通道、盲道和巷道出入口。",
                ("roads", "fire"),
            ),
            ArticleSpec(
                "driving",
                "驾驶车辆遵守交通规则，在村内道路减速慢行，不得酒后驾驶；"
                "驾乘电动自行车应当佩戴安全头盔。",
                ("roads", "public_order"),
            ),
            ArticleSpec(
                "haulage",
                "运输砂石、泥土、垃圾的车辆应当密闭运输，不得沿途撒漏，污染路面的应当及时清理。",
                ("roads", "sanitation"),
                optional=True,
            ),
        ],
    ),
    (
        "housing",
        "房屋土地",
        [
            ArticleSpec(
                "building",
                "新建、改建、扩建房屋必须依法办理审批手续，按批准的位置、面积和层数施工，"
                "不得违法占地、违章搭建。",
                ("housing_land",),
            ),
            ArticleSpec(
                "setback",
                "不得在河涌管理范围、道路红线和公共用地内搭建建筑物、构筑物；"
                "已有的违章建筑应当配合依法拆除。",
                ("housing_land", "roads"),
            ),
            ArticleSpec(
                "collective_land",
                "集体土地和物业的发包、出租应当经民主决策程序，公开交易，"
                "任何人不得私自转让、转租集体土地。",
                ("housing_land", "collective"),
            ),
            ArticleSpec(
                "renting",
                "出租房屋应当符合安全条件，业主与承租人签订租赁合同并办理登记，"
                "不得将房屋出租给从事违法活动的人员。",
                ("housing_land", "public_order"),
                optional=True,
            ),
        ],
    ),
    (
        "order",
        "社会治安",
        [
            ArticleSpec(
                "crime",
                "村民应当自觉维护社会治安，不得参与赌博、吸毒、传销等违法活动，"
                "发现违法犯罪行为应当及时报告。",
                ("public_order",),
            ),
            ArticleSpec(
                "disputes",
                "邻里之间发生纠纷，应当本着互谅互让的原则协商解决；协商不成的，"
                "可以申请社区人民调解委员会调解，不得聚众闹事。",
                ("public_order",),
            ),
            ArticleSpec(
                "fire_safety",
                "安全用火、用电、用气，不得私拉乱接电线；出租屋和小商店、小作坊、小娱乐场所"
                "应当按规定配置消防器材。",
                ("fire", "public_order"),
            ),
            ArticleSpec(
                "fireworks",
                "燃放烟花爆竹应当遵守政府规定，在禁放区域和时段内不得燃放。",
                ("fire", "public_order"),
                optional=True,
            ),
        ],
    ),
    (
        "customs",
        "移风易俗",
        [
            ArticleSpec(
                "thrift",
                "倡导文明节俭办理婚丧喜庆事宜，反对大操大办、铺张浪费和封建迷信活动。",
                ("customs",),
            ),
            ArticleSpec(
                "family",
                "孝敬父母，赡养老人，关爱未成年人，男女平等，家庭和睦，邻里互助。",
                ("customs",),
            ),
            ArticleSpec(
                "volunteering",
                "积极参加党员志愿服务和“三清三拆三整治”等公益活动，"
                "踊跃参与“美丽庭院”“文明家庭”评选。",
                ("customs", "affairs"),
                optional=True,
            ),
        ],
    ),
    (
        "affairs",
        "村务管理",
        [
            ArticleSpec(
                "democracy",
                "社区重大事项依法提交村民会议或者村民代表会议讨论决定，村务、财务按规定公开，"
                "接受村民监督。",
                ("affairs", "collective"),
            ),
            ArticleSpec(
                "rewards",
                "对遵守本村规民约表现突出的家庭和个人，由社区给予表扬和奖励；违反本村规民约的，"
                "由社区进行批评教育、责令改正，并可以取消其当年度评先评优资格；"
                "违反法律法规的，移送有关部门依法处理。",
                ("affairs",),
            ),
            ArticleSpec(
                "effect",
                "本村规民约由{name}居民委员会负责解释，自村民会议表决通过之日起施行，"
                "并报桂城街道办事处备案。",
                ("affairs",),
            ),
        ],
    ),
]

# Local articles, added to some communities' charters: (chapter key, article).
EXTRAS: list[tuple[str, ArticleSpec]] = [
    (
        "roads",
        ArticleSpec(
            "dragon_boat",
            "龙舟景期间服从交通疏导，不得在观龙台、埠头周边占道停车和摆卖；"
            "龙船饭等集体活动结束后应当及时清理场地。",
            ("roads", "customs", "sanitation"),
        ),
    ),
    (
        "sanitation",
        ArticleSpec(
            "market",
            "{short}市场周边商户应当落实垃圾分类和门前保洁，收市后及时清理摊位，"
            "不得将污水、泔水倒入雨水井。",
            ("sanitation",),
        ),
    ),
    (
        "housing",
        ArticleSpec(
            "field_sheds",
            "农业生产用地上的田头棚应当按规定申报，不得改作居住、仓储或经营用途，"
            "经认定为违规的应当自行拆除。",
            ("housing_land",),
        ),
    ),
    (
        "sanitation",
        ArticleSpec(
            "toilets",
            "爱护公共厕所和垃圾收集点等环卫设施，不得损坏、挪用，使用后保持清洁。",
            ("sanitation",),
        ),
    ),
    (
        "customs",
        ArticleSpec(
            "heritage",
            "爱护祠堂、古井、古树等历史文化遗存，不得在其周边乱搭乱建、堆放杂物。",
            ("customs", "housing_land"),
        ),
    ),
]

PREAMBLE = (
    "为推进{name}乡村振兴和农村人居环境整治，引导村民自我管理、自我教育、自我服务，"
    "经广泛征求意见，由{name}村民会议讨论表决通过，制定本村规民约。"
)

# 中区 was the first (March 2019); the other 21 followed through the year.
FIRST_COMMUNITY = "中区"
FIRST_ADOPTED_ON = datetime.date(2019, 3, 16)
OTHERS_FROM = datetime.date(2019, 4, 13)
OTHERS_UNTIL = datetime.date(2019, 12, 14)
FILING_REFERENCE = "桂街村约备〔2019〕{n}号"

# --- 中区's 2026 revision (version 2, out for comment) ------------------------------------

REVISION_PREAMBLE = (
    "为巩固“三清三拆三整治”成果，适应乡村振兴新要求，{name}居民委员会在2019年村规民约的基础上"
    "修订本村规民约，现公开征求意见。"
)
# Articles reworded in the revision (article key → new text).
REVISION_CHANGES: dict[str, str] = {
    "sorting": (
        "生活垃圾实行分类投放，每天早上7时至9时、晚上6时至8时定时定点投放到指定收集点，"
        "不得乱丢乱倒，不得露天焚烧垃圾、秸秆和杂物。"
    ),
    "parking": (
        "机动车、电动自行车应当在划定的位置有序停放，不得占用消防通道、盲道和巷道出入口；"
        "电动自行车不得进楼入户，不得在楼道和室内充电。"
    ),
    "rewards": (
        "对遵守本村规民约表现突出的家庭和个人，由社区给予表扬和奖励，并在股份分红以外的福利中"
        "予以倾斜；违反本村规民约的，由社区进行批评教育、责令改正，并可以取消其当年度评先评优资格；"
        "违反法律法规的，移送有关部门依法处理。"
    ),
}
# Articles added in the revision: (after article key, article).
REVISION_ADDED: list[tuple[str, ArticleSpec]] = [
    (
        "democracy",
        ArticleSpec(
            "clearance_subsidy",
            "经联社按照股东代表大会决议向各经济社提供“三清理”垃圾清运补贴，"
            "各经济社应当专款专用，并每季度公开补贴使用情况。",
            ("sanitation", "collective"),
        ),
    ),
]
# Articles dropped in the revision.
REVISION_REMOVED: tuple[str, ...] = ("fireworks",)
# Comments received on the public page or collected by the community:
# (article key or "", text, source, author name, reply).
REVISION_COMMENTS: list[tuple[str, str, str, str, str]] = [
    (
        "sorting",
        "晚上6点到8点投放时间太短，下班回来经常赶不上，建议延长到晚上9点。",
        "public",
        "",
        "已收集，将在村民代表会议上讨论投放时间。",
    ),
    (
        "parking",
        "电动车不准在楼道充电可以理解，但巷子里要多装几个集中充电桩，不然没地方充。",
        "public",
        "",
        "",
    ),
    (
        "clearance_subsidy",
        "补贴使用情况每季度公开很好，建议在各经济社公开栏和微信群同时公布。",
        "staff",
        "梁伯（第三经济社）",
        "采纳，修订稿将写明公开方式。",
    ),
    (
        "",
        "希望增加一条：出租屋业主要负责租客的垃圾分类，不落实的要有说法。",
        "public",
        "",
        "",
    ),
    (
        "rewards",
        "“在福利中予以倾斜”具体怎么操作？建议写清楚标准，避免以后有争议。",
        "staff",
        "何姨",
        "",
    ),
]

# --- the votes ---------------------------------------------------------------------------

CHARTER_MOTION_TITLE = "关于表决通过《{title}》的议案"
CHARTER_SESSION_TITLE = "{name}2019年村民会议（村规民约表决）"
SESSION_PLACES: tuple[str, ...] = ("社区文化室", "社区礼堂", "社区党群服务中心", "社区祠堂广场")

SUBSIDY_BODY = "中区经联社股东代表大会"
SUBSIDY_SESSION_TITLE = "中区经联社2019年第二次股东代表大会"
SUBSIDY_HELD_ON = datetime.date(2019, 5, 18)
SUBSIDY_PLACE = "中区经联社会议室"
SUBSIDY_MOTION_TITLE = "关于经联社向各经济社提供‘三清理’垃圾清运补贴的决议"
SUBSIDY_MOTION_TEXT = (
    "为巩固“三清理”成果，减轻各经济社负担，经联社从集体经营收益中安排专项资金，"
    "按各经济社的垃圾清运量向每个经济社提供补贴，用于市政拨款以外的“三清理”垃圾清运费。"
    "补贴资金专款专用，由经联社监事会监督，使用情况每季度公开。"
)
SUBSIDY_REPRESENTATIVES = 45

OPEN_COMMUNITY = "叠南"
OPEN_BODY = "叠南社区村民代表会议"
OPEN_SESSION_TITLE = "叠南社区{year}年第四次村民代表会议"
OPEN_PLACE = "叠南社区党群服务中心"
OPEN_MOTION_TITLE = "关于{year}年度河涌保洁和“三清理”垃圾清运经费安排的决议"
OPEN_MOTION_TEXT = (
    "社区拟从集体经营收益中安排河涌保洁和“三清理”垃圾清运经费，"
    "按各经济社的河涌长度和清运量分配，经费使用情况每季度公开。"
)
OPEN_REPRESENTATIVES = 30

OPTIONS: tuple[tuple[str, str], ...] = (("同意", "for"), ("反对", "against"), ("弃权", "abstain"))
