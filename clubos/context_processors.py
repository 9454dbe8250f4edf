from typing import Any

from django.http import HttpRequest

from .selectors import sync_failure_warning


def sync_health(request: HttpRequest) -> dict[str, Any]:
    """`clubos_sync_warning`: the banner line for staff after repeated failed syncs ("" otherwise).

    A callable, so the query runs only where a template shows it (staff pages), never for members.
    """
    return {"clubos_sync_warning": sync_failure_warning}
