"""What a user of the default language (zh-hans) sees: the catalogue, not the msgids."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.zh


def test_the_voting_pages_speak_chinese(world, votes, client, client_for):
    cast = client.get(reverse("votes_public:cast")).content.decode()
    assert "凭投票码投票" in cast
    session = client_for(world.secretary_a).get(reverse("votes:session", args=[votes.session_a.pk]))
    page = session.content.decode()
    assert "村民会议" in page and "开始表决" in page
