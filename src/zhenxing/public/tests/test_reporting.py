import pytest

from zhenxing.cases.models import Source
from zhenxing.cases.services import CaseError
from zhenxing.core.models import AuditEntry
from zhenxing.public.reporting import CODE_LENGTH, find_report, resident_report_file


def test_a_report_becomes_an_anonymous_resident_case_with_a_code(
    world, cats, IN_A1=(23.005, 113.105)
):
    report = resident_report_file(
        category=cats.garbage,
        description="垃圾堆",
        lat=IN_A1[0],
        lng=IN_A1[1],
        mobile="13800138000",
    )
    case = report.case
    assert case.source == Source.RESIDENT and case.reporter is None
    assert case.reporter_mobile == "13800138000"
    assert len(report.tracking_code) == CODE_LENGTH
    assert find_report(report.tracking_code.lower()) == report
    assert AuditEntry.objects.filter(
        action="public.resident_report", object_id=str(case.pk)
    ).exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"description": "  "}, "Describe"),
        ({"mobile": "12345"}, "11-digit"),
        ({"lat": 30.0, "lng": 120.0}, "outside"),
    ],
)
def test_bad_reports_write_nothing(world, cats, kwargs, message):
    from zhenxing.cases.models import Case

    args = {"category": cats.garbage, "description": "垃圾", "lat": 23.005, "lng": 113.105}
    with pytest.raises(CaseError):
        resident_report_file(**{**args, **kwargs})
    assert not Case.objects.exists()


def test_a_main_category_is_refused(world, cats):
    with pytest.raises(CaseError):
        resident_report_file(category=cats.sanitation, description="x", lat=23.005, lng=113.105)


def test_unknown_codes_find_nothing(world):
    assert find_report("") is None
    assert find_report("ABCDEFGHJK") is None
