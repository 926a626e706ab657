"""Placeholder: being written."""

from django.http import HttpResponse


def _todo(*args, **kwargs):
    return HttpResponse("todo")


photo = _todo
