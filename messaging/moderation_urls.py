"""The safety queue's pages, included by config.urls under /inbox/reports/ (namespace "moderation")."""

from django.urls import path

from . import moderation_views

app_name = "moderation"

urlpatterns = [
    path("", moderation_views.report_list, name="report_list"),
    path("<id:report_id>/", moderation_views.report_detail, name="report_detail"),
    path("suspensions/<id:suspension_id>/lift/", moderation_views.suspension_lift, name="suspension_lift"),
]
