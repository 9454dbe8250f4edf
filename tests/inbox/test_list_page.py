"""/inbox/ (filters, search, keyset pages, resolve), /inbox/rows/ and the saved-reply pages, through the client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inbox.models import Conversation, ConversationEvent, SavedReply
from inbox.services import saved_replies
from inbox.services.ingest import clubos_message_sink

from .factories import ContactFactory, ConversationFactory, synced

pytestmark = pytest.mark.django_db

LIST = reverse("inbox:conversation_list")
ROWS = reverse("inbox:conversation_rows")


def test_rows_show_contact_channel_snippet_time_status_assignee_labels_priority_source(staff_client, staff):
    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="Dana <Reyes>", body="<i>pool</i>?")])
    conversation = Conversation.objects.get()
    conversation.labels.create(name="billing")
    Conversation.objects.filter(pk=conversation.pk).update(assignee=staff, priority="urgent", source="webchat")
    content = staff_client.get(LIST).content.decode()
    assert "Dana &lt;Reyes&gt;" in content
    assert "&lt;i&gt;pool&lt;/i&gt;?" in content
    assert "<i>pool</i>" not in content
    for shown in ("SMS", "billing", "Urgent", "via webchat", f"→ {staff.name}", "data-clubtime", 'aria-label="Unread"'):
        assert shown in content, shown
    assert 'Open <span class="count">1</span>' in content


def test_every_value_of_a_row_is_escaped_and_the_resolve_form_returns_to_the_same_list(staff_client, staff):
    from bs4 import BeautifulSoup

    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="<b>Ana</b> & co", body='hi "there" <x>')])
    conversation = Conversation.objects.get()
    conversation.labels.create(name='<img src=x onerror="alert(1)">')
    staff.display_name = "<em>Sam</em>"
    staff.save(update_fields=["display_name"])
    Conversation.objects.filter(pk=conversation.pk).update(assignee=staff)
    response = staff_client.get(LIST, {"q": "Ana", "status": "open"})
    content = response.content.decode()
    for raw in ("<b>Ana</b>", "<img src=x", "<em>Sam</em>", "<x>"):
        assert raw not in content, raw
    row: Any = BeautifulSoup(content, "html.parser").select_one(f'li[data-conversation-id="{conversation.pk}"]')
    assert row is not None
    assert row.select_one(".person-name").get_text() == "<b>Ana</b> & co"
    assert row.select_one(".avatar").get_text() == "<"
    assert row.select_one(".inbox-snippet").get_text() == 'hi "there" <x>'
    assert [chip.get_text() for chip in row.select(".chip-label")] == ['<img src=x onerror="alert(1)">']
    assert "→ <em>Sam</em>" in row.get_text()
    form: Any = row.select_one("form[data-resolve]")
    assert form["action"] == reverse("inbox:conversation_resolve", args=[conversation.pk])
    assert form.select_one('input[name="csrfmiddlewaretoken"]')["value"]
    assert form.select_one('input[name="next"]')["value"] == f"{LIST}?{response.context['query']}"
    assert row["data-url"] == reverse("inbox:conversation_detail", args=[conversation.pk])


def test_search_and_filters_narrow_the_rows(staff_client):
    clubos_message_sink.ingest(
        messages=[
            synced(clubos_id=1, name="Fran Freeze", body="Can I freeze my membership?"),
            synced(clubos_id=2, name="Pete Pool", body="Pool hours?"),
        ]
    )
    content = staff_client.get(LIST, {"q": "freeze"}).content.decode()
    assert "Fran Freeze" in content
    assert "Pete Pool" not in content
    assert "Pete Pool" not in staff_client.get(LIST, {"channel": "email"}).content.decode()
    assert "Pete Pool" in staff_client.get(LIST, {"scope": "unassigned", "unread": "on"}).content.decode()


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"after": "nope"}, {"after": "1-9999999999999999999"}, {"label": "x"}, {"q": "\x00"}],
)
def test_bad_filter_values_are_a_400_page(staff_client, params):
    response = staff_client.get(LIST, params)
    assert response.status_code == 400
    assert staff_client.get(ROWS, params).status_code == 400


def test_pages_are_keyset_links_older_and_newest(staff_client):
    base = datetime.now(UTC) - timedelta(hours=2)
    for n in range(52):
        ConversationFactory.create(
            contact=ContactFactory.create(name=f"Person {n:02d}"), last_message_at=base + timedelta(minutes=n)
        )
    first = staff_client.get(LIST)
    assert len(first.context["rows"]) == 50
    assert first.context["next_query"]
    second = staff_client.get(f"{LIST}?{first.context['next_query']}")
    assert [row.contact.name for row in second.context["rows"]] == ["Person 01", "Person 00"]
    assert not second.context["next_query"]
    assert "← Newest" in second.content.decode()


def test_rows_fragment_is_the_rows_alone_in_four_queries(staff_client, django_assert_num_queries):
    for n in range(3):
        clubos_message_sink.ingest(messages=[synced(clubos_id=n + 1, name=f"Person {n}")])
    with django_assert_num_queries(4):  # session, user, the rows, their labels: no badge, no banner
        content = staff_client.get(ROWS).content.decode()
    assert content.count('name="csrfmiddlewaretoken"') == 3


def test_rows_fragment_is_the_rows_alone_latest_first(staff_client):
    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="Older Olga", minutes_ago=30)])
    clubos_message_sink.ingest(messages=[synced(clubos_id=2, name="Newer Nina", minutes_ago=1)])
    content = staff_client.get(ROWS).content.decode()
    assert "<html" not in content
    assert content.index("Newer Nina") < content.index("Older Olga")
    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="Older Olga", minutes_ago=0, body="again")])
    content = staff_client.get(ROWS).content.decode()
    assert content.index("Older Olga") < content.index("Newer Nina")  # a new message moves it to the top


def test_resolve_from_the_list_is_audited_and_goes_back(staff_client, staff, member_client):
    conversation = ConversationFactory.create()
    url = reverse("inbox:conversation_resolve", args=[conversation.pk])
    assert member_client.post(url).status_code == 404
    response = staff_client.post(url, {"next": f"{LIST}?status=open"})
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?status=open"
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    event = ConversationEvent.objects.get()
    assert (event.actor, event.kind, event.details) == (staff, "status", {"from": "open", "to": "resolved"})
    assert staff_client.post(url, {"next": "https://evil.example/"})["Location"] == LIST
    assert ConversationEvent.objects.count() == 1  # already resolved: nothing more
    assert staff_client.post(reverse("inbox:conversation_resolve", args=[0])).status_code == 404


def test_resolving_takes_it_off_my_badge_unless_its_mine(staff_client, staff):
    clubos_message_sink.ingest(messages=[synced(clubos_id=1, name="A A")])
    conversation = Conversation.objects.get()
    staff_client.post(reverse("inbox:conversation_resolve", args=[conversation.pk]))
    assert 'data-badge="inbox">0<' in staff_client.get(LIST).content.decode()


# --- saved replies pages ----------------------------------------------------------------------------


def test_saved_reply_pages_create_edit_delete(staff_client, member_client):
    page = reverse("inbox:saved_reply_list")
    assert member_client.get(page).status_code == 404
    response = staff_client.post(page, {"title": "Pool <hours>", "body": "Hi {first_name}, 6 to 22."})
    assert response.status_code == 302
    saved = SavedReply.objects.get()
    assert "Pool &lt;hours&gt;" in staff_client.get(page).content.decode()

    edit = reverse("inbox:saved_reply_edit", args=[saved.pk])
    bad = staff_client.post(edit, {"title": "Pool", "body": "Hi {nick}"})
    assert bad.status_code == 400
    assert "Unknown placeholder {nick}" in bad.content.decode()
    assert staff_client.post(edit, {"title": "Pool", "body": "Hi {name}"}).status_code == 302
    saved.refresh_from_db()
    assert (saved.title, saved.body) == ("Pool", "Hi {name}")

    assert staff_client.post(page, {"title": "pool", "body": "dup"}).status_code == 400  # same title, any case
    assert staff_client.post(reverse("inbox:saved_reply_delete", args=[saved.pk])).status_code == 302
    assert not SavedReply.objects.exists()
    assert staff_client.get(edit).status_code == 404


def test_render_leaves_an_unknown_placeholder_visible():
    conversation = ConversationFactory.create(contact=ContactFactory.create(name="Dana Reyes"))
    saved = SavedReply(title="x", body="Hi {first_name}, {club} says {name}! {{literal}}")
    rendered = saved_replies.saved_reply_render(saved_reply=saved, conversation=conversation)
    assert rendered == "Hi Dana, {club} says Dana Reyes! {{literal}}"


# --- query pins of the API list -------------------------------------------------------------------

# Session + user, the page of rows (joined, unread-for-me an EXISTS), their labels (cursor: no COUNT).
LIST_API_QUERIES = 4


@pytest.mark.parametrize("count", [3, 30])
def test_list_api_queries_are_constant(staff, count, django_assert_num_queries):
    for n in range(count):
        conversation = ConversationFactory.create(contact=ContactFactory.create(clubos_id=70_000 + n))
        conversation.labels.create(name=f"label {n}")
    client = APIClient()
    client.force_login(staff)
    with django_assert_num_queries(LIST_API_QUERIES):
        response = client.get("/api/v1/inbox/conversations/")
    assert len(response.json()["results"]) == count
