"""The UI shell: Chinese by default, a switch to English, navigation by role, login and logout."""

from __future__ import annotations

import pytest
from django.urls import reverse

from conftest import PASSWORD


@pytest.mark.django_db
def test_login_page_is_in_chinese_by_default(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "用户名或手机号" in page


@pytest.mark.django_db
def test_the_language_switch_turns_the_pages_english_and_back(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    assert "Username or mobile number" in page
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/login/"})
    assert "用户名或手机号" in client.get(reverse("login")).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_by_mobile_then_logout(client, world):
    response = client.post(reverse("login"), {"username": "13800000002", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get(reverse("core:home")).content.decode()
    assert "社区甲" in home  # the secretary's unit in the top bar and scope
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("core:home")).status_code == 302


def test_navigation_follows_the_role(client_for, world):
    admin_page = client_for(world.admin).get(reverse("core:home")).content.decode()
    assert reverse("audit:list") in admin_page
    assert "系统管理" in admin_page
    secretary_page = client_for(world.secretary_a).get(reverse("core:home")).content.decode()
    assert reverse("audit:list") not in secretary_page
    assert reverse("territory:browser") in secretary_page


def test_a_user_without_a_role_is_told_what_to_do(client_for, world):
    page = client_for(world.nobody).get(reverse("core:home")).content.decode()
    assert "请联系街道乡村振兴办分配" in page
    assert reverse("audit:list") not in page


def test_home_refuses_post(client_for, world):
    assert client_for(world.admin).post(reverse("core:home")).status_code == 405


def test_the_workbench_counts_only_the_users_own_territory(client_for, world):
    admin = client_for(world.admin).get(reverse("core:home")).context["figures"]
    assert [(str(f["label"]), f["value"]) for f in admin][:3] == [
        ("社区", 2),
        ("经济社", 2),
        ("片区", 3),
    ]
    secretary = client_for(world.secretary_a).get(reverse("core:home")).context["figures"]
    assert [(str(f["label"]), f["value"]) for f in secretary][:3] == [
        ("社区", 1),
        ("经济社", 1),
        ("片区", 2),
    ]


def test_only_the_current_page_is_highlighted_in_the_menu(world):
    from zhenxing.core.navigation import menu_for

    menu = menu_for(world.admin, "/cases/queue/")
    active = [e["url"] for group in menu for e in group["items"] if e["active"]]
    # /cases/ (the case list) is a prefix of the queue's URL, but only the queue is current.
    assert active == ["/cases/queue/"]
