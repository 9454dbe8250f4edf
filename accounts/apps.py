from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Project-wide system checks and the <id:...> URL converter, registered before any URLconf loads.
        from config import checks, converters  # noqa: F401
