"""Public dashboards and JSON endpoints: they read counters, never responses."""

from __future__ import annotations

from itertools import accumulate

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_countries import countries

from campaigns.access import visible_to_everyone
from campaigns.models import Campaign
from campaigns.selectors import campaign_visible_to
from dashboards.forms import CampaignFilterForm
from dashboards.selectors import (
    WINDOWS,
    campaign_progress,
    campaign_target_languages,
    campaigns_for_home,
    campaigns_listed,
    campaigns_to_continue,
    campaigns_totals,
    contributors_by,
    daily_series,
    global_overview,
    pace,
    personal_standing,
    ranking_for_campaign,
    top_share,
    triage_figures,
)
from somos_site.accounts.models import SpanishVariety
from somos_site.accounts.selectors import languages_spoken
from somos_site.cache import forget
from somos_site.page_cache import anonymous_page_cached, anonymous_pages_forget

API_CACHE_SECONDS = 2
CAMPAIGNS_PAGE_SIZE = 50


@require_GET
@anonymous_page_cached
def home(request: HttpRequest) -> HttpResponse:
    """Anyone: the active campaigns with their progress, those in the visitor's languages first."""
    # The profile's languages; else (anonymous, or a profile naming none) the page's language.
    languages = languages_spoken(user=request.user) or [get_language()]
    campaigns = list(campaigns_for_home(languages_first=languages))
    return render(
        request,
        "dashboards/home.html",
        {
            "campaigns": campaigns,
            "totals": campaigns_totals(campaigns),
            "to_continue": campaigns_to_continue(user=request.user),
        },
    )


@require_GET
@anonymous_page_cached
def campaign_list(request: HttpRequest) -> HttpResponse:
    """Anyone: every campaign anyone may see, open ones first, filtered by language and kind."""
    form = CampaignFilterForm(request.GET or None, languages=campaign_target_languages())
    campaigns = campaigns_listed(**form.filters())
    page = Paginator(campaigns, CAMPAIGNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "dashboards/campaign_list.html", {"form": form, "page": page})


@require_GET
@anonymous_page_cached
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone for public campaigns; organizers and staff for the rest."""
    campaign = campaign_visible_to(slug=slug, user=request.user)
    if campaign is None:
        raise Http404
    return render(
        request,
        "dashboards/campaign_page.html",
        {"campaign": campaign, "progress": campaign_progress(campaign=campaign)},
    )


def _visible_campaign(request: HttpRequest, slug: str) -> Campaign:
    campaign = campaign_visible_to(slug=slug, user=request.user)
    if campaign is None:
        raise Http404
    return campaign


@require_GET
@anonymous_page_cached
def campaign_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone for public campaigns (organizers and staff for the rest): live progress."""
    campaign = _visible_campaign(request, slug)
    # The figures everyone sees are built once per API_CACHE_SECONDS for a public campaign
    # (a launch brings many visitors at once); the live feed moves them on from there.
    figures = (
        cache.get_or_set(
            f"somos:dashboard:{campaign.pk}",
            lambda: _dashboard_figures(campaign),
            API_CACHE_SECONDS,
        )
        if campaign.is_public
        else _dashboard_figures(campaign)
    )
    return render(
        request,
        "dashboards/campaign.html",
        {
            "campaign": campaign,
            **figures,
            # Labels in the visitor's language: the cached figures hold only codes.
            "by_variety": [
                (SpanishVariety(code).label if code in SpanishVariety.values else code, *counts)
                for code, *counts in figures["by_variety"]
            ],
            "by_country": [
                (countries.name(code), *counts) for code, *counts in figures["by_country"]
            ],
            "dash_arguments": {"campaign-slug": {"value": campaign.slug}},
            "mine": personal_standing(campaign=campaign, user=request.user),
        },
    )


def _dashboard_figures(campaign: Campaign) -> dict:
    share = top_share(campaign=campaign)
    series = daily_series(campaign=campaign)
    totals = accumulate(count for _day, count in series)
    return {
        "progress": campaign_progress(campaign=campaign),
        "pace": pace(campaign=campaign),
        "rankings": {
            window: ranking_for_campaign(campaign=campaign, window=window) for window in WINDOWS
        },
        "top_share": round(share * 100) if share is not None else None,
        "by_variety": list(contributors_by(campaign=campaign, field="spanish_variety")),
        "triage": triage_figures(campaign=campaign),
        # The charts' figures as tables, for those who cannot see or read a chart.
        "by_day": [(day, count, total) for (day, count), total in zip(series, totals, strict=True)],
        "by_country": [
            row for row in contributors_by(campaign=campaign, field="country") if row[0]
        ],
    }


@require_GET
@anonymous_page_cached
def global_dashboard(request: HttpRequest) -> HttpResponse:
    """Anyone: the whole project's progress across public campaigns."""
    return render(request, "dashboards/global.html", global_overview())


def _cached_json(request: HttpRequest, key: str, build) -> JsonResponse:
    # Kept only for a campaign everyone may see, so a hit asks neither who the visitor is nor
    # the database.
    payload = cache.get(key)
    if payload is None:
        campaign_slug = request.resolver_match.kwargs["slug"]
        campaign = campaign_visible_to(slug=campaign_slug, user=request.user)
        if campaign is None:
            # The same answer for a campaign that does not exist and one hidden from this visitor.
            return JsonResponse({"error": _("No such campaign.")}, status=404)
        payload = build(campaign)
        if visible_to_everyone(campaign):
            cache.set(key, payload, API_CACHE_SECONDS)
    return JsonResponse(payload)


@require_GET
def api_progress(request: HttpRequest, slug: str) -> JsonResponse:
    """Anyone for public campaigns: progress figures as JSON."""
    return _cached_json(
        request,
        _progress_key(slug),
        lambda campaign: {
            key: value
            for key, value in campaign_progress(campaign=campaign).items()
            if key != "percent_completed"
        },
    )


@require_GET
def api_ranking(request: HttpRequest, slug: str) -> JsonResponse:
    """Anyone for public campaigns: the ranking as JSON (window all, 7d or 30d)."""
    window = request.GET.get("window", "all")
    if window not in WINDOWS:
        return JsonResponse(
            {"error": _("window must be one of: %(windows)s") % {"windows": ", ".join(WINDOWS)}},
            status=400,
        )
    return _cached_json(
        request,
        _ranking_key(slug, window),
        lambda campaign: {
            "window": window,
            "ranking": [
                row.as_json()
                for row in ranking_for_campaign(campaign=campaign, window=window, limit=50)
            ],
        },
    )


def campaign_pages_forget(*, slug: str) -> None:
    """Forget what the public pages and JSON keep of the campaign once its change commits."""
    anonymous_pages_forget(
        reverse("home"),
        reverse("campaign_list"),
        reverse("global_dashboard"),
        reverse("campaign_detail", args=[slug]),
        reverse("campaign_dashboard", args=[slug]),
    )
    forget(_progress_key(slug), *(_ranking_key(slug, window) for window in WINDOWS))


def _progress_key(slug: str) -> str:
    return f"somos:api:progress:{slug}"


def _ranking_key(slug: str, window: str) -> str:
    return f"somos:api:ranking:{slug}:{window}"
