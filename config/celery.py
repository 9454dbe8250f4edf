"""The Celery app and the one beat schedule.

Workers: `celery -A config worker`; exactly one `celery -A config beat`. In embedded mode
(no REDIS_URL) tasks run eagerly and config.scheduler runs this same schedule in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clubroom")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule() -> dict[str, dict[str, object]]:
    """Built lazily so the intervals come from the apps' settings (clubos, inbox, messaging), not from import time."""
    from clubos.app_settings import app_settings as clubos_settings
    from inbox import app_settings as inbox_settings
    from messaging.app_settings import app_settings as messaging_settings

    poll = float(clubos_settings.POLL_SECONDS)
    sweep = inbox_settings.outbox_sweep_seconds()
    return {
        "messaging-unread-emails": {
            "task": "messaging.tasks.send_unread_emails",
            "schedule": messaging_settings.UNREAD_EMAIL_SWEEP_SECONDS,
            "options": {"expires": messaging_settings.UNREAD_EMAIL_SWEEP_SECONDS},
        },
        "clubos-sync": {
            "task": "clubos.tasks.sync_inbox",
            "schedule": poll,
            "options": {"expires": poll},
        },
        # The outbox: re-queues replies whose task was lost (broker down) or whose worker died.
        "outbox-sweep": {
            "task": "inbox.tasks.sweep_outbox",
            "schedule": sweep,
            "options": {"expires": sweep},
        },
        # Snoozed conversations whose time has come are reopened (the minute is the resolution people pick).
        "inbox-snoozes-wake": {
            "task": "inbox.tasks.snoozes_wake",
            "schedule": inbox_settings.snooze_wake_seconds(),
            "options": {"expires": inbox_settings.snooze_wake_seconds()},
        },
        # The staff badges' entries, repaired from the truth: a write that missed them is corrected here.
        "inbox-badges-rebuild": {
            "task": "inbox.tasks.badges_rebuild",
            "schedule": inbox_settings.badges_rebuild_seconds(),
            "options": {"expires": inbox_settings.badges_rebuild_seconds()},
        },
    }


@app.on_after_finalize.connect
def _install_beat_schedule(sender: Celery, **kwargs: object) -> None:
    sender.conf.beat_schedule = beat_schedule()
