from django.urls import path

from . import views

app_name = "ai_agent"

urlpatterns = [
    path("", views.stats_page, name="stats"),
    path("suggestions/<id:decision_id>/", views.suggestion_act, name="suggestion_act"),
]
