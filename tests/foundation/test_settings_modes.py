"""Settings in both modes, read in fresh processes with exactly the environment under test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/somos_settings_check",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "SECRET_KEY": "a-long-production-secret-" + "9f8e7d6c5b4a3210" * 3,
    "ALLOWED_HOSTS": "somos.example.org",
}
_PROBE = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({
    "debug": settings.DEBUG,
    "engine": settings.DATABASES["default"]["ENGINE"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "broker": settings.CELERY_BROKER_URL,
    "email": settings.EMAIL_BACKEND,
    "hf_apps": settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"],
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
}))
"""


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION
        and not k.startswith(("SOMOS_", "HUGGINGFACE_", "ARGILLA_"))
        and k != "DJANGO_SETTINGS_MODULE"
    }
    env["DJANGO_SETTINGS_MODULE"] = "somos_site.settings"
    env.update(extra)
    return env


def _run(code_or_args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *code_or_args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(env: dict[str, str]) -> dict:
    result = _run(["-c", _PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_settings_embedded_default_needs_no_services():
    settings = _settings(_clean_env())
    assert settings["debug"] is True
    assert settings["engine"] == "django.db.backends.sqlite3"
    assert settings["layer"] == "channels.layers.InMemoryChannelLayer"
    assert settings["eager"] is True
    assert settings["broker"] == "memory://"
    assert settings["email"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["hf_apps"] == []


def test_settings_production_uses_postgresql_and_redis():
    settings = _settings(_clean_env(**PRODUCTION))
    assert settings["debug"] is False
    assert settings["engine"] == "django.db.backends.postgresql"
    assert settings["layer"] == "channels_redis.core.RedisChannelLayer"
    assert settings["eager"] is False
    assert settings["broker"] == PRODUCTION["REDIS_URL"]
    assert settings["ssl_redirect"] is True


def test_settings_half_configured_production_names_what_is_missing():
    partial = {k: v for k, v in PRODUCTION.items() if k in {"DATABASE_URL", "SECRET_KEY"}}
    result = _run(["-c", _PROBE], _clean_env(**partial))
    assert result.returncode != 0
    assert "production settings are incomplete" in result.stderr
    assert "REDIS_URL" in result.stderr and "ALLOWED_HOSTS" in result.stderr


def test_settings_rejects_a_weak_production_secret():
    result = _run(["-c", _PROBE], _clean_env(**{**PRODUCTION, "SECRET_KEY": "short"}))
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


def test_settings_huggingface_login_enabled_by_its_keys():
    settings = _settings(
        _clean_env(HUGGINGFACE_CLIENT_ID="client-id", HUGGINGFACE_CLIENT_SECRET="client-secret")
    )
    (app,) = settings["hf_apps"]
    assert app["provider_id"] == "huggingface"
    assert app["settings"]["server_url"] == "https://huggingface.co"
    result = _run(["-c", _PROBE], _clean_env(HUGGINGFACE_CLIENT_ID="only-the-id"))
    assert result.returncode != 0
    assert "HUGGINGFACE_CLIENT_SECRET" in result.stderr


def test_settings_production_passes_deploy_check():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _clean_env(**PRODUCTION)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
