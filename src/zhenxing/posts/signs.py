"""Responsibility signs (党员责任牌): one printable PDF page per post, with a QR code.

A sign hangs at the post's place for years. It says what the post is, where,
its duties, who holds it today (names and masked mobiles: a passer-by reads
them, as on the post's public page) and which party organisation runs it,
and its QR code leads to the post's public page, where a resident sees the
same and can report a problem at the post.

Chinese text is set in Adobe's STSong-Light CID font, which PDF readers
supply themselves (as the circulars' PDF does): no font file is embedded,
and the text stays extractable. The QR code is drawn as vector rectangles,
so it prints sharp at any size.

Everything on a page is laid out inside fixed frames; what does not fit
(600 characters of duties, eight holders on A5) is shrunk, never cut off
or pushed off the page.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from zhenxing.core.privacy import mask_mobile
from zhenxing.posts.models import Post, PostClaim
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_path

PDF_TYPE = "application/pdf"
PDF_FONT = "STSong-Light"
SIZES = ("a4", "a5")
RED = (0.72, 0.11, 0.11)  # the public pages' red (#b71c1c)
# At most this many posts in one PDF (the bulk signs view refuses more).
MAX_SIGNS = 600


# --- what a sign (and the public page) says about a post --------------------------------


@dataclass(frozen=True)
class Holder:
    """A member holding a post today, as the public may see them: a name and a masked mobile."""

    name: str
    mobile: str


def open_claims_prefetch() -> Prefetch:
    """Prefetch the claims open today into `post.open_claims` (for lists of posts)."""
    return Prefetch(
        "claims",
        queryset=PostClaim.objects.filter(ended_on__isnull=True)
        .select_related("member")
        .order_by("started_on", "pk"),
        to_attr="open_claims",
    )


def holders_today(post: Post, *, today: datetime.date | None = None) -> list[Holder]:
    """The members holding the post today, longest-serving first; none for a retired post."""
    if not post.is_active:
        return []
    today = today or timezone.localdate()
    claims = getattr(post, "open_claims", None)
    if claims is None:
        claims = list(
            post.claims.filter(ended_on__isnull=True)
            .select_related("member")
            .order_by("started_on", "pk")
        )
    return [
        Holder(name=claim.member.name, mobile=mask_mobile(claim.member.mobile))
        for claim in claims
        if claim.ended_on is None and claim.started_on <= today
    ]


def communities_of(posts: Iterable[Post]) -> dict[str, Region]:
    """The communities the posts lie in, by path, in one query."""
    paths = {community_path(post.region.path) for post in posts}
    return {r.path: r for r in Region.objects.filter(path__in=paths)}


def place_text(post: Post, community: Region | None = None) -> str:
    """ "片区：甲一片区（社区甲 甲一片区）": the kind of place, its name and where it lies."""
    kind = post.get_place_kind_display()
    regions = []
    if community is not None and community.pk != post.region_id:
        regions.append(community.name)
    regions.append(post.region.name)
    where = " ".join(regions)
    name = post.place_name.strip()
    if not name or name == post.region.name:
        return f"{kind}：{where}"
    return f"{kind}：{name}（{where}）"


def community_of(post: Post) -> Region | None:
    if post.region.depth <= COMMUNITY_DEPTH:
        return post.region
    return Region.objects.filter(path=community_path(post.region.path)).first()


def public_post_url(post: Post, request: HttpRequest | None = None) -> str:
    """The absolute address of the post's public page, as its QR code carries it.

    A printed sign outlives the request that printed it, so the deployment's
    public origin (ZHENXING_PUBLIC_BASE_URL) comes first; without it, the
    host the sign is printed from.
    """
    path = reverse("posts_public:post", args=[post.public_token])
    base = str(getattr(settings, "ZHENXING_PUBLIC_BASE_URL", "") or "").strip().rstrip("/")
    if base:
        return base + path
    if request is None:
        raise ValueError("public_post_url needs a request when ZHENXING_PUBLIC_BASE_URL is unset")
    return request.build_absolute_uri(path)


def posts_for_signs(queryset: QuerySet[Post]) -> QuerySet[Post]:
    """What drawing signs reads, fetched up front (no query per post)."""
    return queryset.select_related("post_type", "region", "organization").prefetch_related(
        open_claims_prefetch()
    )


# --- drawing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    page: tuple[float, float]
    margin: float
    band: float  # the red header band's height
    header_size: float
    name_size: float
    text_size: float
    qr: float  # the QR code's side, quiet zone included


def _layouts() -> dict[str, _Layout]:
    from reportlab.lib.pagesizes import A4, A5
    from reportlab.lib.units import mm

    return {
        "a4": _Layout(A4, 15 * mm, 30 * mm, 36, 32, 18, 60 * mm),
        "a5": _Layout(A5, 10 * mm, 21 * mm, 26, 23, 13, 44 * mm),
    }


def _caption_size(layout: _Layout) -> float:
    return max(layout.text_size * 0.85, 8)


def qr_box(layout: _Layout) -> tuple[float, float, float]:
    """Where the QR code lies on a page: left, bottom, side (points), above its caption."""
    foot_text = _caption_size(layout) * 1.4 * 2 + 4
    return (layout.page[0] - layout.qr) / 2, layout.margin + foot_text, layout.qr


_font_ready = False


def _register_font() -> None:
    global _font_ready
    if _font_ready:
        return
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    _font_ready = True


def _draw_qr(canvas: Any, url: str, *, x: float, y: float, side: float) -> None:
    """The QR code as one filled vector path, quiet zone (4 modules) included in `side`."""
    qr = segno.make(url, error="q", micro=False, boost_error=False)
    width, _height = qr.symbol_size(scale=1, border=4)
    module = side / width
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.rect(x, y, side, side, stroke=0, fill=1)
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    for row_index, row in enumerate(qr.matrix_iter(scale=1, border=4)):
        top = y + side - (row_index + 1) * module
        col, cells = 0, list(row)
        while col < len(cells):
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < len(cells) and cells[col]:
                col += 1
            # One rectangle per run of dark modules: one path, no hairline seams.
            path.rect(x + start * module, top, (col - start) * module, module)
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


def _paragraphs(text: str, style: Any) -> list[Any]:
    from reportlab.platypus import Paragraph

    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return [Paragraph(escape(line), style) for line in lines if line]


def _holders_table(holders: list[Holder], style: Any, layout: _Layout, width: float) -> Any:
    """Name and masked mobile side by side; two holders a row when there are many."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph, Table, TableStyle

    size = layout.text_size
    mobile_width = stringWidth("139****0000", PDF_FONT, size) + 8
    per_row = 2 if len(holders) > 3 else 1
    name_width = width / per_row - mobile_width
    rows: list[list[Any]] = []
    for i in range(0, len(holders), per_row):
        row: list[Any] = []
        for holder in holders[i : i + per_row]:
            # The mobile is a plain string, so the CJK line breaking never splits it.
            row += [Paragraph(escape(holder.name), style), holder.mobile or "—"]
        row += [""] * (2 * per_row - len(row))
        rows.append(row)
    table = Table(rows, colWidths=[name_width, mobile_width] * per_row, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), PDF_FONT),
                ("FONTSIZE", (0, 0), (-1, -1), size),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _draw_sign(
    canvas: Any,
    post: Post,
    *,
    layout: _Layout,
    url: str,
    community: Region | None,
) -> None:
    from reportlab.lib.enums import TA_CENTER
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Frame, KeepInFrame, Paragraph

    page_w, page_h = layout.page
    m = layout.margin
    inner_w = page_w - 2 * m

    # A red border and the red band with the title, as party signs have.
    canvas.setStrokeColorRGB(*RED)
    canvas.setLineWidth(3)
    canvas.rect(m / 2, m / 2, page_w - m, page_h - m, stroke=1, fill=0)
    canvas.setFillColorRGB(*RED)
    band_bottom = page_h - m - layout.band
    canvas.rect(m, band_bottom, inner_w, layout.band, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(PDF_FONT, layout.header_size)
    canvas.drawCentredString(
        page_w / 2,
        band_bottom + (layout.band - layout.header_size * 0.8) / 2,
        _("Party member responsibility post"),
    )

    # The foot: the QR code, centred, with its caption and the post code under it.
    text = layout.text_size
    caption_size = _caption_size(layout)
    qr_x, qr_y, _side = qr_box(layout)
    _draw_qr(canvas, url, x=qr_x, y=qr_y, side=layout.qr)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(PDF_FONT, caption_size)
    canvas.drawCentredString(
        page_w / 2,
        m + caption_size * 1.4 + 2,
        _("Scan to see the duties and report a problem"),
    )
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    canvas.drawCentredString(page_w / 2, m + 2, _("Post code: %(code)s") % {"code": post.code})

    # The body between the band and the QR code: shrunk as a whole when it is too long.
    def style(name: str, size: float, **extra: Any) -> ParagraphStyle:
        # CJK wrapping breaks lines between any two characters, as Chinese text needs.
        return ParagraphStyle(
            name, fontName=PDF_FONT, fontSize=size, leading=size * 1.45, wordWrap="CJK", **extra
        )

    title = style("title", layout.name_size, alignment=TA_CENTER, spaceAfter=text * 0.6)
    label = style("label", text, textColor=RED, spaceBefore=text * 0.5, spaceAfter=text * 0.2)
    body = style("body", text)
    facts = style("facts", text, spaceAfter=text * 0.15)

    # A full-width colon after a Chinese label, a colon and a space after an English one.
    colon = "：" if (get_language() or "").startswith("zh") else ": "

    def fact(name: str, value: str) -> Any:
        return Paragraph(
            f'<font color="#b71c1c">{escape(name)}{colon}</font>{escape(value)}', facts
        )

    holders = holders_today(post)
    flow: list[Any] = [
        Paragraph(escape(post.name), title),
        fact(_("Type"), post.post_type.name),
        fact(_("Place"), place_text(post, community)),
    ]
    if post.organization_id is not None:
        flow.append(fact(_("Party organisation"), post.organization.name))
    flow += [Paragraph(escape(_("Duties")), label), *_paragraphs(post.duties, body)]
    flow.append(Paragraph(escape(_("Held by")), label))
    if holders:
        flow.append(_holders_table(holders, body, layout, inner_w - 12))
    else:
        flow.append(Paragraph(escape(_("No party member holds this post at present.")), body))

    body_top = band_bottom - text * 0.6
    body_bottom = qr_y + layout.qr + text * 0.4
    frame = Frame(m, body_bottom, inner_w, body_top - body_bottom, showBoundary=0)
    frame.addFromList(
        [KeepInFrame(inner_w - 12, body_top - body_bottom - 12, flow, mode="shrink")], canvas
    )


def sign_pdf(
    posts: Iterable[Post],
    *,
    size: str = "a4",
    public_url: Callable[[Post], str],
) -> bytes:
    """The signs of `posts`, one page each, in the active language.

    `public_url(post)` gives the absolute address the QR code carries.
    Posts fetched with `posts_for_signs` are drawn without a query each.
    """
    from reportlab.pdfgen.canvas import Canvas

    if size not in SIZES:
        raise ValueError(f"unknown sign size {size!r}")
    layout = _layouts()[size]
    _register_font()
    posts = list(posts)
    communities = communities_of(posts)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page, pageCompression=1)
    canvas.setTitle(posts[0].name if len(posts) == 1 else _("Party member responsibility post"))
    canvas.setCreator("zhenxing")
    for post in posts:
        _draw_sign(
            canvas,
            post,
            layout=layout,
            url=public_url(post),
            community=communities.get(community_path(post.region.path)),
        )
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
