from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from somos_site.accounts.forms import ProfileForm
from somos_site.accounts.services import profile_get_or_create, profile_update


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
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile": profile, "public_name": saved_public_name},
    )
