"""An unmodified third-party GeoReport v2 client (`georeport` from PyPI) reads our endpoint.

It talks HTTP to a live test server, in JSON and in XML, exactly as it would
to any city's Open311 endpoint.
"""

from __future__ import annotations

import datetime

import pytest
from georeport import GeoReport
from requests import HTTPError

from zhenxing.open311.services import client_create
from zhenxing.public.reporting import resident_report_file
from zhenxing.public.testing import SECRET_MOBILE, closed_case, publish_directly, reported_case

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def board(world, cats, private_media):
    closed = closed_case(world, cats.garbage)
    publish_directly(closed, actor=world.admin)
    open_case = reported_case(world, cats.garbage, lat=23.006)
    publish_directly(open_case, actor=world.admin)
    # Filed through Open311 but not published: not on the public list.
    api_client, _raw = client_create(name="街坊通", actor=world.admin)
    hidden = resident_report_file(
        category=cats.floating,
        description="漂浮物",
        lat=23.005,
        lng=113.105,
        mobile=SECRET_MOBILE,
        channel="open311",
        open311_client=api_client,
    ).case
    return {"closed": closed, "open": open_case, "hidden": hidden}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests(live_server, settings, board, fmt):
    georeport = GeoReport(
        f"{live_server.url}/open311/v2/",
        jurisdiction=settings.ZHENXING_OPEN311_JURISDICTION,
        output_format=fmt,
    )

    services = georeport.get_service_list()
    assert {s["service_code"] for s in services} == {"HJ01", "HC01"}
    assert {s["service_name"] for s in services} == {"暴露垃圾", "水面漂浮物"}

    definition = georeport.get_service_definition("HJ01")
    assert definition["service_code"] == "HJ01"

    requests = georeport.get_service_requests()
    assert isinstance(requests, list)  # two requests: a list in either format
    assert [r["service_request_id"] for r in requests] == [
        board["open"].number,
        board["closed"].number,
    ]
    assert board["hidden"].number not in str(requests) and SECRET_MOBILE not in str(requests)

    closed = georeport.get_service_requests(status="closed", service_code="HJ01")
    # xmltodict gives one <request> as a dict, not a list of one: the client passes it on.
    closed = closed if isinstance(closed, list) else [closed]
    assert [r["service_request_id"] for r in closed] == [board["closed"].number]
    assert closed[0]["status"] == "closed"

    by_id = georeport.get_service_requests(service_request_id=board["open"].number)
    by_id = by_id if isinstance(by_id, list) else [by_id]
    assert [r["status"] for r in by_id] == ["open"]

    now = datetime.datetime.now(datetime.UTC)
    window = georeport.get_service_requests(
        start_date=f"{now - datetime.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        end_date=f"{now + datetime.timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}",
        status="open,closed",
    )
    assert len(window) == 2
    if fmt == "json":
        # (The client cannot read an empty XML list: it indexes into the None xmltodict
        # makes of an empty <service_requests></service_requests>. Our body is right.)
        long_ago = georeport.get_service_requests(
            start_date="2020-01-01T00:00:00Z", end_date="2020-02-01T00:00:00Z"
        )
        assert long_ago == []

    one = georeport.get_service_request(board["closed"].number)
    assert one["service_request_id"] == board["closed"].number
    assert one["service_code"] == "HJ01" and one["status"] == "closed"
    assert one["media_url"].startswith(f"{live_server.url}/public/photos/")

    # Errors reach the client as HTTP errors, as it expects.
    with pytest.raises(HTTPError) as error:
        georeport.get_service_request(board["hidden"].number)
    assert error.value.response.status_code == 404
