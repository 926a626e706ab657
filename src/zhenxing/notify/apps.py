from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "zhenxing.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from zhenxing.notify import checks  # noqa: F401  (registers notify.E001)
