"""The inbox: only one's own notifications, read on opening, and the badge in the top bar."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenxing.notify.models import Notification

INBOX = "/notifications/"


def note(user, text="案卷 1 已派遣给你方", url="/cases/c/1/", **extra):
    return Notification.objects.create(user=user, kind="dispatched", text=text, url=url, **extra)


def test_the_inbox_is_mounted_where_the_links_point():
    assert reverse("notify:inbox") == INBOX


def test_anonymous_is_sent_to_log_in(client, world):
    mine = note(world.secretary_a)
    for method, url in [
        ("get", INBOX),
        ("post", f"{INBOX}{mine.pk}/open/"),
        ("post", f"{INBOX}read-all/"),
    ]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/login/")
    mine.refresh_from_db()
    assert mine.read_at is None


def item_html(html: str, text: str) -> str:
    """The <li> of the inbox that holds this text."""
    end = html.index(text)
    return html[html.rindex("<li", 0, end) : html.index("</li>", end)]


def test_the_inbox_shows_only_my_notifications_newest_first_unread_bold(client_for, world):
    note(world.secretary_a, text="较早的通知", read_at=timezone.now())
    note(world.secretary_a, text="最新的通知")
    note(world.outsider, text="别人的通知")
    response = client_for(world.secretary_a).get(INBOX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "别人的通知" not in html
    assert [n.text for n in response.context["page"].object_list] == ["最新的通知", "较早的通知"]
    assert html.index("最新的通知") < html.index("较早的通知")
    assert "fw-bold" in item_html(html, "最新的通知")
    assert "fw-bold" not in item_html(html, "较早的通知")
    assert response.context["unread"] == 1


def test_opening_marks_read_and_follows_the_link(client_for, world):
    mine = note(world.secretary_a)
    response = client_for(world.secretary_a).post(f"{INBOX}{mine.pk}/open/")
    assert response.status_code == 302 and response.url == "/cases/c/1/"
    mine.refresh_from_db()
    assert mine.read_at is not None


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_a_link_off_the_site_is_never_followed(client_for, world, url):
    mine = note(world.secretary_a, url=url)
    response = client_for(world.secretary_a).post(f"{INBOX}{mine.pk}/open/")
    assert response.status_code == 302 and response.url == INBOX


def test_another_users_notification_is_not_found(client_for, world):
    theirs = note(world.outsider)
    response = client_for(world.secretary_a).post(f"{INBOX}{theirs.pk}/open/")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_inbox_changes_only_by_post(client_for, world):
    mine = note(world.secretary_a)
    client = client_for(world.secretary_a)
    assert client.get(f"{INBOX}{mine.pk}/open/").status_code == 405
    assert client.get(f"{INBOX}read-all/").status_code == 405
    assert client.post(INBOX).status_code == 405
    mine.refresh_from_db()
    assert mine.read_at is None


def test_mark_all_read_touches_only_my_own(client_for, world):
    mine = [note(world.secretary_a), note(world.secretary_a)]
    theirs = note(world.outsider)
    response = client_for(world.secretary_a).post(f"{INBOX}read-all/")
    assert response.status_code == 302 and response.url == INBOX
    assert all(Notification.objects.get(pk=n.pk).read_at for n in mine)
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_top_bar_shows_my_unread_count(client_for, world):
    for _ in range(3):
        note(world.secretary_a)
    note(world.outsider)
    client = client_for(world.secretary_a)
    html = client.get("/").content.decode()
    assert 'data-unread="3"' in html and 'href="/notifications/"' in html
    client.post(f"{INBOX}read-all/")
    html = client.get("/").content.decode()
    assert "data-unread" not in html and 'href="/notifications/"' in html


def test_the_badge_caps_at_99(client_for, world):
    Notification.objects.bulk_create(
        Notification(user=world.secretary_a, kind="x", text=f"n{i}") for i in range(120)
    )
    html = client_for(world.secretary_a).get(INBOX).content.decode()
    assert 'data-unread="120">99+' in html


def test_the_inbox_pages_and_its_queries_do_not_grow_with_rows(
    client_for, world, django_assert_max_num_queries
):
    client = client_for(world.secretary_a)
    note(world.secretary_a)
    client.get(INBOX)  # warm the session and scope caches
    Notification.objects.bulk_create(
        Notification(user=world.secretary_a, kind="x", text=f"第{i}条") for i in range(3)
    )
    with django_assert_max_num_queries(12) as few:
        client.get(INBOX)
    Notification.objects.bulk_create(
        Notification(user=world.secretary_a, kind="x", text=f"第{i}条") for i in range(80)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(INBOX)
    page = response.context["page"]
    assert page.paginator.num_pages == 2 and len(page.object_list) == 50
    assert client.get(f"{INBOX}?page=2").context["page"].number == 2
