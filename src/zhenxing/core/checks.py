from django.conf import settings
from django.core.checks import Error, register


@register()
def bootstrap_assets_installed(app_configs, **kwargs):
    if not (settings.BOOTSTRAP_DIR / "css" / "bootstrap.min.css").exists():
        return [
            Error(
                f"Bootstrap's files are missing from {settings.BOOTSTRAP_DIR}",
                hint="Run `make install`; it installs xstatic-bootstrap from PyPI.",
                id="zhenxing.E001",
            )
        ]
    return []
