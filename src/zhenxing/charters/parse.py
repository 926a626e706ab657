"""A charter's text as officials write it, and back.

Officials draft in Word and paste the text in. The format is the one every
村规民约 already uses:

    为建设美丽乡村……（the preamble: anything before the first chapter or article）
    第一章 总则
    第一条 为……，制定本村规民约。
    第二条 ……
    （a line that is no heading continues the article before it: a paragraph break）
    第二章 环境卫生
    第三条 ……

"第1章" and "第1条" work as well as Chinese numerals (一 … 九十九, and up to 九百九十九).
The numbers typed are only how a heading is recognised: articles are numbered by
their order through the whole version, chapters by theirs, so that inserting an
article never leaves a gap or a duplicate. Articles before any chapter go into an
implicit first chapter "总则".

`render_text` writes a version in the same format, so that editing is
render → textarea → parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from zhenxing.charters.models import CharterVersion

MAX_ARTICLES = 200
MAX_CHAPTER_TITLE = 100  # Chapter.title's max_length
IMPLICIT_CHAPTER = "总则"

_DIGITS = "一二三四五六七八九"
_NUMERAL = r"[0-9０-９]+|[零〇一二三四五六七八九十百]+"
# A heading: 第 + number + 章/条, then (after optional spaces, full-width ones too) the rest.
_HEADING = re.compile(rf"^第\s*({_NUMERAL})\s*(章|条)(?:[\s\u3000:：、.．]*)(.*)$")
_CHINESE = re.compile(
    r"^(?:(?P<h>[一二三四五六七八九])百(?P<z>[零〇])?)?"
    r"(?:(?P<t>[一二三四五六七八九])?(?P<ten>十))?"
    r"(?P<u>[一二三四五六七八九])?$"
)


def parse_numeral(text: str) -> int | None:
    """3 for "3", "３" or "三"; 21 for "二十一"; 105 for "一百零五"; None if it is no number."""
    if text.isdigit():
        try:
            value = int(text)
        except ValueError:  # a digit int() does not take (superscripts)
            return None
        return value if value > 0 else None
    match = _CHINESE.match(text)
    if not match or not text:
        return None
    parts = match.groupdict()
    if parts["z"] and not (parts["u"] and not parts["ten"]):
        # 零 stands only between the hundreds and a lone unit (一百零五).
        return None
    value = 0
    if parts["h"]:
        value += (_DIGITS.index(parts["h"]) + 1) * 100
    if parts["ten"]:
        value += ((_DIGITS.index(parts["t"]) + 1) if parts["t"] else 1) * 10
    if parts["u"]:
        value += _DIGITS.index(parts["u"]) + 1
    return value or None


def chinese_numeral(number: int) -> str:
    """一 for 1, 十 for 10, 二十一 for 21, 一百零五 for 105, 一百一十 for 110 (1 … 999)."""
    if not 0 < number < 1000:
        return str(number)
    hundreds, rest = divmod(number, 100)
    tens, units = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds - 1] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        # 十一 alone, but 一百一十一 after hundreds.
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens - 1]) + "十"
    if units:
        out += _DIGITS[units - 1]
    return out


@dataclass
class ParsedArticle:
    line: int
    paragraphs: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class ParsedChapter:
    line: int
    title: str
    articles: list[ParsedArticle] = field(default_factory=list)


@dataclass
class ParsedCharter:
    preamble: str
    chapters: list[ParsedChapter]

    @property
    def article_count(self) -> int:
        return sum(len(c.articles) for c in self.chapters)


class CharterTextError(ValueError):
    """The text cannot be read as a charter; `problems` are messages naming their lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _heading(line: str) -> tuple[str, str] | None:
    """("章" or "条", the rest of the line) when the line is a chapter or article heading."""
    match = _HEADING.match(line)
    if not match or parse_numeral(match.group(1)) is None:
        return None
    return match.group(2), match.group(3).strip()


def parse_text(text: str) -> ParsedCharter:
    """Read a charter; raise CharterTextError listing every problem with its line number."""
    preamble: list[str] = []
    chapters: list[ParsedChapter] = []
    article: ParsedArticle | None = None
    problems: list[tuple[int, str]] = []
    count = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        heading = _heading(line)
        if heading is None:
            if article is not None:
                article.paragraphs.append(line)
            elif chapters:
                problems.append(
                    (
                        number,
                        _(
                            "Line %(line)d: text under a chapter title must start "
                            "with an article (第…条)."
                        )
                        % {"line": number},
                    )
                )
            else:
                preamble.append(line)
            continue
        kind, rest = heading
        if kind == "章":
            if not rest:
                problems.append(
                    (number, _("Line %(line)d: the chapter has no title.") % {"line": number})
                )
            elif len(rest) > MAX_CHAPTER_TITLE:
                problems.append(
                    (
                        number,
                        _("Line %(line)d: a chapter title has at most %(max)d characters.")
                        % {"line": number, "max": MAX_CHAPTER_TITLE},
                    )
                )
            chapters.append(ParsedChapter(line=number, title=rest))
            article = None
            continue
        count += 1
        if count == MAX_ARTICLES + 1:
            problems.append(
                (
                    number,
                    _("Line %(line)d: a charter has at most %(max)d articles.")
                    % {"line": number, "max": MAX_ARTICLES},
                )
            )
        if not chapters:
            chapters.append(ParsedChapter(line=number, title=IMPLICIT_CHAPTER))
        article = ParsedArticle(line=number, paragraphs=[rest] if rest else [])
        chapters[-1].articles.append(article)
    for chapter in chapters:
        if not chapter.articles:
            problems.append(
                (
                    chapter.line,
                    _("Line %(line)d: the chapter “%(title)s” has no article.")
                    % {"line": chapter.line, "title": chapter.title},
                )
            )
        for item in chapter.articles:
            if not item.paragraphs:
                problems.append(
                    (item.line, _("Line %(line)d: the article has no text.") % {"line": item.line})
                )
    if not chapters:
        problems.append((0, _("The text has no article: start each one with 第一条, 第二条, …")))
    if problems:
        raise CharterTextError([message for _line, message in sorted(problems)])
    return ParsedCharter(preamble="\n".join(preamble), chapters=chapters)


def render_text(version: CharterVersion, *, preamble: bool = True) -> str:
    """The version in the format `parse_text` reads (two queries)."""
    from zhenxing.charters.models import Article, Chapter

    lines: list[str] = []
    if preamble and version.preamble.strip():
        lines += [p.strip() for p in version.preamble.splitlines() if p.strip()]
        lines.append("")
    articles: dict[int, list[Article]] = {}
    for article in Article.objects.filter(chapter__version=version).order_by("number"):
        articles.setdefault(article.chapter_id, []).append(article)
    for position, chapter in enumerate(Chapter.objects.filter(version=version).order_by("number")):
        if position:
            lines.append("")
        lines.append(f"第{chinese_numeral(position + 1)}章 {chapter.title}")
        for article in articles.get(chapter.pk, []):
            paragraphs = [p.strip() for p in article.text.splitlines() if p.strip()] or [""]
            lines.append(f"第{chinese_numeral(article.number)}条 {paragraphs[0]}".rstrip())
            lines += paragraphs[1:]
    return "\n".join(lines) + "\n"
