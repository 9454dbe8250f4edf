from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import NameLookup, SyncControl, SyncRun, SyncState


class RecordAdmin(admin.ModelAdmin):
    """What the sync records is evidence: shown, never hand-edited (the sync owns these rows)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SyncControl)
class SyncControlAdmin(RecordAdmin):
    """Pause and resume on the /clubos/ page, through the services that record who and when."""

    list_display = ("__str__", "paused", "runs", "successes", "failures", "last_run_at", "last_error_at")


@admin.register(SyncState)
class SyncStateAdmin(RecordAdmin):
    list_display = ("owner_name", "owner_id", "watermark", "messages_stored", "last_synced_at")


@admin.register(SyncRun)
class SyncRunAdmin(RecordAdmin):
    list_display = (
        "started_at",
        "trigger",
        "status",
        "duration_ms",
        "fetched",
        "new",
        "duplicates",
        "skipped",
        "errors",
    )
    list_filter = ("status", "trigger")
    date_hierarchy = "started_at"


@admin.register(NameLookup)
class NameLookupAdmin(RecordAdmin):
    list_display = ("name", "found_ids", "looked_up_at")
    search_fields = ("name",)
