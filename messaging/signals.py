"""Public signals of the messaging app. Both are sent after the transaction commits.

message_sent(sender=Message, message_id: int, thread_id: int, sender_id: int, recipient_id: int)
    A direct message was stored. Receivers get ids only; load what they need.

messaging_toggled(sender=MessagingSettings, enabled: bool, changed_by_id: int | None)
    An admin flipped "Direct messaging enabled".
"""

from django.dispatch import Signal

message_sent = Signal()
messaging_toggled = Signal()
