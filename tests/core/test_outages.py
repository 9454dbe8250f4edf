"""PostgreSQL (or SQLite) down: pages answer the branded 503, the API JSON 503, both with Retry-After."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.fixtures.outages import database_down

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_page_answers_the_branded_503_while_the_database_is_down(member):
    client = Client()
    client.force_login(member)
    with database_down():
        response = client.get("/members/")
    assert response.status_code == 503
    assert response["Retry-After"] == "15"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert "Clubroom is back in a moment" in body
    assert 'http-equiv="refresh" content="15"' in body
    # And once it is back, the same page works again (the broken connection was not kept).
    assert client.get("/members/").status_code == 200


def test_the_api_answers_json_503_with_retry_after_while_the_database_is_down(member, settings):
    settings.CLUBROOM_OUTAGE_RETRY_AFTER = 7
    client = Client()
    client.force_login(member)
    with database_down():
        response = client.get("/api/v1/messaging/threads/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Clubroom is briefly unavailable. Try again shortly.",
        "code": "service_unavailable",
        "dependency": "database",
        "retry_after": 7,
    }


def test_a_token_client_gets_json_503_too(member):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with database_down():
        response = client.post("/api/v1/messaging/threads/", {"username": "x"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"


def test_an_outage_is_one_warning_line_per_request_and_no_traceback(member, caplog):
    client = Client()
    client.force_login(member)
    with caplog.at_level(logging.WARNING), database_down():
        client.get("/members/")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.name for r in records] == ["core.outages"]
    assert records[0].getMessage().startswith("database unavailable: GET /members/ answered 503 (OperationalError")
    assert records[0].exc_info is None


def test_an_unexpected_api_error_is_json_500_never_an_html_page(member, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("realtime.selectors.unread_snapshot", broken)
    client = APIClient()
    client.force_authenticate(member)
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/v1/messaging/unread/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "server_error"
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info is not None  # a real bug keeps its traceback


def test_pages_keep_their_own_500_for_ordinary_errors(member, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("accounts.views.selectors.member_directory", broken)
    client = Client(raise_request_exception=False)
    client.force_login(member)
    response = client.get("/members/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
