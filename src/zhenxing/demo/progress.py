"""A tiny in-place progress bar for long management commands (no dependency)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import OutputWrapper


class ProgressBar:
    """`[#####.....]  50% areas`, redrawn in place with a carriage return.

    Redraws only when the whole percentage changes, so a million ticks cost
    a hundred writes. `finish()` ends the line.
    """

    WIDTH = 30

    def __init__(self, stream: Any, *, total: int, label: str) -> None:
        self.stream = stream
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self._shown = -1

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            # Management commands' stderr adds a newline and paints text red.
            self.stream.write(text, style_func=lambda s: s, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()

    def render(self) -> str:
        fraction = 1.0 if self.total == 0 else min(self.done / self.total, 1.0)
        filled = int(fraction * self.WIDTH)
        return f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {fraction:4.0%} {self.label}"

    def advance(self, n: int = 1) -> None:
        self.done += n
        percent = 100 if self.total == 0 else min(self.done * 100 // self.total, 100)
        if percent != self._shown:
            self._shown = percent
            self._write("\r" + self.render())

    def finish(self) -> None:
        self.done = max(self.done, self.total)
        self._write("\r" + self.render() + "\n")
