"""One-time voting codes: how they look, how they are kept, when they expire, and their slips.

A code is 10 characters from an alphabet without the look-alikes 0/O, 1/I/L,
so it can be read off a paper slip and typed on a phone; 31^10 ≈ 8·10^14
codes make guessing one hopeless behind the public page's rate limit. Only
a keyed hash of the code is stored (`code_hash`): whoever reads the database
cannot vote with it. The plain code exists once, when it is issued: on the
issuing page and on the slips printed then.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
CODE_RE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
# What a resident may type: the code with spaces or dashes, in small letters.
TYPED_MAX = 40


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(text: str | None) -> str:
    """The code as stored: capitals, no spaces or dashes (as read off a slip)."""
    return re.sub(r"[\s\-\u2010-\u2015\uff0d]+", "", str(text or ""))[:TYPED_MAX].upper()


def is_code(text: str) -> bool:
    return bool(CODE_RE.fullmatch(text))


def shown(code: str) -> str:
    """ABCDE-FGHJK: easier to read aloud and to type."""
    return f"{code[:5]}-{code[5:]}"


def _key() -> bytes:
    return hashlib.sha256(b"zhenxing.votes.code:" + settings.SECRET_KEY.encode()).digest()


def code_hash(code: str) -> str:
    return hmac.new(_key(), normal_code(code).encode(), hashlib.sha256).hexdigest()


def expiry_for(session: Any) -> datetime.datetime:
    """The end of the session's day, local time: a code is for that meeting only."""
    day_after = session.held_on + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day_after, datetime.time.min))


# --- slips ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slip:
    name: str
    household: str
    code: str
    expires_at: str


def slips_pdf(*, title: str, cast_url: str, slips: Iterable[Slip]) -> bytes:
    """A4 pages of slips to cut apart: two columns of five, each with a code and where to use it.

    Chinese is set in STSong-Light, which PDF readers supply (posts/signs.py).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import simpleSplit
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    font = "STSong-Light"
    pdfmetrics.registerFont(UnicodeCIDFont(font))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(title)
    width, height = A4
    margin = 10 * mm
    columns, rows = 2, 5
    cell_w = (width - 2 * margin) / columns
    cell_h = (height - 2 * margin) / rows
    slips = list(slips)
    per_page = columns * rows
    for start in range(0, max(len(slips), 1), per_page):
        for index, slip in enumerate(slips[start : start + per_page]):
            col, row = index % columns, index // columns
            x = margin + col * cell_w
            top = height - margin - row * cell_h
            pdf.setDash(3, 3)
            pdf.setLineWidth(0.5)
            pdf.rect(x, top - cell_h, cell_w, cell_h)
            pdf.setDash()
            left = x + 6 * mm
            y = top - 9 * mm
            pdf.setFont(font, 9)
            for line in simpleSplit(title, font, 9, cell_w - 12 * mm)[:2]:
                pdf.drawString(left, y, line)
                y -= 4.5 * mm
            pdf.setFont(font, 12)
            pdf.drawString(left, y - 1 * mm, f"{slip.name}（{slip.household}）")
            pdf.setFont("Courier-Bold", 22)
            pdf.drawString(left, y - 13 * mm, shown(slip.code))
            pdf.setFont(font, 9)
            pdf.drawString(left, y - 20 * mm, _("Vote at: %(url)s") % {"url": cast_url})
            pdf.drawString(
                left, y - 25 * mm, _("Valid until: %(time)s") % {"time": slip.expires_at}
            )
            pdf.drawString(
                left,
                y - 30 * mm,
                _("One use only. Keep it secret; do not hand it to anyone."),
            )
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
