"""Who may see and run votes (ARCHITECTURE.md habit 3).

A session's roll holds personal data (names, households, shares, mobiles),
so sessions are seen only by those who run them, the office and the
secretary of the body's community, and by the session's own tellers, who
enter and confirm paper ballots. Everyone else gets 404. Electors vote on a
phone with a one-time code and no login; anyone reads a closed session's
published result and ballot chain on its public page.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhenxing.core.permissions import get_visible_or_404
from zhenxing.people.permissions import can_manage_members_in, manage_paths
from zhenxing.people.scopes import ALL
from zhenxing.territory.models import Region
from zhenxing.territory.selectors import path_prefix_q
from zhenxing.votes.models import VotingBody, VotingSession


def bodies_visible_to(user: Any) -> QuerySet[VotingBody]:
    paths = manage_paths(user)
    bodies = VotingBody.objects.all()
    return bodies if paths is ALL else bodies.filter(path_prefix_q(paths, "region__path"))


def sessions_visible_to(user: Any) -> QuerySet[VotingSession]:
    if not getattr(user, "is_authenticated", False):
        return VotingSession.objects.none()
    paths = manage_paths(user)
    sessions = VotingSession.objects.all()
    if paths is ALL:
        return sessions
    managed = path_prefix_q(paths, "body__region__path") if paths else Q(pk__in=[])
    return sessions.filter(managed | Q(tellers=user)).distinct()


def get_body_for_user(user: Any, pk: Any) -> VotingBody:
    return get_visible_or_404(lambda u: bodies_visible_to(u).select_related("region"), user, pk=pk)


def get_session_for_user(user: Any, pk: Any) -> VotingSession:
    return get_visible_or_404(
        lambda u: sessions_visible_to(u).select_related("body", "body__region"), user, pk=pk
    )


def can_manage_votes_in(user: Any, region: Region) -> bool:
    """Create bodies and sessions, import rolls, open and close: office and secretary."""
    return can_manage_members_in(user, region)


def can_manage_session(user: Any, session: VotingSession) -> bool:
    return can_manage_votes_in(user, session.body.region)


def is_teller(user: Any, session: VotingSession) -> bool:
    return getattr(user, "is_authenticated", False) and session.tellers.filter(pk=user.pk).exists()


def sees_voting_bodies(user: Any) -> bool:
    paths = manage_paths(user)
    return paths is ALL or bool(paths)


def sees_sessions(user: Any) -> bool:
    return sees_voting_bodies(user) or (
        getattr(user, "is_authenticated", False)
        and VotingSession.objects.filter(tellers=user).exists()
    )
