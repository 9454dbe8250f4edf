from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Staff inbox"

    def ready(self) -> None:
        from realtime.registry import badge_register

        from . import live, selectors

        badge_register(name="inbox", count=selectors.staff_unread_count, groups=live.staff_groups)
