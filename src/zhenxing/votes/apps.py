from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    name = "zhenxing.votes"
    label = "votes"
    verbose_name = _("Votes")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.votes.permissions import sees_sessions, sees_voting_bodies

        register(NavItem("charters", _("Voting sessions"), "votes:sessions", sees_sessions, 20))
        register(NavItem("charters", _("Voting bodies"), "votes:bodies", sees_voting_bodies, 30))
