"""The organizers' export page and the public leaderboard registry."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from django.utils import translation

from annotation.services import response_submit
from leaderboard.export.services import campaign_export
from leaderboard.models import CampaignTarget, LeaderboardDataset, LeaderboardDatasetVersion
from leaderboard.services import leaderboard_registry_seed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(arc_campaign):
    user = UserFactory()
    arc_campaign.reviewers.add(user)
    return user


def test_export_button_downloads_a_zip_for_organizers(
    client, arc_campaign, reviewer, organizer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("campaign_export", args=[arc_campaign.slug])
    client.force_login(reviewer)
    assert client.post(url).status_code == 404
    client.force_login(organizer)
    manage = client.get(reverse("campaign_manage", args=[arc_campaign.slug])).content.decode()
    assert url in manage and reverse("campaign_review_queue", args=[arc_campaign.slug]) in manage
    assert client.get(url).status_code == 200
    response = client.post(url, {"include": "pending"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = set(archive.namelist())
    assert {"README.md", "data/validation.parquet", "responses/train.parquet"} <= names
    assert any(name.startswith("lm_eval/") for name in names)
    assert (tmp_path / "exports" / arc_campaign.slug).is_dir()
    page = client.get(url).content.decode()
    assert "v1" in page


def test_export_page_leaves_the_choice_of_registry_dataset_to_staff(
    client, arc_campaign, organizer
):
    leaderboard_registry_seed()
    mmlu = LeaderboardDataset.objects.get(name="MMLU_es")
    page = reverse("campaign_export", args=[arc_campaign.slug])
    target = reverse("campaign_export_target", args=[arc_campaign.slug])
    client.force_login(organizer)
    assert 'name="dataset"' not in client.get(page).content.decode()
    assert client.post(target, {"dataset": mmlu.pk}).status_code == 403
    assert not CampaignTarget.objects.filter(campaign=arc_campaign).exists()

    client.force_login(UserFactory(is_staff=True))
    assert 'name="dataset"' in client.get(page).content.decode()
    assert client.post(target, {"dataset": mmlu.pk}).status_code == 302
    assert CampaignTarget.objects.get(campaign=arc_campaign).dataset == mmlu
    assert client.post(target, {"dataset": "nope"}).status_code == 302
    assert CampaignTarget.objects.get(campaign=arc_campaign).dataset == mmlu


def test_leaderboard_registry_is_public_with_coverage(client, arc_campaign, organizer, tmp_path):
    leaderboard_registry_seed()
    client.force_login(organizer)
    records = list(arc_campaign.records.order_by("id")[:5])
    for record in records:
        for _ in range(2):
            response_submit(record=record, user=UserFactory(), values={"verdict": "correct"})
    campaign_export(campaign=arc_campaign, folder=tmp_path / "out")
    client.logout()
    page = client.get(reverse("leaderboard_registry")).content.decode()
    assert "ARC-C_es" in page and "caBREU" in page
    assert "20%" in page
    detail = client.get(reverse("leaderboard_dataset", args=["arc-c_es"]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "v1" in body and str(tmp_path) not in body


def test_organizers_export_is_a_proposal_until_staff_publish_it(
    client, arc_campaign, organizer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    leaderboard_registry_seed()
    client.force_login(organizer)
    assert client.post(reverse("campaign_export", args=[arc_campaign.slug])).status_code == 200
    version = LeaderboardDatasetVersion.objects.get(campaign=arc_campaign)
    assert version.dataset.name == "ARC-C_es" and not version.published
    # Proposing attaches nothing: which dataset a campaign feeds is staff's decision.
    assert not CampaignTarget.objects.filter(campaign=arc_campaign).exists()
    dataset_page = reverse("leaderboard_dataset", args=["arc-c_es"])
    publish = reverse("leaderboard_version_publish", args=["arc-c_es", version.number])
    client.logout()
    # The version's own cell, not "v1" alone: that can occur inside a page's CSRF token.
    version_cell = "<td>v1</td>"
    assert version_cell not in client.get(dataset_page).content.decode()
    client.force_login(organizer)
    assert client.post(publish).status_code == 403

    client.force_login(UserFactory(is_staff=True))
    assert publish in client.get(dataset_page).content.decode()
    assert client.post(publish).status_code == 302
    client.logout()
    assert version_cell in client.get(dataset_page).content.decode()
    assert client.post(publish).status_code == 302  # to the login page: nothing to publish twice


def test_leaderboard_registry_filters_by_language(client, language_restored):
    leaderboard_registry_seed()
    url = reverse("leaderboard_registry")

    catalan = client.get(url, {"language": "ca"}).content.decode()
    assert "caBREU" in catalan and "XNLI_ca" in catalan and "ARC-C_es" not in catalan
    basque = client.get(url, {"language": "eu"}).content.decode()
    # CONAN-EUS is in Spanish and Basque: listed under both.
    assert "CONAN-EUS" in basque and "caBREU" not in basque and "ARC-C_es" not in basque
    assert "CONAN-EUS" in client.get(url, {"language": "es"}).content.decode()

    # A language no dataset is in is named in an error and filters nothing.
    response = client.get(url, {"language": "zz"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "zz is not one of the available choices" in page
    assert "caBREU" in page and "ARC-C_es" in page
    # Languages are named, in the page's language.
    assert "<td>Spanish, Basque</td>" in page
    assert '<option value="eu">Basque</option>' in page


def test_leaderboard_domains_and_tasks_show_in_the_visitors_language(client):
    leaderboard_registry_seed()
    LeaderboardDataset.objects.create(
        name="Propio", slug="propio", domain="Poesía medieval", task="Multiple choice QA"
    )
    # The override puts the thread's language back after the middleware switched it.
    with translation.override(None):
        catalan = client.get(
            reverse("leaderboard_registry"), HTTP_ACCEPT_LANGUAGE="ca"
        ).content.decode()
        galician = client.get(
            reverse("leaderboard_dataset", args=["arc-c_es"]), HTTP_ACCEPT_LANGUAGE="gl"
        ).content.decode()
        own = client.get(
            reverse("leaderboard_dataset", args=["propio"]), HTTP_ACCEPT_LANGUAGE="ca"
        ).content.decode()
    assert "Ciència" in catalan and "Preguntes d&#x27;opció múltiple" in catalan
    assert "Multiple choice QA" not in catalan and "Miscellaneous" not in catalan
    assert "Ciencia" in galician and "Preguntas de escolla múltiple" in galician
    # A value the vocabulary does not list shows as staff typed it.
    assert "Poesía medieval" in own and "Preguntes d&#x27;opció múltiple" in own
    # Stored as the paper writes them: one stable value for the API and the exports.
    assert LeaderboardDataset.objects.get(slug="arc-c_es").task == "Multiple choice QA"
