from django.urls import path, re_path

from . import views

app_name = "clubos"

urlpatterns = [
    path("", views.status, name="status"),
    re_path(r"^(?P<action>sync|pause|resume)/$", views.action, name="action"),
]
