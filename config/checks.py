"""Start-up guard for the ASGI entry point (the checks themselves live in their apps, e.g. core/checks.py)."""

from django.core.checks import Tags, run_checks
from django.core.exceptions import ImproperlyConfigured


def raise_on_startup_errors() -> None:
    errors = [e for e in run_checks(tags=[Tags.security]) if e.is_serious()]
    if errors:
        raise ImproperlyConfigured("; ".join(str(e) for e in errors))
