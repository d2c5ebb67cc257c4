"""Store a consensus row's inputs as `json`: checked and kept as written, not parsed.

The inputs (every answer the rule read, and the translations it compared corrections with)
are read back whole, by the rule when it settles a record again and by the counters; the
database never looks inside them. `jsonb` parsed each into its binary form on the way in:
bulk consensus COPYs 100k of them (~400 bytes each) per export of a large campaign.
"""

import campaigns.models
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('annotation', '0010_consensus_decided_by_partial_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consensus',
            name='inputs',
            field=campaigns.models.StoredJSONField(default=dict, verbose_name='inputs'),
        ),
    ]
