"""A small annotation world for the fault tests, and the check of its database afterwards.

Used in the test process (on the test database) or, for a private cluster the test process
is not connected to, as `python -m tests.faults.world build|check` in a Somos process that
prints JSON.
"""

from __future__ import annotations

import json
import sys

# Django is imported inside the functions: run as a script, this module loads before setup.
SLUG = "faults"


def world_build(*, volunteers: int, slug: str = SLUG, overlap: int = 3) -> dict:
    """Create an active public campaign of the 25 ARC samples and volunteers signed in."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.sessions.backends.db import SessionStore

    from campaigns.importers.sources import Source
    from campaigns.models import Campaign
    from campaigns.samples import SAMPLE_DATA
    from campaigns.services import campaign_create, campaign_status_change, records_import

    campaign = campaign_create(slug=slug, name="Faults", preset="okapi_arc", overlap=overlap)
    records_import(
        campaign=campaign,
        source=Source(path=SAMPLE_DATA / "arc_challenge_validation_en.jsonl"),
        translation=Source(path=SAMPLE_DATA / "okapi_arc_challenge_validation_es.jsonl"),
    )
    campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
    sessions = {}
    for number in range(volunteers):
        # No password: the session is written directly, as a login would.
        user = get_user_model()(username=f"{slug}-{number:02d}", email="")
        user.set_unusable_password()
        user.save()
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions[user.pk] = session.session_key
    return {"slug": slug, "sessions": sessions}


def world_check(slug: str = SLUG) -> dict:
    """Return the submitted (record, user) pairs and every counter mismatch with the rows."""
    from django.db.models import Count, Sum

    from annotation.models import Response
    from campaigns.models import Campaign
    from dashboards.models import CampaignCounter, ContributorCounter

    campaign = Campaign.objects.get(slug=slug)
    submitted = Response.objects.filter(campaign=campaign, status=Response.Status.SUBMITTED)
    pairs = sorted(submitted.values_list("record_id", "user_id"))
    problems = []
    per_record = dict(submitted.values_list("record_id").annotate(n=Count("pk")))
    for record_id, count in campaign.records.values_list("pk", "submitted_count"):
        if count != per_record.get(record_id, 0):
            problems.append(
                f"record {record_id}: submitted_count={count}, rows {per_record.get(record_id, 0)}"
            )
    per_user = {
        row["user"]: [row["n"], row["fixes"]]
        for row in submitted.values("user").annotate(n=Count("pk"), fixes=Sum("corrections"))
    }
    counter = CampaignCounter.objects.get(campaign=campaign)
    expected = {
        "responses_submitted": len(pairs),
        "records_completed": campaign.records.filter(submitted_count__gte=campaign.overlap).count(),
        "contributors": len(per_user),
        "corrections": sum(fixes for _n, fixes in per_user.values()),
    }
    for name, value in expected.items():
        if getattr(counter, name) != value:
            problems.append(f"campaign counter {name}={getattr(counter, name)}, rows say {value}")
    contributors = ContributorCounter.objects.filter(campaign=campaign, submitted__gt=0)
    for contributor in contributors:
        counted = [contributor.submitted, contributor.corrections]
        if per_user.get(contributor.user_id) != counted:
            problems.append(
                f"contributor {contributor.user_id}: counter {counted},"
                f" rows {per_user.get(contributor.user_id)}"
            )
    if {contributor.user_id for contributor in contributors} != per_user.keys():
        problems.append(f"contributor counters for {sorted(per_user)} missing")
    return {"pairs": pairs, "problems": problems}


def main() -> None:
    """Build the world or check it, printing the result as JSON."""
    from django.core.management import call_command

    command = sys.argv[1]
    if command == "build":
        call_command("migrate", verbosity=0)
        result = world_build(volunteers=int(sys.argv[2]))
    else:
        result = world_check()
    print(json.dumps(result))


if __name__ == "__main__":
    import django

    django.setup()
    main()
