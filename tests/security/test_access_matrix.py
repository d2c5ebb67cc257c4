"""Who may use each URL: every pattern × role with the answer it must give; CSRF on every POST.

The table below is the authorization matrix. Each URL pattern of the project has at least one
case: a concrete path on real objects, and for GET and POST the outcome each role must get.
A pattern nobody added to the table fails `test_access_matrix_covers_every_url_pattern`.
Roles: anonymous, a volunteer, the organizer of another campaign, the campaign's organizer,
its reviewer (review pages have their own rule) and staff (no model permissions in the admin).
"""

from __future__ import annotations

import inspect
import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_plotly_dash.models import DashApp, StatelessApp
from standardwebhooks import Webhook

from annotation.argilla.models import (
    ArgillaAccount,
    ArgillaDatasetLink,
    ArgillaSyncRun,
    ArgillaWebhook,
    WebhookDelivery,
)
from annotation.services import response_submit
from campaigns.models import Campaign, Job, Record
from guides.services import guide_acknowledge, guide_version_publish, question_ask
from leaderboard.export.jobs import export_job_start
from leaderboard.models import LeaderboardDataset, LeaderboardDatasetVersion
from leaderboard.services import campaign_target_set, leaderboard_registry_seed
from somos_site.accounts.services import api_token_create, profile_get_or_create
from tests.factories import UserFactory, arc_campaign_build

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "volunteer", "other_organizer", "organizer", "reviewer", "staff")
METHODS = ("GET", "POST")
LOGIN_PATH = resolve_url(settings.LOGIN_URL)
ADMIN_LOGIN_PATH = "/admin/login/"
WEBHOOK_SECRET = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMw=="


@dataclass(frozen=True)
class Expect:
    """One answer: a status and, for a redirect, whether it goes to a login page."""

    status: int
    to: str = ""


OK = Expect(200)
MOVED = Expect(302)  # let in, then sent on (after a form, or to the next step)
LOGIN = Expect(302, "login")
ADMIN_LOGIN = Expect(302, "admin login")
REFUSED = Expect(400)  # let in, but the empty form the cell sends is refused
DENIED = Expect(403)
HIDDEN = Expect(404)
NOT_ALLOWED = Expect(405)

Row = dict[str, Expect]


def roles(
    anonymous: Expect,
    volunteer: Expect,
    other_organizer: Expect,
    organizer: Expect,
    reviewer: Expect,
    staff: Expect,
) -> Row:
    """Spell out one outcome per role, in ROLES order."""
    return dict(
        zip(ROLES, (anonymous, volunteer, other_organizer, organizer, reviewer, staff), strict=True)
    )


def everyone(outcome: Expect) -> Row:
    return roles(*[outcome] * len(ROLES))


def signed_in(outcome: Expect) -> Row:
    """Anyone signed in; anonymous visitors go to the login page."""
    return roles(LOGIN, *[outcome] * (len(ROLES) - 1))


def organizers(outcome: Expect) -> Row:
    """The campaign's organizers and staff; others never learn the campaign exists."""
    return roles(LOGIN, HIDDEN, HIDDEN, outcome, HIDDEN, outcome)


def reviewers(outcome: Expect) -> Row:
    """The campaign's reviewers, organizers and staff."""
    return roles(LOGIN, HIDDEN, HIDDEN, outcome, outcome, outcome)


def insiders(outcome: Expect) -> Row:
    """A draft campaign's public pages: only its organizers and staff see them."""
    return roles(HIDDEN, HIDDEN, HIDDEN, outcome, HIDDEN, outcome)


@dataclass(frozen=True)
class Case:
    """One concrete path of a URL pattern and what each role gets from GET and POST."""

    route: str
    name: str
    path: str
    get: Row
    post: Row
    variant: str = ""

    @property
    def label(self) -> str:
        return f"{self.name}[{self.variant}]" if self.variant else self.name

    def expected(self, method: str, role: str) -> Expect:
        return (self.get if method == "GET" else self.post)[role]


def page(route: str, name: str, path: str, get: Row, variant: str = "") -> Case:
    """A read-only page: POST is refused to everyone."""
    return Case(route, name, path, get, everyone(NOT_ALLOWED), variant)


def action(route: str, name: str, path: str, post: Row, variant: str = "") -> Case:
    """A POST-only action: GET is refused to everyone."""
    return Case(route, name, path, everyone(NOT_ALLOWED), post, variant)


# Paths are filled with World.ids: {slug} is the active public campaign that the organizer
# organizes and the reviewer reviews, {draft} a draft campaign of the same organizer, {private}
# an active one of theirs without a public dashboard, {other} the other organizer's campaign.
# {record} was answered by the volunteer, {someone_elses} by another volunteer; {disputed} has
# two answers that disagree; {question} was asked on the guide.
PROJECT_CASES = [
    page("", "home", "/", everyone(OK)),
    page("campaigns/", "campaign_list", "/campaigns/", everyone(OK)),
    page("campaigns/<slug:slug>/", "campaign_detail", "/campaigns/{slug}/", everyone(OK)),
    page(
        "campaigns/<slug:slug>/",
        "campaign_detail",
        "/campaigns/{draft}/",
        insiders(OK),
        variant="draft",
    ),
    page(
        "organize/",
        "organize_index",
        "/organize/",
        roles(LOGIN, DENIED, OK, OK, DENIED, OK),
    ),
    Case(
        "organize/new/",
        "campaign_new",
        "/organize/new/",
        get=roles(LOGIN, DENIED, DENIED, DENIED, DENIED, OK),
        post=roles(LOGIN, DENIED, DENIED, DENIED, DENIED, REFUSED),
    ),
    page("organize/<slug:slug>/", "campaign_manage", "/organize/{slug}/", organizers(OK)),
    action(
        "organize/<slug:slug>/import/",
        "campaign_import",
        "/organize/{slug}/import/",
        organizers(REFUSED),
    ),
    page(
        "organize/<slug:slug>/preview/",
        "campaign_preview",
        "/organize/{slug}/preview/",
        organizers(OK),
    ),
    Case(
        "organize/<slug:slug>/settings/",
        "campaign_settings",
        "/organize/{slug}/settings/",
        get=organizers(OK),
        post=organizers(REFUSED),
    ),
    action(
        "organize/<slug:slug>/status/",
        "campaign_status",
        "/organize/{slug}/status/",
        organizers(MOVED),
    ),
    action(
        "organize/<slug:slug>/organizers/",
        "campaign_organizers",
        "/organize/{slug}/organizers/",
        roles(LOGIN, HIDDEN, HIDDEN, DENIED, HIDDEN, MOVED),
    ),
    action(
        "campaigns/<slug:slug>/join/", "campaign_join", "/campaigns/{slug}/join/", signed_in(MOVED)
    ),
    action(
        "campaigns/<slug:slug>/join/",
        "campaign_join",
        "/campaigns/{draft}/join/",
        signed_in(HIDDEN),
        variant="draft",
    ),
    page(
        "campaigns/<slug:slug>/annotate/", "annotate", "/campaigns/{slug}/annotate/", signed_in(OK)
    ),
    page(
        "campaigns/<slug:slug>/annotate/",
        "annotate",
        "/campaigns/{draft}/annotate/",
        signed_in(HIDDEN),
        variant="draft",
    ),
    Case(
        "campaigns/<slug:slug>/annotate/<int:record_id>/",
        "annotate_record",
        "/campaigns/{slug}/annotate/{record}/",
        get=roles(LOGIN, OK, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        post=roles(LOGIN, REFUSED, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
        variant="own",
    ),
    Case(
        "campaigns/<slug:slug>/annotate/<int:record_id>/",
        "annotate_record",
        "/campaigns/{slug}/annotate/{someone_elses}/",
        get=signed_in(HIDDEN),
        post=signed_in(HIDDEN),
        variant="someone_elses",
    ),
    Case(
        "campaigns/<slug:slug>/annotate/<int:record_id>/",
        "annotate_record",
        "/campaigns/{other}/annotate/{record}/",
        get=signed_in(HIDDEN),
        post=signed_in(HIDDEN),
        variant="other_campaign",
    ),
    page("me/contributions/", "my_contributions", "/me/contributions/", signed_in(OK)),
    page("dashboard/", "global_dashboard", "/dashboard/", everyone(OK)),
    page(
        "campaigns/<slug:slug>/dashboard/",
        "campaign_dashboard",
        "/campaigns/{slug}/dashboard/",
        everyone(OK),
    ),
    page(
        "campaigns/<slug:slug>/dashboard/",
        "campaign_dashboard",
        "/campaigns/{draft}/dashboard/",
        insiders(OK),
        variant="draft",
    ),
    page(
        "api/campaigns/<slug:slug>/progress",
        "api_progress",
        "/api/campaigns/{slug}/progress",
        everyone(OK),
    ),
    page(
        "api/campaigns/<slug:slug>/progress",
        "api_progress",
        "/api/campaigns/{draft}/progress",
        insiders(OK),
        variant="draft",
    ),
    page(
        "api/campaigns/<slug:slug>/ranking",
        "api_ranking",
        "/api/campaigns/{slug}/ranking",
        everyone(OK),
    ),
    page(
        "api/campaigns/<slug:slug>/ranking",
        "api_ranking",
        "/api/campaigns/{draft}/ranking",
        insiders(OK),
        variant="draft",
    ),
    page("campaigns/<slug:slug>/guide/", "guide", "/campaigns/{slug}/guide/", everyone(OK)),
    page(
        "campaigns/<slug:slug>/guide/",
        "guide",
        "/campaigns/{draft}/guide/",
        insiders(OK),
        variant="draft",
    ),
    page(
        "campaigns/<slug:slug>/guide/diff/<int:older>/<int:newer>/",
        "guide_diff",
        "/campaigns/{slug}/guide/diff/1/2/",
        everyone(OK),
    ),
    page(
        "campaigns/<slug:slug>/guide/diff/<int:older>/<int:newer>/",
        "guide_diff",
        "/campaigns/{draft}/guide/diff/1/2/",
        insiders(OK),
        variant="draft",
    ),
    action(
        "campaigns/<slug:slug>/guide/acknowledge/",
        "guide_acknowledge",
        "/campaigns/{slug}/guide/acknowledge/",
        signed_in(MOVED),
    ),
    action(
        "campaigns/<slug:slug>/guide/acknowledge/",
        "guide_acknowledge",
        "/campaigns/{draft}/guide/acknowledge/",
        roles(LOGIN, HIDDEN, HIDDEN, MOVED, HIDDEN, MOVED),
        variant="draft",
    ),
    action(
        "campaigns/<slug:slug>/guide/ask/",
        "guide_ask",
        "/campaigns/{slug}/guide/ask/",
        signed_in(MOVED),
    ),
    action(
        "campaigns/<slug:slug>/guide/ask/",
        "guide_ask",
        "/campaigns/{draft}/guide/ask/",
        roles(LOGIN, HIDDEN, HIDDEN, MOVED, HIDDEN, MOVED),
        variant="draft",
    ),
    Case(
        "organize/<slug:slug>/guide/",
        "guide_edit",
        "/organize/{slug}/guide/",
        get=organizers(OK),
        post=organizers(OK),
    ),
    page(
        "organize/<slug:slug>/questions/",
        "guide_inbox",
        "/organize/{slug}/questions/",
        organizers(OK),
    ),
    action(
        "organize/<slug:slug>/questions/<int:question_id>/",
        "guide_question_act",
        "/organize/{slug}/questions/{question}/",
        organizers(MOVED),
    ),
    action(
        "organize/<slug:slug>/questions/<int:question_id>/",
        "guide_question_act",
        "/organize/{other}/questions/{question}/",
        signed_in(HIDDEN),
        variant="other_campaign",
    ),
    # Argilla signs its deliveries; an unsigned one is refused whoever sends it.
    action("argilla/webhook/", "argilla_webhook", "/argilla/webhook/", everyone(Expect(401))),
    Case(
        "argilla/annotator/",
        "argilla_annotator",
        "/argilla/annotator/",
        get=signed_in(OK),
        post=signed_in(OK),
    ),
    action(
        "organize/<slug:slug>/argilla-sync/",
        "argilla_sync_start",
        "/organize/{slug}/argilla-sync/",
        organizers(MOVED),
    ),
    page(
        "campaigns/<slug:slug>/review/",
        "campaign_review_queue",
        "/campaigns/{slug}/review/",
        reviewers(OK),
    ),
    Case(
        "campaigns/<slug:slug>/review/<int:record_id>/",
        "campaign_review_record",
        "/campaigns/{slug}/review/{disputed}/",
        get=reviewers(OK),
        post=reviewers(MOVED),
    ),
    Case(
        "campaigns/<slug:slug>/review/<int:record_id>/",
        "campaign_review_record",
        "/campaigns/{other}/review/{disputed}/",
        get=signed_in(HIDDEN),
        post=signed_in(HIDDEN),
        variant="other_campaign",
    ),
    page(
        "organize/<slug:slug>/agreement/",
        "campaign_agreement",
        "/organize/{slug}/agreement/",
        organizers(OK),
    ),
    Case(
        "organize/<slug:slug>/export/",
        "campaign_export",
        "/organize/{slug}/export/",
        get=organizers(OK),
        post=organizers(OK),
    ),
    page("jobs/<int:job_id>/", "job_detail", "/jobs/{job}/", organizers(OK)),
    page("jobs/<int:job_id>/state.json", "job_state", "/jobs/{job}/state.json", organizers(OK)),
    action("jobs/<int:job_id>/cancel/", "job_cancel", "/jobs/{job}/cancel/", organizers(MOVED)),
    page(
        "jobs/<int:job_id>/download/",
        "job_result_download",
        "/jobs/{export_job}/download/",
        organizers(OK),
    ),
    action(
        "organize/<slug:slug>/export/target/",
        "campaign_export_target",
        "/organize/{slug}/export/target/",
        roles(LOGIN, HIDDEN, HIDDEN, DENIED, HIDDEN, MOVED),
    ),
    page("leaderboard/", "leaderboard_registry", "/leaderboard/", everyone(OK)),
    page(
        "leaderboard/<slug:slug>/",
        "leaderboard_dataset",
        "/leaderboard/{dataset}/",
        everyone(OK),
    ),
    # Publishing an organizer's proposed version is staff's decision.
    action(
        "leaderboard/<slug:slug>/versions/<int:number>/publish/",
        "leaderboard_version_publish",
        "/leaderboard/{proposed_dataset}/versions/{proposed_version}/publish/",
        roles(LOGIN, DENIED, DENIED, DENIED, DENIED, MOVED),
    ),
    Case(
        "accounts/profile/",
        "profile",
        "/accounts/profile/",
        get=signed_in(OK),
        post=signed_in(OK),
    ),
    # An empty name is refused; a token is revoked only by its owner (the volunteer's here).
    action(
        "accounts/profile/tokens/",
        "api_token_new",
        "/accounts/profile/tokens/",
        signed_in(REFUSED),
    ),
    action(
        "accounts/profile/tokens/<int:token_id>/revoke/",
        "api_token_revoke",
        "/accounts/profile/tokens/{token}/revoke/",
        roles(LOGIN, MOVED, HIDDEN, HIDDEN, HIDDEN, HIDDEN),
    ),
    # Changes only the visitor's own language; GET redirects without changing anything.
    Case("i18n/setlang/", "set_language", "/i18n/setlang/", everyone(MOVED), everyone(MOVED)),
]


# A campaign without a public dashboard hides its pages as a draft does. Being active, its
# organizers and staff may join and annotate it (they are first sent to its guide, which no
# one here has acknowledged); everyone else is told it does not exist.
PROJECT_CASES += [
    replace(
        case,
        path=case.path.replace("{draft}", "{private}"),
        post=organizers(MOVED) if case.name == "campaign_join" else case.post,
        get=organizers(MOVED) if case.name == "annotate" else case.get,
        variant="private",
    )
    for case in PROJECT_CASES
    if case.variant == "draft"
]


def visitor_or_member(visitor: Expect, member: Expect) -> Row:
    """Anonymous visitors get one answer, every signed-in role another."""
    return roles(visitor, *[member] * (len(ROLES) - 1))


# django-allauth's account pages. Sign-in and sign-up send signed-in people onward; pages
# about one's own account send anonymous visitors to the login page.
ALLAUTH_CASES = [
    Case(
        "accounts/login/",
        "account_login",
        "/accounts/login/",
        visitor_or_member(OK, MOVED),
        visitor_or_member(OK, MOVED),
    ),
    Case(
        "accounts/logout/",
        "account_logout",
        "/accounts/logout/",
        visitor_or_member(MOVED, OK),
        everyone(MOVED),
    ),
    page("accounts/inactive/", "account_inactive", "/accounts/inactive/", everyone(OK)),
    Case(
        "accounts/signup/",
        "account_signup",
        "/accounts/signup/",
        visitor_or_member(OK, MOVED),
        visitor_or_member(OK, MOVED),
    ),
    Case(
        "accounts/reauthenticate/",
        "account_reauthenticate",
        "/accounts/reauthenticate/",
        signed_in(OK),
        signed_in(OK),
    ),
    Case(
        "accounts/reauthenticate/code/",
        "account_request_reauthentication_code",
        "/accounts/reauthenticate/code/",
        signed_in(OK),
        signed_in(OK),
    ),
    # Without a code requested first, it sends the user back to ask for one.
    Case(
        "accounts/reauthenticate/code/confirm/",
        "account_confirm_reauthentication_code",
        "/accounts/reauthenticate/code/confirm/",
        signed_in(MOVED),
        signed_in(MOVED),
    ),
    Case("accounts/email/", "account_email", "/accounts/email/", signed_in(OK), signed_in(MOVED)),
    page(
        "accounts/confirm-email/",
        "account_email_verification_sent",
        "/accounts/confirm-email/",
        everyone(OK),
    ),
    Case(
        "accounts/password/change/",
        "account_change_password",
        "/accounts/password/change/",
        signed_in(OK),
        signed_in(OK),
    ),
    # Everyone here has a password already, so "set" sends them to "change".
    Case(
        "accounts/password/set/",
        "account_set_password",
        "/accounts/password/set/",
        signed_in(MOVED),
        signed_in(MOVED),
    ),
    Case(
        "accounts/password/reset/",
        "account_reset_password",
        "/accounts/password/reset/",
        everyone(OK),
        everyone(OK),
    ),
    # No login code is pending for anyone.
    Case(
        "accounts/login/code/confirm/",
        "account_confirm_login_code",
        "/accounts/login/code/confirm/",
        visitor_or_member(LOGIN, MOVED),
        visitor_or_member(LOGIN, MOVED),
    ),
    Case(
        r"accounts/confirm-email/(?P<key>[-:\w]+)/$",
        "account_confirm_email",
        "/accounts/confirm-email/not-a-key/",
        everyone(OK),
        everyone(HIDDEN),
    ),
    page(
        "accounts/password/reset/key/done/",
        "account_reset_password_from_key_done",
        "/accounts/password/reset/key/done/",
        everyone(OK),
    ),
    Case(
        "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        "account_reset_password_from_key",
        "/accounts/password/reset/key/1-not-a-key/",
        everyone(OK),
        everyone(OK),
    ),
    page(
        "accounts/password/reset/done/",
        "account_reset_password_done",
        "/accounts/password/reset/done/",
        everyone(OK),
    ),
    page(
        "accounts/3rdparty/login/cancelled/",
        "socialaccount_login_cancelled",
        "/accounts/3rdparty/login/cancelled/",
        everyone(OK),
    ),
    page(
        "accounts/3rdparty/login/error/",
        "socialaccount_login_error",
        "/accounts/3rdparty/login/error/",
        everyone(Expect(401)),
    ),
    # Only reachable in the middle of a Hugging Face sign-up; otherwise back to the login page.
    Case(
        "accounts/3rdparty/signup/",
        "socialaccount_signup",
        "/accounts/3rdparty/signup/",
        everyone(LOGIN),
        everyone(LOGIN),
    ),
    Case(
        "accounts/3rdparty/",
        "socialaccount_connections",
        "/accounts/3rdparty/",
        signed_in(OK),
        signed_in(OK),
    ),
    # allauth's old addresses, now permanent redirects to the 3rdparty/ ones.
    Case(
        "accounts/social/login/cancelled/",
        "social_login_cancelled",
        "/accounts/social/login/cancelled/",
        everyone(Expect(301)),
        everyone(Expect(301)),
    ),
    Case(
        "accounts/social/login/error/",
        "social_login_error",
        "/accounts/social/login/error/",
        everyone(Expect(301)),
        everyone(Expect(301)),
    ),
    Case(
        "accounts/social/signup/",
        "social_signup",
        "/accounts/social/signup/",
        everyone(Expect(301)),
        everyone(Expect(301)),
    ),
    Case(
        "accounts/social/connections/",
        "social_connections",
        "/accounts/social/connections/",
        everyone(Expect(301)),
        everyone(Expect(301)),
    ),
    # Hugging Face sign-in is off in the test settings, so its provider answers 404.
    Case(
        "accounts/oidc/(?P<provider_id>[^/]+)/login/",
        "openid_connect_login",
        "/accounts/oidc/huggingface/login/",
        everyone(HIDDEN),
        everyone(HIDDEN),
    ),
]


def staff_only(member: Expect, staff: Expect, *, anonymous: Expect = ADMIN_LOGIN) -> Row:
    """The admin: everyone but staff is sent to the admin's login address (see admin:login)."""
    return roles(anonymous, member, member, member, member, staff)


# The admin's own pages. Staff are not superusers and hold no model permission here.
ADMIN_SITE_CASES = [
    Case(
        "admin/", "admin:index", "/admin/", staff_only(ADMIN_LOGIN, OK), staff_only(ADMIN_LOGIN, OK)
    ),
    # The admin has no login form of its own: visitors are sent to the site's, with its
    # failed-login limits; staff go on to the admin; anyone else signed in is refused.
    Case(
        "admin/login/",
        "admin:login",
        "/admin/login/",
        roles(LOGIN, DENIED, DENIED, DENIED, DENIED, MOVED),
        roles(LOGIN, DENIED, DENIED, DENIED, DENIED, MOVED),
    ),
    Case(
        "admin/logout/",
        "admin:logout",
        "/admin/logout/",
        staff_only(MOVED, NOT_ALLOWED, anonymous=MOVED),
        staff_only(MOVED, OK, anonymous=MOVED),
    ),
    Case(
        "admin/password_change/",
        "admin:password_change",
        "/admin/password_change/",
        staff_only(ADMIN_LOGIN, OK),
        staff_only(ADMIN_LOGIN, OK),
    ),
    Case(
        "admin/password_change/done/",
        "admin:password_change_done",
        "/admin/password_change/done/",
        staff_only(ADMIN_LOGIN, OK),
        staff_only(ADMIN_LOGIN, NOT_ALLOWED),
    ),
    Case(
        "admin/autocomplete/",
        "admin:autocomplete",
        "/admin/autocomplete/",
        staff_only(ADMIN_LOGIN, DENIED),
        staff_only(ADMIN_LOGIN, NOT_ALLOWED),
    ),
    Case(
        "admin/jsi18n/",
        "admin:jsi18n",
        "/admin/jsi18n/",
        staff_only(ADMIN_LOGIN, OK),
        staff_only(ADMIN_LOGIN, NOT_ALLOWED),
    ),
    Case(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        "admin:view_on_site",
        "/admin/r/{campaign_type}/{campaign}/",
        staff_only(ADMIN_LOGIN, HIDDEN),
        staff_only(ADMIN_LOGIN, HIDDEN),
    ),
    Case(
        "admin/(?P<app_label>"
        + "|".join(dict.fromkeys(m._meta.app_label for m in admin.site._registry))
        + ")/$",
        "admin:app_list",
        "/admin/campaigns/",
        staff_only(ADMIN_LOGIN, HIDDEN),
        staff_only(ADMIN_LOGIN, HIDDEN),
    ),
    Case(
        "admin/(?P<url>.*)$",
        "admin:catch_all",
        "/admin/no-such-page/",
        staff_only(ADMIN_LOGIN, HIDDEN),
        staff_only(ADMIN_LOGIN, HIDDEN),
    ),
]


def admin_model_cases() -> list[Case]:
    """Every registered model's admin pages: staff without model permissions are refused."""
    cases = []
    for model in admin.site._registry:
        base = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        obj = f"{{obj_{model._meta.app_label}_{model._meta.model_name}}}"
        refused = staff_only(ADMIN_LOGIN, DENIED)
        cases += [
            Case(base, f"{prefix}_changelist", f"/{base}", refused, refused),
            Case(f"{base}add/", f"{prefix}_add", f"/{base}add/", refused, refused),
            Case(
                f"{base}<path:object_id>/history/",
                f"{prefix}_history",
                f"/{base}{obj}/history/",
                refused,
                refused,
            ),
            Case(
                f"{base}<path:object_id>/delete/",
                f"{prefix}_delete",
                f"/{base}{obj}/delete/",
                refused,
                refused,
            ),
            Case(
                f"{base}<path:object_id>/change/",
                f"{prefix}_change",
                f"/{base}{obj}/change/",
                refused,
                refused,
            ),
            # The pre-1.9 address of the change page, kept by Django as a redirect.
            Case(
                f"{base}<path:object_id>/",
                f"{prefix}_old_change",
                f"/{base}{obj}/",
                staff_only(ADMIN_LOGIN, MOVED),
                staff_only(ADMIN_LOGIN, MOVED),
            ),
        ]
    cases.append(
        Case(
            "admin/auth/user/<id>/password/",
            "admin:auth_user_password_change",
            "/admin/auth/user/{obj_auth_user}/password/",
            staff_only(ADMIN_LOGIN, DENIED),
            staff_only(ADMIN_LOGIN, DENIED),
        )
    )
    return cases


CASES = PROJECT_CASES + ALLAUTH_CASES + ADMIN_SITE_CASES + admin_model_cases()


# The token API (/api/v1/): each role calls it with its own bearer token, anonymous with none.
# Its rules are the web pages' (campaigns.access), told apart by status: no token 401; a
# campaign one may see but not organize 403; one hidden from the caller (a draft, a private
# campaign, someone else's job) 404.


@dataclass(frozen=True)
class ApiCase:
    """One API operation on a concrete path, the body it is sent, and each role's answer."""

    route: str
    method: str
    path: str
    expect: Row
    body: dict | None = None
    variant: str = ""

    @property
    def label(self) -> str:
        name = f"{self.method} {self.route}"
        return f"{name}[{self.variant}]" if self.variant else name


UNAUTHENTICATED = Expect(401)
CREATED = Expect(201)
ACCEPTED = Expect(202)


def with_token(outcome: Expect) -> Row:
    """Anyone with a token."""
    return roles(UNAUTHENTICATED, *[outcome] * (len(ROLES) - 1))


def api_organizers(outcome: Expect) -> Row:
    """A campaign everyone may see: its organizers and staff; other tokens are refused."""
    return roles(UNAUTHENTICATED, DENIED, DENIED, outcome, DENIED, outcome)


def api_insiders(outcome: Expect) -> Row:
    """A draft or private campaign, or a job: hidden from everyone but organizers and staff."""
    return roles(UNAUTHENTICATED, HIDDEN, HIDDEN, outcome, HIDDEN, outcome)


API_NEW_CAMPAIGN = {"slug": "authz-api", "name": "Authz API", "preset": "okapi_arc"}
API_CASES = [
    # The document and its docs page are public; ninja's root only names the docs (404).
    ApiCase("api/v1/openapi.json", "GET", "/api/v1/openapi.json", everyone(OK)),
    ApiCase("api/v1/openapi.json", "POST", "/api/v1/openapi.json", everyone(NOT_ALLOWED)),
    ApiCase("api/v1/docs", "GET", "/api/v1/docs", everyone(OK)),
    ApiCase("api/v1/docs", "POST", "/api/v1/docs", everyone(NOT_ALLOWED)),
    ApiCase("api/v1/", "GET", "/api/v1/", everyone(HIDDEN)),
    ApiCase("api/v1/campaigns", "GET", "/api/v1/campaigns", with_token(OK)),
    # Creating is for campaign creators: staff here.
    ApiCase(
        "api/v1/campaigns",
        "POST",
        "/api/v1/campaigns",
        roles(UNAUTHENTICATED, DENIED, DENIED, DENIED, DENIED, CREATED),
        body=API_NEW_CAMPAIGN,
    ),
    ApiCase("api/v1/campaigns/<slug>", "GET", "/api/v1/campaigns/{slug}", with_token(OK)),
    ApiCase(
        "api/v1/campaigns/<slug>",
        "PATCH",
        "/api/v1/campaigns/{slug}",
        api_organizers(OK),
        body={"overlap": 3},
    ),
    ApiCase("api/v1/campaigns/<slug>", "POST", "/api/v1/campaigns/{slug}", everyone(NOT_ALLOWED)),
    ApiCase(
        "api/v1/campaigns/<slug>/status",
        "POST",
        "/api/v1/campaigns/{slug}/status",
        api_organizers(OK),
        body={"action": "pause"},
    ),
    ApiCase(
        "api/v1/campaigns/<slug>/status",
        "GET",
        "/api/v1/campaigns/{slug}/status",
        everyone(NOT_ALLOWED),
    ),
    # Sent without a file: organizers are let in, and told what is missing.
    ApiCase(
        "api/v1/campaigns/<slug>/imports",
        "POST",
        "/api/v1/campaigns/{slug}/imports",
        api_organizers(REFUSED),
    ),
    ApiCase(
        "api/v1/campaigns/<slug>/exports",
        "POST",
        "/api/v1/campaigns/{slug}/exports",
        api_organizers(ACCEPTED),
        body={"include": "pending"},
    ),
    ApiCase(
        "api/v1/campaigns/<slug>/ranking",
        "GET",
        "/api/v1/campaigns/{slug}/ranking",
        with_token(OK),
    ),
    ApiCase("api/v1/jobs/<int:job_id>", "GET", "/api/v1/jobs/{job}", api_insiders(OK)),
    ApiCase(
        "api/v1/jobs/<int:job_id>/cancel", "POST", "/api/v1/jobs/{job}/cancel", api_insiders(OK)
    ),
    ApiCase(
        "api/v1/jobs/<int:job_id>/result",
        "GET",
        "/api/v1/jobs/{export_job}/result",
        api_insiders(OK),
    ),
    # Only a finished export has an archive.
    ApiCase(
        "api/v1/jobs/<int:job_id>/result",
        "GET",
        "/api/v1/jobs/{job}/result",
        api_insiders(HIDDEN),
        variant="not_an_export",
    ),
]
# A draft, and a campaign without a public dashboard, hide their routes from all but insiders.
API_CASES += [
    replace(
        case,
        path=case.path.replace("{slug}", "{" + hidden + "}"),
        expect=api_insiders(case.expect["organizer"]),
        # A draft is launched, not paused.
        body={"action": "launch"}
        if hidden == "draft" and case.route.endswith("/status")
        else case.body,
        variant=hidden,
    )
    for case in list(API_CASES)
    if "{slug}" in case.path and case.expect["organizer"] != NOT_ALLOWED
    for hidden in ("draft", "private")
]

# Patterns left out of the matrix, each with the reason it is safe to leave out.
EXCLUDED_PREFIXES = {
    # django-plotly-dash's internals: layout, assets and component bundles of the charts
    # embedded in the campaign dashboard, served the same to everyone. The one callback that
    # reads data checks the campaign's visibility itself (see the Dash CSRF test below).
    "django_plotly_dash/": "chart internals of django-plotly-dash",
}
EXCLUDED_ROUTES = {
    # Hugging Face redirects the browser here after sign-in; allauth authenticates it by the
    # OAuth state and PKCE verifier it stored in the session, and it needs the live provider.
    "accounts/oidc/(?P<provider_id>[^/]+)/login/callback/": "allauth's provider callback",
}

# Views that accept POST without a CSRF token, each with how it authenticates instead.
CSRF_EXEMPT = {
    # Called by Argilla, which has no session: only deliveries signed with the webhook secret
    # (Standard Webhooks) change anything.
    "argilla/webhook/": "signed by Argilla",
    # Dash's chart callbacks: read-only, and the callback shows a campaign's figures only to
    # those who may see the campaign (anonymous visitors never see a draft's numbers).
    "django_plotly_dash/instance/<slug:ident>/_dash-update-component": "read-only chart data",
    "django_plotly_dash/app/<slug:ident>/_dash-update-component": "read-only chart data",
    "django_plotly_dash/instance/<slug:ident>/initial/<slug:cache_id>/_dash-update-component": (
        "read-only chart data"
    ),
    "django_plotly_dash/app/<slug:ident>/initial/<slug:cache_id>/_dash-update-component": (
        "read-only chart data"
    ),
    # The token API: a bearer token in a header, never a cookie, so no other site can make a
    # browser send it (somos_site/api/auth.py); a session alone gets 401 there.
    **dict.fromkeys(
        [
            "api/v1/campaigns",
            "api/v1/campaigns/<slug>",
            "api/v1/campaigns/<slug>/status",
            "api/v1/campaigns/<slug>/imports",
            "api/v1/campaigns/<slug>/exports",
            "api/v1/campaigns/<slug>/ranking",
            "api/v1/jobs/<int:job_id>",
            "api/v1/jobs/<int:job_id>/cancel",
            "api/v1/jobs/<int:job_id>/result",
        ],
        "bearer token only",
    ),
}


def _join(prefix: str, route: str) -> str:
    # As Django's resolver joins nested routes: the inner one loses its leading "^".
    return prefix + route.removeprefix("^") if prefix else route


def url_patterns(patterns=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    """Return every (full route, pattern) the project resolves, included ones too."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            found += url_patterns(pattern.url_patterns, route)
        else:
            found.append((route, pattern))
    return found


def _excluded(route: str) -> bool:
    return route in EXCLUDED_ROUTES or route.startswith(tuple(EXCLUDED_PREFIXES))


@dataclass
class World:
    """What the cells act on: a user per role, their sessions, the ids paths are filled with."""

    users: dict[str, object]
    sessions: dict[str, str]
    tokens: dict[str, str]
    ids: dict[str, object]
    active: Campaign
    draft: Campaign


def _campaign(
    slug: str, *, organizer, records: bool = False, launch: bool = True, public: bool = True
) -> Campaign:
    campaign = arc_campaign_build(
        slug=slug, organizers=[organizer], records=records, launch=launch, public=public
    )
    for body in ("## Reglas\n\nUna.", "## Reglas\n\nUna. Dos."):
        guide_version_publish(guide=campaign.guide, body=body, user=organizer)
    return campaign


def _admin_rows(owner) -> None:
    """Give every model the admin shows at least one row, so its object pages are real."""
    Group.objects.create(name="authz")
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="authz", task="authz.task", interval=interval)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    CrontabSchedule.objects.create()
    SolarSchedule.objects.create(event="sunrise", latitude=0, longitude=0)
    stateless = StatelessApp.objects.create(app_name="Authz", slug="authz")
    DashApp.objects.create(instance_name="authz", slug="authz", stateless_app=stateless)
    # Hidden, so the sign-in pages do not offer it.
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="authz",
        name="Authz",
        client_id="authz",
        settings={"hidden": True, "server_url": "http://127.0.0.1:9"},
    )
    account = SocialAccount.objects.create(user=owner, provider="authz", uid="authz")
    SocialToken.objects.create(account=account, token="authz")


def _world_build() -> World:
    """Create the users, campaigns, answers and questions the cells act on."""
    users = {role: UserFactory() for role in ROLES[1:-1]} | {"staff": UserFactory(is_staff=True)}
    for user in users.values():
        profile_get_or_create(user=user)
    leaderboard_registry_seed()
    active = _campaign("authz-arc", organizer=users["organizer"], records=True)
    active.reviewers.add(users["reviewer"])
    other = _campaign("authz-other", organizer=users["other_organizer"], records=True)
    draft = _campaign("authz-draft", organizer=users["organizer"], launch=False)
    private = _campaign("authz-private", organizer=users["organizer"], public=False)
    # Everyone has read the guide, so annotating starts at a record, not at the guide.
    current = active.guide.versions.get(number=2)
    for user in users.values():
        guide_acknowledge(user=user, version=current)

    first, second, third = active.records.order_by("id")[:3]
    response_submit(record=first, user=users["volunteer"], values={"verdict": "correct"})
    someone = UserFactory()
    response_submit(record=second, user=someone, values={"verdict": "correct"})
    for text in ("Primera corrección", "Segunda corrección"):
        response_submit(
            record=third,
            user=UserFactory(),
            values={"verdict": "minor_fixes", "question_corrected": text},
        )
    third.refresh_from_db()
    assert third.status == Record.Status.DISPUTED
    question = question_ask(guide=active.guide, user=users["volunteer"], text="¿Y las tildes?")

    link = ArgillaDatasetLink.objects.create(
        campaign=other, workspace_id=uuid.uuid4(), dataset_id=uuid.uuid4()
    )
    ArgillaAccount.objects.create(argilla_user_id=uuid.uuid4(), username="authz", user=someone)
    ArgillaSyncRun.objects.create(campaign=link.campaign, trigger=ArgillaSyncRun.Trigger.ORGANIZER)
    ArgillaWebhook.objects.create(argilla_id=uuid.uuid4(), url="http://x/", secret=WEBHOOK_SECRET)
    WebhookDelivery.objects.create(
        message_id="msg_authz", event="response.created", status=WebhookDelivery.Status.IGNORED
    )
    arc_registry = LeaderboardDataset.objects.get(name="ARC-C_es")
    campaign_target_set(campaign=active, dataset=arc_registry)
    proposed = LeaderboardDatasetVersion.objects.create(
        dataset=arc_registry, number=1, campaign=active, published=False
    )
    # A job still waiting (its page, state and cancel button) and an export that finished
    # (its download); the inline runner of the test settings runs the export here.
    waiting = Job.objects.create(
        kind=Job.Kind.IMPORT, campaign=active, created_by=users["organizer"]
    )
    exported = export_job_start(campaign=active, include="pending", user=users["organizer"])
    assert exported.status == Job.Status.SUCCEEDED, exported.messages
    _admin_rows(someone)

    ids: dict[str, object] = {
        "slug": active.slug,
        "draft": draft.slug,
        "private": private.slug,
        "other": other.slug,
        "record": first.pk,
        "someone_elses": second.pk,
        "disputed": third.pk,
        "question": question.pk,
        "dataset": LeaderboardDataset.objects.order_by("name").first().slug,
        "proposed_dataset": arc_registry.slug,
        "proposed_version": proposed.number,
        "campaign": active.pk,
        "job": waiting.pk,
        "export_job": exported.pk,
        "campaign_type": ContentType.objects.get_for_model(Campaign).pk,
    }
    for model in admin.site._registry:
        row = model._default_manager.order_by("pk").first()
        assert row is not None, f"the world needs a {model._meta.label} row"
        ids[f"obj_{model._meta.app_label}_{model._meta.model_name}"] = row.pk
    # One session per role, signed in once: the cells only send its cookie.
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # And one API token per role.
    tokens = {}
    for role, user in users.items():
        token, tokens[role] = api_token_create(user=user, name="authz")
        if role == "volunteer":
            ids["token"] = token.pk
    return World(users=users, sessions=sessions, tokens=tokens, ids=ids, active=active, draft=draft)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Build the objects every cell needs once; roll them all back after the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _world_build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="module", autouse=True)
def _media_in_tmp(tmp_path_factory):
    """Keep the exports the cells trigger out of the working tree."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


def observe(response) -> Expect:
    """Reduce a response to what the matrix states: status, and whether it asks to log in."""
    if response.status_code in (301, 302):
        target = urlsplit(response["Location"]).path
        if target == LOGIN_PATH:
            return Expect(response.status_code, "login")
        if target == ADMIN_LOGIN_PATH:
            return Expect(response.status_code, "admin login")
    return Expect(response.status_code)


def _request(client: Client, method: str, path: str, **extra):
    response = client.get(path, **extra) if method == "GET" else client.post(path, **extra)
    if response.streaming:
        # Reading it to the end closes it the way the test client wants (files, exports).
        b"".join(response.streaming_content)
    return response


def _client_as(world: World, role: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return client


CELLS = [(case, method, role) for case in CASES for method in METHODS for role in ROLES]


@pytest.mark.parametrize(
    ("case", "method", "role"),
    CELLS,
    ids=[f"{case.label}-{method}-{role}" for case, method, role in CELLS],
)
def test_access_matrix_answers_each_role(world, case, method, role):
    client = _client_as(world, role)
    response = _request(client, method, case.path.format(**world.ids))
    assert observe(response) == case.expected(method, role)


API_CELLS = [(case, role) for case in API_CASES for role in ROLES]


@pytest.mark.parametrize(
    ("case", "role"), API_CELLS, ids=[f"{case.label}-{role}" for case, role in API_CELLS]
)
def test_access_matrix_api_answers_each_token(world, case, role):
    client = Client()
    headers = {} if role == "anonymous" else {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}
    path = case.path.format(**world.ids)
    if case.body is not None:
        response = client.generic(
            case.method, path, json.dumps(case.body), content_type="application/json", **headers
        )
    elif case.method == "POST":
        response = client.post(path, **headers)
    else:
        response = client.generic(case.method, path, **headers)
    if response.streaming:
        b"".join(response.streaming_content)
    assert observe(response) == case.expect[role]
    # Every answer of the API is JSON, errors included, or the export's archive.
    assert response["Content-Type"].split(";")[0] in ("application/json", "application/zip") or (
        case.route == "api/v1/docs" and response.status_code == 200
    )


def test_access_matrix_api_covers_every_operation_of_the_document(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        (
            method.upper(),
            path.lstrip("/").replace("{slug}", "<slug>").replace("{job_id}", "<int:job_id>"),
        )
        for path, methods in document["paths"].items()
        for method in methods
    }
    assert operations <= {(case.method, case.route) for case in API_CASES}


def test_access_matrix_covers_every_url_pattern():
    resolvable = {route for route, _pattern in url_patterns() if not _excluded(route)}
    in_matrix = {case.route for case in CASES} | {case.route for case in API_CASES}
    assert sorted(resolvable - in_matrix) == [], "add these URL patterns to the matrix"
    assert sorted(in_matrix - resolvable) == [], "these matrix rows match no URL pattern"


def test_access_matrix_exclusions_still_exist():
    routes = [route for route, _pattern in url_patterns()]
    for prefix in EXCLUDED_PREFIXES:
        assert any(route.startswith(prefix) for route in routes), prefix
    for route in EXCLUDED_ROUTES:
        assert route in routes, route


def test_access_matrix_paths_reach_their_pattern(world):
    for case in [*CASES, *API_CASES]:
        assert resolve(case.path.format(**world.ids)).route == case.route, case.label


# Who may use a view, said first in its docstring: "Organizers: …", "Anyone for public …".
AUDIENCE = re.compile(
    r"^(Anyone|Signed-in|The signed-in|The volunteer|Organizers|Reviewers|Campaign creators|Staff)"
)
PROJECT_PACKAGES = ("campaigns.", "annotation.", "dashboards.", "guides.", "somos_site.")


def test_views_state_who_may_use_them():
    silent = []
    for route, pattern in url_patterns():
        view = inspect.unwrap(pattern.callback)
        if not view.__module__.startswith(PROJECT_PACKAGES):
            continue
        if not AUDIENCE.match(inspect.getdoc(view) or ""):
            silent.append(f"{route} → {view.__module__}.{view.__name__}")
    assert silent == [], "start these views' docstrings with who may use them"


# CSRF: every view that takes a POST refuses one without a token.


def _accepts_post(case: Case) -> bool:
    return any(outcome != NOT_ALLOWED for outcome in case.post.values())


POSTED = {}
for _case in CASES:
    if _accepts_post(_case) and _case.route not in CSRF_EXEMPT:
        POSTED.setdefault(_case.route, _case)

# The role a POST is tried as: one the view lets in if there is one.
_ENTRY_ORDER = ("organizer", "reviewer", "volunteer", "staff", "other_organizer", "anonymous")


def _entry_role(case: Case) -> str:
    refused = {NOT_ALLOWED, LOGIN, ADMIN_LOGIN, DENIED, HIDDEN}
    let_in = [role for role in _ENTRY_ORDER if case.post[role] not in refused]
    return let_in[0] if let_in else "staff"


def _csrf_failures(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django.security.csrf"]


@pytest.mark.parametrize("case", POSTED.values(), ids=[case.label for case in POSTED.values()])
def test_csrf_post_without_token_is_refused(world, case, caplog):
    role = _entry_role(case)
    client = _client_as(world, role, enforce_csrf_checks=True)
    path = case.path.format(**world.ids)
    with caplog.at_level("WARNING", logger="django.security.csrf"):
        refused = _request(client, "POST", path)
        assert refused.status_code == 403
        assert _csrf_failures(caplog)
        caplog.clear()

        # With a token the same request passes the check and gets the matrix's answer.
        secret = get_random_string(32)
        client.cookies[settings.CSRF_COOKIE_NAME] = secret
        accepted = _request(client, "POST", path, HTTP_X_CSRFTOKEN=secret)
        assert _csrf_failures(caplog) == []
    assert observe(accepted) == case.expected("POST", role)


def test_csrf_exemptions_are_only_the_listed_views():
    exempt = {
        route
        for route, pattern in url_patterns()
        if getattr(pattern.callback, "csrf_exempt", False)
    }
    assert exempt == set(CSRF_EXEMPT)


def _signed(body: str, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    message_id = f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "HTTP_WEBHOOK_ID": message_id,
        "HTTP_WEBHOOK_TIMESTAMP": str(int(now.timestamp())),
        "HTTP_WEBHOOK_SIGNATURE": Webhook(secret).sign(message_id, now, body),
    }


def test_webhook_without_csrf_token_needs_argilla_signature(world):
    client = Client(enforce_csrf_checks=True)
    body = json.dumps({"type": "dataset.created", "version": 1, "data": {}})
    before = WebhookDelivery.objects.count()

    unsigned = client.post("/argilla/webhook/", data=body, content_type="application/json")
    forged = client.post(
        "/argilla/webhook/",
        data=body,
        content_type="application/json",
        **_signed(body, secret="whsec_" + "Zm9yZ2VkLWZvcmdlZC1mb3JnZWQtZm9yZ2VkLTEyMw=="),
    )
    assert (unsigned.status_code, forged.status_code) == (401, 401)
    assert WebhookDelivery.objects.count() == before

    signed = client.post(
        "/argilla/webhook/", data=body, content_type="application/json", **_signed(body)
    )
    assert signed.status_code == 200
    assert WebhookDelivery.objects.count() == before + 1


def _chart_update(client: Client, slug: str) -> dict:
    body = {
        "output": "..daily-chart.figure...country-map.figure..",
        "outputs": [
            {"id": "daily-chart", "property": "figure"},
            {"id": "country-map", "property": "figure"},
        ],
        "inputs": [
            {"id": "campaign-slug", "property": "value", "value": slug},
            {"id": "refresh", "property": "n_intervals", "value": None},
        ],
        "changedPropIds": ["campaign-slug.value"],
        "state": [],
    }
    response = client.post(
        "/django_plotly_dash/app/CampaignCharts/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 200
    return json.loads(response.content)["response"]


@pytest.mark.parametrize(("role", "sees"), [("anonymous", False), ("organizer", True)])
def test_chart_callback_without_csrf_token_shows_only_visible_campaigns(world, role, sees):
    client = _client_as(world, role, enforce_csrf_checks=True)
    figures = _chart_update(client, world.draft.slug)
    # A campaign's chart has its title (with answers or without); one the visitor may not
    # see comes back as an empty figure.
    assert bool(figures["daily-chart"]["figure"]["layout"].get("title")) is sees
    public = _chart_update(client, world.active.slug)
    assert public["daily-chart"]["figure"]["layout"].get("title")
