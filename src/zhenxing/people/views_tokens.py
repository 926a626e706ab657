"""Pages for a user's own API tokens: list, make (shown once), revoke.

Each user sees and manages only their own tokens; anyone else's is a 404.
The plain token appears in exactly one response, the one that made it, which
is marked not to be stored by the browser or any cache.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from zhenxing.core.permissions import require
from zhenxing.people.forms import StyledForm
from zhenxing.people.models import ApiToken
from zhenxing.people.scopes import has_any_role
from zhenxing.people.tokens import TOKEN_PREFIX, TokenError, token_create, token_revoke

EXPIRY_CHOICES = [
    ("30", gettext_lazy("30 days")),
    ("90", gettext_lazy("90 days")),
    ("365", gettext_lazy("One year")),
    ("never", gettext_lazy("Never")),
]


class TokenForm(StyledForm):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=60,
        help_text=gettext_lazy("Where the token is used, e.g. “patrol app on my phone”."),
    )
    expires = forms.ChoiceField(
        label=gettext_lazy("Expires after"), choices=EXPIRY_CHOICES, initial="90"
    )

    def expires_at(self) -> datetime.datetime | None:
        value = self.cleaned_data["expires"]
        if value == "never":
            return None
        return timezone.now() + datetime.timedelta(days=int(value))


def _own_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")


def _status(token: ApiToken, now: datetime.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


@require_http_methods(["GET", "POST"])
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    """GET lists my tokens with a form for a new one; POST makes it and shows it once."""
    require(has_any_role(request.user))
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, plain = token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    actor=request.user,
                    expires_at=form.expires_at(),
                )
            except TokenError as exc:
                form.add_error(None, str(exc))
            else:
                response = render(
                    request, "people/token_created.html", {"token": token, "plain": plain}
                )
                # The one response holding the secret: never kept, never replayed.
                add_never_cache_headers(response)  # includes no-store
                return response
        status = 400
    now = timezone.now()
    tokens = [(t, _status(t, now)) for t in _own_tokens(request)]
    return render(
        request,
        "people/token_list.html",
        {"form": form, "tokens": tokens, "token_prefix": TOKEN_PREFIX},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and says what will happen; POST revokes."""
    token = _own_tokens(request).filter(pk=pk).select_related("user").first()
    if token is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            token_revoke(token=token, actor=request.user)
        except TokenError as exc:
            error = str(exc)
        else:
            messages.success(request, _("Token revoked: %(name)s.") % {"name": token.name})
            return redirect("people:tokens")
    return render(
        request,
        "people/token_revoke.html",
        {"token": token, "error": error, "token_prefix": TOKEN_PREFIX},
        status=400 if error else 200,
    )
