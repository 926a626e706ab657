"""The diff between two versions: added, removed, changed and moved articles, character marks."""

from __future__ import annotations

import pytest

from zhenxing.charters import services
from zhenxing.charters.diff import char_diff, diff_items, diff_versions, item
from zhenxing.charters.models import CharterVersion, VersionStatus


def test_insertion_renumbers_but_only_the_new_article_is_added():
    old = [item(1, "总则", "甲条"), item(2, "总则", "乙条"), item(3, "卫生", "丙条")]
    new = [
        item(1, "总则", "甲条"),
        item(2, "总则", "新增一条关于消防的规定"),
        item(3, "总则", "乙条"),
        item(4, "卫生", "丙条"),
    ]
    result = diff_items(old, new)
    assert result.counts == {"same": 3, "moved": 0, "changed": 0, "added": 1, "removed": 0}
    added = [r for r in result.rows if r.kind == "added"]
    assert added[0].new.number == 2 and added[0].old is None


def test_removed_changed_and_moved():
    old = [
        item(1, "总则", "为建设美丽乡村，制定本公约。"),
        item(2, "总则", "禁止在河道倾倒垃圾。"),
        item(3, "卫生", "生活垃圾分类投放，不乱丢乱倒。"),
        item(4, "治安", "邻里互助。"),
    ]
    new = [
        item(1, "总则", "为建设美丽乡村，制定本公约。"),
        item(2, "卫生", "生活垃圾分类投放，不乱扔乱倒，定时定点。"),
        item(3, "邻里", "邻里互助。"),
    ]
    result = diff_items(old, new)
    kinds = [
        (r.kind, r.old.number if r.old else None, r.new.number if r.new else None)
        for r in result.rows
    ]
    assert kinds == [
        ("same", 1, 1),
        ("removed", 2, None),
        ("changed", 3, 2),
        ("moved", 4, 3),
    ]
    changed = result.rows[2]
    assert [s.text for s in changed.old.segments if s.mark == "del"] == ["丢"]
    assert [s.text for s in changed.new.segments if s.mark == "ins"] == ["扔", "，定时定点"]
    assert [r.kind for r in result.changed_rows] == ["removed", "changed", "moved"]


def test_a_replacement_too_different_is_removed_and_added():
    result = diff_items([item(1, "总则", "甲乙丙丁戊己")], [item(1, "总则", "子丑寅卯辰巳")])
    assert [r.kind for r in result.rows] == ["removed", "added"]


def test_character_level_marks_in_chinese():
    left, right = char_diff("不乱丢垃圾", "不乱扔垃圾")
    assert [(s.text, s.mark) for s in left] == [("不乱", "same"), ("丢", "del"), ("垃圾", "same")]
    assert [(s.text, s.mark) for s in right] == [("不乱", "same"), ("扔", "ins"), ("垃圾", "same")]


@pytest.mark.django_db
def test_diff_of_two_stored_versions(charters, world):
    version = charters.version_a
    CharterVersion.objects.filter(pk=version.pk).update(status=VersionStatus.ADOPTED)
    new = services.version_new(from_version=version, actor=world.admin)
    services.version_save_text(
        version=new,
        text=(
            "第一章 总则\n第一条 为建设美丽乡村，经村民会议讨论通过，制定本村规民约。\n"
            "第二章 环境卫生\n第二条 生活垃圾分类投放，不乱丢乱倒。\n第三条 饲养家禽应当圈养。\n"
        ),
        actor=world.admin,
    )
    result = diff_versions(version, new)
    assert (result.counts["same"], result.counts["removed"], result.counts["added"]) == (2, 1, 1)
    assert result.preamble_changed is False
