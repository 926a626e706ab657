"""`zhenxing seed-demo --scale N`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape
from shapely.ops import unary_union

from zhenxing.cases.models import Case
from zhenxing.demo.progress import ProgressBar
from zhenxing.people.models import PartyMember, PartyOrganization, User, WorkTeam
from zhenxing.territory.models import Region


@pytest.fixture(autouse=True)
def _small_history(monkeypatch):
    """The command makes the three-year history by default: a small one here."""
    from zhenxing.demo import history

    monkeypatch.setattr(history, "CASES_PER_YEAR", 20)
    monkeypatch.setattr(history, "AREAS_PER_ROUND", 1)


def _seed(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_scale_two_then_refuse_then_reset(db):
    out, err = _seed("--scale", "2", "--password", "seed-pass")

    roots = Region.objects.filter(depth=1).order_by("code")
    assert [r.code for r in roots] == ["GC", "ZS002"]
    assert Region.objects.filter(depth=4).count() == 346
    assert Region.objects.filter(depth=2).count() == 44
    assert Region.objects.filter(path__startswith="ZS002/", depth=3).count() == 105
    assert PartyMember.objects.count() == 2 * 1701
    assert WorkTeam.objects.count() == 44
    assert PartyOrganization.objects.filter(path__startswith="P-ZS002/").count() >= 100
    assert "100% territory" in err and "\r" in err
    assert "100% history cases" in err and "100% inspections" in err
    assert "ZS002" in out
    # The elapsed time, by step, and the rows the database now holds.
    assert "Time by step: " in out and "history cases " in out
    assert f"cases {Case.objects.count():,}" in out

    # The copies lie side by side: no area of one overlaps any area of the other.
    areas = [shape(g) for g in Region.objects.filter(depth=4).values_list("geometry", flat=True)]
    assert all(a.is_valid for a in areas)
    assert abs(sum(a.area for a in areas) - unary_union(areas).area) < 1e-12
    gc, zs = (shape(r.geometry) for r in roots)
    assert gc.intersection(zs).area == 0
    for area in Region.objects.filter(path__startswith="ZS002/", depth=4)[:20]:
        assert zs.buffer(1e-9).contains(shape(area.geometry))

    admin_pk = User.objects.get(username="admin").pk
    old_copy_pk = Region.objects.get(code="ZS002").pk

    with pytest.raises(CommandError, match="--reset"):
        _seed("--scale", "2")
    assert Region.objects.filter(depth=4).count() == 346

    _seed("--scale", "2", "--reset")
    assert Region.objects.filter(depth=4).count() == 346
    assert Region.objects.get(code="ZS002").pk != old_copy_pk  # made afresh
    assert Region.objects.filter(code="GC").exists()  # the demo is kept as it was
    assert User.objects.get(username="admin").pk == admin_pk
    assert PartyMember.objects.count() == 2 * 1701

    _seed("--scale", "1", "--reset")
    assert list(Region.objects.filter(depth=1).values_list("code", flat=True)) == ["GC"]
    assert Region.objects.filter(depth=4).count() == 173
    assert PartyMember.objects.count() == 1701
    assert PartyOrganization.objects.filter(path__startswith="P-ZS").count() == 0


def test_scale_one_is_the_demo(db):
    from zhenxing.demo import history
    from zhenxing.demo.guicheng import demo_counts

    _seed("--no-history")
    assert not history.has_history()
    assert list(Region.objects.filter(depth=1).values_list("code", flat=True)) == ["GC"]
    assert demo_counts()["片区"] == 173
    assert User.objects.filter(username="secretary").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "between 1 and 999"),
        ("-1", "between 1 and 999"),
        ("1000", "between 1 and 999"),
        ("x", "whole number"),
        ("2.5", "whole number"),
    ],
)
def test_bad_scale_is_refused(db, value, message):
    with pytest.raises(CommandError, match=message):
        _seed("--scale", value)
    # Passed as a keyword (as other code would), the same check applies.
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", scale=value, stdout=StringIO(), stderr=StringIO())
    assert not Region.objects.exists()


def test_progress_bar_redraws_in_place():
    stream = StringIO()
    bar = ProgressBar(stream, total=200, label="areas")
    for _ in range(200):
        bar.advance()
    bar.finish()
    text = stream.getvalue()
    assert text.count("\r") == 102  # 0%..100% once each, then the final line
    assert "[###############...............]  50% areas" in text
    assert text.endswith("[##############################] 100% areas\n")
