from django.urls import path

from . import stats_views, views

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("stats/", stats_views.stats_page, name="stats"),
    path("stats/export.csv", stats_views.stats_export, name="stats_export"),
    path("<id:conversation_id>/", views.conversation_detail, name="conversation_detail"),
]
