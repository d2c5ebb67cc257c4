"""Rankings in public (page, JSON, websocket) name people only as they chose, never by e-mail."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from annotation.services import response_submit
from dashboards.selectors import live_snapshot, ranking_for_campaign
from somos_site.accounts.models import Profile
from somos_site.accounts.names import pseudonym
from somos_site.accounts.services import (
    profile_get_or_create,
    profile_link_huggingface,
    profile_update,
)
from somos_site.asgi import application
from tests.factories import UserFactory

EMAIL = "maria.garcia.lopez@example.org"
# Any of these in what the public receives would give her address away, or part of it.
EMAIL_PARTS = ("maria", "garcia", "lopez", "example.org")
ANONYMOUS = "Voluntario/a anónimo/a"


def _answer(campaign, user, count: int = 1) -> None:
    for record in campaign.records.order_by("id")[:count]:
        response_submit(record=record, user=user, values={"verdict": "correct"})


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [part for part in EMAIL_PARTS if part in lowered]


async def _live_messages(slug: str, rows: int) -> list[str]:
    """Every message a viewer receives until one carries a ranking of that many rows."""
    communicator = WebsocketCommunicator(
        application, f"/ws/campaigns/{slug}/progress/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    received = []
    try:
        # The snapshot on connect, or a broadcast of her answer that got there first.
        while True:
            text = await communicator.receive_from(timeout=5)
            received.append(text)
            if len(json.loads(text).get("ranking", [])) == rows:
                break
        # Whatever else arrives in the next moment is public too.
        while not await communicator.receive_nothing(timeout=0.5):
            received.append(await communicator.receive_from())
    finally:
        await communicator.disconnect()
    return received


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("profile", "shown_as"),
    [
        ("none", lambda user: ANONYMOUS),
        ("opened the profile page", lambda user: ANONYMOUS),
        ("opted in without a name", lambda user: pseudonym(user_id=user.pk)),
    ],
)
def test_a_volunteer_who_never_set_a_name_is_never_shown_by_their_email(
    client, arc_campaign, profile, shown_as
):
    # allauth makes the username from the e-mail as well: neither may surface.
    maria = UserFactory(email=EMAIL, username="maria.garcia.lopez")
    if profile == "opened the profile page":
        profile_get_or_create(user=maria)
    elif profile == "opted in without a name":
        profile_update(user=maria, public_ranking=True)
    _answer(arc_campaign, maria)
    slug = arc_campaign.slug

    page = client.get(reverse("campaign_dashboard", args=[slug]))
    assert _leaks(page.content.decode()) == []
    for rows in page.context["rankings"].values():
        assert [(row.user_id, row.display_name, row.submitted) for row in rows] == [
            (maria.pk, shown_as(maria), 1)
        ]
    assert shown_as(maria) in page.content.decode()

    for window in ("all", "7d", "30d"):
        response = client.get(reverse("api_ranking", args=[slug]), {"window": window})
        assert _leaks(response.content.decode()) == []
        assert response.json()["ranking"] == [
            {"rank": 1, "display_name": shown_as(maria), "submitted": 1, "corrections": 0}
        ]

    messages = async_to_sync(_live_messages)(slug, 1)
    assert [_leaks(text) for text in messages] == [[]] * len(messages)
    live_rows = [row for text in messages for row in json.loads(text).get("ranking", [])]
    assert {"rank": 1, "display_name": shown_as(maria), "submitted": 1, "corrections": 0} in (
        live_rows
    )


@pytest.mark.django_db
def test_the_ranking_names_opted_in_volunteers_as_they_chose(arc_campaign):
    named, proved, typed, private = (UserFactory() for _ in range(4))
    profile_update(user=named, display_name="Marta Quispe", public_ranking=True)
    # What a Hugging Face login records (tests/foundation/test_accounts.py goes through allauth).
    profile_link_huggingface(
        user=proved, claims={"preferred_username": "quechua-nlp", "name": "Juan Pérez"}
    )
    profile_update(user=proved, public_ranking=True)
    # A typed Hugging Face username proves nothing: it could be anybody's.
    profile_update(user=typed, huggingface_username="famous-researcher", public_ranking=True)
    profile_update(user=private, display_name="Bruno Oculto")
    for count, user in enumerate((named, proved, typed, private), start=1):
        _answer(arc_campaign, user, 5 - count)
    names = [row.display_name for row in ranking_for_campaign(campaign=arc_campaign)]
    assert names == ["Marta Quispe", "quechua-nlp", pseudonym(user_id=typed.pk), ANONYMOUS]
    snapshot = json.dumps(live_snapshot(campaign=arc_campaign), ensure_ascii=False)
    for hidden in ("Juan Pérez", "famous-researcher", "Bruno Oculto"):
        assert hidden not in snapshot


@pytest.mark.django_db
def test_the_ranking_tells_apart_names_that_read_alike(arc_campaign):
    # Names that reached the database before the form refused copies (or came from Hugging
    # Face) may read alike: the earliest account keeps the name, later ones get a number.
    first, second, third = (UserFactory() for _ in range(3))
    for user, name in ((first, "Ana"), (second, "ANA"), (third, "Ａｎａ")):
        Profile.objects.create(user=user, display_name=name, public_ranking=True)
        _answer(arc_campaign, user, 2)
    names = {row.user_id: row.display_name for row in ranking_for_campaign(campaign=arc_campaign)}
    assert names == {first.pk: "Ana", second.pk: "ANA (2)", third.pk: "Ａｎａ (3)"}


@pytest.mark.django_db
def test_anonymous_rows_stay_alike_and_counted(client, arc_campaign):
    quiet = [UserFactory() for _ in range(3)]
    for user in quiet:
        _answer(arc_campaign, user)
    payload = client.get(reverse("api_ranking", args=[arc_campaign.slug])).json()
    assert [row["display_name"] for row in payload["ranking"]] == [ANONYMOUS] * 3
    assert [row["rank"] for row in payload["ranking"]] == [1, 2, 3]
