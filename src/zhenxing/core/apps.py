from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "zhenxing.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from zhenxing.core import checks, signals  # noqa: F401  (registers handlers)
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import administers_whole_territory

        register(
            NavItem("system", _("Audit log"), "audit:list", administers_whole_territory, order=90)
        )
