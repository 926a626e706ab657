"""Placeholder replaced by the Guicheng demo loader."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    scope: str


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)
    accounts: list[DemoAccount] = field(default_factory=list)

    def describe(self) -> str:
        return "、".join(f"{k} {v}" for k, v in self.counts.items())


def load_guicheng(*, password: str, progress=None) -> DemoSummary:
    return DemoSummary()
