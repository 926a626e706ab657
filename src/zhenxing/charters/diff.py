"""Two versions of a charter compared article by article.

Articles are numbered through the whole version, so inserting one renumbers
every article after it: matching by number would call them all changed.
Instead the two sequences of article texts are aligned (difflib), and
within a stretch that changed, each old article is paired with the most
similar new one still free — similar enough, it is "changed", otherwise it
was removed and the other added. Changed text is marked character by
character: Chinese has no spaces, so a word diff would see one long word.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from zhenxing.charters.models import Article, CharterVersion

Kind = Literal["same", "moved", "changed", "added", "removed"]
# Below this similarity two articles are one removed and one added, not one changed.
PAIR_RATIO = 0.4


@dataclass(frozen=True)
class Segment:
    text: str
    # "same", "del" (only in the old text), "ins" (only in the new text)
    mark: str


@dataclass
class Side:
    number: int
    chapter: str
    segments: list[Segment]


@dataclass
class Row:
    kind: Kind
    old: Side | None
    new: Side | None


@dataclass
class VersionDiff:
    rows: list[Row]
    preamble_old: list[Segment]
    preamble_new: list[Segment]
    preamble_changed: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def changed_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind != "same"]


@dataclass(frozen=True)
class _Item:
    number: int
    chapter: str
    text: str


def char_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """The two texts cut into runs kept, deleted (old side) and inserted (new side)."""
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            left.append(Segment(old[i1:i2], "same"))
            right.append(Segment(new[j1:j2], "same"))
            continue
        if i2 > i1:
            left.append(Segment(old[i1:i2], "del"))
        if j2 > j1:
            right.append(Segment(new[j1:j2], "ins"))
    return left, right


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _plain(item: _Item) -> Side:
    return Side(item.number, item.chapter, [Segment(item.text, "same")] if item.text else [])


def _changed(old: _Item, new: _Item) -> Row:
    left, right = char_diff(old.text, new.text)
    return Row("changed", Side(old.number, old.chapter, left), Side(new.number, new.chapter, right))


def _pair_block(olds: list[_Item], news: list[_Item]) -> list[Row]:
    """A stretch where the texts differ: pair each old article with its most similar new one."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for i, old in enumerate(olds):
        best, best_ratio = None, PAIR_RATIO
        for j, new in enumerate(news):
            if j in taken:
                continue
            ratio = _ratio(old.text, new.text)
            if ratio >= best_ratio:
                best, best_ratio = j, ratio
        if best is not None:
            pairs[i] = best
            taken.add(best)
    rows: list[Row] = []
    j = 0
    # Keep the new version's order, slotting removed articles where they stood.
    for i, old in enumerate(olds):
        if i not in pairs:
            rows.append(Row("removed", _plain(old), None))
            continue
        while j < pairs[i]:
            if j not in taken:
                rows.append(Row("added", None, _plain(news[j])))
            j += 1
        rows.append(_changed(old, news[pairs[i]]))
        # Pairs may cross (an article moved up in a changed stretch): never step back.
        j = max(j, pairs[i] + 1)
    for k in range(j, len(news)):
        if k not in taken:
            rows.append(Row("added", None, _plain(news[k])))
    return rows


def _items(version: CharterVersion) -> list[_Item]:
    articles = Article.objects.filter(chapter__version=version).select_related("chapter")
    return [
        _Item(a.number, a.chapter.title, a.text)
        for a in articles.order_by("chapter__number", "number")
    ]


def diff_versions(old: CharterVersion, new: CharterVersion) -> VersionDiff:
    return diff_items(_items(old), _items(new), old.preamble, new.preamble)


def diff_items(
    olds: list[_Item], news: list[_Item], preamble_old: str = "", preamble_new: str = ""
) -> VersionDiff:
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(
        None, [i.text for i in olds], [i.text for i in news], autojunk=False
    )
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for old, new in zip(olds[i1:i2], news[j1:j2], strict=True):
                kind: Kind = "same" if old.chapter == new.chapter else "moved"
                rows.append(Row(kind, _plain(old), _plain(new)))
        else:
            rows += _pair_block(olds[i1:i2], news[j1:j2])
    left, right = char_diff(preamble_old, preamble_new)
    counts = {kind: 0 for kind in ("same", "moved", "changed", "added", "removed")}
    for row in rows:
        counts[row.kind] += 1
    return VersionDiff(
        rows=rows,
        preamble_old=left,
        preamble_new=right,
        preamble_changed=preamble_old.strip() != preamble_new.strip(),
        counts=counts,
    )


def item(number: int, chapter: str, text: str) -> _Item:
    """An article as the diff sees it (for tests and callers holding plain text)."""
    return _Item(number, chapter, text)
