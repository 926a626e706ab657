import pytest
from django.test import override_settings

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


def test_reportable_categories_are_active_sub_categories(world, cats):
    from zhenxing.public.reporting import reportable_categories

    cats.river.is_active = False
    cats.river.save()
    assert list(reportable_categories()) == [cats.garbage]


def test_codes_are_read_as_typed(world):
    from zhenxing.public.reporting import CODE_ALPHABET, new_tracking_code, normal_code

    code = new_tracking_code()
    assert set(code) <= set(CODE_ALPHABET) and not set("01OIL") & set(code)
    assert normal_code(f" {code[:4].lower()}-{code[4:]} ") == code


@override_settings(LANGUAGE_CODE="en")
def test_the_public_timeline_has_dates_and_steps_only(world, cats, private_media):
    from zhenxing.cases import services
    from zhenxing.cases.models import CaseEvent, EventKind
    from zhenxing.cases.photos import validate_photos
    from zhenxing.cases.testing import upload
    from zhenxing.public.reporting import public_steps, track_report
    from zhenxing.public.testing import SECRET_MOBILE, jpeg_with_exif

    report = resident_report_file(
        category=cats.garbage,
        description=f"垃圾，电话 {SECRET_MOBILE}",
        lat=23.005,
        lng=113.105,
        photos=validate_photos([upload("a.jpg", jpeg_with_exif())]),
        mobile=SECRET_MOBILE,
    )
    case = services.case_accept(case=report.case, actor=world.admin)
    case = services.case_dispatch(case=case, actor=world.admin, to=world.a)
    case = services.case_start(case=case, actor=world.secretary_a)
    case = services.case_rectify(
        case=case,
        actor=world.secretary_a,
        note="清理了",
        photos=validate_photos([upload("b.jpg", jpeg_with_exif(color="green"))]),
    )
    case = services.case_verify(case=case, actor=world.admin, passed=False, note="没清干净")
    # Internal steps (started, notes) are not the resident's; the failed check is.
    assert CaseEvent.objects.filter(case=case, kind=EventKind.STARTED).exists()
    steps = public_steps(case)
    done = [(s.key, str(s.label)) for s in steps if s.at]
    # Accepted and dispatched are one "Assigned" to a resident, dated by the dispatch.
    assert done == [
        ("received", "Received"),
        ("assigned", "Assigned"),
        ("rectified", "Reported fixed"),
        ("rework", "Checked: more work needed"),
    ]
    dispatched = CaseEvent.objects.get(case=case, kind=EventKind.DISPATCHED)
    assert steps[1].at == dispatched.at
    # What comes next: the handler reports it fixed again, then the office's check.
    assert [(s.key, s.at) for s in steps if not s.at] == [("rectified", None), ("fixed", None)]
    tracked = track_report(report)
    assert tracked.status.key == "fixing" and tracked.place == "社区甲 甲一片区"
    assert tracked.publication is None
    assert SECRET_MOBILE not in repr(tracked) and "没清干净" not in repr(tracked)
