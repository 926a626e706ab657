"""The left navigation, grouped by mechanism as our users know it (UX.md).

Apps register their pages here in their AppConfig.ready(); a group with no
visible entry is not shown, so the menu only ever lists pages that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Order and names of the groups (UX.md): 一图一表 · 一检一报 · 督导整改 · 曝光台 ·
# 党建引领 · 村规民约 · 志愿服务 · 数读 · 系统管理
GROUPS: list[tuple[str, Promise]] = [
    ("plan", _("Battle map & plan")),
    ("inspect", _("Inspection & circular")),
    ("cases", _("Supervision & rectification")),
    ("public", _("Exposure board")),
    ("party", _("Party building")),
    ("charters", _("Residents' charters")),
    ("volunteer", _("Volunteering")),
    ("figures", _("Figures")),
    ("system", _("System")),
]


@dataclass(frozen=True)
class NavItem:
    group: str
    label: Promise | str
    url_name: str
    visible: Callable[[Any], bool] = field(default=lambda user: user.is_authenticated)
    order: int = 100


_ITEMS: list[NavItem] = []


def register(item: NavItem) -> None:
    if item.group not in dict(GROUPS):
        raise ValueError(f"unknown navigation group {item.group!r}")
    if any(i.url_name == item.url_name for i in _ITEMS):
        return
    _ITEMS.append(item)


def menu_for(user: Any, current_path: str) -> list[dict[str, Any]]:
    menu = []
    for key, label in GROUPS:
        entries = []
        for item in sorted((i for i in _ITEMS if i.group == key), key=lambda i: i.order):
            if not item.visible(user):
                continue
            url = reverse(item.url_name)
            entries.append({"label": item.label, "url": url, "active": False})
        if entries:
            menu.append({"key": key, "label": label, "items": entries})
    # Only the longest matching entry is the current page: /cases/queue/ lies
    # under /cases/ too, and two highlighted items would say nothing.
    matches = [e for group in menu for e in group["items"] if current_path.startswith(e["url"])]
    if matches:
        max(matches, key=lambda e: len(e["url"]))["active"] = True
    return menu
