"""The agent on the staff inbox page (suggestion, decisions, insight), its stats page and its API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ai_agent import services
from ai_agent.models import Decision
from inbox import panels
from inbox.models import InboxMessage
from tests.ai_agent.conftest import NOAH, member_texts

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "what time do you open on saturday?"


@pytest.fixture
def suggest(agent):
    agent.mode = "suggest"
    agent.save()
    return agent


def _page(client, conversation_id):
    return client.get(f"/inbox/{conversation_id}/")


def test_the_conversation_page_shows_the_suggestion_the_decisions_and_the_insight(suggest, staff_client):
    message = member_texts(QUESTION)
    services.insight_refresh(conversation_id=message.conversation_id)
    decision = Decision.objects.get(message=message)

    response = _page(staff_client, message.conversation_id)

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-panel="ai_agent"' in html
    assert "data-ai-suggestion" in html
    assert decision.reply.split(" ")[0] in html
    assert "Question about schedule" in html
    assert "Mode is suggest" in html
    assert "data-ai-insight" in html
    assert "Next step" in html


def test_send_as_is_goes_out_authored_by_staff_and_is_recorded(suggest, staff, staff_client):
    message = member_texts(QUESTION)
    decision = Decision.objects.get(message=message)

    response = staff_client.post(
        f"/ai/suggestions/{decision.pk}/", {"action": "send", "body": decision.reply}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"/inbox/{message.conversation_id}/"
    decision.refresh_from_db()
    sent = decision.outbound_message
    assert sent is not None
    assert (sent.author_kind, sent.author, sent.body) == ("staff", staff, decision.reply)
    assert sent.idempotency_key == f"ai-suggestion-{decision.pk}"
    assert (decision.suggestion_outcome, decision.outcome_by) == ("sent", staff)
    assert "data-ai-suggestion" not in response.content.decode()  # handled: no longer offered


def test_an_edited_suggestion_is_recorded_as_edited(suggest, staff_client):
    decision = Decision.objects.get(message=member_texts(QUESTION))

    staff_client.post(f"/ai/suggestions/{decision.pk}/", {"action": "send", "body": "We open at 7am Saturdays! – Sam"})

    decision.refresh_from_db()
    assert decision.suggestion_outcome == "edited"
    assert decision.outbound_message is not None
    assert decision.outbound_message.body == "We open at 7am Saturdays! – Sam"


def test_a_discarded_suggestion_sends_nothing(suggest, staff_client):
    decision = Decision.objects.get(message=member_texts(QUESTION))

    staff_client.post(f"/ai/suggestions/{decision.pk}/", {"action": "discard"})

    decision.refresh_from_db()
    assert decision.suggestion_outcome == "discarded"
    assert not InboxMessage.objects.filter(direction="outbound").exists()


def test_a_double_click_sends_once(suggest, staff_client):
    decision = Decision.objects.get(message=member_texts(QUESTION))

    for _ in range(2):
        staff_client.post(f"/ai/suggestions/{decision.pk}/", {"action": "send", "body": decision.reply})

    assert InboxMessage.objects.filter(direction="outbound").count() == 1


def test_members_cannot_act_on_suggestions(suggest, member_client):
    decision = Decision.objects.get(message=member_texts(QUESTION))

    response = member_client.post(f"/ai/suggestions/{decision.pk}/", {"action": "send", "body": "hi"})

    assert response.status_code == 404
    assert not InboxMessage.objects.filter(direction="outbound").exists()


def test_a_broken_panel_never_breaks_the_inbox_page(suggest, staff_client):
    message = member_texts(QUESTION)

    def explode(*, conversation, user):
        raise RuntimeError("boom")

    panels.register(explode)
    try:
        response = _page(staff_client, message.conversation_id)
    finally:
        panels.unregister(explode)

    assert response.status_code == 200
    assert 'data-panel="ai_agent"' in response.content.decode()


def test_the_stats_page_is_for_staff(agent, staff_client, member_client, client):
    member_texts(QUESTION)

    page = staff_client.get("/ai/")

    assert page.status_code == 200
    assert "data-ai-stats" in page.content.decode()
    assert member_client.get("/ai/").status_code == 404
    assert client.get("/ai/").status_code == 302


# --- API ------------------------------------------------------------------------------------------------------


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_stats_count_every_kind_of_decision(agent, api):
    member_texts(QUESTION)  # auto
    member_texts("the showers are freezing again, sort it out", person=NOAH)  # skipped
    agent.mode = "suggest"
    agent.save()
    suggested = Decision.objects.get(message=member_texts("do you have lockers?", person=NOAH))
    services.suggestion_discard(decision_id=suggested.pk, user=api.handler._force_user)

    body = api.get("/api/v1/ai/stats/").json()

    assert (body["enabled"], body["mode"], body["total"]) == (True, "suggest", 3)
    assert (body["auto_replied"], body["suggested"], body["skipped"]) == (1, 1, 1)
    assert body["skipped_by_reason"] == {"human_only_intent": 1}
    assert body["last_hour"]["auto_replied"] == 1
    assert body["cap_remaining"] == 19
    assert body["suggestions"]["discarded"] == 1
    assert body["success_rate"] == 1.0


def test_decisions_are_listed_and_filtered(agent, api):
    member_texts(QUESTION)
    member_texts("the showers are freezing again, sort it out", person=NOAH)

    everything = api.get("/api/v1/ai/decisions/").json()
    complaints = api.get("/api/v1/ai/decisions/", {"intent": "complaint"}).json()
    skipped = api.get("/api/v1/ai/decisions/", {"decision": "skipped", "reason": "human_only_intent"}).json()
    today = api.get("/api/v1/ai/decisions/", {"date": timezone.localdate().isoformat()}).json()
    yesterday = api.get("/api/v1/ai/decisions/", {"date": (timezone.localdate() - timedelta(days=1)).isoformat()})

    assert everything["count"] == 2
    assert today["count"] == 2
    assert yesterday.json()["count"] == 0
    assert [d["intent"] for d in complaints["results"]] == ["complaint"]
    assert [d["reason"] for d in skipped["results"]] == ["human_only_intent"]
    assert api.get("/api/v1/ai/decisions/", {"intent": "nonsense"}).status_code == 400


def test_the_api_is_staff_only_and_documented(agent, member, api):
    anonymous, as_member = APIClient(), APIClient()
    as_member.force_authenticate(member)

    assert anonymous.get("/api/v1/ai/stats/").status_code == 401
    assert as_member.get("/api/v1/ai/decisions/").status_code == 403
    schema = api.get("/api/schema/").content.decode()
    assert "/api/v1/ai/stats/" in schema
    assert "/api/v1/ai/decisions/" in schema


def test_the_insight_is_in_the_api(agent, api, member):
    message = member_texts("is there parking at the club?")
    services.insight_refresh(conversation_id=message.conversation_id)
    as_member = APIClient()
    as_member.force_authenticate(member)

    body = api.get(f"/api/v1/ai/conversations/{message.conversation_id}/insight/").json()

    assert (body["conversation"], body["label"]) == (message.conversation_id, "general_inquiry")
    assert body["summary"]
    assert body["next_step"]
    assert api.get("/api/v1/ai/conversations/999999/insight/").status_code == 404
    assert as_member.get(f"/api/v1/ai/conversations/{message.conversation_id}/insight/").status_code == 403


@pytest.mark.parametrize("rows", [3, 30])
def test_listing_decisions_takes_the_same_queries_for_3_or_30_rows(agent, api, django_assert_num_queries, rows):
    from tests.inbox.factories import InboxMessageFactory

    for _ in range(rows):
        message = InboxMessageFactory.create()
        Decision.objects.create(message=message, conversation=message.conversation, decision="skipped")

    # session/token auth: none (forced); count + page with message and contact joined
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/ai/decisions/").json()["results"]) == rows


@pytest.mark.parametrize("rows", [3, 30])
def test_stats_take_the_same_queries_for_3_or_30_rows(agent, api, django_assert_num_queries, rows):
    from tests.inbox.factories import InboxMessageFactory

    for n in range(rows):
        message = InboxMessageFactory.create()
        Decision.objects.create(
            message=message, conversation=message.conversation, decision="skipped", reason=f"r{n % 3}"
        )

    with django_assert_num_queries(4):
        api.get("/api/v1/ai/stats/")


def test_the_admin_shows_the_settings_singleton_and_the_decision_log(agent, admin_client_logged_in):
    member_texts(QUESTION)

    settings_page = admin_client_logged_in.get("/admin/ai_agent/agentsettings/", follow=True)
    log = admin_client_logged_in.get("/admin/ai_agent/decision/")

    assert settings_page.redirect_chain[-1][0] == "/admin/ai_agent/agentsettings/1/change/"
    assert log.status_code == 200
    assert "Question about schedule" in log.content.decode()
