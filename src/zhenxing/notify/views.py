"""The in-app inbox: each user sees, opens and clears only their own notifications."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from zhenxing.core.listing import paginate
from zhenxing.notify import services
from zhenxing.notify.models import Notification


@require_GET
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    rows = Notification.objects.filter(user=request.user).only(
        "pk", "text", "url", "kind", "created_at", "read_at"
    )
    context = paginate(request, rows)
    context["unread"] = services.unread_count(request.user)
    return render(request, "notify/inbox.html", context)


def _same_site(url: str) -> bool:
    # Only a path on this site: a stored link must never send anyone elsewhere.
    return (
        url.startswith("/")
        and not url.startswith("//")
        and "\\" not in url
        and url_has_allowed_host_and_scheme(url, allowed_hosts=None)
    )


@require_POST
@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the notification read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    services.mark_read(notification=notification)
    if notification.url and _same_site(notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect("notify:inbox")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_all_read(user=request.user)
    return redirect("notify:inbox")
