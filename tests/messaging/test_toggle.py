"""The admin switch: off by default, off means 404 everywhere (nothing deleted), on brings it back."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from messaging import selectors, services
from messaging.models import Message, MessagingSettings, Thread, ToggleChange

pytestmark = pytest.mark.django_db


def _routes(thread, message, other):
    return [
        ("get", reverse("messaging:thread_list"), None),
        ("get", reverse("messaging:thread_detail", args=[thread.pk]), None),
        ("post", reverse("messaging:thread_reply", args=[thread.pk]), {"body": "hi"}),
        ("post", reverse("messaging:thread_start", args=[other.username]), None),
        ("post", reverse("messaging:thread_archive", args=[thread.pk]), None),
        ("post", reverse("messaging:thread_mute", args=[thread.pk]), None),
        ("post", reverse("messaging:block", args=[other.username]), None),
        ("post", reverse("messaging:unblock", args=[other.username]), None),
        ("get", reverse("messaging:message_report", args=[message.pk]), None),
    ]


def _api_routes(thread, message, other):
    base = "/api/v1/messaging"
    return [
        ("get", f"{base}/threads/", None),
        ("post", f"{base}/threads/", {"username": other.username}),
        ("get", f"{base}/threads/{thread.pk}/", None),
        ("patch", f"{base}/threads/{thread.pk}/", {"muted": False}),
        ("get", f"{base}/threads/{thread.pk}/messages/", None),
        ("post", f"{base}/threads/{thread.pk}/messages/", {"body": "hi"}),
        ("post", f"{base}/threads/{thread.pk}/read/", None),
        ("get", f"{base}/blocks/", None),
        ("post", f"{base}/blocks/", {"username": other.username}),
        ("post", f"{base}/messages/{message.pk}/report/", {"reason": ""}),
    ]


def test_every_page_and_endpoint_is_404_when_off_and_back_when_on(member_client, member, other_member, thread):
    message = services.message_send(sender=other_member, thread_id=thread.pk, body="kept")
    api = APIClient()
    api.force_authenticate(member)

    services.messaging_set_enabled(actor=None, enabled=False)
    for method, url, data in _routes(thread, message, other_member):
        response = getattr(member_client, method)(url, data or {})
        assert response.status_code == 404, url
        assert "Direct messaging is turned off" in response.content.decode()
    for method, url, data in _api_routes(thread, message, other_member):
        response = getattr(api, method)(url, data, format="json")
        assert response.status_code == 404, url
    assert api.get("/api/v1/messaging/unread/").json() == {"messages": 0, "inbox": None}
    # Nothing was deleted.
    assert Thread.objects.count() == 1
    assert Message.objects.count() == 1

    services.messaging_set_enabled(actor=None, enabled=True)
    assert member_client.get(reverse("messaging:thread_detail", args=[thread.pk])).status_code == 200
    assert api.get("/api/v1/messaging/threads/").status_code == 200
    for method, url, data in _routes(thread, message, other_member):
        assert getattr(member_client, method)(url, data or {}).status_code in (200, 302), url
    for method, url, data in _api_routes(thread, message, other_member):
        assert getattr(api, method)(url, data, format="json").status_code in (200, 201), url


def test_off_hides_nav_link_badge_and_profile_button(member_client, other_member, messaging_on):
    profile = reverse("accounts:profile", args=[other_member.username])
    page = member_client.get(profile).content.decode()
    assert 'data-badge="messages"' in page
    assert reverse("messaging:thread_list") in page
    assert reverse("messaging:thread_start", args=[other_member.username]) in page

    services.messaging_set_enabled(actor=None, enabled=False)
    page = member_client.get(profile).content.decode()
    # The link stays in the page, hidden, so turning messaging back on can show it without a reload.
    assert '<li data-nav="messages" hidden>' in page
    assert "data-messaging" not in page


def test_context_processor_is_one_or_two_queries(rf, settings, member, other_member, thread, django_assert_num_queries):
    from messaging.context_processors import messaging

    settings.MESSAGING_TOGGLE_CACHE_SECONDS = 600  # the memo must outlive a pause on a busy machine
    services.message_send(sender=other_member, thread_id=thread.pk, body="hi")
    request = rf.get("/")
    request.user = member
    selectors.messaging_enabled_cache_clear()
    with django_assert_num_queries(2):  # the switch (then memoised) + the unread sum
        assert messaging(request) == {"messaging_enabled": True, "messages_unread": 1}
    with django_assert_num_queries(1):
        assert messaging(request) == {"messaging_enabled": True, "messages_unread": 1}


def test_admin_flips_the_switch_and_sees_who_did_it(admin_client_logged_in, admin_user):
    change_url = reverse("admin:messaging_messagingsettings_change", args=[1])
    listing = admin_client_logged_in.get(reverse("admin:messaging_messagingsettings_changelist"))
    assert listing.status_code == 302
    assert listing["Location"] == change_url
    page = admin_client_logged_in.get(change_url)
    assert "Direct messaging enabled" in page.content.decode()

    response = admin_client_logged_in.post(change_url, {"enabled": "on", "start_policy": "all"})
    assert response.status_code == 302
    assert MessagingSettings.objects.get().enabled is True
    assert selectors.messaging_enabled() is True
    admin_client_logged_in.post(change_url, {"start_policy": "active"})
    assert MessagingSettings.objects.get().enabled is False
    assert MessagingSettings.objects.get().start_policy == "active"

    changes = list(ToggleChange.objects.order_by("id").values_list("enabled", "changed_by"))
    assert changes == [(True, admin_user.pk), (False, admin_user.pk)]
    history = admin_client_logged_in.get(change_url).content.decode()
    assert "History of the switch" in history
    assert admin_user.name in history


def test_reports_are_reviewed_in_admin(admin_client_logged_in, member, other_member, thread):
    message = services.message_send(sender=other_member, thread_id=thread.pk, body="bad words")
    report, _ = services.report_create(reporter=member, message_id=message.pk, reason="abuse")
    listing = admin_client_logged_in.get(reverse("admin:messaging_report_changelist"))
    assert "bad words" in listing.content.decode()
    admin_client_logged_in.post(
        reverse("admin:messaging_report_changelist"),
        {"action": "mark_reviewed", "_selected_action": [report.pk]},
    )
    report.refresh_from_db()
    assert report.status == "reviewed"
    assert report.reviewed_by is not None
