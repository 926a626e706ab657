"""Static name lists for the Guicheng demo: our own invented data, not a third-party source.

Names from the article (`/work/shared/seed/guicheng-rural-revitalisation-article.txt`)
are used as they appear there; the rest are plausible Guicheng / Nanhai names
chosen to complete the figures the article quotes (22 rural communities,
105 cooperatives, 173 areas, 32 departments, 22 work teams).
"""

from __future__ import annotations

ROOT_CODE = "GC"
ROOT_NAME = "桂城街道"

# The 22 rural communities, short names (the platform name adds 社区). The
# first twelve are named in the article; 叠南 comes first so it gets GC01.
# The list is ordered so that neighbours in it tend to be neighbours on the
# generated map (叠滘 villages together, 夏 villages together, 平洲 together).
COMMUNITIES: list[str] = [
    "叠南",
    "叠北",
    "茶基",
    "潭头",
    "圣堂",
    "文翰",
    "北约",
    "东约",
    "西约",
    "南约",
    "中区",
    "林岳",
    "三山",
    "夏北",
    "夏西",
    "夏东",
    "夏南一",
    "夏南二",
    "平北",
    "平西",
    "平东",
    "平南",
]

COMMUNITY_SUFFIX = "社区"
COOPERATIVES_TOTAL = 105
AREAS_TOTAL = 173
# Cooperatives per community and areas per cooperative stay within these bounds.
COOPERATIVES_PER_COMMUNITY = (3, 7)
AREAS_PER_COOPERATIVE = (1, 3)

# Residents per community (the households follow at 2.8–3.4 people each).
POPULATION_RANGE = (3_000, 15_000)

# A few streets and lanes (街巷, level 5) inside 叠南社区, the community the
# article visits; they show the optional level below the areas.
STREETS_COMMUNITY = "叠南"
STREETS: list[str] = [
    "叠南大街",
    "龙舟路",
    "观龙台街",
    "叠滘涌北街",
    "南华里",
    "新村一巷",
    "新村二巷",
    "祠堂街",
]

CHINESE_ORDINALS = [
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
]

# The 32 functional departments (职能部门) of the joint meeting (联席会议),
# codes D01..D32 in this order. `CITY_MANAGEMENT` is where the demo
# department-staff account works.
DEPARTMENTS: list[str] = [
    "党建工作办公室",
    "乡村振兴办公室",
    "城市管理和综合执法办公室",
    "环境保护办公室",
    "住房城乡建设和水利办公室",
    "规划建设办公室",
    "自然资源所",
    "经济促进办公室",
    "农业农村办公室",
    "财政办公室",
    "市场监督管理所",
    "公安分局桂城派出所",
    "交警桂城中队",
    "桂城消防救援站",
    "桂城供电所",
    "自来水公司桂城营业所",
    "燃气公司桂城服务中心",
    "中国电信桂城分公司",
    "中国移动桂城分公司",
    "中国联通桂城分公司",
    "卫生健康办公室",
    "教育办公室",
    "文化体育和旅游办公室",
    "社会工作办公室",
    "综治信访维稳中心",
    "应急管理办公室",
    "统计办公室",
    "宣传办公室",
    "团工委",
    "妇联",
    "总工会",
    "城市更新办公室",
]
CITY_MANAGEMENT = "城市管理和综合执法办公室"

PARTY_COMMITTEE = "桂城街道党工委"
# Branches per community party committee; the first is the cooperative's
# branch, the last of four or more is the retired members' branch.
BRANCHES_PER_COMMUNITY = (3, 6)

# Party members in the rural communities: the article's 1,701 members who
# claimed a responsibility post.
PARTY_MEMBERS_TOTAL = 1_701

# The retired party member the article names (文翰社区); the demo "party" account is his.
NAMED_MEMBER_NAME = "阙国钊"
NAMED_MEMBER_COMMUNITY = "文翰"
NAMED_MEMBER_BIRTH_YEAR = 1953

# Common surnames in Nanhai, weighted roughly by how often they occur there.
SURNAMES: list[tuple[str, int]] = [
    ("陈", 14),
    ("梁", 10),
    ("黄", 8),
    ("李", 7),
    ("何", 6),
    ("冯", 5),
    ("潘", 5),
    ("关", 4),
    ("麦", 4),
    ("卢", 4),
    ("罗", 3),
    ("邓", 3),
    ("谭", 3),
    ("区", 3),
    ("张", 3),
    ("吴", 3),
    ("林", 3),
    ("杨", 2),
    ("周", 2),
    ("叶", 2),
    ("郭", 2),
    ("伍", 2),
    ("招", 2),
    ("岑", 2),
    ("霍", 2),
    ("钟", 2),
    ("庞", 1),
    ("简", 1),
    ("植", 1),
    ("邝", 1),
]

GIVEN_MALE = "国伟志明建华文杰俊荣永强锦辉海波振兴家乐汉光耀德庆昌炳权"
GIVEN_FEMALE = "丽芳燕玲秀英美珍慧敏淑婷艳霞桂兰凤琼娟洁雪梅颖嘉欣彩群"

# The demo accounts' display names (the secretary of 叠南社区 is named in the article).
DISPLAY_NAMES = {
    "admin": "桂城乡村振兴办管理员",
    "secretary": "卢毅",
    "inspector": "暗检队员黄志明",
    "dept": "城管办李建华",
    "leader": "叠南工作队队长何永强",
    "secretary2": "中区社区书记梁锦辉",
}

# Role labels printed with the demo accounts (the UI language is Chinese).
ROLE_LABELS = {
    "office_admin": "街道办管理员",
    "secretary": "社区书记",
    "inspector": "暗检员",
    "party_member": "党员",
    "department_staff": "职能部门人员",
    "team_leader": "工作队队长",
}

WORK_TEAM_SUFFIX = "三清三拆三整治工作队"
# People per work team: 22 teams of 18–21 give the article's "逾400人".
WORK_TEAM_HEADCOUNT = (18, 21)
WORK_TEAM_TOTAL_MIN = 401
