from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    name = "equimentor.provisioning"
    label = "provisioning"
    verbose_name = "Provisioning (SCIM 2.0)"
