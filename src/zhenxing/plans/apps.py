from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "zhenxing.plans"
    label = "plans"
    verbose_name = _("Battle map and plan")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import has_any_role
        from zhenxing.plans.permissions import sees_today_board

        # 一图一表: the map first, then the table, today's board and the campaigns.
        register(NavItem("plan", _("Battle map"), "plans:map", has_any_role, 10))
        register(NavItem("plan", _("Progress plan"), "plans:table", has_any_role, 20))
        register(NavItem("plan", _("Today's board"), "plans:today", sees_today_board, 30))
        register(NavItem("plan", _("Campaigns"), "plans:campaigns", has_any_role, 40))
