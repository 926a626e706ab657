"""Public voting pages (no login): casting with a one-time code, a closed session's result
and its ballot chain.

Casting takes three steps on one address, each a POST that carries the code
again: the code (checked), the ballot (every motion still open to the
elector, one radio group each), the confirmation ("you are voting: …"); the
last step casts, and the thank-you page shows each ballot's sequence number
and hash, which the voter can find later in the published chain. A code is a
secret that opens a ballot, so wrong codes are limited per client network,
counted before the lookup and given back on a hit (as the tracking codes of
public.reporting are): a guesser refused for misses is refused for a hit too.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from zhenxing.core import ratelimit
from zhenxing.core.middleware import client_ip
from zhenxing.core.privacy import mask_name
from zhenxing.core.ratelimit import Limit
from zhenxing.votes import chain as ballot_chain
from zhenxing.votes.ballots import VoteError, find_code, motions_open_to, phone_cast, usable_code
from zhenxing.votes.codes import code_hash
from zhenxing.votes.forms_ballots import BallotForm, CodeForm
from zhenxing.votes.models import OneTimeCode, SessionStatus, VotingSession
from zhenxing.votes.results import shares_text

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,16}")
MISS_SCOPE = "vote-code-miss"
# A whole meeting may vote from one hall's network, so typos of hundreds share the
# allowance (settings.ZHENXING_VOTE_CODE_MISSES_PER_HOUR, 60 by default); 31^10
# codes keep guessing hopeless even so.
# The receipts this browser was shown, by code: a retry on a weak signal after the
# ballots went in shows them again instead of "this code was used".
RECEIPTS_SESSION_KEY = "votes_receipts"
RECEIPTS_REMEMBERED = 5


def _minutes(seconds: int) -> int:
    return max(1, (seconds + 59) // 60)


def _miss_limits() -> list[Limit]:
    per_hour = settings.ZHENXING_VOTE_CODE_MISSES_PER_HOUR
    return [Limit(per_hour, datetime.timedelta(hours=1))]


def _cast_page(
    request: HttpRequest,
    step: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    refusal: tuple[str, str] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    response = render(
        request,
        "votes/public_cast.html",
        {
            "step": step,
            "refusal_code": refusal[0] if refusal else "",
            "refusal": refusal[1] if refusal else "",
            **context,
        },
        status=status,
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    # The pages carry the code: never kept by a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return response


def _code_step(
    request: HttpRequest,
    form: CodeForm | None = None,
    *,
    status: int = 200,
    refusal: tuple[str, str] | None = None,
    retry_after: int | None = None,
) -> HttpResponse:
    return _cast_page(
        request,
        "code",
        {"form": form or CodeForm()},
        status=status,
        refusal=refusal,
        retry_after=retry_after,
    )


def _receipt_key(code: str) -> str:
    return code_hash(code)[:32]


def _remember(request: HttpRequest, code: str, receipt: dict[str, Any]) -> None:
    kept = dict(request.session.get(RECEIPTS_SESSION_KEY, {}))
    kept[_receipt_key(code)] = receipt
    request.session[RECEIPTS_SESSION_KEY] = dict(list(kept.items())[-RECEIPTS_REMEMBERED:])


def _remembered(request: HttpRequest, code: str) -> dict[str, Any] | None:
    return request.session.get(RECEIPTS_SESSION_KEY, {}).get(_receipt_key(code))


def _lookup(request: HttpRequest, code: str) -> tuple[OneTimeCode | None, HttpResponse | None]:
    """The code's row within the client's allowance of wrong codes, or the refusal page."""
    now = timezone.now()
    client = ratelimit.network_of(request)
    limits = _miss_limits()
    verdict = ratelimit.consume(scope=MISS_SCOPE, client=client, limits=limits, now=now)
    if not verdict.allowed:
        return None, _code_step(
            request,
            CodeForm(initial={"code": code}),
            status=429,
            refusal=(
                "limited",
                _(
                    "Too many wrong codes were tried from your network. "
                    "Try again in %(minutes)d minutes."
                )
                % {"minutes": _minutes(verdict.retry_after)},
            ),
            retry_after=verdict.retry_after,
        )
    found = find_code(code)
    if found is None:
        return None, _code_step(
            request,
            CodeForm(initial={"code": code}),
            status=404,
            refusal=("unknown", _("There is no such code. Check it against your slip.")),
        )
    ratelimit.refund(scope=MISS_SCOPE, client=client, limits=limits, now=now)
    return found, None


def _receipt(ballots: list[Any], session: VotingSession) -> dict[str, Any]:
    return {
        "title": session.title,
        "token": session.public_token,
        "ballots": [
            {
                "seq": b.seq,
                "motion": f"{b.motion.number}. {b.motion.title}",
                "option": b.option.label,
                "hash": b.hash,
            }
            for b in ballots
        ],
    }


def _done(request: HttpRequest, receipt: dict[str, Any]) -> HttpResponse:
    return _cast_page(request, "done", {"receipt": receipt})


@never_cache
@require_http_methods(["GET", "POST"])
def cast(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _code_step(request)
    step = request.POST.get("step")
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _code_step(request, form, status=400)
    code = form.cleaned_data["code"]
    found, refused = _lookup(request, code)
    if refused is not None:
        return refused
    assert found is not None
    if found.used_at is not None and (receipt := _remembered(request, code)):
        return _done(request, receipt)
    try:
        usable_code(found)
    except VoteError as error:
        return _code_step(request, form, status=400, refusal=(error.code, error.message))
    motions = motions_open_to(found.elector)
    if not motions:
        return _code_step(
            request,
            form,
            status=400,
            refusal=(
                "nothing",
                _("Your ballot on every motion is in already (on paper or by phone)."),
            ),
        )
    context = {
        "code": code,
        "session": found.session,
        "voter": mask_name(found.elector.name),
        "motions": motions,
    }
    if step in (None, "", "code"):
        return _cast_page(request, "ballot", {**context, "ballot": BallotForm(motions)})
    ballot = BallotForm(motions, request.POST)
    if step == "edit":
        # Back from the confirmation to change a choice: the choices made stay ticked.
        return _cast_page(request, "ballot", {**context, "ballot": ballot})
    if not ballot.is_valid():
        return _cast_page(request, "ballot", {**context, "ballot": ballot}, status=400)
    choices = ballot.choices()
    if step == "review":
        return _cast_page(
            request, "review", {**context, "ballot": ballot, "choices": list(choices.items())}
        )
    if step != "cast":
        return _code_step(request, form, status=400)
    try:
        ballots = phone_cast(code=code, choices=choices, client=client_ip(request))
    except VoteError as error:
        return _cast_page(
            request,
            "ballot",
            {**context, "ballot": ballot},
            status=400,
            refusal=(error.code, error.message),
        )
    receipt = _receipt(ballots, found.session)
    _remember(request, code, receipt)
    return _done(request, receipt)


# --- a closed session's published result -----------------------------------------------------


def _closed_session(token: str) -> VotingSession:
    if not TOKEN_RE.fullmatch(token):
        raise Http404
    session = (
        VotingSession.objects.select_related("body", "body__region", "result")
        .filter(public_token=token, status=SessionStatus.CLOSED, result__isnull=False)
        .first()
    )
    if session is None:
        raise Http404
    return session


def _motion_rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for motion in figures.get("motions") or []:
        options = [
            {**option, "shares_text": shares_text(option.get("shares"))}
            for option in motion.get("options") or []
        ]
        rows.append({**motion, "options": options})
    return rows


@require_GET
def result(request: HttpRequest, token: str) -> HttpResponse:
    session = _closed_session(token)
    published = session.result
    figures = published.figures if isinstance(published.figures, dict) else {}
    return render(
        request,
        "votes/public_result.html",
        {
            "session": session,
            "published": published,
            "figures": figures,
            "motions": _motion_rows(figures),
            "roll": figures.get("roll") or {},
            "present": figures.get("present") or {},
            "turnout": (figures.get("turnout") or {}).get("headcount"),
            "quorum": figures.get("quorum") or {},
            "text_tag": ballot_chain.TEXT_TAG,
            "genesis": ballot_chain.GENESIS,
        },
    )


@require_GET
def chain(request: HttpRequest, token: str) -> HttpResponse:
    session = _closed_session(token)
    response = JsonResponse(
        ballot_chain.export(session), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Content-Disposition"] = f'inline; filename="chain-{session.public_token}.json"'
    return response
