from django.contrib import admin

from .models import NameLookup, SyncControl, SyncRun, SyncState


@admin.register(SyncControl)
class SyncControlAdmin(admin.ModelAdmin):
    list_display = ("__str__", "paused", "runs", "successes", "failures", "last_run_at", "last_error_at")
    readonly_fields = ("lock_token", "locked_until", "last_run_at", "last_success_at", "last_error", "last_error_at")


@admin.register(SyncState)
class SyncStateAdmin(admin.ModelAdmin):
    list_display = ("owner_name", "owner_id", "watermark", "messages_stored", "last_synced_at")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
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
class NameLookupAdmin(admin.ModelAdmin):
    list_display = ("name", "found_ids", "looked_up_at")
    search_fields = ("name",)
