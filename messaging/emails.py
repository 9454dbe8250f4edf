"""The unread-message email and its signed one-click unsubscribe link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .app_settings import app_settings

if TYPE_CHECKING:
    from .models import ModerationAction, Participant

UNSUBSCRIBE_SALT = "messaging.unsubscribe"


def unsubscribe_token(*, user_id: int) -> str:
    """A signed, non-expiring token naming the member (an old email's link keeps working)."""
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(str(user_id))


def unsubscribe_token_user_id(token: str) -> int:
    """The member a token names; raises signing.BadSignature for anything forged or mangled."""
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    try:
        return int(value)
    except ValueError as error:
        raise signing.BadSignature("Not a member id.") from error


def unsubscribe_url(*, user_id: int) -> str:
    return app_settings.SITE_URL + reverse("messaging:unsubscribe", args=[unsubscribe_token(user_id=user_id)])


def send_unread_email(*, participant: Participant) -> None:
    """One email about one thread's unread burst. No message text: email is not a private channel."""
    user, other = participant.user, participant.other
    context = {
        "user": user,
        "other": other,
        "count": participant.unread_count,
        "thread_url": app_settings.SITE_URL + reverse("messaging:thread_detail", args=[participant.thread_id]),
        "unsubscribe_url": unsubscribe_url(user_id=user.pk),
        "settings_url": app_settings.SITE_URL + reverse("messaging:preferences"),
    }
    subject = render_to_string("messaging/email/unread_subject.txt", context).strip()
    email = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("messaging/email/unread.txt", context),
        to=[user.email],
        headers={
            # RFC 8058: mail clients offer their own one-click unsubscribe, which POSTs to the link.
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(render_to_string("messaging/email/unread.html", context), "text/html")
    email.send()


def send_moderation_warning(*, action: ModerationAction) -> None:
    """The club's staff warned the member about a reported message: the note, not the message itself."""
    member = action.member
    context = {
        "user": member,
        "note": action.note,
        "messages_url": app_settings.SITE_URL + reverse("messaging:thread_list"),
    }
    EmailMultiAlternatives(
        subject=render_to_string("messaging/email/warning_subject.txt", context).strip(),
        body=render_to_string("messaging/email/warning.txt", context),
        to=[member.email],
    ).send()
