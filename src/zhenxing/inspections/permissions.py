"""Who may plan, score and see inspections — and the covert-results embargo (暗检).

- Rounds (the plan: which areas, which day) are seen only by office admins
  who administer the round's scope and by the round's own inspectors. A
  community that could see the plan could tidy up before the visit.
- Results (scores, findings, their photos) of an area are seen:
  - always by office admins who administer the area, and by inspectors whose
    scope covers it (the standing team checks each other's work);
  - by everyone else whose scope covers the area (the community's secretary,
    its teams, department staff) only once `released_at` is set, which
    happens when the circular covering the inspection's day is published.
  Until then the community sees nothing: not the score, not the findings,
  not that the inspection exists.
- A case opened from a finding is an ordinary case: the community must see it
  to rectify it. Its source says "inspection", but it links to no score.
- Scoring: the inspector the inspection is assigned to, or, when none is, any
  inspector of the round; only while it is pending and its round is planned.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.inspections.models import (
    Inspection,
    InspectionRound,
    InspectionStatus,
    InspectionTemplate,
    RoundStatus,
)
from zhenxing.people.models import Role
from zhenxing.people.scopes import (
    ALL,
    has_role,
    is_office_admin,
    office_admin_paths,
    role_regions,
    scope_paths,
)
from zhenxing.territory.selectors import path_prefix_q


def _inspector_paths(user: Any) -> list[str]:
    return [r.path for r in role_regions(user, Role.INSPECTOR)]


def is_inspector(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and has_role(user, Role.INSPECTOR)


def can_plan_rounds(user: Any) -> bool:
    """Plan, change and cancel rounds: the office."""
    return is_office_admin(user)


def sees_rounds(user: Any) -> bool:
    return is_office_admin(user) or is_inspector(user)


def rounds_visible_to(user: Any) -> Any:
    """The rounds a user may see: those they plan (office) or walk (inspectors)."""
    if not getattr(user, "is_authenticated", False):
        return InspectionRound.objects.none()
    admin = office_admin_paths(user)
    if admin is ALL:
        return InspectionRound.objects.all()
    q = Q(inspectors=user)
    if admin:
        q |= path_prefix_q(admin, "scope__path")
    # `inspectors=user` joins the many-to-many table: distinct keeps one row per round.
    return InspectionRound.objects.filter(q).distinct()


def get_round_for_user(user: Any, pk: int) -> InspectionRound:
    return get_visible_or_404(
        lambda u: rounds_visible_to(u).select_related("scope", "planned_by"), user, pk=pk
    )


def can_change_round(user: Any, round_: InspectionRound) -> bool:
    """Cancel a round, change its inspectors: an office admin of its scope, while planned."""
    paths = office_admin_paths(user)
    return (
        round_.status == RoundStatus.PLANNED
        and getattr(user, "is_authenticated", False)
        and (paths is ALL or any(round_.scope.path.startswith(p) for p in paths))
    )


def results_unrestricted_paths(user: Any) -> list[str] | None:
    """Paths where the user sees results before release: office admin and inspector roles."""
    admin = office_admin_paths(user)
    if admin is ALL:
        return ALL
    return [*admin, *_inspector_paths(user)]


def sees_all_results(user: Any) -> bool:
    """Sees every result before release, over the whole territory.

    Figures that mix every unit (rankings, red and black lists, trends)
    may be shown before release only to such a user: an office admin or an
    inspector of one community would otherwise read the other communities'
    embargoed scores in them.
    """
    early = results_unrestricted_paths(user)
    if early is ALL:
        return True
    if not early:
        return False
    from zhenxing.territory.models import Region

    roots = Region.objects.filter(parent__isnull=True).values_list("path", flat=True)
    return all(any(root.startswith(p) for p in early) for root in roots)


def inspections_visible_to(user: Any) -> Any:
    """The inspections (with their results) a user may see; the embargo lives here.

    A pending inspection is part of a round's plan: before it is scored only
    those who may see its round (`rounds_visible_to`) see it, not every
    inspector or admin over the area.
    """
    if not getattr(user, "is_authenticated", False):
        return Inspection.objects.none()
    early = results_unrestricted_paths(user)
    if early is ALL:
        return Inspection.objects.all()
    read = scope_paths(user)
    q = Q(pk__in=[])
    if early:
        q |= path_prefix_q(early, "area_path") & (
            ~Q(status=InspectionStatus.PENDING) | Q(round__in=rounds_visible_to(user).values("pk"))
        )
    if read is ALL or read:
        q |= Q(released_at__isnull=False) & path_prefix_q(read, "area_path")
    return Inspection.objects.filter(q)


def get_inspection_for_user(user: Any, pk: int) -> Inspection:
    return get_visible_or_404(
        lambda u: inspections_visible_to(u).select_related(
            "round", "area", "template", "inspector"
        ),
        user,
        pk=pk,
    )


def week_closed_on(day: Any) -> bool:
    """The assessment week holding `day` is closed (its figures are final, its circular may be out).

    A score given after that would change nothing in the closed figures and
    would hide the published week from the communities again, so it is refused.
    """
    from zhenxing.assessment.models import Period, PeriodKind
    from zhenxing.assessment.periods import span

    start, _end = span(PeriodKind.WEEK, day)
    return Period.objects.filter(
        kind=PeriodKind.WEEK, start=start, closed_at__isnull=False
    ).exists()


def can_score(user: Any, inspection: Inspection) -> bool:
    """Submit the score of a pending inspection of a planned round, in a week still open."""
    if not is_inspector(user) or inspection.status != InspectionStatus.PENDING:
        return False
    if inspection.round.status != RoundStatus.PLANNED:
        return False
    if week_closed_on(inspection.date):
        return False
    if inspection.inspector_id is not None:
        return inspection.inspector_id == user.pk
    return inspection.round.inspectors.filter(pk=user.pk).exists()


def can_void(user: Any, inspection: Inspection) -> bool:
    """Void a score (with a reason) before it is released: an office admin of the area."""
    paths = office_admin_paths(user)
    return (
        inspection.status == InspectionStatus.SUBMITTED
        and inspection.released_at is None
        and getattr(user, "is_authenticated", False)
        and (paths is ALL or any(inspection.area_path.startswith(p) for p in paths))
    )


def can_open_case(user: Any, inspection: Inspection) -> bool:
    """Open a case from a finding: the inspector who scored it, or an office admin of the area."""
    if inspection.status != InspectionStatus.SUBMITTED:
        return False
    if is_inspector(user) and inspection.inspector_id == user.pk:
        return True
    paths = office_admin_paths(user)
    return getattr(user, "is_authenticated", False) and (
        paths is ALL or any(inspection.area_path.startswith(p) for p in paths)
    )


def can_manage_templates(user: Any) -> bool:
    """Write checklists (new versions, activation): an office admin of the whole territory."""
    from zhenxing.people.scopes import administers_whole_territory

    return administers_whole_territory(user)


def templates_visible_to(user: Any) -> Any:
    """Checklists are no secret: every user of the platform may read them."""
    return InspectionTemplate.objects.all()
