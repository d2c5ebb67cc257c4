"""The management commands speak the site's languages: LANGUAGE_CODE, or the one --locale asks.

The assertions translate msgids the catalogues already hold, under the language expected, so
they do not depend on the exact wording of a translation.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.utils import translation

NO_CAMPAIGN = "No campaign has the slug %(slug)s."


def _in(language: str, msgid: str, **values: object) -> str:
    with translation.override(language):
        return translation.gettext(msgid) % values


def _refusal(command: str, **options: object) -> str:
    with pytest.raises(CommandError) as refused:
        call_command(command, stdout=io.StringIO(), stderr=io.StringIO(), **options)
    return str(refused.value)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ca", "eu"])
def test_command_locale_switches_the_language_of_its_messages(tmp_path, language):
    expected = _in(language, NO_CAMPAIGN, slug="nowhere")
    assert expected != NO_CAMPAIGN % {"slug": "nowhere"}

    message = _refusal(
        "export_campaign", slug="nowhere", out=str(tmp_path / "out"), locale=language
    )

    assert message == expected


# Without the database: manage.py closes every connection when it is done.
def test_command_line_follows_language_code_by_default(settings, capsys):
    assert settings.LANGUAGE_CODE == "es"
    arguments = ["--slug", "s", "--preset", "okapi_arc", "--source", "en.jsonl", "--mapping", "{}"]

    # Whatever language the process had active: manage.py starts with none.
    with translation.override("en"), pytest.raises(SystemExit) as stopped:
        ManagementUtility(["manage.py", "import_campaign", *arguments]).execute()

    assert stopped.value.code == 1
    refusal = _in("es", "--mapping only applies to the generic preset.")
    assert refusal != "--mapping only applies to the generic preset."
    assert capsys.readouterr().err.strip() == f"CommandError: {refusal}"


@pytest.mark.django_db
def test_call_command_speaks_the_callers_language_unless_told(tmp_path):
    out = str(tmp_path / "f.json")
    with translation.override("gl"):
        as_caller = _refusal("campaign_backup", slug="nowhere", out=out)
        as_told = _refusal("campaign_backup", slug="nowhere", out=out, locale="eu")
        # The command gives the caller its language back.
        assert translation.get_language() == "gl"

    assert as_caller == _in("gl", NO_CAMPAIGN, slug="nowhere")
    assert as_told == _in("eu", NO_CAMPAIGN, slug="nowhere")


@pytest.mark.django_db
@pytest.mark.parametrize("locale", ["fr", "xx", "", "CA"])
def test_command_refuses_a_locale_the_site_does_not_speak(locale):
    message = _refusal("triage", slug="nowhere", locale=locale)

    assert "--locale" in message and f'"{locale}"' in message
    assert "es, ca, eu, gl, en" in message


def test_command_line_help_is_in_the_locale_asked(capsys):
    with pytest.raises(SystemExit) as stopped:
        ManagementUtility(["manage.py", "export_campaign", "--locale", "ca", "--help"]).execute()

    assert stopped.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert _in("ca", "campaign slug") in shown
    assert _in("ca", "campaign slug") != "campaign slug"
