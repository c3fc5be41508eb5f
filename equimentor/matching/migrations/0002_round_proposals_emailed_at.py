from django.db import migrations, models
from django.db.models import F


def rounds_published_before(apps, schema_editor):
    """Rounds published before this field existed had their emails handed to a worker then:
    record that (as their publication time), so the sweep leaves them alone."""
    MatchingRound = apps.get_model("matching", "MatchingRound")
    MatchingRound.objects.filter(published_at__isnull=False).update(
        proposals_emailed_at=F("published_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="matchinground",
            name="proposals_emailed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(rounds_published_before, migrations.RunPython.noop),
    ]
