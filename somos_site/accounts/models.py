from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from somos_site.accounts.names import (
    display_name_key,
    known_as,
    public_name,
    validate_display_name,
)


class SpanishVariety(models.TextChoices):
    PENINSULAR = "peninsular", _("Peninsular (Spain)")
    CANARIO = "canario", _("Canarian")
    MEXICANO = "mexicano", _("Mexican and Central American")
    CARIBENO = "caribeno", _("Caribbean")
    ANDINO = "andino", _("Andean")
    RIOPLATENSE = "rioplatense", _("Rioplatense")
    CHILENO = "chileno", _("Chilean")
    ECUATOGUINEANO = "ecuatoguineano", _("Equatoguinean")
    ESTADOUNIDENSE = "estadounidense", _("United States")
    OTHER = "other", _("Other")


class OtherLanguage(models.TextChoices):
    CA = "ca", _("Catalan")
    EU = "eu", _("Basque")
    GL = "gl", _("Galician")
    QU = "qu", _("Quechua")
    GN = "gn", _("Guarani")
    AY = "ay", _("Aymara")
    NAH = "nah", _("Nahuatl")
    ARN = "arn", _("Mapudungun")
    EN = "en", _("English")
    PT = "pt", _("Portuguese")


class Profile(models.Model):
    """What a volunteer tells about themselves; one per user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        _("display name"), max_length=80, blank=True, validators=[validate_display_name]
    )
    # The display name as names are compared (names.display_name_key), kept by save(): the
    # profile form refuses a name another volunteer already goes by.
    display_name_key = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    country = CountryField(_("country"), blank=True)
    spanish_variety = models.CharField(
        _("Spanish variety"), max_length=20, choices=SpanishVariety.choices, blank=True
    )
    other_languages = models.JSONField(_("other languages"), default=list, blank=True)
    # Opt-in: nobody is named in public until they tick it (migration 0004 for older rows).
    public_ranking = models.BooleanField(_("show my name in public rankings"), default=False)
    # Typed by the volunteer (it links Argilla answers only once proved, annotation/argilla).
    huggingface_username = models.CharField(
        _("Hugging Face username"), max_length=96, blank=True, db_index=True
    )
    # The username of the Hugging Face account they signed in with: the only one shown in
    # public, since a typed one could be anybody's.
    huggingface_verified_username = models.CharField(
        _("verified Hugging Face username"), max_length=96, blank=True, editable=False
    )
    # Argilla sync: staff link a profile to an Argilla username (not editable by volunteers).
    argilla_username = models.CharField(
        _("Argilla username"), max_length=200, blank=True, db_index=True
    )
    email_notifications = models.BooleanField(_("e-mail me answers and news"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.public_name

    def save(self, *args, **kwargs) -> None:
        self.display_name_key = display_name_key(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "display_name_key"}
        super().save(*args, **kwargs)

    @property
    def public_name(self) -> str:
        """Return what the public sees: a name only if the volunteer opted in."""
        return public_name(
            user_id=self.user_id,
            display_name=self.display_name,
            huggingface_username=self.huggingface_verified_username,
            public=self.public_ranking,
        )

    @property
    def known_as(self) -> str:
        """Return what organizers see: the chosen or proved name, else the pseudonym."""
        return known_as(
            user_id=self.user_id,
            display_name=self.display_name,
            huggingface_username=self.huggingface_verified_username,
        )


class ApiToken(models.Model):
    """A user's key to the API (/api/v1/). Only its hash is stored (accounts.tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    # The token's first characters, shown so its owner can tell it from their others.
    prefix = models.CharField(_("prefix"), max_length=20, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Written at most once a minute (accounts.services.api_token_used): polling writes little.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
