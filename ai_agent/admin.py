from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from .models import AgentSettings, Decision, ThreadInsight


@admin.register(AgentSettings)
class AgentSettingsAdmin(admin.ModelAdmin):
    """A singleton: the list opens the one row; it cannot be added twice or deleted."""

    fieldsets = [
        (None, {"fields": ["mode", "confidence_threshold"]}),
        ("Caps", {"fields": ["hourly_cap", "member_daily_cap", "burst_wait_seconds"]}),
        ("Quiet hours", {"fields": ["quiet_hours_start", "quiet_hours_end"]}),
        ("What replies may draw on", {"fields": ["club_name", "club_facts"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not AgentSettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        config, _ = AgentSettings.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:ai_agent_agentsettings_change", args=[config.pk]))


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "message", "intent", "confidence", "decision", "reason", "backend", "latency_ms"]
    list_filter = ["decision", "reason", "intent", "backend", "suggestion_outcome", "created_at"]
    search_fields = ["message__body", "reply", "error"]
    list_select_related = ["message"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ThreadInsight)
class ThreadInsightAdmin(admin.ModelAdmin):
    list_display = ["conversation", "label", "next_step", "follow_up_on", "refreshed_at"]
    list_filter = ["label"]
    readonly_fields = [f.name for f in ThreadInsight._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
