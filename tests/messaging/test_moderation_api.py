"""The safety queue's API (/api/v1/messaging/reports/...): staff only, each decision, clear 4xx."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from messaging import moderation, services
from messaging.models import MessagingSuspension, Report, ReportStatus
from tests.accounts.factories import StaffFactory, as_user
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(messaging_on):
    offender, reporter = make_member(), make_member()
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    rude = services.message_send(sender=offender, thread_id=thread.pk, body="<b>rude</b>")
    report, _ = services.report_create(reporter=reporter, message_id=rude.pk, reason="rude")
    return {"offender": offender, "reporter": reporter, "thread": thread, "message": rude, "report": report}


def _api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_list_and_detail_for_staff(reported, staff):
    listing = _api(staff).get("/api/v1/messaging/reports/")
    assert listing.status_code == 200
    [row] = listing.json()["results"]
    assert row["id"] == reported["report"].pk
    assert row["message"]["body"] == "<b>rude</b>"  # plain text: clients render it as text
    assert row["reporter"]["username"] == reported["reporter"].username

    detail = _api(staff).get(f"/api/v1/messaging/reports/{reported['report'].pk}/").json()
    assert detail["report"]["id"] == reported["report"].pk
    assert detail["history"]["reports_total"] == 1
    assert detail["history"]["suspension"] is None
    assert _api(staff).get("/api/v1/messaging/reports/?status=reviewed").json()["results"] == []


def test_decide_suspend_then_the_api_send_is_refused_then_lift(reported, staff):
    response = _api(staff).post(
        f"/api/v1/messaging/reports/{reported['report'].pk}/decide/",
        {"decision": "suspend", "note": "threats"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["kind"] == "suspend"
    suspension_id = response.json()["suspension"]

    send = _api(reported["offender"]).post(
        f"/api/v1/messaging/threads/{reported['thread'].pk}/messages/", {"body": "let me"}, format="json"
    )
    assert send.status_code == 403
    assert "suspended your messaging" in send.json()["detail"]

    lifted = _api(staff).post(f"/api/v1/messaging/suspensions/{suspension_id}/lift/", {}, format="json")
    assert lifted.status_code == 200
    assert lifted.json()["lifted_at"] is not None
    send = _api(reported["offender"]).post(
        f"/api/v1/messaging/threads/{reported['thread'].pk}/messages/", {"body": "sorry"}, format="json"
    )
    assert send.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"decision": "ban"},
        {"decision": 1},
        {"decision": "dismiss", "note": 5},
        {"decision": "dismiss", "note": "x" * 1001},
        {"decision": "suspend", "until": "yesterday"},
        {"decision": "suspend", "until": "0001-01-01T00:00:00"},
        {"decision": "suspend", "until": "2000-01-01T00:00:00Z"},
        {"decision": "warn", "until": "2999-01-01T00:00:00Z"},
    ],
)
def test_bad_input_is_a_400(reported, staff, body):
    response = _api(staff).post(f"/api/v1/messaging/reports/{reported['report'].pk}/decide/", body, format="json")
    assert response.status_code == 400, response.content
    assert Report.objects.get(pk=reported["report"].pk).status == ReportStatus.OPEN


def test_decided_twice_is_a_409_and_unknown_is_a_404(reported, staff):
    url = f"/api/v1/messaging/reports/{reported['report'].pk}/decide/"
    assert _api(staff).post(url, {"decision": "dismiss"}, format="json").status_code == 200
    again = _api(staff).post(url, {"decision": "dismiss"}, format="json")
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]
    assert _api(staff).get("/api/v1/messaging/reports/999999/").status_code == 404
    assert _api(staff).post("/api/v1/messaging/suspensions/999999/lift/", {}, format="json").status_code == 404


def test_staff_suspending_staff_is_a_403(messaging_on, staff):
    colleague, reporter = as_user(StaffFactory()), make_member()
    thread, _ = services.thread_start(initiator=colleague, recipient=reporter)
    message = services.message_send(sender=colleague, thread_id=thread.pk, body="hi")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)

    response = _api(staff).post(
        f"/api/v1/messaging/reports/{report.pk}/decide/", {"decision": "suspend"}, format="json"
    )

    assert response.status_code == 403
    assert not MessagingSuspension.objects.exists()


def test_members_and_anonymous_are_refused(reported, staff):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")
    suspension = MessagingSuspension.objects.get()
    for client, expected in ((_api(), 401), (_api(reported["reporter"]), 403)):
        assert client.get("/api/v1/messaging/reports/").status_code == expected
        assert client.get(f"/api/v1/messaging/reports/{reported['report'].pk}/").status_code == expected
        assert (
            client.post(f"/api/v1/messaging/suspensions/{suspension.pk}/lift/", {}, format="json").status_code
            == expected
        )
    suspension.refresh_from_db()
    assert suspension.lifted_at is None
