"""Staff inbox endpoints, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import api_sources

urlpatterns = [
    path(
        "inbox/sources/<str:slug>/messages/",
        api_sources.SourceMessageAPI.as_view(),
        name="inbox-source-messages",
    ),
]
