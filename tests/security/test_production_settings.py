"""Production cookies, HSTS, proxy trust, CSP and rate-limit settings, read in fresh processes."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.db import connection

from tests.foundation.test_settings_modes import PRODUCTION, _clean_env, _run

_PROBE = """
import json, django
django.setup()
from django.conf import settings
names = [
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "SESSION_COOKIE_AGE",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_REFERRER_POLICY",
    "CSRF_TRUSTED_ORIGINS", "ALLAUTH_TRUSTED_PROXY_COUNT", "SOMOS_CSP", "SOMOS_CSP_REPORT_ONLY",
    "SOMOS_RATE_LIMITS", "ACCOUNT_RATE_LIMITS",
]
print(json.dumps({name: getattr(settings, name, None) for name in names}))
"""

# One request through the whole middleware stack, as a browser on HTTPS (or plain HTTP) sends it.
_REQUEST = """
import json, sys, django
django.setup()
from django.test import Client
response = Client().get("/accounts/login/", secure=sys.argv[1] == "https",
                        HTTP_HOST="somos.example.org")
print(json.dumps({
    "status": response.status_code,
    "location": response.get("Location", ""),
    "headers": dict(response.headers),
    "csrf_cookie": response.cookies["csrftoken"].output() if "csrftoken" in response.cookies
    else "",
}))
"""

SITE = {**PRODUCTION, "CSRF_TRUSTED_ORIGINS": "https://somos.example.org"}


def _settings(**extra: str) -> dict:
    result = _run(["-c", _PROBE], _clean_env(**SITE, **extra))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _request(scheme: str, **extra: str) -> dict:
    # The suite's database and Redis, and no collectstatic: static URLs come from the apps.
    database = f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}"
    services = {"DATABASE_URL": database, "REDIS_URL": django_settings.REDIS_URL}
    env = _clean_env(**{**SITE, **services}, SOMOS_STATIC_MANIFEST="false", **extra)
    result = _run(["-c", _REQUEST, scheme], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_production_settings_secure_cookies_and_hsts():
    settings = _settings()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == settings["CSRF_COOKIE_SAMESITE"] == "Lax"
    assert settings["SESSION_COOKIE_AGE"] == 14 * 24 * 3600
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 31536000
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert settings["SECURE_HSTS_PRELOAD"] is True
    assert settings["SECURE_REFERRER_POLICY"] == "same-origin"
    assert settings["CSRF_TRUSTED_ORIGINS"] == ["https://somos.example.org"]
    assert settings["SOMOS_CSP_REPORT_ONLY"] is False


def test_production_settings_trust_proxy_headers_only_when_told():
    direct = _settings()
    assert direct["SECURE_PROXY_SSL_HEADER"] is None
    assert direct["ALLAUTH_TRUSTED_PROXY_COUNT"] is None
    proxied = _settings(SOMOS_BEHIND_PROXY="true")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1


def test_production_settings_read_their_overrides_from_the_environment():
    settings = _settings(
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="false",
        SOMOS_SESSION_DAYS="3",
        SOMOS_CSP_REPORT_ONLY="true",
        SOMOS_RATE_LIMIT_SUBMIT="300/m",
        SOMOS_RATE_LIMIT_SIGNUP="5/m/ip",
        HUGGINGFACE_CLIENT_ID="client-id",
        HUGGINGFACE_CLIENT_SECRET="client-secret",
    )
    assert settings["SECURE_HSTS_SECONDS"] == 600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert settings["SECURE_HSTS_PRELOAD"] is False
    assert settings["SESSION_COOKIE_AGE"] == 3 * 24 * 3600
    assert settings["SOMOS_CSP_REPORT_ONLY"] is True
    assert settings["SOMOS_RATE_LIMITS"]["annotation_submit"] == "300/m"
    assert settings["ACCOUNT_RATE_LIMITS"]["signup"] == "5/m/ip"
    # Signing in with Hugging Face posts a form that redirects there.
    assert "https://huggingface.co" in settings["SOMOS_CSP"]["form-action"]
    assert "https://huggingface.co" not in _settings()["SOMOS_CSP"]["form-action"]


def test_production_settings_plain_http_mode_leaves_transport_alone():
    settings = _settings(SOMOS_HTTPS="false")
    assert settings["SECURE_SSL_REDIRECT"] is False
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["SECURE_HSTS_SECONDS"] == 0
    # Cookies stay out of scripts' and other sites' reach all the same.
    assert settings["SESSION_COOKIE_HTTPONLY"] is True
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.django_db
def test_production_request_redirects_to_https_and_sends_the_headers():
    plain = _request("http")
    assert plain["status"] == 301
    assert plain["location"] == "https://somos.example.org/accounts/login/"
    secure = _request("https")
    assert secure["status"] == 200
    headers = {name.lower(): value for name, value in secure["headers"].items()}
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in headers["content-security-policy"]
    assert "wss://somos.example.org" in headers["content-security-policy"]
    cookie = secure["csrf_cookie"]
    assert "Secure" in cookie and "SameSite=Lax" in cookie


def test_production_settings_pass_the_deploy_check():
    for extra in ({}, {"SOMOS_BEHIND_PROXY": "true"}):
        result = _run(
            ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            _clean_env(**SITE, **extra),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "no issues" in result.stdout


def test_production_malformed_rate_limit_stops_the_site_at_start():
    result = _run(["manage.py", "check"], _clean_env(**SITE, SOMOS_RATE_LIMIT_QUESTION="lots"))
    assert result.returncode != 0
    assert "Rate limit 'lots' is not count/period" in result.stderr
