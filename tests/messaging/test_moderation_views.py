"""The safety queue pages under /inbox/reports/ and what a suspended member sees on the message pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from messaging import moderation, services
from messaging.models import MessagingSuspension, ModerationAction, Report, ReportStatus
from tests.accounts.factories import AdminFactory, as_user
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(messaging_on):
    offender, reporter = make_member(display_name="Olly Offender"), make_member(display_name="Rita Reporter")
    thread, _ = services.thread_start(initiator=offender, recipient=reporter)
    services.message_send(sender=reporter, thread_id=thread.pk, body="before it")
    rude = services.message_send(sender=offender, thread_id=thread.pk, body="<script>alert(1)</script> loser")
    services.message_send(sender=reporter, thread_id=thread.pk, body="after it")
    report, _ = services.report_create(reporter=reporter, message_id=rude.pk, reason="rude <i>words</i>")
    return {"offender": offender, "reporter": reporter, "thread": thread, "message": rude, "report": report}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_queue_lists_open_reports_newest_first_with_the_count(reported, staff_client):
    second_thread, _ = services.thread_start(initiator=reported["offender"], recipient=make_member())
    newer_message = services.message_send(sender=reported["offender"], thread_id=second_thread.pk, body="again")
    newer, _ = services.report_create(
        reporter=second_thread.participants.exclude(user=reported["offender"]).get().user, message_id=newer_message.pk
    )

    response = staff_client.get("/inbox/reports/")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(f'data-report="{newer.pk}"') < html.index(f'data-report="{reported["report"].pk}"')
    assert 'data-badge="reports">2<' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_report_page_shows_the_message_escaped_with_context_reporter_and_history(reported, staff_client):
    response = staff_client.get(f"/inbox/reports/{reported['report'].pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; loser" in html
    assert "<script>alert(1)" not in html
    assert html.index("before it") < html.index("data-reported-message") < html.index("after it")
    assert "Rita Reporter" in html
    assert "rude &lt;i&gt;words&lt;/i&gt;" in html
    assert "1 report on their messages" in html


@pytest.mark.parametrize("decision", ["dismiss", "warn", "suspend"])
def test_deciding_from_the_page(reported, staff, decision):
    response = _client(staff).post(
        f"/inbox/reports/{reported['report'].pk}/", {"decision": decision, "note": "seen it"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/inbox/reports/"
    report = Report.objects.get(pk=reported["report"].pk)
    assert (report.status, report.decision, report.reviewed_by) == (ReportStatus.REVIEWED, decision, staff)
    assert ModerationAction.objects.get().kind == decision
    assert MessagingSuspension.objects.exists() is (decision == "suspend")


def test_bad_form_input_is_a_400_with_the_form(reported, staff_client):
    url = f"/inbox/reports/{reported['report'].pk}/"
    assert staff_client.post(url, {"decision": "ban"}).status_code == 400
    assert staff_client.post(url, {"decision": "suspend", "until": "not a date"}).status_code == 400
    response = staff_client.post(url, {"decision": "suspend", "until": "2001-01-01T10:00"})
    assert response.status_code == 400
    assert b"must end in the future" in response.content
    assert Report.objects.get(pk=reported["report"].pk).status == ReportStatus.OPEN


def test_staff_cannot_suspend_an_admin_from_the_page(messaging_on, staff_client):
    admin, reporter = as_user(AdminFactory()), make_member()
    thread, _ = services.thread_start(initiator=admin, recipient=reporter)
    message = services.message_send(sender=admin, thread_id=thread.pk, body="hi")
    report, _ = services.report_create(reporter=reporter, message_id=message.pk)

    response = staff_client.post(f"/inbox/reports/{report.pk}/", {"decision": "suspend"})

    assert response.status_code == 403
    assert b"ask an admin" in response.content
    assert not MessagingSuspension.objects.exists()


def test_lift_from_the_report_page(reported, staff, staff_client):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")
    suspension = MessagingSuspension.objects.get()
    page = staff_client.get(f"/inbox/reports/{reported['report'].pk}/").content.decode()
    assert "data-member-suspended" in page
    assert "Lift suspension" in page

    response = staff_client.post(
        f"/inbox/reports/suspensions/{suspension.pk}/lift/", {"note": "ok", "next_report": reported["report"].pk}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/inbox/reports/{reported['report'].pk}/"
    suspension.refresh_from_db()
    assert suspension.lifted_at is not None


@pytest.mark.parametrize("path", ["/inbox/reports/", "/inbox/reports/{id}/"])
def test_members_get_404_and_anonymous_the_sign_in_page(reported, path):
    url = path.format(id=reported["report"].pk)
    assert _client(reported["reporter"]).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_members_cannot_decide_by_posting(reported):
    response = _client(reported["offender"]).post(f"/inbox/reports/{reported['report'].pk}/", {"decision": "dismiss"})
    assert response.status_code == 404
    assert Report.objects.get(pk=reported["report"].pk).status == ReportStatus.OPEN


# --- the suspended member's side -------------------------------------------------------------------


def test_suspended_member_sees_the_notice_instead_of_the_composer_and_can_read(reported, staff):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")
    client = _client(reported["offender"])

    response = client.get(f"/messages/{reported['thread'].pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "data-suspended-notice" in html
    assert "suspended your messaging" in html
    assert "data-reply-form" not in html
    assert "after it" in html  # they still read


def test_suspended_member_send_from_the_page_is_refused_with_the_message(reported, staff):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")

    response = _client(reported["offender"]).post(f"/messages/{reported['thread'].pk}/send/", {"body": "let me in"})

    assert response.status_code == 403
    assert b"suspended your messaging" in response.content
    assert not reported["thread"].messages.filter(body="let me in").exists()


def test_suspended_member_cannot_start_a_thread_from_a_profile(reported, staff):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")
    stranger = make_member()

    response = _client(reported["offender"]).post(f"/messages/start/{stranger.username}/")

    assert response.status_code == 403


def test_after_lifting_the_page_sends_again(reported, staff):
    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")
    moderation.suspension_lift(suspension_id=MessagingSuspension.objects.get().pk, actor=staff)
    client = _client(reported["offender"])

    assert "data-reply-form" in client.get(f"/messages/{reported['thread'].pk}/").content.decode()
    response = client.post(f"/messages/{reported['thread'].pk}/send/", {"body": "sorry"})
    assert response.status_code == 302


def test_suspended_member_sees_the_reason_instead_of_the_message_button_on_a_new_profile(reported, staff):
    stranger = make_member(display_name="Sam Stranger")
    client = _client(reported["offender"])
    before = client.get(f"/members/{stranger.username}/").content.decode()
    assert "suspended your messaging" not in before
    assert f"/messages/start/{stranger.username}/" in before

    moderation.report_decide(report_id=reported["report"].pk, actor=staff, decision="suspend")

    html = client.get(f"/members/{stranger.username}/").content.decode()
    assert "suspended your messaging" in html
    assert f"/messages/start/{stranger.username}/" not in html
