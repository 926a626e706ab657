"""What a user of the default language (zh-hans) sees: the catalogue, not the msgids."""

import pytest
from django.urls import reverse

from zhenxing.posts import services
from zhenxing.posts.tests.test_signs import flat, text_of

pytestmark = pytest.mark.zh


def test_the_pages_and_the_sign_speak_chinese(world, posts, client_for):
    client = client_for(world.secretary_a)
    listing = client.get(reverse("posts:list")).content.decode()
    assert "党员责任岗" in listing and "打印责任牌" in listing
    sign = client.get(reverse("posts:sign", args=[posts.post_a1.pk]))
    text = flat(text_of(sign.content))
    assert "党员责任岗" in text and "扫码查看岗位职责" in text
    public = client.get(reverse("posts_public:post", args=[posts.post_a1.public_token]))
    assert "在此反映问题" in public.content.decode()


def test_a_refusal_reads_in_chinese(world, posts):
    with pytest.raises(services.PostError, match="已认领"):
        services.claim_start(actor=world.secretary_a, post=posts.post_a1, member=posts.member_a)
