"""The weekly circular: its figures, drafting, editing and publishing (circulars.py).

The data is a hand-made week 2026-W47 (Mon 16 – Sun 22 Nov 2026, time frozen
on Wed 25 Nov) built with the assessment fixtures (conftest.py): three scored
inspections, black spots opened from them (with before and after photos),
a resident's case, an incentive record for a cadre and one for a community,
and list rules that put one community on each list.
"""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from zhenxing.assessment.tests.conftest import at

W47_START = datetime.date(2026, 11, 16)
# Personal data that must never reach a circular.
REPORTER_NAME, REPORTER_MOBILE = "张三丰", "13912345678"
RESIDENT_NAME, RESIDENT_MOBILE = "李四光", "13700000000"
CADRE_A, CADRE_B = "王书记", "赵书记"
INCENTIVE_REASON = "约谈原因：整改不力"
ADDRESS = "甲一村委会东侧"


def jpeg(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def add_photo(case, kind: str, color: str):
    from zhenxing.cases.models import CasePhoto
    from zhenxing.cases.photos import store_original, validate_photo

    photo = validate_photo(SimpleUploadedFile(f"{kind}.jpg", jpeg(color), "image/jpeg"))
    return CasePhoto.objects.create(
        case=case, kind=kind, **store_original(folder="cases", photo=photo, actor=None)
    )


@pytest.fixture
def w47(world, week47, frozen, scheme, make_case, make_inspection, private_media):
    """Week 47 with its figures; see the module docstring."""
    from zhenxing.assessment.models import IncentiveKind, IncentiveRecord, ListRule
    from zhenxing.cases.models import Case, Source
    from zhenxing.inspections.models import Finding, TemplateItem

    scheme()
    world.secretary_a.display_name = CADRE_A
    world.secretary_a.save()
    world.outsider.display_name = CADRE_B
    world.outsider.save()

    insp_a1 = make_inspection(world.area_a1, 18, 80)
    insp_a2 = make_inspection(world.area_a2, 18, 90)
    insp_b1 = make_inspection(world.area_b1, 19, 70)
    # Scored in week 48, which has not ended: it stays under embargo.
    insp_next = make_inspection(world.area_a1, 24, 60)

    def from_inspection(case, **fields):
        Case.objects.filter(pk=case.pk).update(source=Source.INSPECTION, **fields)
        case.refresh_from_db()
        return case

    # Closed on time, with before and after photos: exposed first.
    c1 = from_inspection(
        make_case(
            world.area_a1,
            reported=at(17, 9),
            dispatched=at(17, 10),
            deadline=at(19, 18),
            rectified=[at(19, 9)],
            closed=at(19, 15),
            number="20261117000001",
        ),
        address=ADDRESS,
    )
    before1 = add_photo(c1, "before", "red")
    add_photo(c1, "before", "orange")
    add_photo(c1, "after", "yellow")
    after1 = add_photo(c1, "after", "green")
    # Still open (overdue at the week's end), a before-photo only. Reporter data on the
    # row (as a resident's case would carry) must not leak into the circular.
    c2 = from_inspection(
        make_case(
            world.area_a2,
            reported=at(18, 9),
            dispatched=at(18, 10),
            deadline=at(20, 18),
            number="20261118000002",
        ),
        reporter_name=REPORTER_NAME,
        reporter_mobile=REPORTER_MOBILE,
        description=f"{REPORTER_NAME} {REPORTER_MOBILE}",
    )
    before2 = add_photo(c2, "before", "blue")
    # Closed late, no photos.
    c3 = from_inspection(
        make_case(
            world.area_b1,
            reported=at(18, 11),
            dispatched=at(18, 12),
            deadline=at(20, 18),
            rectified=[at(21, 9)],
            closed=at(21, 10),
            number="20261118000003",
        )
    )
    # A resident's case: counts in the closure rates, is no black spot.
    c4 = make_case(
        world.area_a1,
        reported=at(17, 8),
        dispatched=at(17, 9),
        deadline=at(19, 18),
        rectified=[at(18, 9)],
        closed=at(18, 15),
        number="20261117000004",
    )
    Case.objects.filter(pk=c4.pk).update(
        source=Source.RESIDENT, reporter_name=RESIDENT_NAME, reporter_mobile=RESIDENT_MOBILE
    )
    # Opened from an inspection the week before: not this week's black spot.
    c5 = from_inspection(
        make_case(
            world.area_a1,
            reported=at(10, 9),
            dispatched=at(10, 10),
            deadline=at(12, 18),
            rectified=[at(11, 9)],
            closed=at(11, 15),
            number="20261110000005",
        )
    )

    item = TemplateItem.objects.create(
        template=insp_a1.template, code="T1", text="暴露垃圾", points_per_unit=Decimal("2")
    )
    Finding.objects.create(inspection=insp_a1, item=item, count=3, deduction=Decimal("6"), case=c1)

    IncentiveRecord.objects.create(
        kind=IncentiveKind.COMMENDATION,
        period=week47,
        community=world.a,
        cadre=world.secretary_a,
        date=datetime.date(2026, 11, 20),
        reason="垃圾清理及时",
        recorded_by=world.admin,
    )
    IncentiveRecord.objects.create(
        kind=IncentiveKind.INTERVIEW,
        period=week47,
        cadre=world.outsider,
        date=datetime.date(2026, 11, 21),
        reason=INCENTIVE_REASON,
        recorded_by=world.admin,
    )
    ListRule.objects.create(
        name="前1名", kind="red", unit_kind="community", period_kind="week", top_n=1
    )
    ListRule.objects.create(
        name="后1名", kind="black", unit_kind="community", period_kind="week", bottom_n=1
    )
    return SimpleNamespace(
        period=week47,
        insp_a1=insp_a1,
        insp_a2=insp_a2,
        insp_b1=insp_b1,
        insp_next=insp_next,
        c1=c1,
        c2=c2,
        c3=c3,
        c4=c4,
        c5=c5,
        before1=before1,
        after1=after1,
        before2=before2,
    )


@pytest.fixture
def draft(world, w47):
    from zhenxing.assessment.circulars import circular_create

    return circular_create(period=w47.period, scope=world.root, actor=world.admin)


def site_text(message: str, **params) -> str:
    """A message as the site's language renders it (the .po may or may not have it yet)."""
    from django.utils.translation import gettext

    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message) % params if params else gettext(message)


def dumped(content: dict) -> str:
    return json.dumps(content, ensure_ascii=False)


# --- defaults ---------------------------------------------------------------------------


def test_default_number_is_the_year_and_week(w47):
    from zhenxing.assessment.circulars import default_number
    from zhenxing.assessment.models import Period

    assert default_number(w47.period) == "桂振兴通〔2026〕47号"
    # ISO week 1 of 2027 begins in December 2026: the number takes the ISO year.
    week1 = Period(kind="week", start=datetime.date(2027, 1, 4), end=datetime.date(2027, 1, 11))
    assert default_number(week1) == "桂振兴通〔2027〕1号"
    month = Period(kind="month", start=datetime.date(2026, 11, 1), end=datetime.date(2026, 12, 1))
    assert default_number(month) == "桂振兴通〔2026〕11号"


def test_create_makes_a_draft_with_defaults_and_an_audit_row(world, w47, draft):
    from zhenxing.assessment.models import CircularStatus
    from zhenxing.core.models import AuditEntry

    assert draft.status == CircularStatus.DRAFT
    assert draft.number == "桂振兴通〔2026〕47号"
    assert draft.title == site_text(
        "%(scope)s rural revitalisation work: circular of week %(week)d", scope="桂城街道", week=47
    )
    assert draft.issuing_body == site_text(
        "%(scope)s rural revitalisation office", scope="桂城街道"
    )
    assert draft.issue_date == datetime.date(2026, 11, 25)
    assert draft.created_by == world.admin
    # The generated narrative names the best and the worst community and the figures.
    assert "社区甲" in draft.narrative and "社区乙" in draft.narrative
    assert "80.00" in draft.narrative  # the mean inspection score
    assert "\n\n" in draft.narrative  # paragraphs
    entry = AuditEntry.objects.get(action="circular.create")
    assert entry.object_id == str(draft.pk) and entry.actor == world.admin


def test_a_second_draft_gets_a_number_of_its_own(world, w47, draft):
    from zhenxing.assessment.circulars import circular_create

    second = circular_create(period=w47.period, scope=world.root, actor=world.admin)
    assert second.number == f"{draft.number}-2"


def test_only_the_office_drafts(world, w47):
    from zhenxing.assessment.circulars import circular_create

    for user in (world.secretary_a, world.inspector_a, world.outsider, world.nobody):
        with pytest.raises(PermissionDenied):
            circular_create(period=w47.period, scope=world.root, actor=user)


# --- the content -----------------------------------------------------------------------


def test_draft_content_holds_the_weeks_figures(world, w47, draft):
    from zhenxing.assessment.circulars import circular_content
    from zhenxing.assessment.indicators import ranking

    content = circular_content(draft)
    json.dumps(content)  # JSON-able as it is stored

    assert content["period"]["start"] == "2026-11-16"
    assert content["period"]["end"] == "2026-11-23"
    assert content["period"]["last_day"] == "2026-11-22"
    assert content["period"]["label"] == w47.period.label
    assert content["circular"]["number"] == draft.number

    s = content["summary"]
    assert s["inspections_scored"] == 3
    assert s["areas_inspected"] == 3
    assert s["mean_score"] == 80.0
    assert s["lowest_area"]["unit_key"] == "GC02-01-A"
    assert s["lowest_area"]["score"] == 70.0
    assert s["lowest_area"]["community"] == "社区乙"
    assert (s["findings"], s["finding_units"]) == (1, 3)
    assert s["cases_opened"] == 1  # the one finding filed as a case (c1)
    assert s["inspection_cases"] == 3  # c1, c2, c3; not the resident's, not last week's
    # Due in the week: c1, c2, c3, c4; closed c1, c3, c4; on time c1, c4.
    assert (s["cases_due"], s["cases_closed"], s["cases_closed_on_time"]) == (4, 3, 2)
    assert s["closure_rate"] == 0.75
    assert s["on_time_rate"] == 0.5

    # The ranking is the engine's, figure for figure.
    engine = ranking(period=w47.period, unit_kind="community")
    assert [r["unit_key"] for r in content["ranking"]] == [r.unit.key for r in engine]
    for row, result in zip(content["ranking"], engine, strict=True):
        assert row["rank"] == result.rank
        assert row["composite"] == float(result.composite)
        assert row["unit_name"] == result.unit.name
        for key, value in result.values.items():
            assert row[key] == value.value
            assert row["values"][key]["num"] == value.num
            assert row["values"][key]["den"] == value.den
    by_key = {r["unit_key"]: r for r in content["ranking"]}
    assert by_key["GC01"]["inspection_score"] == 85.0
    assert by_key["GC01"]["closure_rate"] == pytest.approx(2 / 3, abs=1e-4)

    assert [a["unit_key"] for a in content["areas_bottom"]] == [
        "GC02-01-A",
        "GC01-01-A",
        "GC01-01-B",
    ]
    first, last = content["ranking"][0], content["ranking"][-1]
    assert [r["unit_key"] for r in content["red"]] == [first["unit_key"]]
    assert [r["unit_key"] for r in content["black"]] == [last["unit_key"]]

    # Black spots: the open (overdue) one first, then closed with an after-photo, closed.
    spots = content["black_spots"]
    assert [b["number"] for b in spots] == [w47.c2.number, w47.c1.number, w47.c3.number]
    assert (spots[0]["before"], spots[0]["after"]) == (w47.before2.token, None)
    assert (spots[1]["before"], spots[1]["after"]) == (w47.before1.token, w47.after1.token)
    assert (spots[2]["before"], spots[2]["after"]) == (None, None)
    assert spots[1]["community"] == "社区甲" and spots[1]["area"] == "甲一片区"
    assert spots[1]["category"] == "环境卫生 / 暴露垃圾"
    assert spots[0]["status"] == "dispatched" and spots[1]["status"] == "closed"
    assert (spots[0]["open"], spots[0]["overdue"]) == (True, True)
    assert (spots[1]["open"], spots[1]["overdue"]) == (False, False)
    assert spots[1]["closed_on_time"] is True and spots[2]["closed_on_time"] is False
    assert (s["black_spots"], s["black_spots_open"], s["black_spots_closed"]) == (3, 1, 2)

    kinds = [(i["kind"], i["community"], i["cadre"]) for i in content["incentives"]]
    assert kinds == [("commendation", "社区甲", CADRE_A), ("interview", "", CADRE_B)]


def test_content_never_holds_a_reporters_name_or_mobile(w47, draft):
    from zhenxing.assessment.circulars import circular_content

    text = dumped(circular_content(draft))
    for secret in (REPORTER_NAME, REPORTER_MOBILE, RESIDENT_NAME, RESIDENT_MOBILE):
        assert secret not in text


def test_black_spots_are_at_most_twelve(world, w47, draft, make_case):
    from zhenxing.assessment.circulars import BLACK_SPOTS_MAX, circular_content
    from zhenxing.cases.models import Case, Source

    for n in range(BLACK_SPOTS_MAX + 3):
        case = make_case(world.area_b1, reported=at(20, 8, n), number=f"X{n:04d}")
        Case.objects.filter(pk=case.pk).update(source=Source.INSPECTION)
    content = circular_content(draft)
    assert content["summary"]["inspection_cases"] == 3 + BLACK_SPOTS_MAX + 3
    # Reported by inspectors, not filed from a finding: not "cases opened from inspections".
    assert content["summary"]["cases_opened"] == 1
    numbers = [b["number"] for b in content["black_spots"]]
    assert len(numbers) == BLACK_SPOTS_MAX
    # Only two closed ones to show: the open ones fill the other places, the overdue one first,
    # then the earliest reported; the closed ones last.
    assert numbers == [
        w47.c2.number,
        *[f"X{n:04d}" for n in range(9)],
        w47.c1.number,
        w47.c3.number,
    ]


def _spot_cases(world, make_case, *, open_: int, closed: int, prefix: str) -> None:
    from zhenxing.cases.models import Case, Source

    for n in range(open_):
        case = make_case(world.area_b1, reported=at(20, 8, n), number=f"{prefix}O{n:03d}")
        Case.objects.filter(pk=case.pk).update(source=Source.INSPECTION)
    for n in range(closed):
        case = make_case(
            world.area_b1,
            reported=at(21, 8, n),
            dispatched=at(21, 9),
            deadline=at(22, 18),
            rectified=[at(22, 9)],
            closed=at(22, 10),
            number=f"{prefix}C{n:03d}",
        )
        Case.objects.filter(pk=case.pk).update(source=Source.INSPECTION)


@pytest.mark.parametrize(
    ("open_", "closed", "shown_open", "shown_closed"),
    [
        (10, 10, 6, 6),  # both plenty: six places each
        (2, 20, 3, 9),  # few open (+ c2): all of them, closed ones fill the rest
        (20, 0, 10, 2),  # few closed (c1, c3): open ones fill the rest
    ],
)
def test_open_black_spots_come_first_and_share_the_places(
    world, w47, draft, make_case, open_, closed, shown_open, shown_closed
):
    from zhenxing.assessment.circulars import BLACK_SPOTS_MAX, circular_content

    _spot_cases(world, make_case, open_=open_, closed=closed, prefix="P")
    spots = circular_content(draft)["black_spots"]
    assert len(spots) == min(BLACK_SPOTS_MAX, 3 + open_ + closed)
    flags = [spot["open"] for spot in spots]
    assert flags == [True] * shown_open + [False] * shown_closed
    # Open: the overdue c2 first. Closed: c1 (before | after) before those without photos.
    assert spots[0]["number"] == w47.c2.number
    assert spots[shown_open]["number"] == w47.c1.number


def test_a_rejected_inspection_case_is_no_black_spot(world, w47, draft, make_case):
    from zhenxing.assessment.circulars import circular_content
    from zhenxing.cases.models import Case, Source

    case = make_case(world.area_b1, reported=at(20, 8), rejected=at(20, 9), number="R0001")
    Case.objects.filter(pk=case.pk).update(source=Source.INSPECTION)
    content = circular_content(draft)
    assert "R0001" not in [b["number"] for b in content["black_spots"]]
    assert content["summary"]["inspection_cases"] == 4  # reported all the same


def test_cases_opened_counts_the_findings_filed_as_cases(world, w47, draft, make_inspection):
    from zhenxing.assessment.circulars import circular_content, default_narrative
    from zhenxing.inspections.models import Finding, TemplateItem

    item = TemplateItem.objects.get(code="T1")
    # A second finding filed as a case (c3), one that opened none, and one of a voided
    # inspection of the week that did: only the first counts.
    Finding.objects.create(
        inspection=w47.insp_b1, item=item, count=1, deduction=Decimal("2"), case=w47.c3
    )
    Finding.objects.create(inspection=w47.insp_a2, item=item, count=2, deduction=Decimal("4"))
    void = make_inspection(world.area_b1, 20, 50, status="void")
    Finding.objects.create(inspection=void, item=item, count=1, deduction=Decimal("2"), case=w47.c2)

    content = circular_content(draft)
    s = content["summary"]
    assert (s["findings"], s["cases_opened"], s["inspection_cases"]) == (3, 2, 3)
    with translation.override(settings.LANGUAGE_CODE):
        narrative = default_narrative(content)
    assert (
        site_text(
            "The inspections recorded %(findings)d problems, %(cases)d of which were "
            "filed as cases.",
            findings=3,
            cases=2,
        )
        in narrative
    )


def test_the_narrative_asks_to_rectify_the_open_spots_and_counts_those_put_right(
    world, w47, draft, make_case
):
    from zhenxing.assessment.circulars import circular_content, default_narrative
    from zhenxing.cases.models import Case, Source, Status

    other = make_case(world.area_b1, reported=at(21, 8), number="OPEN0001")
    Case.objects.filter(pk=other.pk).update(source=Source.INSPECTION)
    content = circular_content(draft)
    with translation.override(settings.LANGUAGE_CODE):
        narrative = default_narrative(content)
    separator = "、" if settings.LANGUAGE_CODE.startswith("zh") else ", "
    # c2 (社区甲) and the new one (社区乙) are open; c1 and c3 were put right.
    assert (
        site_text(
            "Of the %(spots)d black spots exposed in this circular, %(closed)d have already "
            "been put right and %(open)d are still open. %(communities)s are to rectify "
            "them promptly and report the results to the office.",
            spots=4,
            closed=2,
            open=2,
            communities=separator.join(["社区甲", "社区乙"]),
        )
        in narrative
    )
    Case.objects.filter(pk__in=[w47.c2.pk, other.pk]).update(
        status=Status.CLOSED, closed_at=at(22, 9)
    )
    with translation.override(settings.LANGUAGE_CODE):
        narrative = default_narrative(circular_content(draft))
    assert (
        site_text(
            "All %(spots)d black spots exposed in this circular have already been put right.",
            spots=4,
        )
        in narrative
    )


def test_a_community_scope_ranks_its_own_communities_only(world, w47):
    from zhenxing.assessment.circulars import circular_content, circular_create

    circular = circular_create(period=w47.period, scope=world.a, actor=world.admin)
    content = circular_content(circular)
    assert [(r["unit_key"], r["rank"]) for r in content["ranking"]] == [("GC01", 1)]
    assert content["summary"]["inspections_scored"] == 2
    assert {b["community"] for b in content["black_spots"]} == {"社区甲"}
    # A record about a cadre alone belongs to the whole territory's circular.
    assert [i["kind"] for i in content["incentives"]] == ["commendation"]


def test_public_version_drops_cadres_and_free_text(w47, draft):
    from zhenxing.assessment.circulars import circular_content, public_version

    content = circular_content(draft)
    public = public_version(content)
    text = dumped(public)
    for secret in (CADRE_A, CADRE_B, INCENTIVE_REASON, "垃圾清理及时", ADDRESS):
        assert secret in dumped(content)
        assert secret not in text
    for secret in (REPORTER_NAME, REPORTER_MOBILE, RESIDENT_NAME, RESIDENT_MOBILE):
        assert secret not in text
    assert public["circular"]["narrative"] == draft.narrative
    assert public["ranking"] == content["ranking"]
    assert [i["kind"] for i in public["incentives"]] == ["commendation"]
    assert public["public"] is True


SECTION_TITLES = [
    ("summary", "1. The period in figures"),
    ("ranking", "2. Composite ranking of the communities"),
    ("areas", "3. Areas with the lowest inspection scores"),
    ("lists", "4. Red and black lists"),
    ("black_spots", "5. Black spots exposed"),
    ("incentives", "6. Rewards and criticism"),
]


def test_content_names_its_sections_in_order(draft):
    from zhenxing.assessment.circulars import circular_content, sections

    content = circular_content(draft)
    expected = [[key, site_text(title)] for key, title in SECTION_TITLES]
    assert content["sections"] == expected
    with translation.override(settings.LANGUAGE_CODE):
        assert sections() == expected
    # Two different inspection scores, each labelled as what it is.
    assert set(content["section_notes"]) == {"ranking", "areas"}


def test_area_scores_and_means_round_half_up_as_the_engine(
    world, week47, frozen, scheme, make_inspection
):
    """72.12 and 72.13: the mean 72.125 is 72.13 half up (round() on the float gives 72.12)."""
    from zhenxing.assessment.circulars import circular_content, circular_create
    from zhenxing.assessment.indicators import ranking

    scheme()
    make_inspection(world.area_a1, 17, 72.12)
    make_inspection(world.area_a1, 18, 72.13)
    make_inspection(world.area_b1, 18, 90)
    circular = circular_create(period=week47, scope=world.root, actor=world.admin)
    content = circular_content(circular)
    areas = {a["unit_key"]: a for a in content["areas"]}
    assert areas["GC01-01-A"]["score"] == 72.13
    assert areas["GC01-01-A"]["inspections"] == 2
    # 社区甲's only inspected area: the community mean (the engine's) and the area score agree.
    engine = {r.unit.key: r for r in ranking(period=week47, unit_kind="community")}
    assert engine["GC01"].values["inspection_score"].value == 72.13
    by_key = {r["unit_key"]: r for r in content["ranking"]}
    assert by_key["GC01"]["inspection_score"] == 72.13
    # (72.12 + 72.13 + 90) / 3 = 78.0833…
    assert content["summary"]["mean_score"] == 78.08
    assert content["summary"]["lowest_area"]["score"] == 72.13


def test_figures_are_formatted_half_up():
    from zhenxing.assessment.circulars import format_composite, format_rate, format_value

    # Binary floats make f"{x:.1f}" give 12.3%, 1.2% and 72.12 here.
    assert format_rate(0.1235) == "12.4%"
    assert format_value("closure_rate", 0.0125) == "1.3%"
    assert format_value("inspection_score", 72.125) == "72.13"
    assert format_composite(72.125) == "72.13"
    assert format_value("participation", 2.25) == "2.3"
    assert format_value("relapse_rate", None) == format_composite(None) == "—"


def test_content_names_the_scheme_and_its_weights(world, w47, draft, scheme):
    from zhenxing.assessment.circulars import circular_content
    from zhenxing.assessment.models import Indicator, Scheme
    from zhenxing.assessment.services import period_close

    used = Scheme.objects.get(is_active=True)
    content = circular_content(draft)
    assert content["scheme"]["name"] == used.name
    assert [w["key"] for w in content["scheme"]["weights"]] == list(Indicator.values)
    assert {w["weight"] for w in content["scheme"]["weights"]} == {1.0}
    # Once the period is closed, the scheme its snapshot was made with, whatever is active now.
    period_close(period=w47.period, actor=world.admin)
    scheme(closure_rate=5)
    w47.period.refresh_from_db()
    draft.period = w47.period
    content = circular_content(draft)
    assert content["scheme"]["name"] == used.name
    assert {w["weight"] for w in content["scheme"]["weights"]} == {1.0}
    json.dumps(content)


def test_a_scope_re_ranks_only_the_units_the_engine_ranked(world):
    """A unit the engine left unranked (too little data, or no composite) stays unranked."""
    from zhenxing.assessment.circulars import _ranking_rows
    from zhenxing.assessment.indicators import Unit, UnitResult

    def result(key: str, path: str, composite: str, rank: int | None, **extra) -> UnitResult:
        r = UnitResult(
            unit=Unit(kind="community", key=key, name=key, path=path, pk=0),
            values={},
            composite=Decimal(composite),
            rank=rank,
        )
        for name, value in extra.items():
            setattr(r, name, value)
        return r

    a = world.a.path
    results = [
        result("GC01", a, "90", 1),
        result("OUT", "/elsewhere/", "85", 2),
        result("GC01B", a + "x/", "99", None, insufficient=True),
        result("GC01C", a + "y/", "80", 3),
    ]
    rows = _ranking_rows(results, world.a)
    assert [(r["unit_key"], r["rank"], r["insufficient"]) for r in rows] == [
        ("GC01", 1, False),
        ("GC01B", None, True),
        ("GC01C", 2, False),
    ]


# --- editing -----------------------------------------------------------------------------


def test_update_edits_a_draft_with_an_audit_row(world, draft):
    from zhenxing.assessment.circulars import circular_update
    from zhenxing.core.models import AuditEntry

    version = draft.version
    circular_update(
        circular=draft,
        actor=world.admin,
        number="桂振兴通〔2026〕99号",
        title="  第47周通报（修改）  ",
        issuing_body="桂城街道乡村振兴办公室",
        issue_date=datetime.date(2026, 11, 26),
        narrative="本周情况如下。",
        expected_version=version,
    )
    draft.refresh_from_db()
    assert draft.version == version + 1
    assert (draft.number, draft.title) == ("桂振兴通〔2026〕99号", "第47周通报（修改）")
    assert draft.narrative == "本周情况如下。"
    entry = AuditEntry.objects.get(action="circular.update")
    assert entry.changes["number"] == ["桂振兴通〔2026〕47号", "桂振兴通〔2026〕99号"]
    assert entry.changes["issue_date"] == ["2026-11-25", "2026-11-26"]


def test_update_refuses_a_stale_version_a_taken_number_and_blanks(world, w47, draft):
    from zhenxing.assessment.circulars import (
        CircularConflict,
        CircularError,
        circular_create,
        circular_update,
    )

    fields = {
        "number": draft.number,
        "title": draft.title,
        "issuing_body": draft.issuing_body,
        "issue_date": draft.issue_date,
        "narrative": "x",
    }
    with pytest.raises(CircularConflict):
        circular_update(
            circular=draft, actor=world.admin, expected_version=draft.version + 1, **fields
        )
    other = circular_create(period=w47.period, scope=world.root, actor=world.admin)
    with pytest.raises(CircularError):
        circular_update(circular=other, actor=world.admin, **fields)
    with pytest.raises(CircularError):
        circular_update(circular=draft, actor=world.admin, **{**fields, "title": "  "})
    with pytest.raises(PermissionDenied):
        circular_update(circular=draft, actor=world.secretary_a, **fields)
    draft.refresh_from_db()
    assert draft.version == 1 and draft.narrative != "x"


# --- publishing ---------------------------------------------------------------------------


def test_publish_closes_freezes_releases_and_notifies(world, w47, draft):
    from zhenxing.assessment.circulars import circular_content, circular_publish
    from zhenxing.assessment.models import CircularStatus, ListEntry, ScoreSnapshot
    from zhenxing.core.models import AuditEntry
    from zhenxing.inspections.permissions import inspections_visible_to
    from zhenxing.notify.models import Notification

    visible = inspections_visible_to(world.secretary_a)
    assert not visible.filter(pk=w47.insp_a1.pk).exists()  # under embargo

    circular_publish(circular=draft, actor=world.admin, expected_version=draft.version)

    draft.refresh_from_db()
    w47.period.refresh_from_db()
    assert draft.status == CircularStatus.PUBLISHED
    assert draft.published_by == world.admin and draft.published_at is not None
    assert draft.version == 2
    # The period was closed on the way: snapshots and lists written.
    assert w47.period.is_closed
    assert ScoreSnapshot.objects.filter(period=w47.period, superseded_at=None).exists()
    assert ListEntry.objects.filter(period=w47.period).count() == 2
    # Frozen: the content is what was stored, and it says the period is closed.
    assert draft.content["period"]["closed"] is True
    assert circular_content(draft) == draft.content
    assert draft.public_content["public"] is True
    assert CADRE_A not in dumped(draft.public_content)

    # The embargo is lifted for week 47, not for week 48.
    visible = inspections_visible_to(world.secretary_a)
    assert visible.filter(pk=w47.insp_a1.pk).exists()
    assert visible.filter(pk=w47.insp_a2.pk).exists()
    assert not visible.filter(pk=w47.insp_next.pk).exists()
    assert not inspections_visible_to(world.outsider).filter(pk=w47.insp_a1.pk).exists()
    assert inspections_visible_to(world.outsider).filter(pk=w47.insp_b1.pk).exists()

    # Each community's secretary hears their rank; nobody else does.
    notes = Notification.objects.filter(kind="circular_published")
    assert {n.user for n in notes} == {world.secretary_a, world.outsider}
    url = reverse("circulars:detail", args=[draft.pk])
    ranks = {r["unit_key"]: r for r in draft.content["ranking"]}
    note_a = notes.get(user=world.secretary_a)
    assert note_a.url == url
    assert note_a.text == site_text(
        "The circular for %(period)s is published: your community ranks %(rank)s, "
        "with a composite score of %(composite)s.",
        period=draft.content["period"]["label"],
        rank=str(ranks["GC01"]["rank"]),
        composite=f"{ranks['GC01']['composite']:.2f}",
    )

    entry = AuditEntry.objects.get(action="circular.publish")
    assert entry.object_id == str(draft.pk) and entry.actor == world.admin
    assert entry.changes["inspections_released"] == 3
    assert entry.changes["notified"] == 2


def test_published_content_stays_as_it_was(world, w47, draft, make_inspection):
    from zhenxing.assessment.circulars import circular_content, circular_publish

    circular_publish(circular=draft, actor=world.admin)
    before = circular_content(draft)
    make_inspection(world.area_a2, 20, 10)  # scored later, dated in the week
    draft.refresh_from_db()
    assert circular_content(draft) == before
    assert before["summary"]["inspections_scored"] == 3


def test_publish_reads_the_lists_drawn_at_closing(world, w47, draft):
    from zhenxing.assessment.circulars import circular_publish
    from zhenxing.assessment.models import ListEntry

    circular_publish(circular=draft, actor=world.admin)
    for kind in ("red", "black"):
        entries = ListEntry.objects.filter(period=w47.period, kind=kind)
        assert [e["unit_key"] for e in draft.content[kind]] == [e.unit_key for e in entries]
        assert draft.content[kind][0]["rule"] == entries[0].rule.name


def test_a_published_circular_cannot_be_published_again_or_changed(world, w47, draft):
    from zhenxing.assessment.circulars import (
        CircularConflict,
        CircularError,
        circular_create,
        circular_publish,
        circular_update,
    )
    from zhenxing.notify.models import Notification

    other = circular_create(period=w47.period, scope=world.root, actor=world.admin)
    circular_publish(circular=draft, actor=world.admin)
    notes = Notification.objects.count()
    with pytest.raises(CircularConflict):
        circular_publish(circular=draft, actor=world.admin)
    # One published circular per period and scope: the other draft may not follow.
    with pytest.raises(CircularConflict):
        circular_publish(circular=other, actor=world.admin)
    with pytest.raises(CircularError):
        circular_create(period=w47.period, scope=world.root, actor=world.admin)
    with pytest.raises(CircularConflict):
        circular_update(
            circular=draft,
            actor=world.admin,
            number=draft.number,
            title="改",
            issuing_body=draft.issuing_body,
            issue_date=draft.issue_date,
            narrative="改",
        )
    draft.refresh_from_db()
    other.refresh_from_db()
    assert draft.title != "改" and other.status == "draft"
    assert Notification.objects.count() == notes


def test_publish_with_a_stale_version_changes_nothing(world, w47, draft):
    from zhenxing.assessment.circulars import CircularConflict, circular_publish
    from zhenxing.inspections.models import Inspection
    from zhenxing.notify.models import Notification

    with pytest.raises(CircularConflict):
        circular_publish(circular=draft, actor=world.admin, expected_version=draft.version - 1)
    draft.refresh_from_db()
    w47.period.refresh_from_db()
    assert draft.status == "draft" and not w47.period.is_closed
    assert not Inspection.objects.filter(released_at__isnull=False).exists()
    assert not Notification.objects.filter(kind="circular_published").exists()


def test_publish_before_the_period_ends_is_refused(world, w47):
    from zhenxing.assessment.circulars import CircularError, circular_create, circular_publish
    from zhenxing.assessment.models import Period
    from zhenxing.inspections.models import Inspection

    week48 = Period.objects.create(
        kind="week", start=datetime.date(2026, 11, 23), end=datetime.date(2026, 11, 30)
    )
    circular = circular_create(period=week48, scope=world.root, actor=world.admin)
    with pytest.raises(CircularError):
        circular_publish(circular=circular, actor=world.admin)
    week48.refresh_from_db()
    assert not week48.is_closed
    assert Inspection.objects.get(pk=w47.insp_next.pk).released_at is None


def test_only_the_office_publishes(world, draft):
    from zhenxing.assessment.circulars import circular_publish

    with pytest.raises(PermissionDenied):
        circular_publish(circular=draft, actor=world.secretary_a)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_publish_of_an_already_closed_period_keeps_its_snapshot(world, w47, draft):
    from zhenxing.assessment.circulars import circular_publish
    from zhenxing.assessment.models import ScoreSnapshot
    from zhenxing.assessment.services import period_close

    period_close(period=w47.period, actor=world.admin)
    snapshots = set(ScoreSnapshot.objects.values_list("pk", flat=True))
    circular_publish(circular=draft, actor=world.admin)
    assert set(ScoreSnapshot.objects.values_list("pk", flat=True)) == snapshots
    composites = {
        s.unit_key: float(s.composite) for s in ScoreSnapshot.objects.filter(unit_kind="community")
    }
    assert {r["unit_key"]: r["composite"] for r in draft.content["ranking"]} == composites
