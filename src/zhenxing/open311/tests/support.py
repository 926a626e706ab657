"""Helpers for the Open311 tests: the specification's field lists and a format-blind reader."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # noqa: S405  (parsing our own responses)
from typing import Any

from django.urls import reverse

from zhenxing.cases.photos import validate_photos
from zhenxing.cases.testing import upload
from zhenxing.public.testing import SECRET_MOBILE, SECRET_NAME, jpeg_with_exif

FORMATS = ["json", "xml"]

# The field lists of http://wiki.open311.org/GeoReport_v2, endpoint by endpoint.

# GET Service Discovery: "changeset, contact, key_service, endpoints"; each endpoint
# "specification, url, changeset, type, formats".
DISCOVERY_FIELDS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}
# GET Service List, response: "service_code, service_name, description, metadata, type,
# keywords, group".
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
# GET Service Definition, response: "service_code, attributes".
DEFINITION_FIELDS = {"service_code", "attributes"}
# POST Service Request, response: "service_request_id, token, service_notice, account_id".
POST_FIELDS = {"service_request_id", "token", "service_notice", "account_id"}
# GET service_request_id from a token, response: "service_request_id, token".
TOKEN_FIELDS = {"service_request_id", "token"}
# GET Service Requests / GET Service Request, response: "service_request_id, status,
# status_notes, service_name, service_code, description, agency_responsible, service_notice,
# requested_datetime, updated_datetime, expected_datetime, address, address_id, zipcode, lat,
# long, media_url".
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
# Errors: "code, description", in a list (JSON) or <errors><error> (XML).
ERROR_FIELDS = {"code", "description"}

XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'


_LISTS = {"endpoints", "formats", "attributes", "values"}


def _value(element: ET.Element) -> Any:
    if element.tag in _LISTS:
        return [_value(child) for child in element]
    if len(element) == 0:
        return element.text
    return {child.tag: _value(child) for child in element}


def parse(response: Any, fmt: str, *, root: str, item: str | None) -> Any:
    """The body as Python: a list of dicts (or one dict for `item=None`), whatever the format."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return json.loads(response.content)
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(XML_DECLARATION)
    tree = ET.fromstring(response.content)  # noqa: S314
    assert tree.tag == root
    if item is None:
        return {child.tag: _value(child) for child in tree}
    assert all(child.tag == item for child in tree)
    return [{field.tag: _value(field) for field in child} for child in tree]


def url(name: str, fmt: str, *args: str) -> str:
    return reverse(f"open311:{name}", args=[*args, fmt])


def get(client: Any, name: str, fmt: str, *args: str, headers: Any = None, **params: Any) -> Any:
    return client.get(url(name, fmt, *args), params, headers=headers)


def post(client: Any, fmt: str, **data: Any) -> Any:
    return client.post(url("requests", fmt), data)


def errors(response: Any, fmt: str, status: int) -> str:
    """Assert the specification's error format with this code; the description."""
    assert response.status_code == status, response.content
    body = parse(response, fmt, root="errors", item="error")
    assert len(body) == 1 and set(body[0]) == ERROR_FIELDS
    assert int(body[0]["code"]) == status
    assert body[0]["description"]
    return body[0]["description"]


def a_request(cats: Any, key: str, **extra: Any) -> dict[str, Any]:
    """A complete POST body for 暴露垃圾 in 甲一片区, with a name and a mobile number."""
    return {
        "api_key": key,
        "service_code": cats.garbage.code,
        "lat": "23.005",
        "long": "113.105",
        "address_string": "甲一片区路口",
        "description": f"路口有垃圾，电话 {SECRET_MOBILE}",
        "first_name": SECRET_NAME[1:],
        "last_name": SECRET_NAME[0],
        "phone": SECRET_MOBILE,
        "email": "resident@example.com",
        "media_url": "http://example.com/photo.jpg",
        **extra,
    }


def web_report(cats: Any) -> Any:
    """A report from the public form, never published: private to the office."""
    from zhenxing.public.reporting import resident_report_file

    return resident_report_file(
        category=cats.garbage,
        description=f"网页报料 {SECRET_MOBILE}",
        lat=23.005,
        lng=113.105,
        photos=validate_photos([upload("p.jpg", jpeg_with_exif())]),
        mobile=SECRET_MOBILE,
        reporter_name=SECRET_NAME,
    )
