"""The demo: users, three active campaigns from the shipped samples and the leaderboard registry."""

from __future__ import annotations

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

from campaigns.importers.sources import Source
from campaigns.models import Campaign
from campaigns.samples import SAMPLE_DATA
from campaigns.services import campaign_create, campaign_status_change, records_import
from guides.selectors import guide_of
from guides.services import guide_version_publish
from leaderboard.models import LeaderboardDataset
from leaderboard.services import campaign_target_set, leaderboard_registry_seed
from somos_site.accounts.models import SpanishVariety
from somos_site.accounts.services import profile_update


@dataclass(frozen=True)
class DemoAccount:
    # Lazy: the demo command prints it in its own language.
    role: str | Promise
    email: str
    password: str


DEMO_ORGANIZER = DemoAccount(
    pgettext_lazy("demo account", "organizer"), "organizadora@somos.local", "somos-demo-organiza"
)
DEMO_VOLUNTEER = DemoAccount(
    pgettext_lazy("demo account", "volunteer"), "voluntario@somos.local", "somos-demo-voluntario"
)


@dataclass(frozen=True)
class DemoCampaign:
    slug: str
    name: str
    preset: str
    source: str
    translation: str
    # The Table 5 dataset its exports feed; None leaves the choice to its first export.
    leaderboard: str | None
    description: str
    target_language: str = "es"


DEMO_CAMPAIGNS = (
    DemoCampaign(
        slug="arc-c-es-demo",
        name="ARC-Challenge en español",
        preset="okapi_arc",
        source="arc_challenge_validation_en.jsonl",
        translation="okapi_arc_challenge_validation_es.jsonl",
        leaderboard="ARC-C_es",
        description=(
            "Preguntas de ciencias de primaria y secundaria (ARC-Challenge) traducidas "
            "automáticamente por Okapi. Comprueba cada pregunta y sus opciones."
        ),
    ),
    DemoCampaign(
        slug="mmlu-es-demo",
        name="MMLU en español",
        preset="okapi_mmlu",
        source="mmlu_validation_en.jsonl",
        translation="okapi_mmlu_val_es.jsonl",
        leaderboard="MMLU_es",
        description=(
            "Preguntas de conocimiento general de 57 materias (MMLU) con su traducción "
            "automática de Okapi."
        ),
    ),
    DemoCampaign(
        slug="arc-c-ca-demo",
        name="ARC-Challenge en català",
        preset="okapi_arc",
        # The first rows of the English file: the Catalan sample translates only those.
        source="arc_challenge_validation_en_ca_subset.jsonl",
        translation="okapi_arc_challenge_validation_ca_somos.jsonl",
        # Table 5 has no Catalan ARC-Challenge.
        leaderboard=None,
        description=(
            "Preguntes de ciències de primària i secundària (ARC-Challenge) traduïdes al català. "
            "Comprova cada pregunta i les seves opcions."
        ),
        target_language="ca",
    ),
)


@dataclass(frozen=True)
class DemoGuide:
    body: str
    changelog: str


DEMO_GUIDE_ES = DemoGuide(
    body="""# Guía de validación

Gracias por ayudar a que el español tenga datos abiertos de calidad.

## Qué hay que hacer
Verás el texto original en inglés y su traducción automática al español, pieza a pieza
(la pregunta y cada opción). Decide si la traducción es **correcta**, si **necesita pequeños
arreglos** o si es **incorrecta**, y corrige el texto cuando haga falta.

## Criterios
- La traducción debe conservar el significado y la respuesta correcta.
- Usa un español neutro y natural; respeta nombres propios, cifras y unidades.
- No traduzcas lo que no debe traducirse (código, fórmulas, nombres de variables).

## Ejemplo
*Original:* "Which of these is a renewable resource?"
*Traducción:* "¿Cuál de estos es un recurso renovable?" → **Correcta**.
""",
    changelog="Primera versión.",
)

DEMO_GUIDE_CA = DemoGuide(
    body="""# Guia de validació

Gràcies per ajudar a fer que el català tingui dades obertes de qualitat.

## Què cal fer
Veuràs el text original en anglès i la seva traducció al català, peça a peça (la pregunta i
cada opció). Decideix si la traducció és **correcta**, si **necessita petites correccions** o
si és **incorrecta**, i corregeix el text quan calgui.

## Criteris
- La traducció ha de conservar el significat i la resposta correcta.
- Fes servir un català natural i estàndard; respecta els noms propis, les xifres i les unitats.
- No tradueixis el que no s'ha de traduir (codi, fórmules, noms de variables).

## Exemple
*Original:* "Which of these is a renewable resource?"
*Traducció:* "Quin d'aquests és un recurs renovable?" → **Correcta**.
""",
    changelog="Primera versió.",
)

# Each campaign's guide is written in the language its volunteers validate.
DEMO_GUIDES = {"es": DEMO_GUIDE_ES, "ca": DEMO_GUIDE_CA}


@dataclass(frozen=True)
class DemoResult:
    accounts: tuple[DemoAccount, ...]
    campaigns: tuple[tuple[str, int], ...]
    leaderboard_added: int


def demo_load() -> DemoResult:
    """Load the demo; running it again changes nothing."""
    organizer = _account(DEMO_ORGANIZER, staff=True, display_name="Organizadora Demo")
    _account(DEMO_VOLUNTEER, staff=False, display_name="Voluntario Demo")
    added = leaderboard_registry_seed()
    loaded = []
    for demo in DEMO_CAMPAIGNS:
        campaign = _demo_campaign(demo, organizer=organizer)
        loaded.append((campaign.slug, campaign.counter.records_total))
    return DemoResult(
        accounts=(DEMO_ORGANIZER, DEMO_VOLUNTEER), campaigns=tuple(loaded), leaderboard_added=added
    )


@transaction.atomic
def _account(account: DemoAccount, *, staff: bool, display_name: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        email=account.email, defaults={"username": account.email.split("@")[0], "is_staff": staff}
    )
    if created:
        user.set_password(account.password)
        user.save(update_fields=["password"])
        profile_update(
            user=user,
            display_name=display_name,
            country="ES",
            spanish_variety=SpanishVariety.PENINSULAR,
            # The demo volunteers chose to be named in the rankings.
            public_ranking=True,
        )
    EmailAddress.objects.get_or_create(
        user=user, email=account.email, defaults={"verified": True, "primary": True}
    )
    return user


def _demo_campaign(demo: DemoCampaign, *, organizer) -> Campaign:
    campaign = Campaign.objects.filter(slug=demo.slug).first()
    if campaign is None:
        campaign = campaign_create(
            slug=demo.slug,
            name=demo.name,
            preset=demo.preset,
            description=demo.description,
            organizers=[organizer],
            source_language="en",
            target_language=demo.target_language,
        )
    if not campaign.records.exists():
        records_import(
            campaign=campaign,
            source=Source(path=SAMPLE_DATA / demo.source),
            translation=Source(path=SAMPLE_DATA / demo.translation),
            user=organizer,
        )
    guide = guide_of(campaign)
    if not guide.versions.exists():
        first = DEMO_GUIDES[demo.target_language]
        guide_version_publish(
            guide=guide, body=first.body, changelog=first.changelog, user=organizer
        )
    if campaign.status == Campaign.Status.DRAFT:
        dataset = (
            LeaderboardDataset.objects.filter(name=demo.leaderboard).first()
            if demo.leaderboard
            else None
        )
        if dataset is not None:
            campaign_target_set(campaign=campaign, dataset=dataset)
        campaign = campaign_status_change(campaign=campaign, status=Campaign.Status.ACTIVE)
    return Campaign.objects.select_related("counter").get(pk=campaign.pk)
