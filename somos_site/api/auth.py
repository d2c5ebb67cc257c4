"""Bearer tokens: who calls the API, and how often they may."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.security import HttpBearer

from somos_site.accounts.selectors import api_token_find
from somos_site.accounts.services import api_token_used
from somos_site.api.errors import RateLimited
from somos_site.ratelimit import rate_limit_hit

RATE_SCOPE = "api"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`: a live token of an active user, within the rate limit.

    The only way in: no session cookie counts here, so no browser page can make a signed-in
    visitor's browser call the API (no CSRF to check).
    """

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        found = api_token_find(raw=token.strip())
        if found is None:
            return None
        api_token_used(token=found)
        # Whatever the session said, the request is the token's owner's from here on.
        request.user = found.user
        wait = rate_limit_hit(scope=RATE_SCOPE, who=f"user:{found.user_id}")
        if wait is not None:
            raise RateLimited(wait)
        return found.user
