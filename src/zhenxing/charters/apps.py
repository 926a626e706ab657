from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChartersConfig(AppConfig):
    name = "zhenxing.charters"
    label = "charters"
    verbose_name = _("Residents' charters")

    def ready(self) -> None:
        from zhenxing.charters.permissions import sees_charters
        from zhenxing.core.navigation import NavItem, register

        register(NavItem("charters", _("Charters"), "charters:list", sees_charters, 10))
