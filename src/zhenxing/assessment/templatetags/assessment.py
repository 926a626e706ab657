"""Template helpers of the assessment pages: figures as officials read them, and sparklines.

Rates are stored as fractions (0..1) and shown as percentages with one
decimal; the inspection score and participation with one decimal; the
composite with its two stored decimals (ranks are decided on them, so two
units shown as "85.0" could otherwise rank 1 and 2 with no visible reason).
"No data" is an em dash everywhere, never 0: a unit with no case due is not
a unit that closed nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()

NO_DATA = "—"
RATE_INDICATORS = frozenset(
    {"closure_rate", "on_time_rate", "rework_rate", "overdue_rate", "relapse_rate"}
)


def _number(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_figure(indicator: str, value: Any) -> str:
    """An indicator's value as the pages print it: "85.0%", "92.5" or "—"."""
    number = _number(value)
    if number is None:
        return NO_DATA
    if indicator in RATE_INDICATORS:
        return f"{number * 100:.1f}%"
    return f"{number:.1f}"


def format_composite(value: Any) -> str:
    number = _number(value)
    return NO_DATA if number is None else f"{number:.2f}"


def format_count(value: Any) -> str:
    """A numerator or denominator: a count as an integer, a sum of scores with one decimal."""
    number = _number(value)
    if number is None:
        return NO_DATA
    if number == number.to_integral_value():
        return str(int(number))
    return f"{number:.1f}"


def field(value: Any, name: str) -> Any:
    """`value.name` or `value["name"]`: indicator values are objects live, dicts in snapshots."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(name)
    return getattr(value, name, None)


@register.filter
def figure(value: Any, indicator: str) -> str:
    """{{ value|figure:"closure_rate" }}, where value is the number itself."""
    return format_figure(indicator, value)


@register.filter
def composite(value: Any) -> str:
    return format_composite(value)


@register.filter
def count(value: Any) -> str:
    return format_count(value)


@register.filter
def change(value: Any) -> SafeString:
    """The change of a composite since the previous period: ↑ 2.50 / ↓ 1.20 / → 0.00."""
    number = _number(value)
    if number is None:
        return format_html('<span class="text-muted">{}</span>', NO_DATA)
    if number > 0:
        return format_html('<span class="zx-up">↑ {}</span>', f"{number:.2f}")
    if number < 0:
        return format_html('<span class="zx-down">↓ {}</span>', f"{-number:.2f}")
    return format_html('<span class="text-muted">→ {}</span>', "0.00")


@register.simple_tag
def sparkline(
    values: Sequence[Any], labels: Sequence[Any] = (), width: int = 96, height: int = 28
) -> SafeString:
    """An inline SVG line of the values (None leaves a gap), the last one marked with a dot.

    Server-rendered: no chart library for eight points, and it prints.
    The values and their period labels are in the SVG's <title> for screen
    readers and for the mouse.
    """
    numbers = [_number(v) for v in values]
    present = [n for n in numbers if n is not None]
    label_list = [str(x) for x in labels] if labels else [""] * len(numbers)
    pairs = zip(label_list, numbers, strict=False)
    title = " · ".join(f"{label} {format_composite(n)}".strip() for label, n in pairs)
    if not present:
        return format_html(
            '<svg class="zx-spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">'
            "<title>{t}</title></svg>",
            w=width,
            h=height,
            t=title or NO_DATA,
        )
    low, high = min(present), max(present)
    pad = 3
    span_x = (width - 2 * pad) / max(len(numbers) - 1, 1)

    def y(n: Decimal) -> float:
        if high == low:
            return height / 2
        return pad + float((high - n) / (high - low)) * (height - 2 * pad)

    points: list[tuple[float, float] | None] = [
        None if n is None else (pad + i * span_x, y(n)) for i, n in enumerate(numbers)
    ]
    # Runs of consecutive points become one polyline each; a lone point a dot.
    runs: list[list[tuple[float, float]]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5"/>',
        ((" ".join(f"{x:.1f},{yy:.1f}" for x, yy in run),) for run in runs if len(run) > 1),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="1.5" fill="currentColor"/>',
        ((f"{run[0][0]:.1f}", f"{run[0][1]:.1f}") for run in runs if len(run) == 1),
    )
    last = next(p for p in reversed(points) if p is not None)
    return format_html(
        '<svg class="zx-spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img">'
        '<title>{t}</title>{lines}{dots}<circle cx="{x}" cy="{y}" r="2.5" '
        'fill="currentColor"/></svg>',
        w=width,
        h=height,
        t=title,
        lines=lines,
        dots=dots,
        x=f"{last[0]:.1f}",
        y=f"{last[1]:.1f}",
    )
