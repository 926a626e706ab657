from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "zhenxing.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The escalation job registers itself with the periodic scheduler on
        # import; the worker must see it, and cases' own AppConfig is not ours.
        import zhenxing.cases.tasks  # noqa: F401
        from zhenxing.notify import checks  # noqa: F401  (registers notify.E001)
