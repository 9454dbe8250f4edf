from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Direct messages"

    def ready(self) -> None:
        from realtime.registry import badge_register, flag_register

        from . import (
            checks,  # noqa: F401  (registers the app's system checks)
            selectors,
            tasks,  # noqa: F401  (registers the warning-email task, queued by name on commit)
        )

        badge_register(name="messages", count=selectors.messages_badge)
        # `{"type": "messaging", "enabled": ...}` when the admin switch flips: pages show or hide the link.
        flag_register(
            name="messaging", read=lambda: selectors.messaging_enabled(fresh=True), cached=selectors.messaging_enabled
        )
