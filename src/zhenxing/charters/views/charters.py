"""Staff pages for residents' charters: list, charter, version, text editor, topics,
publishing for comment, comments and replies, new versions, the diff, filing, the DOCX.

Reads go through `charters.permissions` (404 outside scope); writes through
`charters.services` (views never save a model); a user who sees a charter but
may not change it gets 403.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenxing.charters import services
from zhenxing.charters.diff import diff_versions
from zhenxing.charters.documents import DOCX_TYPE, version_docx_bytes
from zhenxing.charters.forms import (
    CharterCreateForm,
    CharterFilterForm,
    CommentForm,
    FileForm,
    PublishForm,
    ReplyForm,
    VersionTextForm,
)
from zhenxing.charters.models import (
    Article,
    Chapter,
    CharterComment,
    CharterVersion,
    CommentSource,
    Topic,
    VersionStatus,
)
from zhenxing.charters.parse import chinese_numeral, render_text
from zhenxing.charters.permissions import (
    can_manage_charter,
    charters_visible_to,
    get_charter_for_user,
    get_version_for_user,
    may_manage_charters,
    sees_charters,
    versions_visible_to,
)
from zhenxing.core.listing import paginate
from zhenxing.core.permissions import page_or_404, require

IN_FORCE = (VersionStatus.ADOPTED, VersionStatus.FILED)
_PK = re.compile(r"^[0-9]{1,9}$")


def _pk_or_404(value: str | None) -> int:
    if value is None or not _PK.match(value):
        raise Http404
    return int(value)


# --- list and charter ------------------------------------------------------------------


@require_GET
@login_required
def charter_list(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_charters(request.user))
    form = CharterFilterForm(request.user, request.GET or None)
    charters = form.apply(charters_visible_to(request.user)).order_by("region__path", "title")
    rows = charters.select_related("region").prefetch_related(
        Prefetch(
            "versions",
            queryset=CharterVersion.objects.order_by("-number").only(
                "pk",
                "charter_id",
                "number",
                "status",
                "adopted_on",
                "filed_on",
                "consultation_ends_on",
            ),
            to_attr="version_list",
        )
    )
    listing = paginate(request, rows)
    for charter in listing["page"].object_list:
        charter.in_force = next((v for v in charter.version_list if v.status in IN_FORCE), None)
        charter.in_works = next(
            (v for v in charter.version_list if v.status in services.IN_THE_WORKS), None
        )
        charter.latest = charter.version_list[0] if charter.version_list else None
    return render(
        request,
        "charters/charter_list.html",
        {"form": form, **listing, "may_manage": may_manage_charters(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def charter_create(request: HttpRequest) -> HttpResponse:
    page_or_404(sees_charters(request.user))
    require(may_manage_charters(request.user))
    form = CharterCreateForm(request.user, request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                charter = services.charter_create(
                    region=form.cleaned_data["region"],
                    title=form.cleaned_data["title"],
                    actor=request.user,
                )
            except services.CharterError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The charter was created. Write its first version."))
                version = charter.versions.get()
                return redirect("charters:version_edit", pk=version.pk)
        status = 400
    return render(request, "charters/charter_form.html", {"form": form}, status=status)


@require_GET
@login_required
def charter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    charter = get_charter_for_user(request.user, pk)
    versions = list(
        charter.versions.annotate(
            article_count=Count("chapters__articles", distinct=True),
            comment_count=Count("comments", distinct=True),
        ).order_by("-number")
    )
    return render(
        request,
        "charters/charter_detail.html",
        {
            "charter": charter,
            "versions": versions,
            "can_manage": can_manage_charter(request.user, charter),
            "in_works": next((v for v in versions if v.status in services.IN_THE_WORKS), None),
        },
    )


# --- a version ---------------------------------------------------------------------


def _chapters(version: CharterVersion, topic: Topic | None = None) -> list[Chapter]:
    """The version's chapters with their articles and topics (three queries)."""
    articles = Article.objects.order_by("number").prefetch_related("topics")
    if topic is not None:
        articles = articles.filter(topics=topic)
    chapters = list(
        Chapter.objects.filter(version=version)
        .order_by("number")
        .prefetch_related(Prefetch("articles", queryset=articles, to_attr="article_list"))
    )
    for chapter in chapters:
        chapter.numeral = chinese_numeral(chapter.number)
        for article in chapter.article_list:
            article.numeral = chinese_numeral(article.number)
            article.paragraphs = [p for p in article.text.splitlines() if p.strip()]
    if topic is not None:
        chapters = [c for c in chapters if c.article_list]
    return chapters


def _deciding_motions(user: Any, version: CharterVersion) -> list[Any]:
    """The motions that put this version to the vote, in sessions the viewer can see."""
    from zhenxing.votes.models import Motion
    from zhenxing.votes.permissions import sessions_visible_to

    return list(
        Motion.objects.filter(
            charter_version=version, session__in=sessions_visible_to(user).values("pk")
        )
        .select_related("session", "session__body")
        .order_by("-session__held_on", "-pk")
    )


@require_GET
@login_required
def version_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _version_page(request, get_version_for_user(request.user, pk))


def _version_page(
    request: HttpRequest, version: CharterVersion, *, status: int = 200, error: str = ""
) -> HttpResponse:
    topics = list(Topic.objects.all())
    code = request.GET.get("topic") or ""
    topic = next((t for t in topics if t.code == code), None)
    can_manage = can_manage_charter(request.user, version.charter)
    state = version.status
    context = {
        "version": version,
        "charter": version.charter,
        "chapters": _chapters(version, topic),
        "topics": topics,
        "topic": topic,
        "topic_code": code,
        "can_manage": can_manage,
        "comment_count": version.comments.count(),
        "motions": (
            _deciding_motions(request.user, version)
            if state in (VersionStatus.VOTING, VersionStatus.NOT_ADOPTED, *IN_FORCE)
            else []
        ),
        "public_url": (
            request.build_absolute_uri(
                reverse("charters_public:version", args=[version.public_token])
            )
            if state in services.PUBLIC_STATUSES
            else ""
        ),
        "comments_open": services.comments_open(version),
        "other_in_works": (
            version.charter.versions.filter(status__in=services.IN_THE_WORKS)
            .exclude(pk=version.pk)
            .exists()
            or state in services.IN_THE_WORKS
        ),
        "is_drafting": state == VersionStatus.DRAFTING,
        "is_consultation": state == VersionStatus.CONSULTATION,
        "is_adopted": state == VersionStatus.ADOPTED,
        "publish_form": PublishForm(
            initial={"ends_on": timezone.localdate() + datetime.timedelta(days=14)}
        ),
        "file_form": FileForm(initial={"filed_on": timezone.localdate()}),
        "error": error,
    }
    return render(request, "charters/version_detail.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def version_edit(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    if request.method == "GET" and version.status != VersionStatus.DRAFTING:
        messages.warning(
            request,
            _("Only a version in drafting can be edited. Start a new version to change the text."),
        )
        return redirect("charters:version", pk=version.pk)
    form = VersionTextForm(
        request.POST or None,
        initial={"text": render_text(version), "revision": version.revision},
    )
    problems: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                services.version_save_text(
                    version=version,
                    text=form.cleaned_data["text"],
                    revision=form.cleaned_data["revision"],
                    actor=request.user,
                )
            except services.CharterTextError as error:
                problems = error.problems
            except services.CharterError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The text was saved."))
                return redirect("charters:version", pk=version.pk)
        status = 400
    else:
        status = 200
    return render(
        request,
        "charters/version_edit.html",
        {"form": form, "version": version, "charter": version.charter, "problems": problems},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def version_topics(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    topics = list(Topic.objects.all())
    articles = list(
        Article.objects.filter(chapter__version=version)
        .select_related("chapter")
        .prefetch_related("topics")
        .order_by("number")
    )
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        codes = {t.code for t in topics}
        wanted: dict[int, list[str]] = {}
        for article in articles:
            chosen = request.POST.getlist(f"a{article.pk}")
            if any(c not in codes for c in chosen):
                errors.append(_("Choose topics from the list."))
                break
            wanted[article.pk] = chosen
        revision = request.POST.get("revision", "")
        if not errors:
            try:
                services.version_set_topics(
                    version=version,
                    topics=wanted,
                    actor=request.user,
                    revision=int(revision) if _PK.match(revision) else -1,
                )
            except services.CharterError as error:
                errors.append(str(error))
            else:
                messages.success(request, _("The topics were saved."))
                return redirect("charters:version", pk=version.pk)
        status = 400
    for article in articles:
        article.numeral = chinese_numeral(article.number)
        if request.method == "POST":
            article.codes = set(request.POST.getlist(f"a{article.pk}"))
        else:
            article.codes = {t.code for t in article.topics.all()}
    return render(
        request,
        "charters/version_topics.html",
        {
            "version": version,
            "charter": version.charter,
            "topics": topics,
            "articles": articles,
            "errors": errors,
        },
        status=status,
    )


def _publish_page(request: HttpRequest, version: Any, form: Any, error: str, status: int) -> Any:
    return render(
        request,
        "charters/version_publish.html",
        {"form": form, "version": version, "charter": version.charter, "error": error},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def version_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish for comment, until the last day given. (GET on a version in consultation
    shows the way back to drafting, which posts to `version_withdraw`.)"""
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        initial={"ends_on": timezone.localdate() + datetime.timedelta(days=14)},
    )
    if request.method == "GET":
        return _publish_page(request, version, form, "", 200)
    error = ""
    if form.is_valid():
        try:
            services.version_publish(
                version=version, ends_on=form.cleaned_data["ends_on"], actor=request.user
            )
        except services.CharterError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The version is published for comment on its public page."))
            return redirect("charters:version", pk=version.pk)
    return _publish_page(request, version, form, error, 400)


@require_POST
@login_required
def version_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """Back to drafting from consultation: the public page stops taking comments."""
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    try:
        services.version_withdraw_to_draft(version=version, actor=request.user)
    except services.CharterError as exc:
        return _publish_page(request, version, PublishForm(), str(exc), 400)
    messages.success(request, _("The version is back in drafting."))
    return redirect("charters:version", pk=version.pk)


@require_http_methods(["GET", "POST"])
@login_required
def version_file(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    form = FileForm(request.POST or None, initial={"filed_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.version_file(
                    version=version,
                    filed_on=form.cleaned_data["filed_on"],
                    reference=form.cleaned_data["reference"],
                    actor=request.user,
                )
            except services.CharterError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The charter is recorded as filed with the township."))
                return redirect("charters:version", pk=version.pk)
        status = 400
    return render(
        request,
        "charters/version_file.html",
        {"form": form, "version": version, "charter": version.charter},
        status=status,
    )


@require_POST
@login_required
def version_new(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    try:
        new = services.version_new(from_version=version, actor=request.user)
    except services.CharterError as exc:
        return _version_page(request, version, status=400, error=str(exc))
    messages.success(
        request,
        _("Version %(number)d was started as a copy of version %(from)d.")
        % {"number": new.number, "from": version.number},
    )
    return redirect("charters:version_edit", pk=new.pk)


# --- comments ----------------------------------------------------------------------


def _comment_page(
    request: HttpRequest,
    version: CharterVersion,
    form: CommentForm,
    *,
    status: int = 200,
    reply_errors: dict[int, str] | None = None,
) -> HttpResponse:
    comments = list(
        CharterComment.objects.filter(version=version)
        .select_related("article", "entered_by")
        .order_by("-created_at", "-pk")
    )
    for comment in comments:
        if comment.article is not None:
            comment.article_numeral = chinese_numeral(comment.article.number)
    listing = paginate(request, comments)
    return render(
        request,
        "charters/comment_list.html",
        {
            "version": version,
            "charter": version.charter,
            "form": form,
            **listing,
            "total": len(comments),
            "accepting": version.status == VersionStatus.CONSULTATION,
            "reply_errors": reply_errors or {},
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def comment_list(request: HttpRequest, pk: int) -> HttpResponse:
    """Comments with their authors (masked mobiles); a form for comments collected on paper."""
    version = get_version_for_user(request.user, pk)
    require(can_manage_charter(request.user, version.charter))
    form = CommentForm(version, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.comment_add(
                    version=version,
                    text=data["text"],
                    article=data["article"],
                    author_name=data["author_name"],
                    author_mobile=data["author_mobile"],
                    source=CommentSource.STAFF,
                    entered_by=request.user,
                )
            except services.CharterError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The comment was recorded."))
                return redirect("charters:comments", pk=version.pk)
        return _comment_page(request, version, form, status=400)
    return _comment_page(request, version, form)


@require_POST
@login_required
def comment_reply(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        comment = (
            CharterComment.objects.select_related("version", "version__charter__region")
            .filter(version__in=versions_visible_to(request.user).values("pk"))
            .get(pk=pk)
        )
    except CharterComment.DoesNotExist:
        raise Http404 from None
    version = comment.version
    require(can_manage_charter(request.user, version.charter))
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.comment_reply(
                comment=comment, reply=form.cleaned_data["reply"], actor=request.user
            )
        except services.CharterError as exc:
            form.add_error("reply", str(exc))
        else:
            messages.success(request, _("The reply was saved."))
            return redirect(reverse("charters:comments", args=[version.pk]) + f"#c{comment.pk}")
    error = "; ".join(str(e) for e in form.errors.get("reply", [])) or _("Write the reply.")
    return _comment_page(
        request, version, CommentForm(version), status=400, reply_errors={comment.pk: error}
    )


# --- diff and documents --------------------------------------------------------------


@require_GET
@login_required
def version_diff(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    others: QuerySet[CharterVersion] = (
        CharterVersion.objects.filter(charter=version.charter)
        .exclude(pk=version.pk)
        .order_by("-number")
    )
    against_param = request.GET.get("against")
    if against_param:
        against = others.filter(pk=_pk_or_404(against_param)).first()
        if against is None:
            raise Http404
    else:
        against = others.filter(pk=version.based_on_id).first() if version.based_on_id else None
    result = diff_versions(against, version) if against is not None else None
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "charters/version_diff.html",
        {
            "version": version,
            "charter": version.charter,
            "against": against,
            "others": list(others),
            "diff": result,
            "rows": (result.rows if show_all else result.changed_rows) if result else [],
            "show_all": show_all,
        },
    )


@require_GET
@login_required
def version_docx(request: HttpRequest, pk: int) -> HttpResponse:
    version = get_version_for_user(request.user, pk)
    content = version_docx_bytes(version)
    response = HttpResponse(content, content_type=DOCX_TYPE)
    filename = f"charter-{version.charter.region.code}-v{version.number}.docx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
