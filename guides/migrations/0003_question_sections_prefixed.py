"""Questions name their guide section by its anchor, which now starts with "section-"."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat, Substr

PREFIX = "section-"


def prefix_sections(apps, schema_editor):
    question = apps.get_model("guides", "GuideQuestion")
    question.objects.exclude(section="").exclude(section__startswith=PREFIX).update(
        section=Substr(Concat(Value(PREFIX), "section"), 1, 120)
    )


def unprefix_sections(apps, schema_editor):
    question = apps.get_model("guides", "GuideQuestion")
    question.objects.filter(section__startswith=PREFIX).update(
        section=Substr("section", len(PREFIX) + 1)
    )


class Migration(migrations.Migration):
    dependencies = [("guides", "0002_guidequestion_answer_seen")]

    operations = [migrations.RunPython(prefix_sections, unprefix_sections)]
