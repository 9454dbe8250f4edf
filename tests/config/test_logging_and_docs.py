"""A demo's logs and pages: client errors are not alarms, server errors are; the API docs need no internet."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import path

from tests.accounts.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("kaboom")


urlpatterns = [path("boom/", _boom)]


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_member_opening_a_staff_page_gets_the_404_page_and_no_traceback_is_logged(client, caplog):
    client.force_login(MemberFactory())
    with caplog.at_level(logging.DEBUG):
        for url in ("/inbox/", "/clubos/"):
            response = client.get(url)
            assert response.status_code == 404
            assert b"Page not found" in response.content
    assert _request_records(caplog) == []
    assert not any(r.exc_info for r in caplog.records)


def test_a_404_is_the_branded_page_and_django_request_adds_no_second_line(client, caplog):
    client.force_login(MemberFactory())
    with caplog.at_level(logging.DEBUG):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content
    assert b"urlpatterns" not in response.content.lower()
    assert _request_records(caplog) == []


def test_a_server_error_is_still_logged_with_its_traceback(settings, caplog):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get("/boom/")
    assert response.status_code == 500
    [record] = _request_records(caplog)
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert "kaboom" in str(record.exc_info[1])


def test_api_docs_load_swagger_ui_from_this_server_not_a_cdn(client):
    client.force_login(MemberFactory())
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    scripts = [a for a in assets if a.endswith(".js")]
    assert any("swagger-ui-bundle" in a for a in scripts)
    for asset in assets:
        if asset.startswith("/api/docs/"):  # the page's own init script (a CSP-friendly separate file)
            assert client.get(asset).status_code == 200
            continue
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local static file"
    assert "cdn" not in page.lower()


def test_favicon_is_served_not_a_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert finders.find(response["Location"].removeprefix("/static/"))
