from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.thread_list, name="thread_list"),
    path("start/<str:username>/", views.thread_start, name="thread_start"),
    path("block/<str:username>/", views.block, name="block"),
    path("unblock/<str:username>/", views.unblock, name="unblock"),
    path("report/<id:message_id>/", views.message_report, name="message_report"),
    path("<id:thread_id>/", views.thread_detail, name="thread_detail"),
    path("<id:thread_id>/send/", views.thread_reply, name="thread_reply"),
    path("<id:thread_id>/archive/", views.thread_archive, name="thread_archive"),
    path("<id:thread_id>/mute/", views.thread_mute, name="thread_mute"),
]
