from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "zhenxing.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # Imported for its side effect: the escalation job registers itself
        # with the periodic scheduler, which the worker runs.
        import zhenxing.cases.tasks  # noqa: F401
        from zhenxing.cases.permissions import can_report, sees_escalations
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import has_any_role

        # 督导整改: my queue first (what waits for me), then the lists and reference data.
        register(NavItem("cases", _("My queue"), "cases:queue", order=10))
        register(NavItem("cases", _("Report a problem"), "cases:new", can_report, order=20))
        register(NavItem("cases", _("Cases"), "cases:list", has_any_role, order=30))
        register(NavItem("cases", _("Case map"), "cases:map", has_any_role, order=40))
        register(NavItem("cases", _("Escalations"), "cases:escalations", sees_escalations, 50))
        register(NavItem("cases", _("Categories"), "cases:categories", has_any_role, order=60))
