"""Bench-only views: the baselines the real endpoints are compared with.

Routed only when `ZHENXING_BENCH_VIEWS` is on (`bench/urls.py`), and each
answers 404 if the setting is off anyway, so a production server never
serves them.

- `hello`: the cost of a request through the whole middleware stack and
  gunicorn, and nothing else.
- `intake`: the database writes of filing a case (`cases.services.case_report`:
  the case row and its number, its "reported" event, the audit row) in one
  transaction, with no authentication, validation, permission checks, area
  lookup or serialisation. The issue's target is that the real
  `POST /api/v1/cases` reaches half of this one's throughput. It writes models
  directly, which the house style forbids elsewhere: being the floor under the
  services is its whole purpose.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zhenxing.cases.models import Case, CaseEvent, EventKind, Source, Status
from zhenxing.core.models import AuditEntry


def _enabled() -> None:
    if not settings.ZHENXING_BENCH_VIEWS:
        raise Http404


def hello(request: HttpRequest) -> HttpResponse:
    _enabled()
    return HttpResponse("hello", content_type="text/plain")


@csrf_exempt
@require_POST
def intake(request: HttpRequest) -> JsonResponse:
    """Write one case as `case_report` does; the POST carries its ids, trusted as they are."""
    _enabled()
    data = request.POST
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            number="T" + secrets.token_hex(9),
            category_id=int(data["category"]),
            source=Source.OFFICE,
            status=Status.REPORTED,
            description=data.get("description", ""),
            lat=float(data["lat"]),
            lng=float(data["lng"]),
            region_id=int(data["region"]),
            region_path=data["region_path"],
            reported_at=now,
        )
        case.number = f"{timezone.localtime(now):%Y%m%d}{case.pk:06d}"
        Case.objects.filter(pk=case.pk).update(number=case.number)
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.REPORTED,
            to_status=Status.REPORTED,
            note=case.description,
            at=now,
        )
        AuditEntry.objects.create(
            action="case.report",
            object_type=ContentType.objects.get_for_model(Case),
            object_id=str(case.pk),
            object_repr=case.number,
            summary=f"Case {case.number} reported (bench)",
            changes={"source": Source.OFFICE},
        )
    return JsonResponse({"number": case.number}, status=201)
