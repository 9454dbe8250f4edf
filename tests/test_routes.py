"""Every route of the URL resolver × five roles, with objects that belong to someone else.

The table below holds one expectation per route pattern: the status each role gets (anonymous,
the owner of the objects in the URL, another member, club staff with admin access through the
"Club staff" group, an admin). Adding a route without adding its row here fails
`test_every_route_has_an_expectation`; a changed answer fails `test_route_answers_each_role_as_expected`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.services import api_token_create, club_staff_group_ensure
from ai_agent.models import AgentSettings, Decision, ThreadInsight
from clubos.models import NameLookup, SyncControl, SyncRun, SyncState
from inbox.models import Conversation, ConversationEvent, IntegrationSource, Label, Note, SavedReply
from messaging import moderation, selectors, services
from messaging.models import Message, MessagingSettings, MessagingSuspension, ModerationAction, Preferences
from tests.accounts.factories import AdminFactory, MemberFactory, StaffFactory, as_user
from tests.inbox.factories import ConversationFactory

ROLES = ("anonymous", "owner", "other", "staff", "admin")


@dataclass
class World:
    owner: User
    buddy: User
    other: User
    staff: User
    admin: User
    thread_id: int
    message_id: int
    conversation: Conversation
    objects: dict[str, Any]


def _world() -> World:
    owner, buddy, other = as_user(MemberFactory()), as_user(MemberFactory()), as_user(MemberFactory())
    staff = as_user(StaffFactory(is_staff=True))
    staff.groups.add(club_staff_group_ensure())
    admin = as_user(AdminFactory())
    services.messaging_set_enabled(actor=None, enabled=True)
    selectors.messaging_enabled_cache_clear()
    thread, _ = services.thread_start(initiator=buddy, recipient=owner)
    message = services.message_send(sender=buddy, thread_id=thread.pk, body="hello")
    mine = services.message_send(sender=owner, thread_id=thread.pk, body="hi back")
    report, _ = services.report_create(reporter=owner, message_id=message.pk, reason="test")
    blocked = as_user(MemberFactory())
    block = services.block_create(blocker=owner, blocked=blocked)
    conversation = ConversationFactory.create(contact__user=owner, contact__clubos_id=61_000_777)
    # The safety queue: buddy's earlier message reported and decided (buddy suspended); `report` stays open.
    earlier = services.message_send(sender=buddy, thread_id=thread.pk, body="earlier")
    decided, _ = services.report_create(reporter=owner, message_id=earlier.pk, reason="rude")
    moderation.report_decide(report_id=decided.pk, actor=staff, decision="suspend")
    suspension = MessagingSuspension.objects.get(member=buddy)
    now = timezone.now()
    objects = {
        "auth/group": staff.groups.get().pk,
        "authtoken/tokenproxy": Token.objects.create(user=owner).user_id,
        "accounts/user": owner.pk,
        "messaging/messagingsettings": MessagingSettings.objects.get().pk,
        "messaging/report": report.pk,
        "messaging/block": block.pk,
        "inbox/contact": conversation.contact_id,
        "inbox/conversation": conversation.pk,
        "inbox/integrationsource": IntegrationSource.objects.create(
            slug="website-chat", name="Website chat", callback_url="https://chat.example.test/replies"
        ).pk,
        "accounts/apitoken": api_token_create(name="Zapier", user=staff)[0].pk,
        "inbox/inboxmessage": conversation.messages.create(
            direction="inbound", channel="sms", author_kind="member", body="pool?", sent_at=now, clubos_message_id=9
        ).pk,
        "inbox/conversationevent": ConversationEvent.objects.create(
            conversation=conversation, actor=staff, kind="status", data='{"to": "pending"}', created_at=now
        ).pk,
        "inbox/note": Note.objects.create(conversation=conversation, author=staff, body="called", created_at=now).pk,
        "inbox/label": Label.objects.create(name="billing").pk,
        "inbox/savedreply": SavedReply.objects.create(title="Hours", body="Hi {first_name}").pk,
        "clubos/synccontrol": SyncControl.objects.get_or_create(pk=1)[0].pk,
        "clubos/syncstate": SyncState.objects.create(owner_id=1512, owner_name="Front desk").pk,
        "clubos/syncrun": SyncRun.objects.create(started_at=now).pk,
        "clubos/namelookup": NameLookup.objects.create(name="dana reyes", looked_up_at=now).pk,
        "ai_agent/agentsettings": AgentSettings.objects.get_or_create(pk=1)[0].pk,
        "ai_agent/decision": Decision.objects.create(
            message=conversation.messages.get(), conversation=conversation, decision="suggested", reply="Hi!"
        ).pk,
        "ai_agent/threadinsight": ThreadInsight.objects.create(conversation=conversation, summary="pool").pk,
        "messaging/preferences": Preferences.objects.get_or_create(user=owner)[0].pk,
        "messaging/messagingsuspension": suspension.pk,
        "messaging/moderationaction": ModerationAction.objects.get().pk,
        "mine": mine.pk,
        "saved_reply": SavedReply.objects.create(title="Pool hours", body="Hi {first_name}, 6 to 22.").pk,
    }
    return World(owner, buddy, other, staff, admin, thread.pk, message.pk, conversation, objects)


# --- Expectations ------------------------------------------------------------------------------
# "anonymous owner other staff admin" statuses. The owner is a member with a thread (with `buddy`),
# a report, a block, an inbox conversation and an API token; "other" is a member with none of them.

Kwargs = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Expect:
    statuses: str
    method: str = "get"
    kwargs: Kwargs | None = None
    data: dict[str, Any] | None = None


def _thread(w: World) -> dict[str, Any]:
    return {"thread_id": w.thread_id}


def _buddy(w: World) -> dict[str, Any]:
    return {"username": w.buddy.username}


def _owner_name(w: World) -> dict[str, Any]:
    return {"username": w.owner.username}


def _conversation(w: World) -> dict[str, Any]:
    return {"conversation_id": w.conversation.pk}


def _saved_reply(w: World) -> dict[str, Any]:
    return {"saved_reply_id": w.objects["saved_reply"]}


def _reset(w: World) -> dict[str, Any]:
    return {
        "uidb64": urlsafe_base64_encode(force_bytes(w.owner.pk)),
        "token": default_token_generator.make_token(w.owner),
    }


SITE: dict[str, Expect] = {
    # accounts
    "": Expect("302 302 302 302 302"),
    "accounts/login/": Expect("200 302 302 302 302"),
    "accounts/logout/": Expect("302 302 302 302 302", "post"),
    "accounts/password/": Expect("302 200 200 200 200"),
    "accounts/password/done/": Expect("302 200 200 200 200"),
    # → the set-password form; the owner's own sign-in (last) changed last_login, so the link is spent
    "accounts/reset/<uidb64>/<token>/": Expect("302 200 302 302 302", kwargs=_reset),
    "accounts/reset/done/": Expect("200 200 200 200 200"),
    "members/": Expect("302 200 200 200 200"),
    "members/<str:username>/": Expect("302 200 200 200 200", kwargs=_owner_name),
    "members/<str:username>/edit/": Expect("302 200 403 403 403", kwargs=_owner_name),
    # direct messages (the owner's thread with buddy; others get 404, never the thread)
    "messages/": Expect("302 200 200 200 200"),
    "messages/start/<str:username>/": Expect("302 302 302 302 302", "post", _buddy),
    "messages/block/<str:username>/": Expect("302 302 302 302 302", "post", _buddy),
    "messages/unblock/<str:username>/": Expect("302 302 302 302 302", "post", _buddy),
    "messages/report/<id:message_id>/": Expect("302 200 404 404 404", kwargs=lambda w: {"message_id": w.message_id}),
    "messages/<id:thread_id>/": Expect("302 200 404 404 404", kwargs=_thread),
    "messages/<id:thread_id>/send/": Expect("302 302 404 404 404", "post", _thread, {"body": "hi"}),
    "messages/<id:thread_id>/archive/": Expect("302 302 404 404 404", "post", _thread),
    "messages/new/": Expect("302 200 200 200 200"),
    "messages/search/": Expect("302 200 200 200 200", data={"q": "hello"}),
    "messages/settings/": Expect("302 200 200 200 200"),
    # a token that doesn't verify: a clear 400 page for anyone (the signed token is the credential)
    "messages/unsubscribe/<str:token>/": Expect("400 400 400 400 400", kwargs=lambda w: {"token": "not-a-token"}),
    "messages/message/<id:message_id>/edit/": Expect(
        "302 200 404 404 404", kwargs=lambda w: {"message_id": w.objects["mine"]}
    ),
    "messages/message/<id:message_id>/delete/": Expect(
        "302 302 404 404 404", "post", lambda w: {"message_id": w.objects["mine"]}
    ),
    "messages/<id:thread_id>/mute/": Expect("302 302 404 404 404", "post", _thread),
    # staff inbox and the ClubOS sync
    "inbox/": Expect("302 404 404 200 200"),
    # one conversation's page (members: 404, the page does not exist for them), its actions and live parts
    "inbox/<id:conversation_id>/": Expect("302 404 404 200 200", kwargs=_conversation),
    "inbox/<id:conversation_id>/act/": Expect(
        "302 404 404 302 302", "post", _conversation, {"action": "priority", "priority": "high"}
    ),
    "inbox/<id:conversation_id>/live/": Expect("302 404 404 200 200", kwargs=_conversation),
    "inbox/rows/": Expect("302 404 404 200 200"),
    "inbox/<id:conversation_id>/resolve/": Expect(
        "302 404 404 302 302", "post", lambda w: {"conversation_id": w.conversation.pk}
    ),
    "inbox/saved-replies/": Expect("302 404 404 200 200"),
    "inbox/saved-replies/<id:saved_reply_id>/": Expect("302 404 404 200 200", kwargs=_saved_reply),
    # staff delete it, so the admin (next) finds nothing
    "inbox/saved-replies/<id:saved_reply_id>/delete/": Expect("302 404 404 302 404", "post", _saved_reply),
    "clubos/": Expect("302 404 404 200 200"),
    # reports: a staff page to look at, and its CSV (members 404)
    "inbox/stats/": Expect("302 404 404 200 200"),
    "inbox/stats/export.csv": Expect("302 404 404 200 200"),
    # the safety queue (messaging's pages in the staff area): members 404, staff decide
    "inbox/reports/": Expect("302 404 404 200 200"),
    "inbox/reports/<id:report_id>/": Expect(
        "302 404 404 200 200", kwargs=lambda w: {"report_id": w.objects["messaging/report"]}
    ),
    "inbox/reports/suspensions/<id:suspension_id>/lift/": Expect(
        "302 404 404 302 302", "post", lambda w: {"suspension_id": w.objects["messaging/messagingsuspension"]}
    ),
    "clubos/^(?P<action>sync|pause|resume)/$": Expect("302 404 404 302 302", "post", lambda w: {"action": "pause"}),
    # API: 401 for anonymous, 404 for a thread that isn't yours, 403 for staff-only endpoints
    "api/v1/messaging/threads/": Expect("401 200 200 200 200"),
    "api/v1/messaging/threads/<id:thread_id>/": Expect("401 200 404 404 404", kwargs=_thread),
    "api/v1/messaging/threads/<id:thread_id>/messages/": Expect("401 200 404 404 404", kwargs=_thread),
    "api/v1/messaging/threads/<id:thread_id>/read/": Expect("401 200 404 404 404", "post", _thread),
    "api/v1/messaging/messages/<id:message_id>/report/": Expect(
        "401 200 404 404 404", "post", lambda w: {"message_id": w.message_id}, {"reason": "again"}
    ),
    "api/v1/messaging/messages/<id:message_id>/": Expect(
        "401 200 404 404 404", "delete", lambda w: {"message_id": w.objects["mine"]}
    ),
    "api/v1/messaging/preferences/": Expect("401 200 200 200 200"),
    "api/v1/messaging/recipients/": Expect("401 200 200 200 200", data={"q": "a"}),
    "api/v1/messaging/search/": Expect("401 200 200 200 200", data={"q": "hello"}),
    "api/v1/messaging/blocks/": Expect("401 200 200 200 200"),
    "api/v1/messaging/blocks/<str:username>/": Expect("401 404 404 404 404", "delete", _buddy),
    "api/v1/messaging/unread/": Expect("401 200 200 200 200"),
    "api/v1/clubos/sync/": Expect("401 403 403 200 200"),
    # an integration source's webhook: its HMAC signature is the only credential (none here → 401 for all)
    "api/v1/inbox/sources/<str:slug>/messages/": Expect(
        "401 401 401 401 401", "post", lambda w: {"slug": "website-chat"}, {"message_id": "m1"}
    ),
    "api/v1/messaging/reports/": Expect("401 403 403 200 200"),
    "api/v1/messaging/reports/<id:report_id>/": Expect(
        "401 403 403 200 200", kwargs=lambda w: {"report_id": w.objects["messaging/report"]}
    ),
    # staff decide first (200); the admin then finds it decided (409)
    "api/v1/messaging/reports/<id:report_id>/decide/": Expect(
        "401 403 403 200 409", "post", lambda w: {"report_id": w.objects["messaging/report"]}, {"decision": "dismiss"}
    ),
    "api/v1/messaging/suspensions/<id:suspension_id>/lift/": Expect(
        "401 403 403 200 200", "post", lambda w: {"suspension_id": w.objects["messaging/messagingsuspension"]}
    ),
    # one staff-inbox conversation: staff only (members 403 as on every staff endpoint)
    "api/v1/inbox/labels/": Expect("401 403 403 200 200"),
    "api/v1/inbox/conversations/<id:conversation_id>/": Expect("401 403 403 200 200", kwargs=_conversation),
    "api/v1/inbox/conversations/<id:conversation_id>/mark-read/": Expect("401 403 403 200 200", "post", _conversation),
    "api/v1/inbox/conversations/<id:conversation_id>/mark-unread/": Expect(
        "401 403 403 200 200", "post", _conversation
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/reply/": Expect(
        "401 403 403 201 201", "post", _conversation, {"channel": "sms", "body": "See you at 6"}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/note/": Expect(
        "401 403 403 201 201", "post", _conversation, {"body": "Called her back"}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/assign/": Expect(
        "401 403 403 200 200", "post", _conversation, {"assignee_id": None}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/labels/": Expect(
        "401 403 403 200 200", "put", _conversation, {"names": ["billing"]}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/priority/": Expect(
        "401 403 403 200 200", "post", _conversation, {"priority": "high"}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/status/": Expect(
        "401 403 403 200 200", "post", _conversation, {"status": "pending"}
    ),
    "api/v1/inbox/conversations/<id:conversation_id>/snooze/": Expect(
        "401 403 403 200 200", "post", _conversation, {"until": "2999-01-01T09:00:00Z"}
    ),
    "api/v1/inbox/conversations/": Expect("401 403 403 200 200", data={"q": "pool"}),
    "api/v1/inbox/conversations/recent/": Expect("401 403 403 200 200", data={"hours": "24"}),
    "api/v1/inbox/saved-replies/": Expect("401 403 403 200 200"),
    "api/v1/inbox/saved-replies/<id:saved_reply_id>/": Expect("401 403 403 200 200", kwargs=_saved_reply),
    "api/v1/inbox/saved-replies/<id:saved_reply_id>/render/": Expect(
        "401 403 403 200 200", kwargs=_saved_reply, data={"conversation": "conversation"}
    ),
    "api/schema/": Expect("401 200 200 200 200"),
    "api/docs/": Expect("302 200 200 200 200"),
    # the icon for pages without an icon link (the admin): a redirect to the static SVG, for everyone
    "favicon.ico": Expect("301 301 301 301 301"),
    # the AI agent: staff only
    "ai/": Expect("302 404 404 200 200"),
    "ai/suggestions/<id:decision_id>/": Expect(
        "302 404 404 302 302", "post", lambda w: {"decision_id": w.objects["ai_agent/decision"]}, {"action": "discard"}
    ),
    "api/v1/ai/stats/": Expect("401 403 403 200 200"),
    "api/v1/ai/decisions/": Expect("401 403 403 200 200"),
    "api/v1/ai/conversations/<id:conversation_id>/insight/": Expect(
        "401 403 403 200 200", kwargs=lambda w: {"conversation_id": w.conversation.pk}
    ),
    # health for load balancers: no sign-in, nothing private in the answer
    "healthz": Expect("200 200 200 200 200"),
    "readyz": Expect("200 200 200 200 200"),
}

# Django admin. Members are not admin users (→ the admin sign-in page); staff see and change
# members only (accounts/user), nothing else; admins everything the model admins allow.
ADMIN_SITE: dict[str, Expect] = {
    "admin/": Expect("302 302 302 200 200"),
    "admin/login/": Expect("200 200 200 302 302"),
    "admin/logout/": Expect("302 302 302 302 302", "post"),
    "admin/password_change/": Expect("302 302 302 200 200"),
    "admin/password_change/done/": Expect("302 302 302 200 200"),
    "admin/autocomplete/": Expect("302 302 302 403 403"),  # no app/model/field given
    "admin/jsi18n/": Expect("302 302 302 200 200"),
    "admin/r/<path:content_type_id>/<path:object_id>/": Expect(
        "302 302 302 404 404",
        kwargs=lambda w: {
            "content_type_id": ContentType.objects.get_for_model(Message).pk,
            "object_id": w.objects["mine"],
        },
    ),
    "admin/^(?P<app_label>auth|authtoken|accounts|messaging|inbox|clubos|ai_agent)/$": Expect(
        "302 302 302 404 200", kwargs=lambda w: {"app_label": "messaging"}
    ),
    "admin/(?P<url>.*)$": Expect("302 302 302 404 404", kwargs=lambda w: {"url": "no/such/page/"}),
    "admin/accounts/user/<id>/password/": Expect("302 302 302 403 200", kwargs=lambda w: {"id": w.owner.pk}),
}

# Model admins: per model, the statuses of changelist, add, change, history, delete, and the
# bare `<id>/` URL (a redirect to change).
NO_STAFF = "302 302 302 403 200"
ADMIN_MODELS: dict[str, dict[str, str]] = {
    "auth/group": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "authtoken/tokenproxy": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "accounts/user": {
        "changelist": "302 302 302 200 200",
        "add": NO_STAFF,
        "change": "302 302 302 200 200",  # the owner is a member: staff may edit their profile
        "history": "302 302 302 200 200",
        "delete": NO_STAFF,
    },
    "messaging/messagingsettings": {
        # a singleton: the list goes straight to its change page (which is 403 for staff)
        "changelist": "302 302 302 302 302",
        "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": "302 302 302 403 403",
    },
    "messaging/report": {
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": NO_STAFF,
    },
    "messaging/preferences": {
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": NO_STAFF,
    },
    "messaging/messagingsuspension": {
        # made in the safety queue, lifted (never deleted): no add or delete in admin
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": "302 302 302 403 403",
    },
    "messaging/moderationaction": {
        # the audit trail: read only
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": "302 302 302 403 403",
    },
    "messaging/block": {
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": NO_STAFF,
    },
    "inbox/contact": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "inbox/conversation": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "inbox/inboxmessage": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    # the audit trail: admins read it, nobody writes or deletes it
    "inbox/conversationevent": {
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": "302 302 302 403 403",
    },
    "inbox/note": {
        "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": NO_STAFF,
    },
    "inbox/label": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "inbox/savedreply": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    # integration sources (their signing secrets) and API tokens: admins only
    "inbox/integrationsource": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    "accounts/apitoken": {
        "changelist": NO_STAFF, "add": NO_STAFF, "change": NO_STAFF, "history": NO_STAFF, "delete": NO_STAFF
    },
    **{
        model: {
            "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
            "delete": NO_STAFF,
        }
        for model in ("clubos/synccontrol", "clubos/syncstate", "clubos/syncrun", "clubos/namelookup")
    },
    "ai_agent/agentsettings": {
        "changelist": "302 302 302 302 302",  # a singleton: straight to its change page
        "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
        "delete": "302 302 302 403 403",
    },
    **{
        model: {
            "changelist": NO_STAFF, "add": "302 302 302 403 403", "change": NO_STAFF, "history": NO_STAFF,
            "delete": NO_STAFF,
        }
        for model in ("ai_agent/decision", "ai_agent/threadinsight")
    },
}  # fmt: skip


def _admin_model_expectations() -> dict[str, Expect]:
    table: dict[str, Expect] = {}
    for model, statuses in ADMIN_MODELS.items():

        def obj(w: World, model: str = model) -> dict[str, Any]:
            return {"object_id": w.objects[model]}

        base = f"admin/{model}/"
        table[base] = Expect(statuses["changelist"])
        table[f"{base}add/"] = Expect(statuses["add"])
        table[f"{base}<path:object_id>/change/"] = Expect(statuses["change"], kwargs=obj)
        table[f"{base}<path:object_id>/history/"] = Expect(statuses["history"], kwargs=obj)
        table[f"{base}<path:object_id>/delete/"] = Expect(statuses["delete"], kwargs=obj)
        table[f"{base}<path:object_id>/"] = Expect("302 302 302 302 302", kwargs=obj)
    return table


EXPECTATIONS: dict[str, Expect] = {**SITE, **ADMIN_SITE, **_admin_model_expectations()}


def _routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    """The full pattern of every route of the resolver (admin, API and pages alike)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern)


ROUTES = sorted(set(_routes()))


def test_every_route_has_an_expectation():
    missing = [pattern for pattern in ROUTES if pattern not in EXPECTATIONS]
    stale = [pattern for pattern in EXPECTATIONS if pattern not in ROUTES]
    assert missing == [], f"routes with no row in tests/test_routes.py: {missing}"
    assert stale == [], f"rows for routes that no longer exist: {stale}"


def _url(pattern: str, kwargs: dict[str, Any]) -> str:
    """The pattern with its parameters filled in, checked to resolve back to the same pattern."""
    path = "/" + pattern
    for key, value in kwargs.items():
        regex_group = f"(?P<{key}>"
        if regex_group in path:
            start = path.index(regex_group)
            path = path[:start] + str(value) + path[path.index(")", start) + 1 :]
        for token in (f"<path:{key}>", f"<str:{key}>", f"<id:{key}>", f"<{key}>"):
            path = path.replace(token, str(value))
    path = path.replace("^", "").replace("$", "")
    resolved = get_resolver().resolve(path).route
    assert resolved.replace("^", "").replace("$", "") == pattern.replace("^", "").replace("$", ""), (path, resolved)
    return path


def _client(world: World, role: str) -> Client:
    client = Client()
    user = {"owner": world.owner, "other": world.other, "staff": world.staff, "admin": world.admin}.get(role)
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("pattern", ROUTES)
def test_route_answers_each_role_as_expected(pattern):
    expect = EXPECTATIONS.get(pattern)
    if expect is None:
        pytest.fail(f"no expectation for {pattern}")
    world = _world()
    url = _url(pattern, expect.kwargs(world) if expect.kwargs else {})
    got = []
    for role in ("anonymous", "other", "staff", "admin", "owner"):  # the owner last: its writes are real
        client = _client(world, role)
        if expect.method == "get":
            response = client.get(url, _query(world, expect.data))
        else:
            response = _send(client, expect.method, url, expect.data or {}, api=pattern.startswith("api/"))
        got.append((role, response.status_code))
    statuses = dict(got)
    actual = " ".join(str(statuses[role]) for role in ROLES)
    assert actual == expect.statuses, f"{pattern}: expected {expect.statuses}, got {actual} ({' '.join(ROLES)})"


def _query(world: World, data: dict[str, Any] | None) -> dict[str, Any]:
    """A GET's query string; the value "conversation" stands for the world's conversation id."""
    return {key: world.conversation.pk if value == "conversation" else value for key, value in (data or {}).items()}


def _send(client: Client, method: str, url: str, data: dict[str, Any], *, api: bool) -> Any:
    if api:
        return getattr(client, method)(url, data, content_type="application/json")
    return getattr(client, method)(url, data)  # a form post
