"""Cases in the JSON API: /api/v1/cases.

The same rules as the pages, through the same functions: reads are scoped by
`cases_visible_to` (a case outside the caller's scope is a 404, exactly like
one that does not exist), every write is a `cases.services` call with the
`version` the client last saw. A step the caller does not own is 403; a case
that moved on meanwhile is 409 (reload it and look again); a broken rule of
the loop or a refused photo is 400. Every error is `{"detail": message}`.

Writes that carry photos (create, add-report, rectify, verify) are
`multipart/form-data` with the files under `photos`; the other steps take
JSON bodies.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import BeforeValidator, StringConstraints

from zhenxing.cases import permissions, services
from zhenxing.cases.filters import CaseFilterForm
from zhenxing.cases.models import (
    CLOCK_STATES,
    Case,
    CaseEvent,
    CasePhoto,
    CaseRequest,
    Category,
    EventKind,
    RequestKind,
    Source,
)
from zhenxing.cases.models import Status as CaseStatus
from zhenxing.cases.photos import MAX_PHOTOS, validate_photos
from zhenxing.cases.selectors import pending_request, possible_duplicates, visible_relapses
from zhenxing.core.permissions import get_visible_or_404
from zhenxing.core.privacy import mask_mobile, mask_mobiles_unless, mask_name
from zhenxing.people.models import Department, WorkTeam
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_code_of

router = Router()

MAX_LIMIT = 200


# Free text may hold line breaks but no other control characters (PostgreSQL
# refuses NUL in text); one-line fields hold none at all.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
_LINE = r"^[^\x00-\x1f\x7f]*$"
# A code (category, region, department): anything else names nothing, and is
# refused before it reaches the database (PostgreSQL rejects NUL in a literal).
CODE = r"^[A-Za-z0-9._-]{1,40}$"
# Far beyond any real page; keeps OFFSET inside the databases' integers.
MAX_OFFSET = 10**9


# --- schemas ----------------------------------------------------------------------


class Message(Schema):
    detail: str


class FilterErrors(Schema):
    detail: str
    errors: dict[str, list[str]] = Field(description="Messages by parameter name.")


class CategoryBrief(Schema):
    code: str
    name: str


class CategoryRef(CategoryBrief):
    parent: CategoryBrief | None = Field(description="The main category (大类).")


class DepartmentOut(Schema):
    id: int
    code: str
    name: str


class SubCategoryOut(Schema):
    code: str
    name: str
    time_limit: int
    time_limit_unit: Literal["hours", "working_days"]
    default_handler: Literal["community", "department"]
    default_department: DepartmentOut | None
    after_photo_required: bool
    duplicate_radius_m: int
    relapse_days: int


class MainCategoryOut(SubCategoryOut):
    children: list[SubCategoryOut] = Field(description="Sub-categories (小类): cases use these.")


class AreaOut(Schema):
    code: str
    name: str


class AssigneeOut(Schema):
    kind: Literal["region", "team", "department"]
    id: int
    code: str | None = Field(description="The region's or department's code; null for a team.")
    name: str


class CaseItem(Schema):
    number: str
    status: str = Field(description="One of: " + ", ".join(CaseStatus.values))
    status_label: str
    urgency: Literal["overdue", "due_soon", "progress", "verify", "closed", "rejected"] = Field(
        description="The status colour: overdue red, due_soon orange, progress blue, "
        "verify purple, closed green, rejected grey."
    )
    overdue: bool
    category: CategoryRef
    source: str
    area: AreaOut = Field(description="The area (片区) the location falls in.")
    community: str = Field(description="Code of the community (社区) the area lies in.")
    lat: float
    lng: float
    address: str
    description: str
    assignee: AssigneeOut | None
    deadline: datetime.datetime | None
    reported_at: datetime.datetime
    closed_at: datetime.datetime | None
    version: int = Field(description="Send it back with any step: a stale one is refused (409).")
    escalation_level: int = Field(description="0 none, 1 the office, 2 the joint meeting.")
    relapse_of: str | None = Field(
        description="Number of the closed case this one relapses; null where that case is "
        "not in your scope."
    )
    report_count: int
    photo_count: int


class CasePage(Schema):
    count: int = Field(description="Matching cases in total, before limit/offset.")
    limit: int
    offset: int
    items: list[CaseItem]


class DuplicateOut(CaseItem):
    distance_m: float


class EventOut(Schema):
    id: int
    kind: str
    kind_label: str
    actor: str | None = Field(description="Display name; null for the system.")
    from_status: str
    to_status: str
    note: str
    data: dict[str, Any]
    at: datetime.datetime


class PhotoOut(Schema):
    token: str
    kind: Literal["before", "after", "other"]
    event_id: int | None
    width: int
    height: int
    taken_at: datetime.datetime | None
    uploaded_at: datetime.datetime
    thumb_url: str
    display_url: str
    original_url: str | None = Field(description="Only for those who may dispatch the case.")


class RequestOut(Schema):
    id: int
    kind: Literal["send_back", "extension", "deferral"]
    kind_label: str
    reason: str
    requested_until: datetime.datetime | None
    requested_by: str | None
    requested_at: datetime.datetime


class CaseDetail(CaseItem):
    reporter: str | None = Field(description="The signed-in user who filed it.")
    reporter_name: str = Field(description="A resident's name; masked unless you dispatch.")
    reporter_mobile: str = Field(description="A resident's mobile; masked unless you dispatch.")
    accepted_at: datetime.datetime | None
    dispatched_at: datetime.datetime | None
    rectified_at: datetime.datetime | None
    closed_on_time: bool | None
    rework_count: int
    relapses: list[str] = Field(description="Numbers of later cases that relapse this one.")
    events: list[EventOut]
    photos: list[PhotoOut]
    pending_request: RequestOut | None
    actions: list[str] = Field(
        description="The steps you may take now: accept, reject, dispatch, start, rectify, "
        "verify, request, decide, resume, add-report."
    )


def _blank_is_none(value: Any) -> Any:
    # The page's filter bar sends every field, the empty ones as "": the same here.
    return None if value == "" else value


OptionalBool = Annotated[bool | None, BeforeValidator(_blank_is_none)]
OptionalDate = Annotated[datetime.date | None, BeforeValidator(_blank_is_none)]
Code = Annotated[str, StringConstraints(pattern=CODE)]
OptionalCode = Annotated[Code | None, BeforeValidator(_blank_is_none)]


class CaseFilterParams(Schema):
    """The list filters; the same as the case list page's (`cases.filters.CaseFilterForm`)."""

    status: list[str] | None = Field(
        None, description="Repeatable. One of: open, " + ", ".join(CaseStatus.values) + "."
    )
    category: OptionalCode = Field(
        None, description="Category code; a main category includes its sub-categories."
    )
    area: OptionalCode = Field(
        None, description="Region code at any level, inside your scope (else 400)."
    )
    source: str | None = Field(None, description="One of: " + ", ".join(Source.values) + ".")
    overdue: OptionalBool = Field(None, description="true: only overdue cases.")
    assignee_department: OptionalCode = Field(None, description="Department code.")
    reported_from: OptionalDate = Field(None, description="Inclusive, local date.")
    reported_to: OptionalDate = Field(None, description="Inclusive, local date.")
    escalated: OptionalBool = Field(None, description="true: only escalated cases.")
    relapse: OptionalBool = Field(None, description="true: only relapses (回潮).")
    q: str | None = Field(
        None, max_length=100, description="Case number prefix, or words of description/address."
    )


class CaseCreateIn(Schema):
    category: str = Field(pattern=CODE, description="Code of a sub-category (小类).")
    source: Source | None = Field(
        None, description="Where the report comes from; default the first your roles allow."
    )
    description: str = Field(min_length=1, max_length=2000, pattern=_TEXT)
    lat: float | None = Field(None, ge=-90, le=90, description="The map pin, WGS84.")
    lng: float | None = Field(None, ge=-180, le=180)
    area: OptionalCode = Field(
        None, description="Area code, when there is neither a pin nor a photo with GPS."
    )
    address: str = Field("", max_length=200, pattern=_LINE)
    reporter_name: str = Field("", max_length=50, pattern=_LINE, description="A resident's name.")
    reporter_mobile: str = Field("", pattern=r"^(1[3-9]\d{9})?$", description="A resident's.")


class AddReportIn(Schema):
    description: str = Field(min_length=1, max_length=2000, pattern=_TEXT)


class Versioned(Schema):
    version: int = Field(ge=1, description="The case's version as you last saw it.")


class NoteIn(Versioned):
    note: str = Field("", max_length=2000, pattern=_TEXT)


class RejectIn(Versioned):
    reason: str = Field(max_length=2000, pattern=_TEXT, description="Shown to the reporter.")


class TargetIn(Schema):
    kind: Literal["region", "team", "department"]
    code: str | None = Field(None, pattern=CODE, description="A region's or department's code.")
    id: int | None = Field(None, description="A team's id (or a department's).")


class DispatchIn(NoteIn):
    to: TargetIn
    deadline: datetime.datetime | None = Field(
        None, description="Default: the category's time limit from now."
    )


class RectifyIn(Versioned):
    note: str = Field(max_length=2000, pattern=_TEXT, description="What was done.")


class VerifyIn(NoteIn):
    passed: bool = Field(description="true closes the case; false sends it to rework (note!).")


class RequestIn(Versioned):
    kind: Literal["send_back", "extension", "deferral"]
    reason: str = Field(max_length=2000, pattern=_TEXT)
    until: datetime.datetime | None = Field(
        None, description="Extension: the new deadline (required). Deferral: when to resume."
    )


class DecideIn(NoteIn):
    approve: bool


class ResumeIn(NoteIn):
    deadline: datetime.datetime | None = None


# Every answer about one case may be one of these.
_ERRORS: dict[int, type[Schema]] = {
    400: Message,
    401: Message,
    403: Message,
    404: Message,
    409: Message,
}


# --- reading ------------------------------------------------------------------------


def _listing(cases: QuerySet[Case], user: Any) -> QuerySet[Case]:
    """Everything an item shows, in the one query (constant as rows grow).

    `relapse_number` is the origin's number only where `user` may see the
    origin: a number out of one's scope is not one's business.
    """
    origin = permissions.cases_visible_to(user).filter(pk=OuterRef("relapse_of_id"))
    photos = (
        CasePhoto.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return cases.select_related(
        "category__parent",
        "region",
        "assigned_region",
        # The handler checks behind `actions` read the team's community.
        "assigned_team__region",
        "assigned_department",
    ).annotate(
        photo_count=Coalesce(Subquery(photos, output_field=IntegerField()), 0),
        relapse_number=Subquery(origin.values("number")[:1]),
    )


def _assignee(case: Case) -> dict[str, Any] | None:
    if case.assigned_department_id:
        d = case.assigned_department
        return {"kind": "department", "id": d.pk, "code": d.code, "name": d.name}
    if case.assigned_team_id:
        t = case.assigned_team
        return {"kind": "team", "id": t.pk, "code": None, "name": t.name}
    if case.assigned_region_id:
        r = case.assigned_region
        return {"kind": "region", "id": r.pk, "code": r.code, "name": r.name}
    return None


def _item(case: Case, now: datetime.datetime, user: Any) -> dict[str, Any]:
    # Those who may dispatch the case see a resident's number in full, as on the page.
    full = permissions.can_dispatch(user, case)
    category = case.category
    parent = category.parent
    return {
        "number": case.number,
        "status": case.status,
        "status_label": case.get_status_display(),
        "urgency": case.urgency(now),
        "overdue": case.is_overdue(now),
        "category": {
            "code": category.code,
            "name": category.name,
            "parent": {"code": parent.code, "name": parent.name} if parent else None,
        },
        "source": case.source,
        "area": {"code": case.region.code, "name": case.region.name},
        "community": community_code_of(case.region_path),
        "lat": case.lat,
        "lng": case.lng,
        "address": mask_mobiles_unless(case.address, full),
        "description": mask_mobiles_unless(case.description, full),
        "assignee": _assignee(case),
        "deadline": case.deadline,
        "reported_at": case.reported_at,
        "closed_at": case.closed_at,
        "version": case.version,
        "escalation_level": case.escalation_level,
        "relapse_of": getattr(case, "relapse_number", None),
        "report_count": case.report_count,
        "photo_count": getattr(case, "photo_count", 0),
    }


def actions_for(user: Any, case: Case, pending: CaseRequest | None) -> list[str]:
    """The steps `user` may take on `case` now: the same checks the services make."""
    actions: list[str] = []
    status = case.status
    if status == CaseStatus.REPORTED and permissions.can_dispatch(user, case):
        actions += ["accept", "reject"]
    if status == CaseStatus.ACCEPTED and permissions.can_dispatch(user, case):
        actions.append("dispatch")
    if status in CLOCK_STATES and permissions.is_handler(user, case):
        if status in (CaseStatus.DISPATCHED, CaseStatus.REWORK):
            actions.append("start")
        actions.append("rectify")
        if pending is None:
            actions.append("request")
    if status == CaseStatus.RECTIFIED and permissions.can_verify(user, case):
        actions.append("verify")
    if (
        pending is not None
        and status in CLOCK_STATES
        and permissions.can_decide_requests(user, case)
    ):
        actions.append("decide")
    if status == CaseStatus.DEFERRED and permissions.can_decide_requests(user, case):
        actions.append("resume")
    if permissions.can_add_report(user, case):
        actions.append("add-report")
    return actions


def _photo_urls(photo: CasePhoto, may_see_original: bool) -> dict[str, Any]:
    return {
        "thumb_url": reverse("cases:photo", args=[photo.token, "thumb"]),
        "display_url": reverse("cases:photo", args=[photo.token, "display"]),
        "original_url": (
            reverse("cases:photo", args=[photo.token, "original"]) if may_see_original else None
        ),
    }


def _case_for(user: Any, number: str) -> Case:
    """The case with everything its detail shows; 404 outside the caller's scope."""
    return get_visible_or_404(
        lambda u: _listing(permissions.cases_visible_to(u), u).select_related("reporter"),
        user,
        number=number,
    )


def _event_label(kind: str) -> str:
    return str(EventKind(kind).label) if kind in EventKind.values else kind


def _event_data(event: CaseEvent, case: Case) -> dict[str, Any]:
    """The event's data, less the number of a relapse origin the reader may not see."""
    if "relapse_of" in event.data and getattr(case, "relapse_number", None) is None:
        return {k: v for k, v in event.data.items() if k != "relapse_of"}
    return event.data


def _detail(user: Any, case: Case) -> dict[str, Any]:
    now = timezone.now()
    may_dispatch = permissions.can_dispatch(user, case)
    events = list(case.events.select_related("actor").order_by("at", "pk"))
    photos = list(case.photos.order_by("uploaded_at", "pk"))
    pending = pending_request(case)
    relapses = list(visible_relapses(user, case).values_list("number", flat=True))
    return {
        **_item(case, now, user),
        "reporter": str(case.reporter) if case.reporter_id else None,
        # A resident's name and mobile are for those who handle the report.
        "reporter_name": case.reporter_name if may_dispatch else mask_name(case.reporter_name),
        "reporter_mobile": (
            case.reporter_mobile if may_dispatch else mask_mobile(case.reporter_mobile)
        ),
        "accepted_at": case.accepted_at,
        "dispatched_at": case.dispatched_at,
        "rectified_at": case.rectified_at,
        "closed_on_time": case.closed_on_time,
        "rework_count": case.rework_count,
        "relapses": relapses,
        "events": [
            {
                "id": e.pk,
                "kind": e.kind,
                "kind_label": _event_label(e.kind),
                "actor": str(e.actor) if e.actor_id else None,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "note": mask_mobiles_unless(e.note, may_dispatch),
                "data": _event_data(e, case),
                "at": e.at,
            }
            for e in events
        ],
        "photos": [
            {
                "token": p.token,
                "kind": p.kind,
                "event_id": p.event_id,
                "width": p.width,
                "height": p.height,
                "taken_at": p.taken_at,
                "uploaded_at": p.uploaded_at,
                **_photo_urls(p, may_dispatch),
            }
            for p in photos
        ],
        "pending_request": (
            {
                "id": pending.pk,
                "kind": pending.kind,
                "kind_label": str(pending.get_kind_display()),
                "reason": mask_mobiles_unless(pending.reason, may_dispatch),
                "requested_until": pending.requested_until,
                "requested_by": str(pending.requested_by) if pending.requested_by_id else None,
                "requested_at": pending.requested_at,
            }
            if pending
            else None
        ),
        "actions": actions_for(user, case, pending),
    }


@router.get(
    "/categories",
    response={200: list[MainCategoryOut], 401: Message},
    summary="The category tree",
    description="Active main categories (大类) with their active sub-categories (小类), "
    "time limits, default handlers and duplicate-search radius.",
)
def category_tree(request: HttpRequest) -> list[dict[str, Any]]:
    children = Category.objects.filter(is_active=True).select_related("default_department")
    mains = (
        Category.objects.filter(parent__isnull=True, is_active=True)
        .select_related("default_department")
        .prefetch_related(Prefetch("children", queryset=children))
    )

    def out(c: Category) -> dict[str, Any]:
        d = c.default_department
        return {
            "code": c.code,
            "name": c.name,
            "time_limit": c.time_limit,
            "time_limit_unit": c.time_limit_unit,
            "default_handler": c.default_handler,
            "default_department": {"id": d.pk, "code": d.code, "name": d.name} if d else None,
            "after_photo_required": c.after_photo_required,
            "duplicate_radius_m": c.duplicate_radius_m,
            "relapse_days": c.relapse_days,
        }

    return [{**out(m), "children": [out(c) for c in m.children.all()]} for m in mains]


@router.get(
    "",
    response={200: CasePage, 400: FilterErrors, 401: Message},
    summary="List cases in my scope",
    description="Newest first. The same filters as the case list page; a filter that "
    "does not validate (an area outside your scope, say) is a 400 naming the parameter.",
)
def list_cases(
    request: HttpRequest,
    filters: Query[CaseFilterParams],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    # The declared parameters document the interface; the page's form validates them,
    # so that the API and the page can never disagree about a filter.
    form = CaseFilterForm(request.user, request.GET or None)
    if form.is_bound and not form.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        return Status(400, {"detail": _("Some filters are not valid."), "errors": errors})
    cases = form.apply(permissions.cases_visible_to(request.user))
    now = timezone.now()
    user = request.user
    items = [_item(c, now, user) for c in _listing(cases, user)[offset : offset + limit]]
    return {"count": cases.count(), "limit": limit, "offset": offset, "items": items}


@router.get(
    "/duplicates",
    response={200: list[DuplicateOut], 400: Message, 401: Message},
    summary="Open cases near a point, before filing a new one",
    description="Open cases of the same category within the category's duplicate-search "
    "radius, nearest first: offer to add the report to one of them instead.",
)
def duplicates(
    request: HttpRequest,
    category: Annotated[str, Query(pattern=CODE, description="Sub-category code.")],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lng: Annotated[float, Query(ge=-180, le=180)],
) -> Any:
    found = Category.objects.filter(code=category).first()
    if found is None:
        raise HttpError(400, _("Unknown category."))
    visible = _listing(permissions.cases_visible_to(request.user), request.user)
    now = timezone.now()
    return [
        {**_item(case, now, request.user), "distance_m": round(distance, 1)}
        for case, distance in possible_duplicates(visible, category=found, lat=lat, lng=lng)
    ]


@router.get(
    "/{number}",
    response={200: CaseDetail, **_ERRORS},
    summary="One case, with its timeline, photos and the steps you may take",
)
def case_detail(request: HttpRequest, number: str) -> Any:
    return _detail(request.user, _case_for(request.user, number))


# --- writing ------------------------------------------------------------------------


def _photos(uploads: list[UploadedFile] | None, *, required: bool = False) -> list[Any]:
    # A refused photo raises PhotoError (400) before anything is written.
    return validate_photos(list(uploads or []), required=required, max_count=MAX_PHOTOS)


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    """A time without a zone is the platform's local time."""
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


@router.post(
    "",
    response={201: CaseDetail, **_ERRORS},
    summary="File a new case",
    description="multipart/form-data with 1 to 9 photos under `photos`. The location is the "
    "pin (lat, lng); else the GPS of the first photo that has one; else the chosen area "
    "(with an address). Look for duplicates first (`GET /cases/duplicates`).",
)
def create_case(
    request: HttpRequest,
    data: Form[CaseCreateIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    user = request.user
    if not permissions.can_report(user):
        raise PermissionDenied(_("You may not file cases."))
    category = Category.objects.filter(code=data.category).first()
    if category is None:
        raise services.CaseError(_("Unknown category."))
    area = None
    if data.area:
        area = Region.objects.filter(code=data.area).first()
        if area is None or not permissions.can_report_at(user, area):
            raise services.CaseError(_("Unknown area, or one outside your scope."))
    if (data.lat is None) != (data.lng is None):
        raise services.CaseError(_("Give both latitude and longitude, or neither."))
    # A new case needs 1 to 9 photos, as the form asks: the before-photo is the evidence.
    validated = _photos(photos, required=True)
    sources = permissions.sources_for(user)
    case = services.case_report(
        actor=user,
        category=category,
        source=data.source.value if data.source else (sources[0] if sources else ""),
        description=data.description,
        lat=data.lat,
        lng=data.lng,
        area=area,
        address=data.address,
        photos=validated,
        reporter_name=data.reporter_name,
        reporter_mobile=data.reporter_mobile,
    )
    return Status(201, _detail(user, _case_for(user, case.number)))


def _step(request: HttpRequest, number: str, run: Callable[[Case], Any]) -> dict[str, Any]:
    """Fetch (404 outside scope), run one service step, answer with the case as it now is."""
    case = _case_for(request.user, number)
    run(case)
    return _detail(request.user, _case_for(request.user, number))


_STEP = {"response": {200: CaseDetail, **_ERRORS}}


@router.post(
    "/{number}/add-report",
    **_STEP,
    summary="Add a further report to an open case",
    description="multipart/form-data: description and up to 9 photos under `photos`; "
    "instead of filing a duplicate.",
)
def add_report(
    request: HttpRequest,
    number: str,
    data: Form[AddReportIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:

    def run(case: Case) -> Any:
        # Who may: anyone who may report here (else 403). When: while the case is open;
        # a closed one is a conflict (409), as on the page: the client's view went stale.
        if not permissions.can_report_at(request.user, case.region):
            raise PermissionDenied(_("You may not add a report to this case."))
        if not case.is_open:
            raise services.CaseConflict(
                _("This case was closed meanwhile; file a new case instead.")
            )
        return services.case_add_report(
            case=case, actor=request.user, description=data.description, photos=_photos(photos)
        )

    return _step(request, number, run)


@router.post("/{number}/accept", **_STEP, summary="Accept (立案)")
def accept(request: HttpRequest, number: str, body: NoteIn) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_accept(
            case=c, actor=request.user, note=body.note, expected_version=body.version
        ),
    )


@router.post("/{number}/reject", **_STEP, summary="Reject (不予立案), with the reason")
def reject(request: HttpRequest, number: str, body: RejectIn) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_reject(
            case=c, actor=request.user, reason=body.reason, expected_version=body.version
        ),
    )


def _target(user: Any, case: Case, to: TargetIn) -> Region | WorkTeam | Department:
    """The dispatch target, from those the case page would offer this user."""
    offered = permissions.dispatch_targets_for(user, case)
    if to.kind == "region":
        target = Region.objects.filter(code=to.code or "").first()
        pool = offered["regions"]
    elif to.kind == "team":
        target = WorkTeam.objects.select_related("region").filter(pk=to.id or 0).first()
        pool = offered["teams"]
    else:
        lookup = {"code": to.code} if to.code else {"pk": to.id or 0}
        target = Department.objects.filter(**lookup).first()
        pool = offered["departments"]
    if target is None:
        raise services.CaseError(_("Unknown dispatch target."))
    if not pool.filter(pk=target.pk).exists():
        raise PermissionDenied(_("You may not dispatch this case there."))
    return target


@router.post(
    "/{number}/dispatch",
    **_STEP,
    summary="Dispatch (派遣) to a community or area, a team or a department",
    description="`to` names the handler: a region by code, a team by id, a department by "
    "code or id — one of those the case page offers you. The deadline defaults to the "
    "category's time limit.",
)
def dispatch(request: HttpRequest, number: str, body: DispatchIn) -> Any:
    def run(case: Case) -> Any:
        return services.case_dispatch(
            case=case,
            actor=request.user,
            to=_target(request.user, case, body.to),
            deadline=_aware(body.deadline),
            note=body.note,
            expected_version=body.version,
        )

    return _step(request, number, run)


@router.post("/{number}/start", **_STEP, summary="Start rectifying (处置中)")
def start(request: HttpRequest, number: str, body: NoteIn) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_start(
            case=c, actor=request.user, note=body.note, expected_version=body.version
        ),
    )


@router.post(
    "/{number}/rectify",
    **_STEP,
    summary="Report the spot fixed (已反馈), with after-photos",
    description="multipart/form-data: version, note and after-photos under `photos` "
    "(at least one where the category requires it).",
)
def rectify(
    request: HttpRequest,
    number: str,
    data: Form[RectifyIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_rectify(
            case=c,
            actor=request.user,
            note=data.note,
            photos=_photos(photos),
            expected_version=data.version,
        ),
    )


@router.post(
    "/{number}/verify",
    **_STEP,
    summary="Verify (核查): pass closes the case, fail sends it to rework",
    description="multipart/form-data: version, passed, note (required when failed) and "
    "optional photos under `photos`.",
)
def verify(
    request: HttpRequest,
    number: str,
    data: Form[VerifyIn],
    photos: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_verify(
            case=c,
            actor=request.user,
            passed=data.passed,
            note=data.note,
            photos=_photos(photos),
            expected_version=data.version,
        ),
    )


@router.post(
    "/{number}/request",
    **_STEP,
    summary="Ask to send back (回退), extend (延期) or defer (缓办)",
    description="The office decides (`/requests/{id}/decide`). One request may wait at a time.",
)
def request_step(request: HttpRequest, number: str, body: RequestIn) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_request(
            case=c,
            actor=request.user,
            kind=RequestKind(body.kind),
            reason=body.reason,
            until=_aware(body.until),
            expected_version=body.version,
        ),
    )


@router.post(
    "/{number}/requests/{request_id}/decide",
    **_STEP,
    summary="Approve or deny a pending request",
    description="Denying needs a note saying why.",
)
def decide(request: HttpRequest, number: str, request_id: int, body: DecideIn) -> Any:
    def run(case: Case) -> Any:
        pending = case.requests.filter(pk=request_id).first()
        if pending is None:
            raise Http404
        # The service checks, on the locked row, that it is still pending.
        pending.case = case
        return services.case_decide_request(
            request=pending,
            actor=request.user,
            approve=body.approve,
            note=body.note,
            expected_version=body.version,
        )

    return _step(request, number, run)


@router.post(
    "/{number}/resume",
    **_STEP,
    summary="Resume a deferred case, with a fresh deadline",
    description="The deadline defaults to the category's time limit from now.",
)
def resume(request: HttpRequest, number: str, body: ResumeIn) -> Any:
    return _step(
        request,
        number,
        lambda c: services.case_resume(
            case=c,
            actor=request.user,
            deadline=_aware(body.deadline),
            note=body.note,
            expected_version=body.version,
        ),
    )
