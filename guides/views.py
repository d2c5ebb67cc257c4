"""Guide pages: read, acknowledge and ask (volunteers); edit and answer (organizers)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.access import organizer_required
from campaigns.models import Campaign, Record
from campaigns.selectors import campaign_visible_to
from guides.forms import AnswerForm, GuideDraftForm, QuestionForm
from guides.models import GuideQuestion
from guides.rendering import guide_render, video_embed
from guides.selectors import (
    acknowledgement_needed,
    current_version,
    faq,
    guide_of,
    inbox,
    published_versions,
    questions_of,
    questions_per_version,
    rendered_version,
    version_diff,
)
from guides.services import (
    GuideNotReady,
    guide_acknowledge,
    guide_draft_publish,
    guide_draft_save,
    question_answer,
    question_ask,
    question_promote_to_draft,
    question_promote_to_faq,
    question_resolve,
    questions_mark_seen,
)
from somos_site.page_cache import anonymous_page_cached, anonymous_pages_forget
from somos_site.ratelimit import rate_limited


def _visible(request: HttpRequest, slug: str) -> Campaign:
    campaign = campaign_visible_to(slug=slug, user=request.user)
    if campaign is None:
        raise Http404
    return campaign


@require_GET
@anonymous_page_cached
def guide_page(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone who may see the campaign: its guide, any version, the FAQ, one's own questions."""
    campaign = _visible(request, slug)
    guide = guide_of(campaign)
    versions = list(published_versions(guide))
    shown = versions[0] if versions else None
    if "version" in request.GET:
        shown = next((v for v in versions if str(v.number) == request.GET["version"]), None)
        if shown is None:
            raise Http404
    rendered = rendered_version(shown) if shown else None
    context = {
        "campaign": campaign,
        "guide": guide,
        "versions": versions,
        "shown": shown,
        "is_current": shown is not None and versions and shown == versions[0],
        "rendered": rendered,
        "video": video_embed(shown.video_url) if shown else None,
        "faq": faq(guide),
        "next": request.GET.get("next", ""),
    }
    if request.user.is_authenticated:
        need = acknowledgement_needed(guide=guide, user=request.user)
        context.update(
            need=need,
            changes_diff=version_diff(need.last_acknowledged, need.version)
            if need.last_acknowledged and need.changes
            else None,
            my_questions=list(questions_of(guide=guide, user=request.user)),
            question_form=QuestionForm(
                sections=rendered.sections if rendered else [],
                initial={"section": request.GET.get("section", "")},
            ),
        )
        questions_mark_seen(user=request.user, guide=guide)
    return render(request, "guides/guide.html", context)


def guide_page_forget(*, slug: str) -> None:
    """Forget the kept copies of the campaign's guide page once the change commits."""
    anonymous_pages_forget(reverse("guide", args=[slug]))


@require_GET
def guide_diff(request: HttpRequest, slug: str, older: int, newer: int) -> HttpResponse:
    """Anyone who may see the campaign: what changed between two published versions."""
    campaign = _visible(request, slug)
    versions = published_versions(guide_of(campaign))
    before = get_object_or_404(versions, number=older)
    after = get_object_or_404(versions, number=newer)
    return render(
        request,
        "guides/diff.html",
        {
            "campaign": campaign,
            "before": before,
            "after": after,
            "lines": version_diff(before, after),
        },
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@require_POST
@login_required
def guide_acknowledge_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Signed-in users: acknowledge the guide's current version."""
    campaign = _visible(request, slug)
    version = current_version(guide_of(campaign))
    if version is None or str(version.number) != request.POST.get("version"):
        messages.error(request, _("The guide changed meanwhile: please read the new version."))
        return redirect("guide", slug=slug)
    guide_acknowledge(user=request.user, version=version)
    messages.success(request, _("Thank you for reading the guide."))
    return redirect(_safe_next(request, f"/campaigns/{slug}/annotate/"))


@require_POST
@login_required
@rate_limited("guide_question")
def guide_ask(request: HttpRequest, slug: str) -> HttpResponse:
    """Signed-in users: ask a question about a guide section or a record."""
    campaign = _visible(request, slug)
    guide = guide_of(campaign)
    version = current_version(guide)
    sections = rendered_version(version).sections if version else []
    form = QuestionForm(request.POST, sections=sections)
    if form.is_valid():
        record = None
        if form.cleaned_data["record"]:
            record = Record.objects.filter(
                pk=form.cleaned_data["record"], campaign=campaign
            ).first()
        question_ask(
            guide=guide,
            user=request.user,
            text=form.cleaned_data["text"],
            section=form.cleaned_data["section"],
            record=record,
        )
        messages.success(request, _("Question sent. The organizers will answer it here."))
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect(_safe_next(request, f"/campaigns/{slug}/guide/#my-questions"))


@require_http_methods(["GET", "POST"])
@organizer_required
def guide_edit(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: edit the draft, preview it and publish it as a new version."""
    guide = guide_of(campaign)
    draft = guide.versions.filter(published_at__isnull=True).first()
    base = draft or current_version(guide)
    initial = {"body": base.body, "video_url": base.video_url} if base else {}
    if draft:
        initial.update(changelog=draft.changelog, important=draft.important)
    form = GuideDraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        draft = guide_draft_save(guide=guide, user=request.user, **form.cleaned_data)
        if request.POST.get("action") == "publish":
            try:
                version = guide_draft_publish(guide=guide)
            except GuideNotReady as not_ready:
                messages.error(request, str(not_ready))
            else:
                messages.success(
                    request, _("Version %(number)s published.") % {"number": version.number}
                )
                return redirect("guide_edit", slug=campaign.slug)
        else:
            messages.success(request, _("Draft saved."))
        return redirect("guide_edit", slug=campaign.slug)
    return render(
        request,
        "guides/edit.html",
        {
            "campaign": campaign,
            "form": form,
            "draft": draft,
            "preview": guide_render(draft.body) if draft else None,
            "versions": published_versions(guide),
            "stats": questions_per_version(guide=guide),
        },
    )


@require_GET
@organizer_required
def guide_inbox(request: HttpRequest, campaign: Campaign) -> HttpResponse:
    """Organizers: the campaign's questions, to answer, resolve and promote."""
    guide = guide_of(campaign)
    status = request.GET.get("status") or ""
    return render(
        request,
        "guides/inbox.html",
        {
            "campaign": campaign,
            "questions": inbox(guide=guide, status=status or None),
            "answer_form": AnswerForm(),
            "statuses": GuideQuestion.Status.choices,
            "current_status": status,
        },
    )


@require_POST
@organizer_required
def guide_question_act(request: HttpRequest, campaign: Campaign, question_id: int) -> HttpResponse:
    """Organizers: answer, resolve or promote one question."""
    question = get_object_or_404(GuideQuestion, pk=question_id, guide__campaign=campaign)
    action = request.POST.get("action")
    try:
        if action == "answer":
            form = AnswerForm(request.POST)
            if not form.is_valid():
                raise ValueError(_("Write an answer."))
            question_answer(
                question=question,
                user=request.user,
                answer=form.cleaned_data["answer"],
                resolve=form.cleaned_data["resolve"],
            )
            messages.success(request, _("Answer sent."))
        elif action == "resolve":
            question_resolve(question=question)
        elif action == "faq":
            question_promote_to_faq(question=question)
            messages.success(request, _("Added to the FAQ."))
        elif action == "draft":
            question_promote_to_draft(question=question, user=request.user)
            messages.success(request, _("Added to the guide's draft."))
        else:
            messages.error(request, _("Unknown action."))
    except ValueError as problem:
        messages.error(request, str(problem))
    return redirect("guide_inbox", slug=campaign.slug)
