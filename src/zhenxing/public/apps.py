from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    name = "zhenxing.public"
    label = "public"
    verbose_name = _("Exposure board")

    def ready(self) -> None:
        from zhenxing.core.navigation import NavItem, register
        from zhenxing.people.scopes import is_office_admin

        # 曝光台: what the office publishes, then the board as residents see it.
        register(NavItem("public", _("Publishing"), "public:manage", is_office_admin, 10))
        register(NavItem("public", _("Public board"), "public:board", is_office_admin, 20))
