from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.conversation_list, name="conversation_list"),
    path("<id:conversation_id>/", views.conversation_detail, name="conversation_detail"),
]
