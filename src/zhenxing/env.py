"""Strict readers for settings that come from environment variables.

Every reader names the variable it could not parse, so a misconfigured
deployment fails at start-up with a message an operator can act on instead
of running with a silently wrong value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingError(Exception):
    """A setting's environment variable holds a value we refuse to guess about."""


def env_str(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get(name, default)


def env_base_url(name: str, default: str, environ: Mapping[str, str] | None = None) -> str:
    """An absolute http(s) origin such as https://zx.example.gov.cn, without a trailing slash."""
    from urllib.parse import urlsplit

    value = env_str(name, default, environ).strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise SettingError(
            f"{name}={value!r} is not an absolute http(s) address such as https://zx.example.gov.cn"
        )
    return value


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    value = environ[name].strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name}={environ[name]!r} is not a boolean; use 1/0, true/false, yes/no")


def env_int(
    name: str,
    default: int,
    environ: Mapping[str, str] | None = None,
    *,
    minimum: int | None = None,
) -> int:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    raw = environ[name].strip()
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise SettingError(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    environ = os.environ if environ is None else environ
    if name not in environ:
        return default
    items = [item.strip() for item in environ[name].split(",")]
    if any(not item for item in items):
        raise SettingError(f"{name}={environ[name]!r} has an empty item; separate values by commas")
    return items


def env_database(name: str, default_sqlite_path: str, environ: Mapping[str, str] | None = None):
    """Parse DATABASE_URL; only PostgreSQL and SQLite are supported engines."""
    import dj_database_url

    environ = os.environ if environ is None else environ
    url = environ.get(name, "").strip()
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": default_sqlite_path,
            # A busy SQLite file makes writers wait instead of failing at once:
            # the web server and the worker share it in the demo.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise SettingError(
            f"{name} must start with postgres:// or sqlite://, got scheme {scheme or '(none)'!r}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise SettingError(f"{name} could not be parsed: {exc}") from None
    if scheme == "sqlite":
        config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
        config.pop("CONN_HEALTH_CHECKS", None)
    return config
