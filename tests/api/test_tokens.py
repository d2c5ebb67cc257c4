"""API tokens: the command, the profile page, hashing, revoking, and what a token opens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from somos_site.accounts.models import ApiToken
from somos_site.accounts.services import api_token_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/campaigns"


def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _auth(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _stored_anywhere(text: str) -> bool:
    """Say whether any text column of the tokens' or sessions' tables holds this text."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM accounts_apitoken WHERE name LIKE %(t)s OR prefix LIKE %(t)s"
            " OR key_hash LIKE %(t)s",
            {"t": f"%{text}%"},
        )
        in_tokens = cursor.fetchone()[0]
    in_sessions = any(text in str(s.get_decoded()) for s in Session.objects.all())
    return bool(in_tokens) or in_sessions


def test_api_token_command_prints_the_token_on_its_last_line(client, volunteer):
    out, err = _command("--email", volunteer.email.upper(), "--name", "mi script")
    raw = out.strip().splitlines()[-1]
    assert raw.startswith("somos_") and len(raw) > 50
    token = ApiToken.objects.get(user=volunteer)
    assert token.name == "mi script"
    assert raw.startswith(token.prefix + "_")
    assert token.prefix in err
    # Only its SHA-256 is kept: neither the token nor its secret part is in the database.
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not _stored_anywhere(raw) and not _stored_anywhere(raw.rsplit("_", 1)[1])
    assert client.get(CAMPAIGNS, **_auth(raw)).status_code == 200


def test_api_token_command_names_an_unknown_email():
    with pytest.raises(CommandError, match=r"nadie@example\.org"):
        _command("--email", "nadie@example.org")


def test_api_token_command_revokes_all_or_one_by_prefix(client, volunteer):
    first = _command("--email", volunteer.email)[0].strip()
    second = _command("--email", volunteer.email)[0].strip()
    prefix = ApiToken.objects.get(key_hash=hashlib.sha256(first.encode()).hexdigest()).prefix

    _command("--email", volunteer.email, "--revoke", "--prefix", prefix)
    assert client.get(CAMPAIGNS, **_auth(first)).status_code == 401
    assert client.get(CAMPAIGNS, **_auth(second)).status_code == 200

    out, _err = _command("--email", volunteer.email, "--revoke")
    assert "1" in out
    assert client.get(CAMPAIGNS, **_auth(second)).status_code == 401
    with pytest.raises(CommandError, match=prefix):
        _command("--email", volunteer.email, "--revoke", "--prefix", prefix)


def test_api_token_revoked_or_of_an_inactive_user_gets_401(client, volunteer):
    _token, raw = api_token_create(user=volunteer, name="x")
    assert client.get(CAMPAIGNS, **_auth(raw)).status_code == 200
    volunteer.is_active = False
    volunteer.save()
    refused = client.get(CAMPAIGNS, **_auth(raw))
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith("Bearer")
    assert refused.json()["detail"]


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer somos_00000000_nope", "Token {raw}", "Basic {raw}", "{raw}"],
)
def test_api_without_a_valid_bearer_token_gets_401(client, volunteer, header):
    _token, raw = api_token_create(user=volunteer, name="x")
    response = client.get(CAMPAIGNS, HTTP_AUTHORIZATION=header.format(raw=raw))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert set(response.json()) == {"detail", "errors"}


def test_api_session_alone_opens_nothing_not_even_with_a_csrf_token(client, organizer):
    # Token only: a signed-in browser cannot be made to call the API by another site.
    client.force_login(organizer)
    assert client.get(CAMPAIGNS).status_code == 401
    created = client.post(
        CAMPAIGNS,
        {"slug": "x", "name": "X", "preset": "okapi_arc"},
        content_type="application/json",
    )
    assert created.status_code == 401


def test_api_token_last_use_is_written_at_most_once_a_minute(client, volunteer):
    token, raw = api_token_create(user=volunteer, name="x")
    assert token.last_used_at is None
    client.get(CAMPAIGNS, **_auth(raw))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None

    client.get(CAMPAIGNS, **_auth(raw))
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(CAMPAIGNS, **_auth(raw))
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(seconds=1)
    assert timezone.now() - token.last_used_at < timedelta(seconds=30)


def test_profile_creates_a_token_shows_it_once_and_revokes_it(client, volunteer):
    client.force_login(volunteer)
    page = client.get(reverse("profile"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "API tokens" in page and "You have no API tokens." in page

    created = client.post(reverse("api_token_new"), {"token-name": "cuaderno"})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=volunteer)
    body = created.content.decode()
    raw = body.split('id="new-token" type="text" value="', 1)[1].split('"', 1)[0]
    assert raw.startswith(token.prefix + "_")
    assert "no-cache" in created["Cache-Control"]
    assert not _stored_anywhere(raw)
    assert client.get(CAMPAIGNS, **_auth(raw)).status_code == 200

    # Listed by name and prefix from now on, never in full again.
    again = client.get(reverse("profile")).content.decode()
    assert "cuaderno" in again and token.prefix in again and raw not in again

    revoked = client.post(reverse("api_token_revoke", args=[token.pk]))
    assert revoked.status_code == 302
    assert client.get(CAMPAIGNS, **_auth(raw)).status_code == 401
    assert token.prefix not in client.get(reverse("profile")).content.decode()


def test_profile_token_needs_a_name(client, volunteer):
    client.force_login(volunteer)
    refused = client.post(reverse("api_token_new"), {"token-name": ""})
    assert refused.status_code == 400
    assert not ApiToken.objects.exists()


def test_profile_cannot_revoke_someone_elses_token(client, volunteer):
    token, raw = api_token_create(user=UserFactory(), name="ajeno")
    client.force_login(volunteer)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert client.get(CAMPAIGNS, **_auth(raw)).status_code == 200
