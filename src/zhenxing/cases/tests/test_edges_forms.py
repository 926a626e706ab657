"""Step forms that take a deadline share one rule: it lies ahead; the picker says how far."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from zhenxing.cases.forms import DATETIME_LOCAL, DispatchForm, RequestForm, ResumeForm
from zhenxing.cases.models import RequestKind, Status
from zhenxing.cases.services import MAX_DEADLINE_AHEAD

from .test_filters import make_case


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime(DATETIME_LOCAL)


@pytest.fixture
def accepted(world, cats):
    return make_case(cats.garbage, world.area_a1, status=Status.ACCEPTED)


def _dispatch(case, world, deadline: str) -> DispatchForm:
    data = {"version": case.version, "target": f"region:{world.area_a1.pk}", "deadline": deadline}
    return DispatchForm(case, data, user=world.admin)


def _resume(case, world, deadline: str) -> ResumeForm:
    return ResumeForm(case, {"version": case.version, "deadline": deadline}, user=world.admin)


@pytest.mark.parametrize("make", [_dispatch, _resume])
def test_a_deadline_in_the_past_is_refused_and_one_ahead_accepted(world, accepted, make):
    past = make(accepted, world, _local(timezone.now() - datetime.timedelta(hours=1)))
    assert not past.is_valid() and "deadline" in past.errors
    ahead = make(accepted, world, _local(timezone.now() + datetime.timedelta(days=2)))
    assert ahead.is_valid(), ahead.errors
    empty = make(accepted, world, "")
    assert empty.is_valid() and empty.cleaned_data["deadline"] is None


@pytest.mark.parametrize(
    "form,field",
    [
        (lambda case, world: _dispatch(case, world, ""), "deadline"),
        (lambda case, world: _resume(case, world, ""), "deadline"),
        (lambda case, world: RequestForm(case, kind=RequestKind.EXTENSION), "until"),
    ],
)
def test_the_date_pickers_offer_now_up_to_the_services_cap(world, accepted, form, field):
    attrs = form(accepted, world).fields[field].widget.attrs
    now = timezone.now()
    assert attrs["min"] <= _local(now + datetime.timedelta(minutes=1))
    assert attrs["max"] >= _local(now + MAX_DEADLINE_AHEAD - datetime.timedelta(minutes=1))
    assert attrs["max"] <= _local(now + MAX_DEADLINE_AHEAD + datetime.timedelta(minutes=1))
