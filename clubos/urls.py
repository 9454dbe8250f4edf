from django.urls import URLPattern

app_name = "clubos"

urlpatterns: list[URLPattern] = []
