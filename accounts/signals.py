"""Public signals of accounts.

demo_club_seeded(sender=<the seed_demo command class>)
    Sent by the `seed_demo` command after the demo roster exists, so other apps seed their own demo
    data (e.g. the AI agent's settings) without accounts importing them. Not sent by the
    `demo_club_seed()` service that tests use. Receivers must be idempotent: seed_demo runs on every
    `make run`.
"""

from django.dispatch import Signal

demo_club_seeded = Signal()
