"""GeoReport v2 responses in JSON and XML, errors included.

The views build plain data (dicts, lists, strings, numbers, booleans, None)
once; this module writes it in the format the URL asked for. XML follows the
specification's examples: a plural root (`services`, `service_requests`,
`errors`) holding one element per item, lists inside an item as a plural
element holding singular ones (`endpoints/endpoint`, `formats/format`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"

# The element name of one item of each list that can appear inside an item.
_SINGULAR = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# Characters XML 1.0 cannot carry at all, even escaped: a resident's text with
# a stray control character must not make the whole document unreadable.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return escape(_NOT_XML.sub("", str(value)))


def _element(tag: str, value: Any) -> str:
    if isinstance(value, Mapping):
        inner = "".join(_element(k, v) for k, v in value.items())
    elif isinstance(value, Sequence) and not isinstance(value, str):
        child = _SINGULAR.get(tag, "item")
        inner = "".join(_element(child, v) for v in value)
    else:
        inner = _text(value)
    return f"<{tag}>{inner}</{tag}>"


def xml_document(root: str, item: str | None, data: Any) -> str:
    """`<root><item>…</item>…</root>` for a list, `<root>…</root>` for one mapping."""
    if item is None:
        body = _element(root, data)
    else:
        body = f"<{root}>{''.join(_element(item, row) for row in data)}</{root}>"
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def respond(
    fmt: str,
    data: Any,
    *,
    root: str,
    item: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    if fmt == "xml":
        response = HttpResponse(
            xml_document(root, item, data).encode(), content_type=XML_TYPE, status=status
        )
    else:
        body = json.dumps(data, ensure_ascii=False, cls=DjangoJSONEncoder)
        response = HttpResponse(body.encode(), content_type=JSON_TYPE, status=status)
    # A request list must drop an unpublished case at once: nothing may cache a copy.
    response["Cache-Control"] = "no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error(
    fmt: str, code: int, description: Any, *, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    """The specification's error list with one error; the HTTP status is the error's code."""
    return respond(
        fmt,
        [{"code": code, "description": str(description)}],
        root="errors",
        item="error",
        status=code,
        headers=headers,
    )
