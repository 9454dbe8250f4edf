from django.urls import path

from . import stats_views, views, views_conversation

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("stats/", stats_views.stats_page, name="stats"),
    path("stats/export.csv", stats_views.stats_export, name="stats_export"),
    path("rows/", views.conversation_rows, name="conversation_rows"),
    path("<id:conversation_id>/", views_conversation.conversation_detail, name="conversation_detail"),
    path("<id:conversation_id>/act/", views_conversation.conversation_act, name="conversation_act"),
    path("<id:conversation_id>/live/", views_conversation.conversation_live, name="conversation_live"),
    path("<id:conversation_id>/resolve/", views.conversation_resolve, name="conversation_resolve"),
    path("saved-replies/", views.saved_reply_list, name="saved_reply_list"),
    path("saved-replies/<id:saved_reply_id>/", views.saved_reply_edit, name="saved_reply_edit"),
    path("saved-replies/<id:saved_reply_id>/delete/", views.saved_reply_delete, name="saved_reply_delete"),
]
