"""The office's publishing desk: what is on the board, what could be, and one case's copy.

Only office admins open these pages, and each only for the cases of its own
territory (`permissions.publishable_cases`): anyone else gets the same 404
as for a case that does not exist. Every change goes through
`public.services`; a broken rule shows the page again with the reason
(400), nothing written.

The photo editor works on the case photo's display derivative (orientation
applied, no EXIF), served by `source_photo` to those who may publish; the
original is read only by the service that renders the public copy.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.cases.models import Case, CasePhoto, PhotoKind, Status
from zhenxing.cases.photos import private_storage
from zhenxing.cases.views.photos import serve_photo
from zhenxing.core.listing import paginate
from zhenxing.core.permissions import get_visible_or_404, page_or_404
from zhenxing.core.privacy import strip_mobiles_in
from zhenxing.core.xlsx import xlsx_response
from zhenxing.public import services
from zhenxing.public.forms_manage import (
    CANDIDATES,
    PUBLISHED,
    ManageFilterForm,
    PublicationTextForm,
    PublicPhotoForm,
    UnpublishForm,
)
from zhenxing.public.imaging import ensure_share_image
from zhenxing.public.models import Publication, PublicPhoto
from zhenxing.public.permissions import publishable_cases, sees_publishing
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import COMMUNITY_DEPTH, community_code_of

PAGE_SIZE = 30
EXPORT_MAX_ROWS = 20_000
# The office's own previews change under the same URL (a new share image):
# never kept by a shared cache, always asked again.
PREVIEW_CACHE_CONTROL = "private, no-cache"


def _after_photos() -> Exists:
    return Exists(CasePhoto.objects.filter(case=OuterRef("case_id"), kind=PhotoKind.AFTER))


def _community_names(rows: list[Any], case_of: Any) -> None:
    """Set `community_name` on each row's case, from one query."""
    codes = {community_code_of(case_of(row).region_path) for row in rows}
    names = dict(
        Region.objects.filter(depth=COMMUNITY_DEPTH, code__in=codes).values_list("code", "name")
    )
    for row in rows:
        case = case_of(row)
        case.community_name = names.get(community_code_of(case.region_path), "")


def _published(user: Any, form: ManageFilterForm) -> QuerySet[Publication]:
    rows = Publication.objects.filter(
        is_published=True, case__in=form.apply(publishable_cases(user))
    )
    return (
        rows.select_related("case", "case__category", "case__region", "published_by")
        # An after photo came in after the case was published: the board still shows "fixing".
        .annotate(after_waiting=Q(after_photo__isnull=True) & _after_photos())
        .order_by("-published_at", "-pk")
    )


def _candidates(user: Any, form: ManageFilterForm) -> QuerySet[Case]:
    """Cases with a before photo that are not on the board, the best stories first.

    A case with its after photo tells the whole story (the spot, and the spot
    put right), and a closed one has been checked by the office: those come
    first, the latest closed on top, then the rest, newest reported first.
    Reported cases with one photo outnumber them many times over, and sorted
    by date alone they filled the first pages.
    """
    befores = CasePhoto.objects.filter(case=OuterRef("pk"), kind=PhotoKind.BEFORE)
    afters = CasePhoto.objects.filter(case=OuterRef("pk"), kind=PhotoKind.AFTER)
    drafts = Publication.objects.filter(case=OuterRef("pk"))
    return (
        form.apply(publishable_cases(user))
        .filter(Exists(befores))
        .exclude(publication__is_published=True)
        .annotate(
            has_after=Exists(afters),
            has_draft=Exists(drafts),
            is_closed=Q(status=Status.CLOSED),
        )
        .select_related("category", "category__parent", "region")
        .order_by(
            F("has_after").desc(),
            F("is_closed").desc(),
            F("closed_at").desc(nulls_last=True),
            "-reported_at",
            "-pk",
        )
    )


def _export(rows: QuerySet[Publication]) -> HttpResponse:
    headers = [
        _("Case number"),
        _("Title on the board"),
        _("Place"),
        _("Category"),
        _("Status"),
        _("First published"),
        _("Published"),
        _("Published by"),
        _("After photo shown"),
    ]
    yes, no = _("Yes"), _("No")

    def row(p: Publication) -> list[Any]:
        return [
            p.case.number,
            p.title,
            p.place,
            str(p.case.category),
            p.case.get_status_display(),
            timezone.localtime(p.first_published_at).replace(tzinfo=None)
            if p.first_published_at
            else "",
            timezone.localtime(p.published_at).replace(tzinfo=None) if p.published_at else "",
            str(p.published_by or ""),
            yes if p.after_photo_id else no,
        ]

    return xlsx_response(
        f"exposure-board-{timezone.localdate().isoformat()}.xlsx",
        headers,
        (row(p) for p in rows.iterator(chunk_size=2000)),
        title=_("Exposure board"),
    )


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    """Two lists: what is on the board now, and the cases that could be put there."""
    page_or_404(sees_publishing(request.user))
    tab = CANDIDATES if request.GET.get("tab") == CANDIDATES else PUBLISHED
    # The tab and the export switch are no filters: a form bound to them alone filters nothing.
    params = {k: v for k, v in request.GET.items() if k not in ("tab", "page", "format")}
    # Each list reads its own tab's filters (the photos filter is the candidates' only),
    # so the counts on both tabs and the export agree with what each tab lists.
    published_form = ManageFilterForm(request.user, params or None, tab=PUBLISHED)
    candidates_form = ManageFilterForm(request.user, params or None, tab=CANDIDATES)
    form = published_form if tab == PUBLISHED else candidates_form
    status = 400 if form.is_bound and not form.is_valid() else 200
    published = _published(request.user, published_form)
    if request.GET.get("format") == "xlsx" and status == 200:
        if published.count() > EXPORT_MAX_ROWS:
            messages.warning(request, _("Too many rows to export; narrow the filters."))
        else:
            return _export(published.select_related("case__category__parent"))
    candidates = _candidates(request.user, candidates_form)
    rows: QuerySet[Any] = published if tab == PUBLISHED else candidates
    context = paginate(request, rows, PAGE_SIZE)
    if tab == PUBLISHED:
        _community_names(list(context["page"].object_list), lambda p: p.case)
    else:
        _community_names(list(context["page"].object_list), lambda c: c)
    filters = request.GET.copy()
    for name in ("page", "tab", "format"):
        filters.pop(name, None)
    context.update(
        tab=tab,
        filters=filters.urlencode(),
        form=form,
        published_count=published.count(),
        candidate_count=candidates.count(),
        unpublish_form=UnpublishForm(),
        now=timezone.now(),
    )
    return render(request, "public/manage.html", context, status=status)


def _case_for(request: HttpRequest, number: str) -> Case:
    return get_visible_or_404(
        lambda user: publishable_cases(user).select_related(
            "category", "category__parent", "region"
        ),
        request.user,
        number=number,
    )


def _photos(case: Case) -> list[CasePhoto]:
    return list(case.photos.order_by("kind", "uploaded_at", "pk"))


def _render_case(
    request: HttpRequest,
    case: Case,
    *,
    text_form: PublicationTextForm | None = None,
    photo_form: PublicPhotoForm | None = None,
    unpublish_form: UnpublishForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    publication = (
        Publication.objects.select_related("before_photo", "after_photo", "published_by")
        .filter(case=case)
        .first()
    )
    photos = _photos(case)
    if text_form is None:
        initial = (
            {
                "title": publication.title,
                "place": publication.place,
                "description": publication.description,
            }
            if publication
            else {
                "title": services.default_title(case),
                "place": services.default_place(case),
                "description": services.default_description(case),
            }
        )
        text_form = PublicationTextForm(initial=initial)
    if photo_form is None:
        # Offer the step that comes next: the after photo once the before one is chosen
        # and the case has one; else the before photo (again).
        has_before = bool(publication and publication.before_photo_id)
        has_after = any(p.kind == PhotoKind.AFTER for p in photos)
        kind = PhotoKind.AFTER if has_before and has_after else PhotoKind.BEFORE
        first = next((p for p in photos if p.kind == kind), photos[0] if photos else None)
        photo_form = PublicPhotoForm(
            photos, initial={"kind": kind, "source": first.token if first else None}
        )
    after_waiting = bool(
        publication
        and publication.is_published
        and not publication.after_photo_id
        and any(p.kind == PhotoKind.AFTER for p in photos)
    )
    context = {
        "case": case,
        "publication": publication,
        "photos": photos,
        "before_photos": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after_photos": [p for p in photos if p.kind == PhotoKind.AFTER],
        "other_photos": [p for p in photos if p.kind == PhotoKind.OTHER],
        "description": strip_mobiles_in(case.description),
        "text_form": text_form,
        "photo_form": photo_form,
        "unpublish_form": unpublish_form or UnpublishForm(),
        "after_waiting": after_waiting,
        "error": error,
        "now": timezone.now(),
    }
    return render(request, "public/manage_case.html", context, status=status)


def _back(case: Case, anchor: str = "") -> HttpResponse:
    return redirect(reverse("public:manage_case", args=[case.number]) + anchor)


@login_required
@require_http_methods(["GET", "POST"])
def publication(request: HttpRequest, number: str) -> HttpResponse:
    """One case's public copy: its text (saved by POST here), photos and publishing."""
    case = _case_for(request, number)
    if request.method == "GET":
        return _render_case(request, case)
    form = PublicationTextForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, text_form=form, status=400)
    try:
        services.publication_prepare(
            case=case,
            actor=request.user,
            title=form.cleaned_data["title"],
            description=form.cleaned_data["description"],
            place=form.cleaned_data["place"],
        )
    except services.PublicationError as error:
        return _render_case(request, case, text_form=form, error=str(error), status=400)
    messages.success(request, _("The public text was saved."))
    return _back(case, "#text")


@login_required
@require_POST
def photo_edit(request: HttpRequest, number: str) -> HttpResponse:
    """Make a public copy of a case photo (cropped, boxes blacked out) the before or after photo."""
    case = _case_for(request, number)
    form = PublicPhotoForm(_photos(case), request.POST)
    if not form.is_valid():
        return _render_case(request, case, photo_form=form, status=400)
    data = form.cleaned_data
    try:
        draft = services.publication_draft(case=case, actor=request.user)
        services.public_photo_set(
            publication=draft,
            actor=request.user,
            kind=data["kind"],
            source=data["source"],
            crop=data["crop"],
            redactions=data["redactions"],
        )
    except services.PublicationError as error:
        return _render_case(request, case, photo_form=form, error=str(error), status=400)
    if data["kind"] == PhotoKind.BEFORE:
        messages.success(request, _("The before photo for the board was made."))
    else:
        messages.success(request, _("The after photo for the board was made."))
    return _back(case, "#copies")


@login_required
@require_POST
def publish(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for(request, number)
    publication = Publication.objects.filter(case=case).first()
    try:
        if publication is None:
            raise services.PublicationError(
                _("Choose the before photo first: the board shows every case with one.")
            )
        services.publication_publish(publication=publication, actor=request.user)
    except services.PublicationError as error:
        return _render_case(request, case, error=str(error), status=400)
    messages.success(request, _("The case is on the public board now."))
    return _back(case)


@login_required
@require_POST
def unpublish(request: HttpRequest, number: str) -> HttpResponse:
    case = _case_for(request, number)
    form = UnpublishForm(request.POST)
    publication = Publication.objects.filter(case=case).first()
    if not form.is_valid():
        return _render_case(request, case, unpublish_form=form, status=400)
    try:
        if publication is None:
            raise services.PublicationError(_("This case is not on the board."))
        services.publication_unpublish(
            publication=publication, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except services.PublicationError as error:
        return _render_case(request, case, unpublish_form=form, error=str(error), status=400)
    messages.success(request, _("The case was taken off the public board."))
    if request.POST.get("next") == "list":
        return redirect("public:manage")
    return _back(case)


@login_required
@require_GET
def source_photo(request: HttpRequest, token: str) -> HttpResponse:
    """A case photo's display derivative (no EXIF), for the editor: to those who may publish it."""
    return serve_photo(
        request,
        variant="display",
        find=lambda user: (
            CasePhoto.objects.filter(token=token, case__in=publishable_cases(user))
            .select_related("case")
            .first()
        ),
        may_see_original=lambda user, found: False,
    )


def _file(key: str) -> HttpResponse:
    try:
        handle = private_storage.open(key, "rb")
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = PREVIEW_CACHE_CONTROL
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_GET
def preview(request: HttpRequest, token: str, variant: str) -> HttpResponse:
    """A public copy as the board will show it (`display`, `thumb`), published or not; `share`
    on the before photo's token is the publication's share image."""
    photo = (
        PublicPhoto.objects.filter(
            token=token, publication__case__in=publishable_cases(request.user)
        )
        .select_related("publication")
        .first()
    )
    if photo is None:
        raise Http404
    if variant == "display":
        return _file(photo.image)
    if variant == "thumb":
        return _file(photo.thumbnail)
    if variant == "share":
        publication = photo.publication
        if publication.before_photo_id != photo.pk:
            raise Http404
        key = ensure_share_image(publication)
        if key is None:
            raise Http404
        return _file(key)
    raise Http404
