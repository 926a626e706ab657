from django.core.checks import Error, register


@register()
def bootstrap_assets_installed(app_configs, **kwargs):
    try:
        import xstatic.pkg.bootstrap  # noqa: F401
    except ImportError:
        return [
            Error(
                "Bootstrap's XStatic package is not installed",
                hint="Run `make install`; it installs xstatic-bootstrap from PyPI.",
                id="zhenxing.E001",
            )
        ]
    return []
