"""The report form's proof of work: issued signed, redeemed once, refused when bad."""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from zhenxing.public import challenge
from zhenxing.public.challenge import ChallengeError

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 11, 28, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _easy(settings):
    settings.ZHENXING_REPORT_CHALLENGE_BITS = 8


def solved(bits: int | None = None) -> tuple[str, str]:
    issued = challenge.issue(bits=bits)
    return issued.token, challenge.solve(issued.token, issued.bits)


def refusal(token: str, counter: str) -> str:
    with pytest.raises(ChallengeError) as caught:
        challenge.redeem(token=token, counter=counter)
    return caught.value.code


def test_a_solved_challenge_is_accepted_once():
    token, counter = solved()
    digest = hashlib.sha256(f"{token}:{counter}".encode()).digest()
    assert digest[0] == 0  # 8 leading zero bits
    challenge.redeem(token=token, counter=counter)
    assert refusal(token, counter) == "reused"


def test_the_same_challenge_is_spent_whatever_the_counter():
    token, counter = solved()
    challenge.redeem(token=token, counter=counter)
    other = int(counter) + 1
    while challenge.solution_bits(token, str(other)) < 8:
        other += 1
    assert refusal(token, str(other)) == "reused"


def test_missing_parts_are_refused():
    token, counter = solved()
    assert refusal("", counter) == "missing"
    assert refusal(token, "") == "missing"


def test_a_wrong_counter_is_refused_and_does_not_spend_the_challenge():
    token, counter = solved()
    wrong = next(str(n) for n in range(10**6) if challenge.solution_bits(token, str(n)) < 8)
    assert refusal(token, wrong) == "unsolved"
    assert refusal(token, "-1") == "unsolved"
    assert refusal(token, "１２") == "unsolved"  # full-width digits
    assert refusal(token, "9" * 17) == "unsolved"
    challenge.redeem(token=token, counter=counter)


def test_forged_challenges_are_refused():
    # Easy challenges made up by a client: unsigned, signed with another salt, or altered.
    payload = {"n": "00", "t": int(datetime.datetime.now().timestamp()), "b": 0}
    other_salt = signing.dumps(payload, salt="something-else", compress=False)
    assert refusal(other_salt, "0") == "invalid"
    token, counter = solved()
    _body, _, rest = token.partition(":")
    tampered = signing.b64_encode(b'{"n":"00","t":1,"b":0}').decode() + ":" + rest
    assert refusal(tampered, "0") == "invalid"
    assert refusal("not-a-token", "1") == "invalid"
    assert refusal("x" * 1000, "1") == "invalid"
    # Signed with our salt but not of our shape.
    assert refusal(signing.dumps(["b", 0], salt=challenge.SALT), "0") == "invalid"


def test_an_expired_challenge_is_refused():
    with time_machine.travel(T0, tick=False):
        token, counter = solved()
    with time_machine.travel(T0 + datetime.timedelta(minutes=10, seconds=2), tick=False):
        assert refusal(token, counter) == "expired"


def test_a_challenge_is_good_for_nearly_ten_minutes():
    with time_machine.travel(T0, tick=False):
        token, counter = solved()
    with time_machine.travel(T0 + datetime.timedelta(minutes=9, seconds=50), tick=False):
        challenge.redeem(token=token, counter=counter)


def test_a_challenge_easier_than_required_is_refused(settings):
    # Signed by us at 4 bits (as before the setting was raised), solved to 4 bits only.
    token, counter = solved(bits=4)
    while challenge.solution_bits(token, counter) >= 8:  # pragma: no cover - solved by luck
        token, counter = solved(bits=4)
    assert refusal(token, counter) == "difficulty"
    # A harder one than required is fine.
    token, counter = solved(bits=9)
    challenge.redeem(token=token, counter=counter)


def test_the_endpoint_issues_signed_challenges(client):
    response = client.get(reverse("public:challenge"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["bits"] == 8 and body["algorithm"] == "SHA-256" and body["expires_in"] == 600
    assert signing.loads(body["challenge"], salt=challenge.SALT)["b"] == 8
    # Two requests, two different challenges.
    assert client.get(reverse("public:challenge")).json()["challenge"] != body["challenge"]
    assert client.post(reverse("public:challenge")).status_code == 405


def test_the_endpoint_is_rate_limited_per_client(client, monkeypatch):
    from zhenxing.public.views import report as views

    monkeypatch.setattr(views, "CHALLENGES_PER_HOUR", 3)
    url = reverse("public:challenge")
    with time_machine.travel(T0, tick=False):
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get(url)
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) == 3601
        assert refused.json()["error"]
        # Another client is not affected.
        assert client.get(url, REMOTE_ADDR="198.51.100.7").status_code == 200
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        assert client.get(url).status_code == 200
