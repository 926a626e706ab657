from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _


def board_title() -> str:
    """The board's name as residents see it: the configured place name, else a generic one."""
    return settings.ZHENXING_PUBLIC_TITLE or _("Rural revitalisation exposure board")
