from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField


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
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    country = CountryField(_("country"), blank=True)
    spanish_variety = models.CharField(
        _("Spanish variety"), max_length=20, choices=SpanishVariety.choices, blank=True
    )
    other_languages = models.JSONField(_("other languages"), default=list, blank=True)
    public_ranking = models.BooleanField(_("show my name in public rankings"), default=True)
    huggingface_username = models.CharField(
        _("Hugging Face username"), max_length=96, blank=True, db_index=True
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

    @property
    def public_name(self) -> str:
        return self.display_name or self.user.get_username().split("@")[0]
