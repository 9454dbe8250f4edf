"""Writes of the staff inbox, one module per job.

- `ingest`: messages synced from ClubOS enter the inbox (the sync's sink), contacts are matched.
- `conversations`: what staff do with a conversation (mark read, reply).
- `outbound`: the one outbound path (`outbound_message_queue`) and the delivery state machine.
"""
