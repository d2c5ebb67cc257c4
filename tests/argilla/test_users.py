"""Users: Argilla users map to Somos users; unknown ones wait as placeholders to be claimed."""

from __future__ import annotations

import httpx
import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model

from annotation.argilla.models import ArgillaAccount, ArgillaDatasetLink
from annotation.argilla.sync import argilla_sync
from annotation.argilla.users import argilla_annotator_request
from annotation.models import Response
from annotation.services import response_submit
from campaigns.models import Record
from dashboards.models import CampaignCounter, CampaignDay, ContributorCounter, ContributorDay
from somos_site.accounts.models import Profile
from tests.argilla.conftest import hf_volunteer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _pushed(campaign):
    argilla_sync(campaign=campaign, push=True, pull=False)
    return ArgillaDatasetLink.objects.get(campaign=campaign)


def test_argilla_users_map_by_verified_hugging_face_name_or_explicit_link(
    linked_campaign, annotator
):
    link = _pushed(linked_campaign)
    record = Record.objects.filter(campaign=linked_campaign).order_by("id").first()
    signed_in = hf_volunteer("carla-hf")
    linked_by_staff = UserFactory()
    Profile.objects.create(user=linked_by_staff, argilla_username="dario-staff-link")
    typed_only = UserFactory()  # typed a name in the profile, never signed in with it
    Profile.objects.create(user=typed_only, huggingface_username="eva-typed")
    for name in ("carla-hf", "dario-staff-link", "eva-typed"):
        _user, as_them = annotator(link.workspace_id, username=name)
        as_them.answer(record.argilla_id, {"verdict": "correct"})

    argilla_sync(campaign=linked_campaign, push=False, pull=True)

    owners = {a.username: a.user for a in ArgillaAccount.objects.select_related("user")}
    assert owners["carla-hf"] == signed_in
    assert owners["dario-staff-link"] == linked_by_staff
    assert owners["eva-typed"] != typed_only
    assert ArgillaAccount.objects.get(username="eva-typed").placeholder
    assert not Response.objects.filter(user=typed_only).exists()


def test_placeholder_is_claimed_by_signing_in_with_hugging_face_and_counts_move(
    linked_campaign, annotator, client
):
    link = _pushed(linked_campaign)
    records = list(Record.objects.filter(campaign=linked_campaign).order_by("id")[:3])
    _user, as_fede = annotator(link.workspace_id, username="fede-later")
    for record in records:
        as_fede.answer(record.argilla_id, {"verdict": "wrong"})
    argilla_sync(campaign=linked_campaign, push=False, pull=True)
    placeholder = ArgillaAccount.objects.get(username="fede-later").user
    assert not placeholder.is_active and not placeholder.has_usable_password()
    assert ContributorCounter.objects.get(user=placeholder).submitted == 3
    counter = CampaignCounter.objects.get(campaign=linked_campaign)
    assert (counter.responses_submitted, counter.contributors) == (3, 1)

    # The same person had answered one of those records in Somos, later, under email sign-up.
    person = UserFactory()
    response_submit(record=records[0], user=person, values={"verdict": "correct"})
    counter.refresh_from_db()
    assert (counter.responses_submitted, counter.contributors) == (4, 2)

    SocialAccount.objects.create(
        user=person,
        provider="huggingface",
        uid="hf-fede",
        extra_data={"userinfo": {"preferred_username": "fede-later"}},
    )
    client.force_login(person)  # signing in claims the placeholder

    assert not get_user_model().objects.filter(pk=placeholder.pk).exists()
    assert ArgillaAccount.objects.get(username="fede-later").user == person
    assert Response.objects.filter(user=person).count() == 3
    kept = Response.objects.get(user=person, record=records[0])
    assert kept.values["verdict"] == "correct"  # the newer answer wins…
    assert kept.revisions.filter(values__verdict="wrong").exists()  # …the older is kept
    assert ContributorCounter.objects.get(campaign=linked_campaign, user=person).submitted == 3
    counter.refresh_from_db()
    assert (counter.responses_submitted, counter.contributors) == (3, 1)
    records[0].refresh_from_db()
    assert records[0].submitted_count == 1
    days = ContributorDay.objects.filter(campaign=linked_campaign)
    assert {row.user_id for row in days} == {person.pk}
    assert sum(row.submitted for row in days) == 3
    assert sum(CampaignDay.objects.values_list("submitted", flat=True)) == 3


def test_a_volunteer_who_asks_gets_an_argilla_annotator_account(linked_campaign, argilla_server):
    link = _pushed(linked_campaign)
    volunteer = UserFactory()

    access = argilla_annotator_request(user=volunteer)

    assert access.username == f"somos-{volunteer.pk}"
    token = httpx.post(
        f"{argilla_server.url}/api/v1/token",
        data={"username": access.username, "password": access.password},
    )
    assert token.status_code == 201, token.text
    me = httpx.get(
        f"{argilla_server.url}/api/v1/me/workspaces",
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    ).json()
    assert [w["id"] for w in me["items"]] == [str(link.workspace_id)]
    again = argilla_annotator_request(user=volunteer)
    assert again.username == access.username and again.password != access.password
