"""The charter text format: headings, numerals, continuation lines, preamble, errors, round trip."""

from __future__ import annotations

import pytest
from django.utils import translation

from zhenxing.charters.parse import (
    MAX_ARTICLES,
    CharterTextError,
    chinese_numeral,
    parse_numeral,
    parse_text,
    render_text,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("九", 9),
        ("十", 10),
        ("十一", 11),
        ("二十", 20),
        ("二十一", 21),
        ("九十九", 99),
        ("一百", 100),
        ("一百零五", 105),
        ("一百一十", 110),
        ("二百", 200),
        ("1", 1),
        ("27", 27),
        ("３", 3),
    ],
)
def test_numerals_are_read(text, value):
    assert parse_numeral(text) == value


@pytest.mark.parametrize("text", ["", "零", "0", "十十", "一二", "百", "两", "一百零", "十零"])
def test_non_numerals_are_refused(text):
    assert parse_numeral(text) is None


def test_numerals_are_written_and_read_back():
    for number in range(1, 201):
        assert parse_numeral(chinese_numeral(number)) == number
    assert [chinese_numeral(n) for n in (10, 11, 21, 105, 110)] == [
        "十",
        "十一",
        "二十一",
        "一百零五",
        "一百一十",
    ]


def test_chapters_articles_continuations_and_preamble():
    parsed = parse_text(
        "为建设美丽乡村，制定本公约。\n"
        "\n"
        "第一章 总则\n"
        "第一条 本公约适用于本村。\n"
        "　第二条　村民应当遵守本公约。\n"
        "本条所称村民，包括常住人口。\n"
        "第2章：环境卫生\n"
        "第7条 垃圾分类投放。\n"
    )
    assert parsed.preamble == "为建设美丽乡村，制定本公约。"
    assert [c.title for c in parsed.chapters] == ["总则", "环境卫生"]
    assert [a.text for a in parsed.chapters[0].articles] == [
        "本公约适用于本村。",
        "村民应当遵守本公约。\n本条所称村民，包括常住人口。",
    ]
    # Numbered by order, whatever was typed (第7条 is the third article).
    assert parsed.article_count == 3
    assert parsed.chapters[1].articles[0].text == "垃圾分类投放。"


def test_articles_before_any_chapter_go_into_an_implicit_general_chapter():
    parsed = parse_text("前言。\n第一条 甲。\n第二条 乙。\n第二章 治安\n第三条 丙。")
    assert parsed.preamble == "前言。"
    assert [(c.title, len(c.articles)) for c in parsed.chapters] == [("总则", 2), ("治安", 1)]


def test_errors_name_their_lines():
    with translation.override("en"), pytest.raises(CharterTextError) as caught:
        parse_text("第一章 总则\n第一条\n第二章 空章\n第三章 治安\n第二条 有内容。")
    assert caught.value.problems == [
        "Line 2: the article has no text.",
        "Line 3: the chapter “空章” has no article.",
    ]


def test_a_chapter_needs_a_title_and_text_needs_an_article():
    with translation.override("en"), pytest.raises(CharterTextError) as caught:
        parse_text("第一章\n第一条 甲。")
    assert caught.value.problems == ["Line 1: the chapter has no title."]
    with translation.override("en"), pytest.raises(CharterTextError) as caught:
        parse_text("只有前言，没有条文。")
    assert "no article" in caught.value.problems[0]


def test_at_most_200_articles():
    ok = "\n".join(f"第{n}条 内容{n}。" for n in range(1, MAX_ARTICLES + 1))
    assert parse_text(ok).article_count == MAX_ARTICLES
    with translation.override("en"), pytest.raises(CharterTextError) as caught:
        parse_text(ok + "\n第二百零一条 多了一条。")
    assert caught.value.problems == [
        f"Line {MAX_ARTICLES + 1}: a charter has at most 200 articles."
    ]


@pytest.mark.django_db
def test_render_then_parse_gives_the_same_text(charters):
    version = charters.version_a
    version.preamble = "第一段前言。\n第二段前言。"
    version.save()
    article = version.chapters.get(number=2).articles.get(number=3)
    article.text = "门前三包。\n不占道堆放杂物。"
    article.save()
    text = render_text(version)
    assert (
        "第二章 环境卫生\n第二条 生活垃圾分类投放，不乱丢乱倒。\n"
        "第三条 门前三包。\n不占道堆放杂物。" in text
    )
    parsed = parse_text(text)
    assert parsed.preamble == version.preamble
    assert [(c.title, [a.text for a in c.articles]) for c in parsed.chapters] == [
        ("总则", ["为建设美丽乡村，经村民会议讨论通过，制定本村规民约。"]),
        ("环境卫生", ["生活垃圾分类投放，不乱丢乱倒。", "门前三包。\n不占道堆放杂物。"]),
    ]
