"""Placeholder: being written."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("todo")


case_new = duplicates = _todo
