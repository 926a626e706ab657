"""Panels other apps add to a region's page, without territory importing them.

An app registers a provider in its AppConfig.ready(); the region page asks
every provider for a panel and includes each panel's template with its
context as `panel`. A provider answers None when it has nothing to show to
this viewer (no rights, nothing there), so the page shows no empty boxes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from django.http import HttpRequest

from zhenxing.territory.models import Region


class Panel(NamedTuple):
    """A template to include on the region page, its context, and where it goes (low first)."""

    template: str
    context: dict[str, Any]
    order: int = 100


PanelProvider = Callable[[HttpRequest, Region], Panel | None]

_PROVIDERS: list[PanelProvider] = []


def register(provider: PanelProvider) -> None:
    """Add a provider once; ready() may run more than once (tests, reloads)."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def unregister(provider: PanelProvider) -> None:
    if provider in _PROVIDERS:
        _PROVIDERS.remove(provider)


def panels_for(request: HttpRequest, region: Region) -> list[Panel]:
    """The panels the registered providers show this viewer for `region`, in order."""
    panels = [panel for provider in _PROVIDERS if (panel := provider(request, region))]
    return sorted(panels, key=lambda panel: panel.order)
