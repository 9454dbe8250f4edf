from django.urls import path

from . import api

urlpatterns = [
    path("ai/stats/", api.StatsView.as_view(), name="ai-stats"),
    path("ai/decisions/", api.DecisionListView.as_view(), name="ai-decisions"),
    path("ai/conversations/<id:conversation_id>/insight/", api.InsightView.as_view(), name="ai-insight"),
]
