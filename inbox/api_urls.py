"""Staff inbox endpoints, included under /api/v1/ (namespace "api").

One conversation's endpoints live in `api_conversation`, the integration sources' webhook in `api_sources`;
the list's (and saved replies') in their own module.
"""

from django.urls import path

from . import api, api_sources
from . import api_conversation as conversation

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
    path("inbox/labels/", conversation.LabelListAPI.as_view(), name="inbox-label-list"),
    path(
        "inbox/conversations/<id:conversation_id>/",
        conversation.ConversationDetailAPI.as_view(),
        name="inbox-conversation-detail",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/mark-read/",
        conversation.MarkReadAPI.as_view(),
        name="inbox-conversation-mark-read",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/mark-unread/",
        conversation.MarkUnreadAPI.as_view(),
        name="inbox-conversation-mark-unread",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/reply/",
        conversation.ReplyAPI.as_view(),
        name="inbox-conversation-reply",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/note/", conversation.NoteAPI.as_view(), name="inbox-conversation-note"
    ),
    path(
        "inbox/conversations/<id:conversation_id>/assign/",
        conversation.AssignAPI.as_view(),
        name="inbox-conversation-assign",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/labels/",
        conversation.LabelsAPI.as_view(),
        name="inbox-conversation-labels",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/priority/",
        conversation.PriorityAPI.as_view(),
        name="inbox-conversation-priority",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/status/",
        conversation.StatusAPI.as_view(),
        name="inbox-conversation-status",
    ),
    path(
        "inbox/conversations/<id:conversation_id>/snooze/",
        conversation.SnoozeAPI.as_view(),
        name="inbox-conversation-snooze",
    ),
]
