"""Sign-in throttling (accounts.throttle): slowed after a few failures, then locked; both sign-in pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts import throttle
from tests.accounts.factories import PASSWORD, MemberFactory, as_user

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(throttle, "_now", fake)
    return fake


def _sign_in(client: Client, username: str, password: str, *, url: str = "", address: str = "10.0.0.1"):
    return client.post(
        url or reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _fail(client: Client, username: str, times: int, clock: Clock, *, address: str = "10.0.0.1") -> None:
    for _ in range(times):
        clock.now += throttle.signin_wait_seconds(username=username, address=address)  # sit out each slow-down
        response = _sign_in(client, username, "wrong", address=address)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()


def test_after_three_failures_the_next_try_must_wait_even_with_the_right_password(clock):
    member = as_user(MemberFactory())
    client = Client()
    for _ in range(3):
        _sign_in(client, member.username, "wrong")
    response = _sign_in(client, member.username, PASSWORD)
    assert "Too many failed sign-ins. Wait 1 second and try again." in response.content.decode()
    assert not _signed_in(client)
    clock.now += 1
    _sign_in(client, member.username, PASSWORD)
    assert _signed_in(client)


def test_the_wait_doubles_with_each_further_failure(clock):
    member = as_user(MemberFactory())
    client = Client()
    for _ in range(3):
        _sign_in(client, member.username, "wrong")
    clock.now += 1
    _sign_in(client, member.username, "wrong")  # the 4th failure: now 2 s
    response = _sign_in(client, member.username, PASSWORD)
    assert "Wait 2 seconds" in response.content.decode()


def test_ten_failures_lock_the_username_for_fifteen_minutes(clock):
    member = as_user(MemberFactory())
    client = Client()
    _fail(client, member.username, 10, clock)
    response = _sign_in(Client(), member.username, PASSWORD, address="10.9.9.9")  # another address: still locked
    text = response.content.decode()
    assert "locked" in text
    assert "Try again in 15 minutes." in text
    clock.now += 14 * 60
    assert "locked" in _sign_in(Client(), member.username, PASSWORD, address="10.9.9.9").content.decode()
    clock.now += 61
    fresh = Client()
    _sign_in(fresh, member.username, PASSWORD, address="10.9.9.9")
    assert _signed_in(fresh)


def test_usernames_are_counted_case_insensitively(clock):
    member = as_user(MemberFactory(username="dana"))
    client = Client()
    for name in ("dana", "DANA", "Dana"):
        _sign_in(client, name, "wrong", address="10.0.0.2")
    response = _sign_in(Client(), "dana", PASSWORD, address="10.0.0.3")
    assert "Too many failed sign-ins" in response.content.decode()
    assert member.username == "dana"


def test_thirty_failures_from_one_address_lock_it_for_every_username(clock):
    members = [as_user(MemberFactory()) for _ in range(4)]
    client = Client()
    for index in range(30):
        _fail(client, f"guess{index}", 1, clock, address="10.6.6.6")
    response = _sign_in(client, members[0].username, PASSWORD, address="10.6.6.6")
    assert "locked" in response.content.decode()
    other_place = Client()
    _sign_in(other_place, members[0].username, PASSWORD, address="10.7.7.7")
    assert _signed_in(other_place)


def test_a_successful_sign_in_clears_the_usernames_failures(clock):
    member = as_user(MemberFactory())
    client = Client()
    for _ in range(2):
        _sign_in(client, member.username, "wrong", address="10.0.0.4")
    _sign_in(client, member.username, PASSWORD, address="10.0.0.4")
    assert _signed_in(client)
    client.logout()
    _sign_in(client, member.username, "wrong", address="10.0.0.5")
    _sign_in(client, member.username, "wrong", address="10.0.0.5")
    assert throttle.signin_wait_seconds(username=member.username, address="10.0.0.5") == 0


def test_while_locked_the_password_is_not_even_checked(clock, monkeypatch):
    member = as_user(MemberFactory())
    client = Client()
    _fail(client, member.username, 10, clock)
    checked = []
    monkeypatch.setattr("django.contrib.auth.backends.ModelBackend.authenticate", lambda *a, **k: checked.append(1))
    _sign_in(client, member.username, PASSWORD)
    assert checked == []


def test_the_admin_sign_in_page_is_throttled_too(clock, admin_user):
    client = Client()
    url = reverse("admin:login")
    for _ in range(3):
        _sign_in(client, admin_user.username, "wrong", url=url)
    response = _sign_in(client, admin_user.username, PASSWORD, url=url)
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(client)
