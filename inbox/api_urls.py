"""Staff inbox endpoints, included under /api/v1/ (namespace "api")."""

from django.urls import path

from . import api, api_sources

urlpatterns = [
    path(
        "inbox/sources/<str:slug>/messages/",
        api_sources.SourceMessageAPI.as_view(),
        name="inbox-source-messages",
    ),
    # --- i11b: the conversation list and saved replies -----------------------------------------
    path("inbox/conversations/", api.ConversationListAPI.as_view(), name="inbox-conversation-list"),
    path("inbox/conversations/recent/", api.ConversationRecentAPI.as_view(), name="inbox-conversation-recent"),
    path("inbox/saved-replies/", api.SavedReplyListAPI.as_view(), name="inbox-saved-reply-list"),
    path(
        "inbox/saved-replies/<id:saved_reply_id>/", api.SavedReplyDetailAPI.as_view(), name="inbox-saved-reply-detail"
    ),
    path(
        "inbox/saved-replies/<id:saved_reply_id>/render/",
        api.SavedReplyRenderAPI.as_view(),
        name="inbox-saved-reply-render",
    ),
    # --- end i11b ------------------------------------------------------------------------------
]
