"""Overlap between 1 and 20, as the forms always asked; a larger one (only the admin could set
it) becomes 20."""

import django.core.validators
from django.conf import settings
from django.db import migrations, models


def overlaps_cap(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Campaign.objects.filter(overlap__gt=20).update(overlap=20)


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0003_registry_and_consensus_moved_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(overlaps_cap, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name='campaign',
            name='campaign_overlap_positive',
        ),
        migrations.AlterField(
            model_name='campaign',
            name='overlap',
            field=models.PositiveSmallIntegerField(default=2, help_text='Submitted responses each record needs.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(20)], verbose_name='overlap'),
        ),
        migrations.AddConstraint(
            model_name='campaign',
            constraint=models.CheckConstraint(condition=models.Q(('overlap__gte', 1), ('overlap__lte', 20)), name='campaign_overlap_range'),
        ),
    ]
