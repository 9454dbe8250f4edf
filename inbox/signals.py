"""Public signals of the staff inbox.

inbound_messages_received(sender=InboxMessage, message_ids: list[int])
    Sent once per committed batch of NEW inbound messages (synced from ClubOS), after the
    transaction that stored them has committed, so receivers can read them straight away.
    `message_ids` are InboxMessage primary keys, oldest first. Receivers should hand heavy work
    (the AI agent's replies) to a Celery task with those ids rather than doing it inline; an
    exception in a receiver is logged and does not affect the sync.
"""

from django.dispatch import Signal

inbound_messages_received = Signal()
