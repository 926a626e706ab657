from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TerritoryConfig(AppConfig):
    name = "zhenxing.territory"
    label = "territory"
    verbose_name = _("Territory")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import is_office_admin, scope_paths

        register(
            NavItem(
                group="system",
                label=_("Territory"),
                url_name="territory:browser",
                # [] is "no part of the territory"; None is all of it.
                visible=lambda user: user.is_authenticated and scope_paths(user) != [],
                order=10,
            )
        )
        register(
            NavItem(
                group="system",
                label=_("Import territory"),
                url_name="territory:import",
                visible=is_office_admin,
                order=11,
            )
        )
