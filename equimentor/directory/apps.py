from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "equimentor.directory"
    label = "directory"
