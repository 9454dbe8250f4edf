"""Direct-message endpoints, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import api, moderation_api

urlpatterns = [
    path("messaging/threads/", api.ThreadListAPI.as_view(), name="messaging-thread-list"),
    path("messaging/threads/<id:thread_id>/", api.ThreadDetailAPI.as_view(), name="messaging-thread-detail"),
    path("messaging/threads/<id:thread_id>/messages/", api.MessageListAPI.as_view(), name="messaging-message-list"),
    path("messaging/threads/<id:thread_id>/read/", api.ThreadReadAPI.as_view(), name="messaging-thread-read"),
    path("messaging/messages/<id:message_id>/", api.MessageDetailAPI.as_view(), name="messaging-message-detail"),
    path("messaging/search/", api.MessageSearchAPI.as_view(), name="messaging-search"),
    path("messaging/recipients/", api.RecipientSearchAPI.as_view(), name="messaging-recipients"),
    path("messaging/preferences/", api.PreferencesAPI.as_view(), name="messaging-preferences"),
    path(
        "messaging/messages/<id:message_id>/report/",
        api.MessageReportAPI.as_view(),
        name="messaging-message-report",
    ),
    path("messaging/blocks/", api.BlockListAPI.as_view(), name="messaging-block-list"),
    path("messaging/blocks/<str:username>/", api.BlockDetailAPI.as_view(), name="messaging-block-detail"),
    path("messaging/unread/", api.UnreadAPI.as_view(), name="messaging-unread"),
    # The safety queue (club staff)
    path("messaging/reports/", moderation_api.ReportListAPI.as_view(), name="messaging-report-list"),
    path("messaging/reports/<id:report_id>/", moderation_api.ReportDetailAPI.as_view(), name="messaging-report-detail"),
    path(
        "messaging/reports/<id:report_id>/decide/",
        moderation_api.ReportDecideAPI.as_view(),
        name="messaging-report-decide",
    ),
    path(
        "messaging/suspensions/<id:suspension_id>/lift/",
        moderation_api.SuspensionLiftAPI.as_view(),
        name="messaging-suspension-lift",
    ),
]
