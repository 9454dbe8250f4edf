from django.urls import path

from . import stats_views, views, views_conversation

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("stats/", stats_views.stats_page, name="stats"),
    path("stats/export.csv", stats_views.stats_export, name="stats_export"),
    path("<id:conversation_id>/", views_conversation.conversation_detail, name="conversation_detail"),
    path("<id:conversation_id>/act/", views_conversation.conversation_act, name="conversation_act"),
    path("<id:conversation_id>/live/", views_conversation.conversation_live, name="conversation_live"),
]
