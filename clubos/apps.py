from django.apps import AppConfig


class ClubosConfig(AppConfig):
    name = "clubos"
    verbose_name = "ClubOS"
