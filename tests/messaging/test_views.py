from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from messaging import selectors, services
from messaging.models import Message, Participant, Report, Thread
from tests.messaging.factories import make_member

pytestmark = pytest.mark.django_db


def _thread_url(thread) -> str:
    return reverse("messaging:thread_detail", args=[thread.pk])


# --- anonymous, foreign threads -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "method"),
    [
        ("messaging:thread_list", [], "get"),
        ("messaging:thread_detail", [1], "get"),
        ("messaging:thread_reply", [1], "post"),
        ("messaging:thread_start", ["someone"], "post"),
        ("messaging:block", ["someone"], "post"),
        ("messaging:message_report", [1], "get"),
    ],
)
def test_anonymous_is_sent_to_login(client, messaging_on, name, args, method):
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_another_members_thread_is_404_on_every_route(thread, member, other_member):
    message = services.message_send(sender=member, thread_id=thread.pk, body="private")
    outsider = Client()
    outsider.force_login(make_member())
    assert outsider.get(_thread_url(thread)).status_code == 404
    assert outsider.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": "x"}).status_code == 404
    assert outsider.post(reverse("messaging:thread_archive", args=[thread.pk])).status_code == 404
    assert outsider.post(reverse("messaging:thread_mute", args=[thread.pk])).status_code == 404
    assert outsider.get(reverse("messaging:message_report", args=[message.pk])).status_code == 404
    assert outsider.get(reverse("messaging:thread_detail", args=[999999])).status_code == 404
    assert Message.objects.count() == 1


# --- profile button -----------------------------------------------------------------------------


def test_profile_shows_message_button_only_when_it_makes_sense(member_client, member, other_member, messaging_on):
    profile = reverse("accounts:profile", args=[other_member.username])
    start = reverse("messaging:thread_start", args=[other_member.username])
    assert start in member_client.get(profile).content.decode()
    # Not on your own profile.
    own = member_client.get(reverse("accounts:profile", args=[member.username])).content.decode()
    assert "messaging/start" not in own
    assert "data-messaging" not in own
    # Not for a blocked pair (either way); the blocker sees Unblock.
    services.block_create(blocker=other_member, blocked=member)
    content = member_client.get(profile).content.decode()
    assert start not in content
    assert 'data-messaging="block"' in content
    services.block_delete(blocker=other_member, blocked=member)
    services.block_create(blocker=member, blocked=other_member)
    content = member_client.get(profile).content.decode()
    assert start not in content
    assert 'data-messaging="unblock"' in content


def test_message_button_opens_or_starts_the_one_thread(member_client, other_client, member, other_member, messaging_on):
    response = member_client.post(reverse("messaging:thread_start", args=[other_member.username]))
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _thread_url(thread)
    response = other_client.post(reverse("messaging:thread_start", args=[member.username]))
    assert response["Location"] == _thread_url(thread)
    assert Thread.objects.count() == 1
    assert member_client.get(reverse("messaging:thread_start", args=[other_member.username])).status_code == 405


def test_starting_with_a_blocked_or_unknown_member_is_refused(member_client, member, other_member, messaging_on):
    services.block_create(blocker=other_member, blocked=member)
    assert member_client.post(reverse("messaging:thread_start", args=[other_member.username])).status_code == 403
    assert member_client.post(reverse("messaging:thread_start", args=["nobody"])).status_code == 404
    assert member_client.post(reverse("messaging:thread_start", args=[member.username])).status_code == 403
    assert not Thread.objects.exists()


def test_block_and_unblock_from_the_profile(member_client, member, other_member, messaging_on):
    response = member_client.post(reverse("messaging:block", args=[other_member.username]))
    assert response.status_code == 302
    assert member_client.post(reverse("messaging:block", args=[other_member.username])).status_code == 302
    from messaging.models import Block

    assert Block.objects.filter(blocker=member, blocked=other_member).count() == 1
    member_client.post(reverse("messaging:unblock", args=[other_member.username]))
    assert not Block.objects.exists()


# --- thread list --------------------------------------------------------------------------------


def test_thread_list_latest_activity_first_with_snippet_and_unread(member_client, member, messaging_on):
    quiet, busy = make_member(display_name="Quiet Person"), make_member(display_name="Busy Person")
    t1, _ = services.thread_start(initiator=member, recipient=quiet)
    t2, _ = services.thread_start(initiator=member, recipient=busy)
    services.message_send(sender=quiet, thread_id=t1.pk, body="older")
    services.message_send(sender=busy, thread_id=t2.pk, body="<b>newest</b>\nline two")
    services.message_send(sender=busy, thread_id=t2.pk, body="<b>newest</b>\nline two")
    response = member_client.get(reverse("messaging:thread_list"))
    rows = list(response.context["page"].object_list)
    assert [r.thread_id for r in rows] == [t2.pk, t1.pk]
    assert [r.unread_count for r in rows] == [2, 1]
    content = response.content.decode()
    assert "&lt;b&gt;newest&lt;/b&gt;" in content
    assert "<b>newest</b>" not in content
    assert content.index("Busy Person") < content.index("Quiet Person")


def test_archived_threads_have_their_own_tab(member_client, member, other_member, thread):
    member_client.post(reverse("messaging:thread_archive", args=[thread.pk]), {"archived": "1"})
    inbox = member_client.get(reverse("messaging:thread_list")).context["page"].object_list
    archived = member_client.get(reverse("messaging:thread_list"), {"tab": "archived"}).context["page"].object_list
    assert list(inbox) == []
    assert [p.thread_id for p in archived] == [thread.pk]
    member_client.post(reverse("messaging:thread_archive", args=[thread.pk]), {"archived": "0"})
    assert len(member_client.get(reverse("messaging:thread_list")).context["page"].object_list) == 1


def test_thread_list_paginates(member_client, member, messaging_on, settings):
    settings.MESSAGING_THREADS_PER_PAGE = 2
    for _ in range(3):
        services.thread_start(initiator=member, recipient=make_member())
    first = member_client.get(reverse("messaging:thread_list"))
    assert len(first.context["page"].object_list) == 2
    assert first.context["page"].newer is None
    assert f"older={first.context['page'].older}" in first.content.decode()
    page_two = member_client.get(reverse("messaging:thread_list"), {"older": first.context["page"].older})
    assert len(page_two.context["page"].object_list) == 1
    assert page_two.context["page"].older is None
    assert f"newer={page_two.context['page'].newer}" in page_two.content.decode()
    # The old page numbers are ignored; a position the list never issued is a 404, never a 500.
    assert member_client.get(reverse("messaging:thread_list"), {"page": "junk"}).status_code == 200
    for junk in [
        "junk",
        "1.2.3",
        "999999999999999999.1",
        "-999999999999999999.1",
        "1" * 40 + ".1",
        "1.0",
        "1.99999999999999999999",
    ]:
        assert member_client.get(reverse("messaging:thread_list"), {"older": junk}).status_code == 404
        assert member_client.get(reverse("messaging:thread_list"), {"newer": junk}).status_code == 404


# --- the conversation ---------------------------------------------------------------------------


def test_conversation_oldest_first_escaped_with_line_breaks_and_marked_read(other_client, member, other_member, thread):
    services.message_send(sender=member, thread_id=thread.pk, body="first")
    services.message_send(sender=member, thread_id=thread.pk, body="<script>alert(1)</script>\nsecond line")
    assert Participant.objects.get(thread=thread, user=other_member).unread_count == 2
    response = other_client.get(_thread_url(thread))
    content = response.content.decode()
    assert response.status_code == 200
    assert content.index("first") < content.index("second line")
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in content  # pre-wrap keeps the break
    assert Participant.objects.get(thread=thread, user=other_member).unread_count == 0
    assert response.context["messages_unread"] == 0  # the nav badge on that very page


def test_each_message_carries_the_actions_its_viewer_may_take(member_client, member, other_member, thread, settings):
    from bs4 import BeautifulSoup
    from django.utils import timezone

    old = services.message_send(sender=member, thread_id=thread.pk, body="sent long ago")
    Message.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=1))
    mine = services.message_send(sender=member, thread_id=thread.pk, body="mine <b>now</b>")
    theirs = services.message_send(sender=other_member, thread_id=thread.pk, body="theirs")
    gone = services.message_send(sender=member, thread_id=thread.pk, body="regretted")
    services.message_delete(user=member, message_id=gone.pk)
    services.message_edit(user=member, message_id=mine.pk, body="mine <b>now</b>, edited")

    page = BeautifulSoup(member_client.get(_thread_url(thread)).content, "html.parser")
    items = {int(str(li["data-message-id"])): li for li in page.select("ol.dm-messages > li[data-message-id]")}
    assert list(items) == [old.pk, mine.pk, theirs.pk, gone.pk]  # oldest first

    item = items[mine.pk]
    assert item["id"] == f"m{mine.pk}"
    assert "is-mine" in item["class"]
    assert item.has_attr("data-mine")
    assert _one(item, "[data-body]").get_text() == "mine <b>now</b>, edited"  # text, not markup
    assert _one(item, "[data-edited]").get_text() == "(edited)"
    assert _one(item, "strong").get_text() == "You"
    assert _one(item, 'a[data-action="edit"]')["href"] == reverse("messaging:message_edit", args=[mine.pk])
    delete = _one(item, 'form[data-action="delete"]')
    assert delete["action"] == reverse("messaging:message_delete", args=[mine.pk])
    assert _one(delete, 'input[name="csrfmiddlewaretoken"]')["value"]
    assert _one(item, "time")["datetime"] == Message.objects.get(pk=mine.pk).created_at.isoformat()

    assert items[old.pk].select_one('a[data-action="edit"]') is None  # past the edit window
    assert items[old.pk].select_one('form[data-action="delete"]') is not None

    item = items[theirs.pk]
    assert "is-mine" not in item["class"]
    assert not item.has_attr("data-mine")
    assert _one(item, "strong").get_text() == other_member.name
    assert [a["href"] for a in item.select("[data-actions] a")] == [
        reverse("messaging:message_report", args=[theirs.pk])
    ]

    item = items[gone.pk]
    assert "is-deleted" in item["class"]
    assert _one(item, "[data-body]").get_text() == "Message deleted"
    assert "regretted" not in str(item)
    assert item.select_one("[data-actions]") is None


def _one(node: Any, selector: str) -> Any:
    found = node.select_one(selector)
    assert found is not None, selector
    return found


def test_reply_form_sends_and_redirects(member_client, thread, other_member):
    response = member_client.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": "Hi!\nSee you"})
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#m{message.pk}")
    assert message.body == "Hi!\nSee you"


@pytest.mark.parametrize("body", ["", "    ", "y" * 5001])
def test_reply_with_bad_body_is_400_with_a_message(member_client, thread, body):
    response = member_client.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 400
    assert "Write a message" in response.content.decode() or "at most 5,000" in response.content.decode()
    assert not Message.objects.exists()


def test_reply_faster_than_thirty_a_minute_is_429_with_a_flash(member_client, thread):
    url = reverse("messaging:thread_reply", args=[thread.pk])
    for n in range(30):
        assert member_client.post(url, {"body": f"m{n}"}).status_code == 302
    response = member_client.post(url, {"body": "too fast"})
    assert response.status_code == 429
    assert "Retry-After" in response
    assert "too quickly" in response.content.decode()
    assert 'class="flash-error"' in response.content.decode()


def test_reply_when_blocked_is_refused(member_client, thread, member, other_member):
    services.block_create(blocker=other_member, blocked=member)
    page = member_client.get(_thread_url(thread)).content.decode()
    assert "data-reply-form" not in page
    response = member_client.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": "hi"})
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_forms_need_csrf(member, other_member, thread):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(reverse("messaging:thread_reply", args=[thread.pk]), {"body": "x"}).status_code == 403
    assert strict.post(reverse("messaging:thread_start", args=[other_member.username])).status_code == 403
    assert not Message.objects.exists()


def test_earlier_messages_page_back(member_client, member, other_member, thread, settings):
    settings.MESSAGING_MESSAGES_PER_PAGE = 2
    ids = [services.message_send(sender=other_member, thread_id=thread.pk, body=f"n{n}").pk for n in range(3)]
    latest = member_client.get(_thread_url(thread))
    assert [m.pk for m in latest.context["thread_messages"]] == ids[1:]
    assert latest.context["has_earlier"]
    earlier = member_client.get(_thread_url(thread), {"before": ids[1]})
    assert [m.pk for m in earlier.context["thread_messages"]] == ids[:1]


def test_mute_from_the_conversation(member_client, member, other_member, thread):
    member_client.post(reverse("messaging:thread_mute", args=[thread.pk]), {"muted": "1"})
    assert Participant.objects.get(thread=thread, user=member).muted


def test_report_a_message_lands_for_staff(member_client, member, other_member, thread):
    message = services.message_send(sender=other_member, thread_id=thread.pk, body="rude")
    url = reverse("messaging:message_report", args=[message.pk])
    assert member_client.get(url).status_code == 200
    response = member_client.post(url, {"reason": "Not nice"})
    assert response.status_code == 302
    assert response["Location"] == _thread_url(thread)
    assert Report.objects.get().reason == "Not nice"
    assert member_client.post(url, {"reason": "x" * 1001}).status_code == 400


def test_nav_badge_counts_unread_on_every_page(member_client, member, other_member, thread):
    services.message_send(sender=other_member, thread_id=thread.pk, body="a")
    services.message_send(sender=other_member, thread_id=thread.pk, body="b")
    content = member_client.get(reverse("accounts:directory")).content.decode()
    assert 'data-badge="messages"' in content
    assert '<span class="badge" data-badge="messages">2</span><span class="visually-hidden"> unread</span>' in content
    assert "<title>(2) Members · Clubroom</title>" in content


@pytest.mark.parametrize("before", ["-1", "abc", "9" * 30, "0"])
def test_odd_paging_parameters_are_not_errors(member_client, thread, before):
    response = member_client.get(_thread_url(thread), {"before": before, "page": before})
    assert response.status_code == 200
    assert member_client.get(reverse("messaging:thread_list"), {"page": before}).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/messages/{big}/",
        "/messages/{big}/send/",
        "/messages/{big}/archive/",
        "/messages/{big}/mute/",
        "/messages/report/{big}/",
        "/api/v1/messaging/threads/{big}/",
        "/api/v1/messaging/threads/{big}/messages/",
        "/api/v1/messaging/threads/{big}/read/",
    ],
)
def test_ids_too_big_for_the_database_are_404_not_500(client, path):
    services.messaging_set_enabled(actor=None, enabled=True)
    client.force_login(make_member())
    url = path.format(big="9" * 25)
    assert client.get(url).status_code == 404
    assert client.post(url, {"body": "hi"}).status_code == 404


def test_the_nav_badge_read_with_the_page_matches_a_fresh_count(member_client, member, messaging_on, settings):
    """The list and the conversation read the badge's sum with their own rows; it must be the count
    a fresh query gives, including right after opening a thread marks it read (muted threads never count)."""
    settings.MESSAGING_RATE_LIMIT_PER_MINUTE = 1000
    counts = {}
    for unread, muted in [(4, True), (2, False), (3, False)]:
        other = make_member()
        thread, _ = services.thread_start(initiator=other, recipient=member)
        for n in range(unread):
            services.message_send(sender=other, thread_id=thread.pk, body=f"hi {n}")
        if muted:
            services.participant_set_muted(user=member, thread_id=thread.pk, muted=True)
        counts[thread.pk] = (unread, muted)
    listed = member_client.get(reverse("messaging:thread_list"))
    assert listed.context["messages_unread"] == 5 == selectors.messages_unread_count(user_id=member.pk)
    for thread_id, (unread, _muted) in counts.items():
        before = selectors.messages_unread_count(user_id=member.pk)
        page = member_client.get(reverse("messaging:thread_detail", args=[thread_id]))
        after = selectors.messages_unread_count(user_id=member.pk)
        assert page.context["messages_unread"] == after
        assert f'data-badge="messages">{after}<' in page.content.decode()
        assert before - after in (0, unread)
    assert selectors.messages_unread_count(user_id=member.pk) == 0


def test_thread_list_pages_through_ties_without_losing_a_row(member_client, member, messaging_on, settings):
    """Rows with the same activity time are ordered by id, so the keyset walk sees each exactly once."""
    settings.MESSAGING_THREADS_PER_PAGE = 2
    threads = [services.thread_start(initiator=member, recipient=make_member())[0] for _ in range(5)]
    Participant.objects.filter(user=member).update(last_activity_at=threads[0].created_at)
    seen, older = [], None
    while True:
        page = member_client.get(reverse("messaging:thread_list"), {"older": older} if older else {}).context["page"]
        seen += [row.thread_id for row in page.object_list]
        if not (older := page.older):
            break
    assert sorted(seen) == sorted(t.pk for t in threads)
    assert len(seen) == len(set(seen))


def test_the_conversation_names_the_end_of_a_suspension_and_forgets_an_expired_one(
    member_client, member, thread, settings
):
    """The suspension is read with the conversation's one query: its end is shown; once over it is gone."""
    from django.utils import timezone
    from django.utils.html import escape

    from messaging.models import MessagingSuspension
    from messaging.moderation_selectors import suspension_notice

    until = timezone.now() + timedelta(days=2)
    suspension = MessagingSuspension.objects.create(member=member, until=until)
    html = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert str(escape(suspension_notice(suspension=suspension))) in html
    assert "data-reply-form" not in html
    MessagingSuspension.objects.filter(pk=suspension.pk).update(until=timezone.now() - timedelta(minutes=1))
    html = member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).content.decode()
    assert "suspended your messaging" not in html
    assert "data-reply-form" in html
