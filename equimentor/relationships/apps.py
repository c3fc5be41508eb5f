from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "equimentor.relationships"
    label = "relationships"
    verbose_name = "Mentoring relationships"
