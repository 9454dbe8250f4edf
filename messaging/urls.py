from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.thread_list, name="thread_list"),
    path("new/", views.new_message, name="new_message"),
    path("search/", views.message_search, name="search"),
    path("settings/", views.preferences, name="preferences"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("start/<str:username>/", views.thread_start, name="thread_start"),
    path("block/<str:username>/", views.block, name="block"),
    path("unblock/<str:username>/", views.unblock, name="unblock"),
    path("report/<id:message_id>/", views.message_report, name="message_report"),
    path("message/<id:message_id>/edit/", views.message_edit, name="message_edit"),
    path("message/<id:message_id>/delete/", views.message_delete, name="message_delete"),
    path("<id:thread_id>/", views.thread_detail, name="thread_detail"),
    path("<id:thread_id>/send/", views.thread_reply, name="thread_reply"),
    path("<id:thread_id>/archive/", views.thread_archive, name="thread_archive"),
    path("<id:thread_id>/mute/", views.thread_mute, name="thread_mute"),
]
