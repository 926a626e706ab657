"""Shared test data for charters: a draft charter in 社区甲 and one in 社区乙.

社区甲 GC01: 社区甲村规民约, version 1 drafting — 第一章 总则 (第一条),
             第二章 环境卫生 (第二条 [环境卫生], 第三条 [环境卫生, 道路交通])
社区乙 GC02: 社区乙村规民约, version 1 drafting — 第一章 总则 (第一条)
"""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

from zhenxing.charters.models import Article, Chapter, Charter, CharterVersion, Topic
from zhenxing.charters.services import new_public_token


def ensure_topics() -> None:
    """The topics migration 0002 seeds: a transactional (browser) test flushes them."""
    from django.apps import apps

    seed = importlib.import_module("zhenxing.charters.migrations.0002_topics")
    seed.add_topics(apps, None)


def _version(charter: Charter, chapters: list[tuple[str, list[tuple[str, list[str]]]]]) -> Any:
    version = CharterVersion.objects.create(
        charter=charter, number=1, public_token=new_public_token()
    )
    number = 0
    for c, (title, articles) in enumerate(chapters, start=1):
        chapter = Chapter.objects.create(version=version, number=c, title=title)
        for text, topics in articles:
            number += 1
            article = Article.objects.create(chapter=chapter, number=number, text=text)
            article.topics.set(Topic.objects.filter(code__in=topics))
    return version


def build_charter_world(world: Any) -> SimpleNamespace:
    ensure_topics()
    charter_a = Charter.objects.create(region=world.a, title="社区甲村规民约")
    version_a = _version(
        charter_a,
        [
            ("总则", [("为建设美丽乡村，经村民会议讨论通过，制定本村规民约。", [])]),
            (
                "环境卫生",
                [
                    ("生活垃圾分类投放，不乱丢乱倒。", ["sanitation"]),
                    ("门前三包，不占道堆放杂物。", ["sanitation", "roads"]),
                ],
            ),
        ],
    )
    charter_b = Charter.objects.create(region=world.b, title="社区乙村规民约")
    version_b = _version(charter_b, [("总则", [("本公约由全体村民共同遵守。", [])])])
    return SimpleNamespace(
        charter_a=charter_a, version_a=version_a, charter_b=charter_b, version_b=version_b
    )
