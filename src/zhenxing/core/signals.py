"""Logins, logouts and failed logins are audited: they are changes to who is acting."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from zhenxing.core import audit
from zhenxing.core.middleware import client_ip


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    audit.record(actor=user, action="auth.login", obj=user, ip=client_ip(request))


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit.record(actor=user, action="auth.logout", obj=user, ip=client_ip(request))


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # The attempted identifier is kept (it is what an investigator needs);
    # the password never reaches this signal unmasked.
    audit.record(
        actor=None,
        action="auth.login_failed",
        summary=str(credentials.get("username", ""))[:100],
        ip=client_ip(request) if request is not None else None,
    )
