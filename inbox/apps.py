from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Staff inbox"

    def ready(self) -> None:
        from realtime.registry import badge_register, topic_register

        # `tasks` registers the delivery task with the Celery app, so `signature(DELIVERY_TASK)` resolves
        # to it (and runs eagerly in embedded mode) in processes that never import inbox.tasks otherwise.
        from . import live, selectors, tasks  # noqa: F401

        badge_register(name="inbox", count=selectors.staff_unread_count, groups=live.staff_groups)
        topic_register(name=live.CONVERSATION_CHANGED, groups=live.staff_groups)
