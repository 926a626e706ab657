"""Placeholder: being written."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("todo")


case_detail = case_act = request_decide = add_report = _todo
