"""Who is who: Argilla users ↔ Somos users, placeholder contributors, and claiming them.

An Argilla user's answers belong to the Somos user whose profile names that Argilla username
explicitly (`Profile.argilla_username`, set by staff), or who signed in with the Hugging Face
account of that name. Anyone else's answers go to a placeholder contributor: an inactive user
with no password, which the person claims by signing in with that Hugging Face account; the
claim moves answers and counts to them. A typed (unverified) Hugging Face username never maps
anyone, or anyone could take another's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q, Sum
from django.utils.translation import gettext as _

from annotation.argilla import gateway
from annotation.argilla.models import ArgillaAccount, ArgillaDatasetLink, ArgillaResponseSeen
from annotation.models import Participation, Response
from annotation.revisions import revision_keep
from campaigns.models import Campaign, Record
from dashboards.counters import ContributorFigures, contributor_merge, day_unsubmit
from dashboards.models import ContributorCounter
from somos_site.accounts.models import Profile
from somos_site.accounts.services import profile_update

HUGGINGFACE_PROVIDER_ID = "huggingface"


class NoArgillaWorkspace(ValueError):
    """No campaign is linked to an Argilla workspace yet."""


@dataclass(frozen=True)
class AnnotatorAccess:
    username: str
    # None when the account is the volunteer's own (they already know how to sign in).
    password: str | None
    url: str


def verified_huggingface_usernames(*, user: AbstractBaseUser) -> set[str]:
    """Return the Hugging Face usernames the user proved by signing in with them."""
    names = set()
    for account in SocialAccount.objects.filter(user=user, provider=HUGGINGFACE_PROVIDER_ID):
        data = account.extra_data or {}
        claims = data.get("userinfo") or data.get("id_token") or data
        if isinstance(claims, dict) and claims.get("preferred_username"):
            names.add(str(claims["preferred_username"]))
    return names


def _owner_of(username: str) -> AbstractBaseUser | None:
    """Return the Somos user an Argilla username belongs to, if anyone proved it."""
    explicit = Profile.objects.filter(argilla_username__iexact=username).select_related("user")
    if profile := explicit.first():
        return profile.user
    candidates = Profile.objects.filter(huggingface_username__iexact=username).select_related(
        "user"
    )
    for profile in candidates:
        verified = {name.lower() for name in verified_huggingface_usernames(user=profile.user)}
        if username.lower() in verified:
            return profile.user
    return None


def somos_user_for(*, argilla_user_id: UUID, username: str = "") -> AbstractBaseUser:
    """Return the Somos user who owns the Argilla user's answers (a placeholder if unknown)."""
    account = ArgillaAccount.objects.filter(argilla_user_id=argilla_user_id).first()
    if account is not None:
        return account.user
    if not username:
        found = gateway.user_get(user_id=argilla_user_id)
        username = found.username if found else str(argilla_user_id)
    owner = _owner_of(username)
    try:
        with transaction.atomic():
            user = owner or _placeholder_create(username)
            account = ArgillaAccount.objects.create(
                argilla_user_id=argilla_user_id,
                username=username,
                user=user,
                placeholder=owner is None,
            )
    except IntegrityError:
        # Another process linked the same Argilla user first.
        account = ArgillaAccount.objects.get(argilla_user_id=argilla_user_id)
    return account.user


def _placeholder_create(username: str) -> AbstractBaseUser:
    User = get_user_model()
    base = f"argilla-{username}"[:140]
    name, suffix = base, 1
    while User.objects.filter(username=name).exists():
        suffix += 1
        name = f"{base}-{suffix}"
    user = User(username=name, email="", is_active=False)
    user.set_unusable_password()
    user.save()
    profile_update(user=user, display_name=username[:80])
    return user


def argilla_user_for(*, user: AbstractBaseUser, workspace_id: UUID) -> UUID:
    """Return the Argilla user that answers as this Somos user, creating one if needed."""
    accounts = list(user.argilla_accounts.order_by("created_by_somos", "id"))
    account = accounts[0] if accounts else _account_for(user)
    if str(workspace_id) not in account.workspace_ids:
        gateway.workspace_user_add(workspace_id=workspace_id, user_id=account.argilla_user_id)
        account.workspace_ids = [*account.workspace_ids, str(workspace_id)]
        account.save(update_fields=["workspace_ids"])
    return account.argilla_user_id


def _account_for(user: AbstractBaseUser) -> ArgillaAccount:
    placeholders_claim(user=user)
    profile = Profile.objects.filter(user=user).first()
    verified = sorted(verified_huggingface_usernames(user=user))
    own_names = (
        [profile.argilla_username] if profile and profile.argilla_username else []
    ) + verified
    for name in own_names:
        found = gateway.user_get(username=name)
        if found and not ArgillaAccount.objects.filter(argilla_user_id=found.id).exists():
            return _account_link(user, found, created_by_somos=False)
    # Nobody to link: an annotator named after their Hugging Face account, else after Somos.
    for name in [*verified[:1], f"somos-{user.pk}"]:
        found = gateway.user_get(username=name)
        if found is None:
            try:
                found = gateway.user_create(username=name, password=gateway.password_new())
            except gateway.ArgillaRejected:
                continue
        elif ArgillaAccount.objects.filter(argilla_user_id=found.id).exists():
            continue
        return _account_link(user, found, created_by_somos=True)
    raise gateway.ArgillaRejected(f"no Argilla username is free for Somos user {user.pk}")


def _account_link(user, found: gateway.ArgillaUser, *, created_by_somos: bool) -> ArgillaAccount:
    account, _created = ArgillaAccount.objects.get_or_create(
        argilla_user_id=found.id,
        defaults={"username": found.username, "user": user, "created_by_somos": created_by_somos},
    )
    return account


def argilla_annotator_request(*, user: AbstractBaseUser) -> AnnotatorAccess:
    """Give the volunteer an Argilla annotator account in every linked campaign's workspace."""
    workspaces = list(
        ArgillaDatasetLink.objects.filter(
            campaign__status=Campaign.Status.ACTIVE, workspace_id__isnull=False
        ).values_list("workspace_id", flat=True)
    )
    if not workspaces:
        raise NoArgillaWorkspace(_("No campaign is in Argilla yet."))
    for workspace_id in workspaces:
        argilla_user_for(user=user, workspace_id=workspace_id)
    account = user.argilla_accounts.order_by("created_by_somos", "id").first()
    password = None
    if account.created_by_somos:
        password = gateway.password_new()
        gateway.user_password_set(user_id=account.argilla_user_id, password=password)
    return AnnotatorAccess(username=account.username, password=password, url=gateway.public_url())


def placeholders_claim(*, user: AbstractBaseUser) -> int:
    """Give the user the placeholder contributors of the Argilla users they proved to be."""
    if not user.is_active:
        return 0
    names = verified_huggingface_usernames(user=user)
    explicit = Profile.objects.filter(user=user).values_list("argilla_username", flat=True).first()
    if explicit:
        names.add(explicit)
    if not names:
        return 0
    match = Q()
    for name in names:
        match |= Q(username__iexact=name)
    claimed = 0
    for account in ArgillaAccount.objects.filter(match, placeholder=True).exclude(user=user):
        _placeholder_merge(account=account, into=user)
        claimed += 1
    return claimed


@transaction.atomic
def _placeholder_merge(*, account: ArgillaAccount, into: AbstractBaseUser) -> None:
    """Move a placeholder's answers and counts to the person, then drop the placeholder.

    Where both answered the same record, the newer answer stays and the older becomes a
    revision; the record then counts one answer less. Locks follow the submit order: records,
    responses, contributor counters, campaign counters.
    """
    placeholder = account.user
    record_ids = sorted(
        set(Response.objects.filter(user=placeholder).values_list("record_id", flat=True))
    )
    records = {
        record.pk: record
        for record in Record.objects.select_for_update(of=("self",))
        .filter(pk__in=record_ids)
        .select_related("campaign")
        .order_by("pk")
    }
    theirs = {
        r.record_id: r
        for r in Response.objects.select_for_update().filter(user=placeholder).order_by("pk")
    }
    mine = {
        r.record_id: r
        for r in Response.objects.select_for_update()
        .filter(user=into, record_id__in=record_ids)
        .order_by("pk")
    }
    campaigns = set(
        ContributorCounter.objects.filter(user=placeholder).values_list("campaign_id", flat=True)
    )
    uncompleted: dict[int, int] = {}
    for record_id in record_ids:
        record, moved, own = records[record_id], theirs[record_id], mine.get(record_id)
        campaigns.add(record.campaign_id)
        if own is None:
            moved.user = into
            moved.save(update_fields=["user"])
            continue
        both_submitted = own.status == moved.status == Response.Status.SUBMITTED
        older = moved if moved.updated_at <= own.updated_at else own
        older_at = older.first_submitted_at or older.submitted_at
        older_corrections = older.corrections
        _responses_fold(keep=own, other=moved)
        if both_submitted and older_at is not None:
            # The same person counted twice: the older answer stops counting on its day.
            day_unsubmit(
                campaign_id=record.campaign_id,
                user_id=placeholder.pk if older is moved else into.pk,
                day=older_at.date(),
                corrections=older_corrections,
            )
        if both_submitted:
            record.submitted_count -= 1
            if (
                record.status == Record.Status.COMPLETED
                and record.submitted_count < record.campaign.overlap
            ):
                record.status = Record.Status.PENDING
                uncompleted[record.campaign_id] = uncompleted.get(record.campaign_id, 0) + 1
            record.save(update_fields=["submitted_count", "status", "updated_at"])
        moved.delete()
    for campaign_id in sorted(campaigns):
        # A claim is rare and touches one person: recounting their answers here is cheap.
        now = Response.objects.filter(
            campaign_id=campaign_id, user=into, status=Response.Status.SUBMITTED
        ).aggregate(
            submitted=Count("id"),
            corrections=Sum("corrections"),
            first=Min("submitted_at"),
            last=Max("submitted_at"),
        )
        contributor_merge(
            campaign_id=campaign_id,
            from_user_id=placeholder.pk,
            into_user_id=into.pk,
            into=ContributorFigures(
                submitted=now["submitted"],
                corrections=now["corrections"] or 0,
                first_submitted_at=now["first"],
                last_submitted_at=now["last"],
            ),
            records_uncompleted=uncompleted.get(campaign_id, 0),
        )
    for participation in Participation.objects.filter(user=placeholder):
        Participation.objects.get_or_create(campaign_id=participation.campaign_id, user=into)
    ArgillaAccount.objects.filter(user=placeholder).update(user=into, placeholder=False)
    placeholder.delete()


def _responses_fold(*, keep: Response, other: Response) -> None:
    """Make `keep` the newer of the two answers, with the older one in its revisions."""
    for revision in other.revisions.order_by("number"):
        revision_keep(
            response=keep,
            values=revision.values,
            status=revision.status,
            origin=revision.origin,
            at=revision.created_at,
        )
    older = other if other.updated_at <= keep.updated_at else keep
    revision_keep(
        response=keep,
        values=older.values,
        status=older.status,
        origin=older.origin,
        at=older.updated_at,
    )
    if older is keep:
        for name in ("values", "status", "origin", "corrections", "submitted_at", "duration_ms"):
            setattr(keep, name, getattr(other, name))
        if seen := ArgillaResponseSeen.objects.filter(response=other).first():
            ArgillaResponseSeen.objects.update_or_create(
                response=keep, defaults={"argilla_updated_at": seen.argilla_updated_at}
            )
    keep.save()
