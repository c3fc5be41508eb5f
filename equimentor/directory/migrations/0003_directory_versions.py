from django.db import migrations


def versions(apps, schema_editor):
    Scheme = apps.get_model("schemes", "Scheme")
    DirectoryVersion = apps.get_model("directory", "DirectoryVersion")
    have = set(DirectoryVersion.objects.values_list("scheme_id", flat=True))
    DirectoryVersion.objects.bulk_create(
        [DirectoryVersion(scheme_id=pk) for pk in Scheme.objects.values_list("pk", flat=True) if pk not in have]
    )


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_directoryversion")]

    operations = [migrations.RunPython(versions, migrations.RunPython.noop)]
