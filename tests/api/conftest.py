"""Fixtures of the API tests: tokens in headers, and a private MEDIA_ROOT for jobs' files."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission

from somos_site.accounts.services import api_token_create
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep uploads kept for jobs and the exports' archives out of the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bearer() -> Callable[..., dict[str, str]]:
    """Return a function giving the request headers of a new API token of a user."""

    def headers(user) -> dict[str, str]:
        _token, raw = api_token_create(user=user, name="tests")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return headers


@pytest.fixture
def creator():
    """Someone staff allowed to create campaigns, who is not staff."""
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    return user
