# The scheduler's once-only keys and lock move to core (core.SentNotice, core.JobLock): the keys
# are copied first, so nothing already sent is sent again.

from django.db import migrations


def copy_keys(apps, schema_editor):
    old = apps.get_model("relationships", "SentNotice")
    new = apps.get_model("core", "SentNotice")
    rows = [new(key=n.key, sent_at=n.sent_at) for n in old.objects.all().iterator()]
    new.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def copy_back(apps, schema_editor):
    old = apps.get_model("relationships", "SentNotice")
    new = apps.get_model("core", "SentNotice")
    rows = [old(key=n.key, sent_at=n.sent_at) for n in new.objects.all().iterator()]
    old.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ("relationships", "0001_initial"),
        ("core", "0003_joblock_periodicjob_sentnotice_workerheartbeat"),
    ]

    operations = [
        migrations.RunPython(copy_keys, copy_back),
        migrations.DeleteModel(name="SentNotice"),
        migrations.DeleteModel(name="TickLock"),
    ]
