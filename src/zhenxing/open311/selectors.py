"""What GeoReport v2 shows: our categories as services, cases as service requests.

Only two kinds of case are visible through the API: those on the public
board (published by the office), and those a client filed itself, to that
client. Everything else, unpublished reports from the public form included,
is private. A published case shows what the office wrote for the public (its
public description, place and photo); a client's own unpublished request
shows what the client sent, mobile numbers removed. No person is ever named:
no reporter, no handler, no staff notes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenxing.cases.models import Case, Category, Status
from zhenxing.core.privacy import strip_mobiles_in
from zhenxing.open311.models import Open311Client
from zhenxing.public.reporting import reportable_categories
from zhenxing.public.selectors import public_point, public_status
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import community_code_of

# GeoReport's two states: a case is closed when it is finished either way.
CLOSED_STATES = frozenset({Status.CLOSED, Status.REJECTED})


def iso(moment: datetime.datetime | None) -> str | None:
    """2026-11-28T15:04:05+08:00: W3C datetime in the site's time zone, with its offset."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def service_row(category: Category) -> dict[str, Any]:
    group = category.parent.name if category.parent else ""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": _("%(group)s / %(name)s; to be handled within %(limit)s")
        % {"group": group, "name": category.name, "limit": category.time_limit_display()},
        # No extra questions per category: every request needs the same fields.
        "metadata": False,
        # A request gets its number (the case number) in the POST's response.
        "type": "realtime",
        "keywords": group,
        "group": group,
    }


def services() -> list[dict[str, Any]]:
    return [service_row(c) for c in reportable_categories()]


def service(code: str) -> Category | None:
    return reportable_categories().filter(code=code).first()


def visible_requests(client: Open311Client | None) -> QuerySet[Case]:
    """Cases on the public board, plus (for a client with a valid key) the ones it filed."""
    visible = Q(publication__is_published=True)
    if client is not None:
        visible |= Q(resident_report__open311_client=client)
    return Case.objects.filter(visible).select_related(
        "category",
        "assigned_department",
        "publication",
        "publication__before_photo",
    )


def _community_names(cases: Iterable[Case]) -> dict[str, str]:
    codes = {community_code_of(c.region_path) for c in cases}
    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


def request_rows(cases: Iterable[Case], request: HttpRequest) -> list[dict[str, Any]]:
    """Each case as a GeoReport service request; two queries whatever the number of cases."""
    cases = list(cases)
    communities = _community_names(cases)
    return [_request_row(c, request, communities) for c in cases]


def _published(case: Case) -> Any:
    publication = getattr(case, "publication", None)
    return publication if publication is not None and publication.is_published else None


def _request_row(case: Case, request: HttpRequest, communities: dict[str, str]) -> dict[str, Any]:
    publication = _published(case)
    if publication is not None:
        # Cleaned when saved; cleaned again here, as the board does, for a row written otherwise.
        description = strip_mobiles_in(publication.description)
        address = strip_mobiles_in(publication.place)
        lat, lng = public_point(case)
        photo = publication.before_photo
        media_url = (
            request.build_absolute_uri(reverse("public:photo", args=[photo.token, "display"]))
            if photo is not None
            else None
        )
    else:
        # Only the client that filed it sees this: its own text, any mobile number in it removed.
        description = strip_mobiles_in(case.description)
        address = case.address
        media_url = None
        lat, lng = case.lat, case.lng
    # An office or a community, never a person.
    agency = (
        case.assigned_department.name
        if case.assigned_department is not None
        else communities.get(community_code_of(case.region_path))
    )
    return {
        "service_request_id": case.number,
        "status": "closed" if case.status in CLOSED_STATES else "open",
        # The public step only: staff notes and rejection reasons may name people.
        "status_notes": str(public_status(case).label),
        "service_name": case.category.name,
        "service_code": case.category.code,
        "description": description,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": iso(case.reported_at),
        "updated_datetime": iso(case.updated_at),
        "expected_datetime": iso(case.deadline),
        "address": address or None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lng,
        "media_url": media_url,
    }
