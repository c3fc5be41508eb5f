from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "equimentor.staff"
    label = "staff"
    verbose_name = "Staff and site administration"
