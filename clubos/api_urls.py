from django.urls import path

from . import api

urlpatterns = [
    path("clubos/sync/", api.SyncView.as_view(), name="clubos-sync"),
]
