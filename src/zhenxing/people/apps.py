from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "zhenxing.people"
    label = "people"
    verbose_name = _("People")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.permissions import sees_departments, sees_rosters, sees_teams
        from zhenxing.people.scopes import has_any_role, is_office_admin

        register(NavItem("party", _("Party members"), "people:members", sees_rosters, order=10))
        register(
            NavItem("party", _("Party organisations"), "people:organizations", sees_rosters, 20)
        )
        register(NavItem("system", _("Work teams"), "people:teams", sees_teams, order=10))
        register(
            NavItem("system", _("Departments"), "people:departments", sees_departments, order=20)
        )
        register(NavItem("system", _("Users and roles"), "people:users", is_office_admin, 30))
        register(NavItem("system", _("API tokens"), "people:tokens", has_any_role, 90))
