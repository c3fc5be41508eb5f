from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    name = "equimentor.enrolment"
    label = "enrolment"
