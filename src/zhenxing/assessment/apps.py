from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "zhenxing.assessment"
    label = "assessment"
    verbose_name = _("Assessment")

    def ready(self) -> None:
        from zhenxing.assessment.permissions import can_manage_periods
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import has_any_role

        register(NavItem("inspect", _("Rankings"), "assessment:ranking", has_any_role, 30))
        register(NavItem("inspect", _("Red and black lists"), "assessment:lists", has_any_role, 40))
        register(NavItem("inspect", _("Weekly circulars"), "circulars:list", has_any_role, 50))
        register(NavItem("inspect", _("Periods"), "assessment:periods", can_manage_periods, 60))
