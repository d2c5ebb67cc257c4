from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from somos_site.accounts.forms import ApiTokenForm, ProfileForm
from somos_site.accounts.selectors import api_tokens_of
from somos_site.accounts.services import (
    api_token_create,
    api_tokens_revoke,
    profile_get_or_create,
    profile_update,
)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    """The signed-in user: view and change their own profile."""
    profile = profile_get_or_create(user=request.user)
    # Read before the form binds: a refused form leaves its unsaved values on the instance.
    saved_public_name = profile.public_name
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect("profile")
    return _profile_page(request, form=form, public_name=saved_public_name)


def _profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    public_name: str | None = None,
    token_form: ApiTokenForm | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    profile = profile_get_or_create(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form or ProfileForm(instance=profile),
            "profile": profile,
            "public_name": profile.public_name if public_name is None else public_name,
            "token_form": token_form or ApiTokenForm(),
            "tokens": api_tokens_of(user=request.user),
            "new_token": new_token,
        },
        status=status,
    )


@never_cache
@require_POST
@login_required
def api_token_new(request: HttpRequest) -> HttpResponse:
    """The signed-in user: create an API token and see it, this once, on the profile page.

    Answered here rather than after a redirect: the token is never stored, not even in the
    session, so this answer is the only place it appears.
    """
    token_form = ApiTokenForm(request.POST)
    if not token_form.is_valid():
        return _profile_page(request, token_form=token_form, status=400)
    _token, raw = api_token_create(user=request.user, name=token_form.cleaned_data["name"])
    return _profile_page(request, new_token=raw)


@require_POST
@login_required
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """The signed-in user: revoke one of their own API tokens."""
    if not api_tokens_revoke(user=request.user, token_id=token_id):
        raise Http404
    messages.success(request, _("The token was revoked: it no longer opens the API."))
    return redirect("profile")
