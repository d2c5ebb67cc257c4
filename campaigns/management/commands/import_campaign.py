"""Import a benchmark file (and its translation) into a campaign, creating the campaign if new."""

from __future__ import annotations

import json
import time

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.validators import validate_slug
from django.utils.translation import gettext as _

from campaigns.importers.presets import PRESETS, mapping_parse
from campaigns.importers.records import ImportRejected
from campaigns.importers.sources import FORMATS, HUB_PREFIX, Source
from campaigns.languages import PROJECT_LANGUAGES, language_known
from campaigns.models import Campaign
from campaigns.services import campaign_create, records_import
from somos_site.commands import LocalizedCommand


class Command(LocalizedCommand):
    """Import a source into a campaign, all or nothing, creating the campaign if needed."""

    # Batch work: the system checks cost a second per run and say nothing about the data.
    requires_system_checks: list[str] = []
    reports_progress = True

    @property
    def help(self) -> str:
        # A property, not a class attribute: argparse cannot format lazy strings.
        return _(
            "Import a source (and its translation) into a campaign, all or nothing; create the"
            " campaign as a draft if the slug is new. Paths starting with hf:// read a hub"
            " dataset."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--slug", required=True, help=_("campaign slug"))
        parser.add_argument(
            "--preset", required=True, choices=sorted(PRESETS), help=_("source layout")
        )
        parser.add_argument(
            "--source",
            required=True,
            help=_("English file, saved dataset directory or hf://name[:config]"),
        )
        parser.add_argument("--translation", help=_("translation file (Okapi presets)"))
        parser.add_argument("--split", help=_("split of a saved or hub dataset"))
        parser.add_argument("--name", help=_("name of a new campaign (default: slug)"))
        parser.add_argument(
            "--overlap",
            type=int,
            default=2,
            help=_("submitted responses each record needs (new campaign)"),
        )
        parser.add_argument(
            "--source-language",
            help=_("language code of the originals (new campaign; default: en)"),
        )
        parser.add_argument(
            "--target-language",
            help=_("language code of the translation (new campaign; default: es)"),
        )
        parser.add_argument(
            "--mapping",
            help=_(
                'column mapping of the generic preset as JSON: {"id": "id",'
                ' "pairs": [["en", "es"]], "metadata": ["topic"]}'
            ),
        )
        parser.add_argument(
            "--format", choices=FORMATS, help=_("format of --source, if not guessed")
        )
        parser.add_argument(
            "--translation-format",
            choices=FORMATS,
            help=_("format of --translation, if not guessed"),
        )

    def handle(self, *args: object, **options: object) -> None:
        """Create or reuse the campaign, import the source and print the counts."""
        slug = str(options["slug"])
        preset = str(options["preset"])
        mapping = _mapping(options["mapping"], preset=preset)
        _check_arguments(slug=slug, preset=preset, options=options)
        split = options["split"]
        source = Source(path=str(options["source"]), format=options["format"], split=split)
        translation = None
        if options["translation"]:
            translation = Source(
                path=str(options["translation"]),
                format=options["translation_format"],
                split=split,
            )
        if str(options["source"]).startswith(HUB_PREFIX):
            self.stdout.write(_("Reading %(source)s from the hub.") % {"source": source.name})

        campaign, created = self._campaign(
            slug=slug, preset=preset, mapping=mapping, options=options
        )
        started = time.perf_counter()
        try:
            with self.progress_bar(_("Importing"), unit=_("records")) as progress:
                run = records_import(
                    campaign=campaign, source=source, translation=translation, progress=progress
                )
        except ImportRejected as rejection:
            raise CommandError(
                _("Nothing was imported into %(slug)s; the input has these problems:")
                % {"slug": slug}
                + "\n"
                + str(rejection)
            ) from None
        seconds = time.perf_counter() - started
        written = run.records_created + run.records_updated
        # A new campaign holds what was just written; counting it would read every new row
        # (setting their hint bits: ~1 s at 200k records).
        total = written if created else campaign.records.count()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Imported %(source)s into %(slug)s: %(created)s created, %(updated)s updated;"
                    " the campaign has %(total)s records."
                )
                % {
                    "source": run.source_name,
                    "slug": slug,
                    "created": run.records_created,
                    "updated": run.records_updated,
                    "total": total,
                }
            )
        )
        self.stdout.write(
            _("%(seconds).2f s, %(rate)s records/s")
            % {"seconds": seconds, "rate": round(written / seconds) if seconds else 0}
        )

    def _campaign(
        self, *, slug: str, preset: str, mapping: dict | None, options: dict
    ) -> tuple[Campaign, bool]:
        """Return the campaign of slug, creating it as a draft if the slug is new; and whether."""
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            campaign = campaign_create(
                slug=slug,
                name=str(options["name"] or slug),
                preset=preset,
                overlap=int(options["overlap"]),
                field_mapping=mapping,
                source_language=options["source_language"] or "en",
                target_language=options["target_language"] or "es",
            )
            self.stdout.write(
                _("Created the draft campaign %(slug)s (%(preset)s).")
                % {"slug": slug, "preset": preset}
            )
            return campaign, True
        if campaign.preset != preset:
            raise CommandError(
                _(
                    "The campaign %(slug)s uses the preset %(existing)s, not %(preset)s;"
                    " choose another slug for a new campaign."
                )
                % {"slug": slug, "existing": campaign.preset, "preset": preset}
            )
        if mapping is not None and mapping != campaign.field_mapping:
            raise CommandError(
                _("The campaign %(slug)s was created with another column mapping: %(mapping)s")
                % {"slug": slug, "mapping": json.dumps(campaign.field_mapping)}
            )
        for option, existing in (
            ("source_language", campaign.source_language),
            ("target_language", campaign.target_language),
        ):
            # An import never moves a campaign to other languages: its questions, triage and
            # exports were made for the ones it has.
            if options[option] and options[option] != existing:
                raise CommandError(
                    _(
                        "%(option)s %(language)s does not match the campaign %(slug)s"
                        " (%(existing)s); an import does not change a campaign's languages:"
                        " choose another slug for a new campaign."
                    )
                    % {
                        "option": _option(option),
                        "language": options[option],
                        "slug": slug,
                        "existing": existing,
                    }
                )
        self.stdout.write(
            _("Importing into the existing campaign %(slug)s (%(status)s).")
            % {"slug": slug, "status": campaign.get_status_display()}
        )
        return campaign, False


def _mapping(value: object, *, preset: str) -> dict | None:
    """Parse --mapping; the generic preset needs one and no other preset reads it."""
    if value is None:
        if preset == "generic":
            raise CommandError(_("The generic preset needs --mapping."))
        return None
    if preset != "generic":
        raise CommandError(_("--mapping only applies to the generic preset."))
    try:
        mapping = json.loads(str(value))
        mapping_parse(mapping)
    except json.JSONDecodeError as exc:
        raise CommandError(
            _("--mapping is not valid JSON (%(error)s)") % {"error": exc.msg}
        ) from None
    except ValueError as exc:
        raise CommandError(_("--mapping: %(error)s") % {"error": exc}) from None
    return mapping


def _check_arguments(*, slug: str, preset: str, options: dict) -> None:
    """Refuse arguments that would create a campaign for an import bound to fail."""
    try:
        validate_slug(slug)
    except ValidationError:
        raise CommandError(
            _("--slug may hold only letters, digits, hyphens and underscores.")
        ) from None
    if int(options["overlap"]) < 1:
        raise CommandError(_("--overlap must be at least 1."))
    for option in ("source_language", "target_language"):
        code = options[option]
        if code is not None and not language_known(code):
            raise CommandError(
                _('%(option)s: "%(code)s" is not a language code (such as %(examples)s).')
                % {
                    "option": _option(option),
                    "code": code,
                    "examples": ", ".join(PROJECT_LANGUAGES),
                }
            )
    needs_translation = PRESETS[preset].needs_translation_source
    if needs_translation and not options["translation"]:
        raise CommandError(_("The preset %(preset)s needs --translation.") % {"preset": preset})
    if not needs_translation and options["translation"]:
        raise CommandError(
            _("The preset %(preset)s reads a single file; drop --translation.") % {"preset": preset}
        )


def _option(name: str) -> str:
    """The command-line spelling of an option: target_language → --target-language."""
    return "--" + name.replace("_", "-")
