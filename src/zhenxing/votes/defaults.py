"""The rules a new voting body starts with (DOMAIN.md §5), each with its legal reference.

These are defaults offered when a body is created; the body's own rows
(`VoteRule`) are what count, and its managers may change them. The law's
"以上" includes the number itself (三分之二以上 = two-thirds or more); "过半数"
is more than half.
"""

from __future__ import annotations

from zhenxing.votes.models import Base, Basis, BodyKind, RulePurpose, Threshold

LAW = "《中华人民共和国村民委员会组织法》"

# (purpose, basis, base, threshold, legal reference), in order.
DEFAULT_RULES: dict[str, list[tuple[str, str, str, str, str]]] = {
    BodyKind.VILLAGERS: [
        (
            RulePurpose.QUORUM,
            Basis.HEADCOUNT,
            Base.ROLL,
            Threshold.ABSOLUTE,
            f"{LAW}第二十二条：本村十八周岁以上村民的过半数参加",
        ),
        (
            RulePurpose.QUORUM,
            Basis.HOUSEHOLDS,
            Base.ROLL,
            Threshold.TWO_THIRDS,
            f"{LAW}第二十二条：或者本村三分之二以上的户的代表参加",
        ),
        (
            RulePurpose.MAJORITY,
            Basis.HEADCOUNT,
            Base.PRESENT,
            Threshold.ABSOLUTE,
            f"{LAW}第二十二条：所作决定应当经到会人员的过半数通过",
        ),
    ],
    BodyKind.REPRESENTATIVES: [
        (
            RulePurpose.QUORUM,
            Basis.HEADCOUNT,
            Base.ROLL,
            Threshold.TWO_THIRDS,
            f"{LAW}第二十六条：村民代表会议有三分之二以上的组成人员参加方可召开",
        ),
        (
            RulePurpose.MAJORITY,
            Basis.HEADCOUNT,
            Base.PRESENT,
            Threshold.ABSOLUTE,
            f"{LAW}第二十六条：所作决定应当经到会人员的过半数同意",
        ),
    ],
    BodyKind.GROUP: [
        (
            RulePurpose.QUORUM,
            Basis.HEADCOUNT,
            Base.ROLL,
            Threshold.TWO_THIRDS,
            f"{LAW}第二十八条：本村民小组十八周岁以上的村民三分之二以上参加",
        ),
        (
            RulePurpose.QUORUM,
            Basis.HOUSEHOLDS,
            Base.ROLL,
            Threshold.TWO_THIRDS,
            f"{LAW}第二十八条：或者本村民小组三分之二以上的户的代表参加",
        ),
        (
            RulePurpose.MAJORITY,
            Basis.HEADCOUNT,
            Base.PRESENT,
            Threshold.ABSOLUTE,
            f"{LAW}第二十八条：所作决定应当经到会人员的过半数同意",
        ),
    ],
    BodyKind.SHAREHOLDERS: [
        (
            RulePurpose.QUORUM,
            Basis.HEADCOUNT,
            Base.ROLL,
            Threshold.TWO_THIRDS,
            "《广东省农村集体经济组织管理规定》及本组织章程：三分之二以上股东（代表）参加"
            "（默认值，按章程调整）",
        ),
        (
            RulePurpose.MAJORITY,
            Basis.HEADCOUNT,
            Base.PRESENT,
            Threshold.TWO_THIRDS,
            "《广东省农村集体经济组织管理规定》及本组织章程：到会股东（代表）三分之二以上同意"
            "（默认值，按章程调整）",
        ),
    ],
}
