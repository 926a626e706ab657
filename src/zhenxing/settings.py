"""The one settings module. Every deployment difference comes from the environment.

See docs/configuration.md for each variable. Nothing set means: SQLite under
var/, a secret key generated once into var/, DEBUG off.
"""

from __future__ import annotations

import os
import secrets
import sys
import sysconfig
import time
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from zhenxing.env import (
    SettingError,
    env_base_url,
    env_bool,
    env_database,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("ZHENXING_VAR_DIR", str(PROJECT_DIR / "var"))).resolve()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY", "")
    if key:
        if len(key) < 50:
            raise SettingError("SECRET_KEY must be at least 50 characters long")
        return key
    # With no configuration at all we still refuse a well-known key: one is
    # generated on first start and kept under var/ so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    try:
        # Created exclusively and private from the first byte: processes that
        # start together must end up with the one key, never see it world-readable.
        fd = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for _attempt in range(50):
            key = key_file.read_text().strip()
            if key:
                return key
            time.sleep(0.1)  # the creating process has not written it yet
        raise SettingError(f"{key_file} is empty; delete it or set SECRET_KEY") from None
    key = secrets.token_urlsafe(64)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs page from its own static files, not a CDN
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "js_lib_leaflet",
    "zhenxing.core",
    "zhenxing.territory",
    "zhenxing.people",
    "zhenxing.cases",
    "zhenxing.notify",
    "zhenxing.inspections",
    "zhenxing.assessment",
    "zhenxing.plans",
    "zhenxing.open311",
    "zhenxing.public",
    "zhenxing.posts",
    "zhenxing.charters",
    "zhenxing.votes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhenxing.core.middleware.RequestContextMiddleware",
]

# Messages live in the session, not in a cookie: a message may carry a secret shown
# once (a new API key), and a cookie is only signed, not encrypted.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

ROOT_URLCONF = "zhenxing.urls"
WSGI_APPLICATION = "zhenxing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhenxing.core.context_processors.shell",
            ],
        },
    }
]

DATABASES = {"default": env_database("DATABASE_URL", str(VAR_DIR / "zhenxing.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
AUTHENTICATION_BACKENDS = ["zhenxing.people.auth.UsernameOrMobileBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["zhenxing.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
# Bootstrap ships as an XStatic package whose files sit in its data folder. We
# locate that folder on disk rather than importing the package: its namespace
# __init__ needs pkg_resources, which newer setuptools no longer has.
BOOTSTRAP_DIR = Path(sysconfig.get_paths()["purelib"]) / "xstatic" / "pkg" / "bootstrap" / "data"
STATICFILES_DIRS = [("bootstrap", BOOTSTRAP_DIR)]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or "pytest" in sys.modules
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Security. Production runs with DEBUG off; the defaults below then make
# `manage.py check --deploy` clean once SECURE_SSL_REDIRECT is on or TLS is
# terminated by a proxy that sets X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER).
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=60)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Audit rows record the client IP; behind a reverse proxy on the same host
# that overwrites X-Real-IP, set TRUST_X_REAL_IP=1 to record the real client.
TRUST_X_REAL_IP = env_bool("TRUST_X_REAL_IP", False)
# `zhenxing bench` only: routes /bench/hello and /bench/intake, the baselines the
# real endpoints are measured against (zhenxing.bench.views). Never on in production:
# the intake baseline writes cases without any check. The bench's server sets it.
ZHENXING_BENCH_VIEWS = env_bool("ZHENXING_BENCH_VIEWS", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Background work: Django's Tasks API (backport) with the database backend, so
# no broker is needed. Tests run tasks immediately.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}

# Territory: the names of the tree's levels are data (RegionLevel); these
# only seed a fresh database.
ZHENXING_DEFAULT_LEVEL_NAMES = ["街道", "社区", "经济社", "片区", "街巷"]
# Distance in metres within which a point just outside every area polygon
# (a GPS fix on a border road) is still given to the nearest area.
ZHENXING_AREA_TOLERANCE_M = env_int("ZHENXING_AREA_TOLERANCE_M", 50, minimum=0)
# Base map tiles: an URL template such as https://tiles.example/{z}/{x}/{y}.png;
# empty means no base layer (the polygons alone), which works offline.
ZHENXING_TILE_URL = env_str("ZHENXING_TILE_URL", "")
ZHENXING_TILE_ATTRIBUTION = env_str("ZHENXING_TILE_ATTRIBUTION", "")

# Cases. Photo originals (with their EXIF) and derivatives live here, outside
# MEDIA_ROOT, and are served only through views that check the viewer.
ZHENXING_PRIVATE_MEDIA_ROOT = Path(
    env_str("ZHENXING_PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private"))
).resolve()
ZHENXING_PHOTO_MAX_BYTES = env_int("ZHENXING_PHOTO_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# Decoding allocates ~3 bytes a pixel: 60 megapixels covers every phone camera
# while a decompression bomb (a tiny file of a huge image) is refused unread.
ZHENXING_PHOTO_MAX_PIXELS = env_int("ZHENXING_PHOTO_MAX_PIXELS", 60_000_000, minimum=1_000_000)
# An overdue case goes to the office at once and onto the joint meeting's
# agenda once it has been overdue this many hours.
ZHENXING_ESCALATE_TO_MEETING_AFTER_HOURS = env_int(
    "ZHENXING_ESCALATE_TO_MEETING_AFTER_HOURS", 72, minimum=1
)
# The weekly circular: the prefix of its document number (桂振兴通〔2026〕48号) and
# the issuing body printed on it; empty means the defaults, derived from the
# territory's name ("<subdistrict>乡村振兴办公室").
ZHENXING_CIRCULAR_NUMBER_PREFIX = env_str("ZHENXING_CIRCULAR_NUMBER_PREFIX", "桂振兴通")
ZHENXING_CIRCULAR_ISSUING_BODY = env_str("ZHENXING_CIRCULAR_ISSUING_BODY", "")
# The public exposure board (曝光台) and residents' reports. The board's title
# names the place ("桂城街道乡村振兴曝光台"); empty, a generic translated title.
ZHENXING_PUBLIC_TITLE = env_str("ZHENXING_PUBLIC_TITLE", "")
# How the public reaches the office that runs the board (a phone number or an
# email address), given as Open311 discovery's `contact`; empty, a sentence
# naming the board and the rural revitalisation office.
ZHENXING_PUBLIC_CONTACT = env_str("ZHENXING_PUBLIC_CONTACT", "")
# The address printed in QR codes (the party members' responsibility signs):
# an absolute origin such as https://zx.example.gov.cn, because a printed sign
# outlives the request that made it; empty, the host the sign was printed from.
ZHENXING_PUBLIC_BASE_URL = env_base_url("ZHENXING_PUBLIC_BASE_URL", "")
# Phone voting (/public/votes/cast/): wrong one-time codes a client may try an hour.
ZHENXING_VOTE_CODE_MISSES_PER_HOUR = env_int("ZHENXING_VOTE_CODE_MISSES_PER_HOUR", 60, minimum=1)
# A resident's report: at most this many per client (IP address) an hour and a day.
ZHENXING_REPORT_LIMIT_PER_HOUR = env_int("ZHENXING_REPORT_LIMIT_PER_HOUR", 5, minimum=1)
ZHENXING_REPORT_LIMIT_PER_DAY = env_int("ZHENXING_REPORT_LIMIT_PER_DAY", 20, minimum=1)
# The report form's proof-of-work challenge: leading zero bits of SHA-256 a
# browser must find (each bit doubles the work; 16 takes a phone about a second).
ZHENXING_REPORT_CHALLENGE_BITS = env_int("ZHENXING_REPORT_CHALLENGE_BITS", 16, minimum=1)
# The font the share images are drawn with (a .ttf/.otf/.ttc with Chinese
# glyphs); empty, the Noto Sans CJK installed with the project.
ZHENXING_SHARE_FONT = env_str("ZHENXING_SHARE_FONT", "")
# Open311 GeoReport v2: the jurisdiction_id clients may send (any other is an
# error), and how many service requests one API key may POST a minute.
ZHENXING_OPEN311_JURISDICTION = env_str("ZHENXING_OPEN311_JURISDICTION", "guicheng.nanhai.foshan")
ZHENXING_OPEN311_POSTS_PER_MINUTE = env_int("ZHENXING_OPEN311_POSTS_PER_MINUTE", 30, minimum=1)
# Outbound notifications (SMS / WeChat template messages): a dotted path to a
# backend class; the default records messages in the database and sends nothing.
ZHENXING_OUTBOUND_BACKEND = env_str(
    "ZHENXING_OUTBOUND_BACKEND", "zhenxing.notify.backends.DatabaseBackend"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
