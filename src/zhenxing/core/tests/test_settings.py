"""Settings come from the environment and refuse values they would have to guess about."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from zhenxing.env import SettingError, env_bool, env_database, env_int, env_list

ZHENXING = str(Path(sys.executable).with_name("zhenxing"))


def run_cli(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    base["ZHENXING_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [ZHENXING, *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("YES", True), ("0", False), ("off", False)]
)
def test_env_bool_accepts_the_usual_spellings(raw, expected):
    assert env_bool("DEBUG", not expected, {"DEBUG": raw}) is expected


def test_env_bool_names_the_variable_it_refuses():
    with pytest.raises(SettingError, match="DEBUG='maybe'"):
        env_bool("DEBUG", False, {"DEBUG": "maybe"})


def test_env_int_refuses_words_and_values_below_the_minimum():
    with pytest.raises(SettingError, match="SESSION_COOKIE_AGE='soon' is not an integer"):
        env_int("SESSION_COOKIE_AGE", 1, {"SESSION_COOKIE_AGE": "soon"})
    with pytest.raises(SettingError, match="SESSION_COOKIE_AGE=5 is below the minimum of 60"):
        env_int("SESSION_COOKIE_AGE", 1, {"SESSION_COOKIE_AGE": "5"}, minimum=60)
    assert env_int("SESSION_COOKIE_AGE", 1, {}) == 1


def test_env_list_refuses_empty_items():
    assert env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a.cn, b.cn"}) == ["a.cn", "b.cn"]
    with pytest.raises(SettingError, match="ALLOWED_HOSTS"):
        env_list("ALLOWED_HOSTS", [], {"ALLOWED_HOSTS": "a.cn,,b.cn"})


def test_database_url_defaults_to_sqlite_and_accepts_postgres():
    default = env_database("DATABASE_URL", "var/x.sqlite3", {})
    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["NAME"] == "var/x.sqlite3"
    pg = env_database("DATABASE_URL", "", {"DATABASE_URL": "postgres://u@db.local:5433/zx"})
    assert pg["ENGINE"] == "django.db.backends.postgresql"
    assert (pg["HOST"], pg["PORT"], pg["NAME"]) == ("db.local", 5433, "zx")


def test_database_url_refuses_an_unsupported_engine():
    with pytest.raises(SettingError, match="DATABASE_URL must start with postgres:// or sqlite://"):
        env_database("DATABASE_URL", "", {"DATABASE_URL": "mysql://root@localhost/zx"})


def test_cli_names_the_bad_variable_without_a_traceback(tmp_path):
    result = run_cli("check", env={"DEBUG": "maybe"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_short_secret_key_is_refused(tmp_path):
    result = run_cli("check", env={"SECRET_KEY": "short"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_secret_key_is_generated_once_under_var_when_unset(tmp_path):
    first = run_cli(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env={},
        tmp_path=tmp_path,
    )
    second = run_cli(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
        env={},
        tmp_path=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == second.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_deploy_check_is_clean_under_production_settings(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "zhenxing.example.org",
        "SECURE_SSL_REDIRECT": "1",
    }
    result = run_cli("check", "--deploy", "--fail-level", "WARNING", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_processes_starting_together_share_one_generated_key(tmp_path):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY"}
    }
    base["ZHENXING_VAR_DIR"] = str(tmp_path)
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    processes = [
        subprocess.Popen(
            [ZHENXING, "shell", "-c", code], env=base, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    keys = {p.communicate(timeout=120)[0].strip() for p in processes}
    assert len(keys) == 1 and len(keys.pop()) >= 50


def test_a_base_url_is_an_origin_or_nothing():
    from zhenxing.env import env_base_url

    name = "ZHENXING_PUBLIC_BASE_URL"
    assert env_base_url(name, "", {}) == ""
    assert (
        env_base_url(name, "", {name: "https://zx.example.gov.cn/"}) == "https://zx.example.gov.cn"
    )
    assert env_base_url(name, "", {name: "http://10.0.0.5:8000"}) == "http://10.0.0.5:8000"
    for bad in ("zx.example.gov.cn", "ftp://zx.example.gov.cn", "https://", "https://a.cn/?x=1"):
        with pytest.raises(SettingError, match=name):
            env_base_url(name, "", {name: bad})
