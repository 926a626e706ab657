from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "zhenxing.inspections"
    label = "inspections"
    verbose_name = _("Inspections")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.inspections.permissions import can_plan_rounds, is_inspector, sees_rounds
        from zhenxing.people.scopes import has_any_role

        # 一检一报: the inspector's own list first, then the planner and the checklists.
        register(NavItem("inspect", _("My inspections"), "inspections:mine", is_inspector, 10))
        register(NavItem("inspect", _("Inspection rounds"), "inspections:rounds", sees_rounds, 20))
        register(NavItem("inspect", _("Plan a round"), "inspections:plan", can_plan_rounds, 25))
        # Secretaries reach their released results here (they never see the rounds).
        register(
            NavItem("inspect", _("Inspection results"), "inspections:results", has_any_role, 28)
        )
        register(NavItem("inspect", _("Checklists"), "inspections:templates", has_any_role, 70))
