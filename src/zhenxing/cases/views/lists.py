"""Placeholder: being written."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("todo")


case_list = queue = case_map = case_map_data = case_export = category_list = escalation_list = _todo
