"""Somos settings: every value read from the environment here, and nowhere else.

With no environment variables the site runs embedded (SQLite, in-memory channel layer,
Celery tasks in process, console e-mail). Setting any production variable switches to
production, which then needs all of them.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


PRODUCTION_VARIABLES = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")
PRODUCTION = any(os.environ.get(name) for name in PRODUCTION_VARIABLES)

if PRODUCTION:
    _missing = [name for name in PRODUCTION_VARIABLES if not os.environ.get(name)]
    if _missing:
        _present = [name for name in PRODUCTION_VARIABLES if name not in _missing]
        raise ImproperlyConfigured(
            "Somos production settings are incomplete: set "
            + ", ".join(_missing)
            + f" (found {', '.join(_present)}). With none of {', '.join(PRODUCTION_VARIABLES)}"
            " set, Somos runs embedded on SQLite instead."
        )
    SECRET_KEY = os.environ["SECRET_KEY"]
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "SECRET_KEY must be at least 50 characters with at least 5 different ones."
        )
    DEBUG = _env_bool("DEBUG", False)
    ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS")
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
    # ASGI runs each request in a fresh thread, so persistent connections would never be
    # reused: a small pool per process keeps PostgreSQL's session count flat instead.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("SOMOS_DB_POOL_MIN", "2")),
        "max_size": int(os.environ.get("SOMOS_DB_POOL_MAX", "10")),
        "timeout": 10,
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
    REDIS_URL = os.environ["REDIS_URL"]
else:
    # Embedded mode only ever serves this machine, so a fixed key is harmless here.
    SECRET_KEY = "embedded-only-insecure-key-7c1f0b5e9d2a4f8e6b3c1a0d9e8f7a6b5c4d3e2f1"  # noqa: S105
    DEBUG = _env_bool("DEBUG", True)
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SOMOS_SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # WAL: pages keep reading (a job's progress, the site) while a background import
            # holds the one writer's lock for its whole all-or-nothing transaction.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    }
    REDIS_URL = ""

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_celery_beat",
    "django_countries",
    "django_plotly_dash.apps.DjangoPlotlyDashConfig",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    # The token API (somos_site/api/): its docs page's Swagger UI files come from here.
    "ninja",
    # Somos's apps, in the order of their stack (docs/architecture.md): each imports only
    # the ones above it in this list, never one below.
    "somos_site.accounts",
    "campaigns",
    "guides",
    "dashboards",
    "annotation",
    "leaderboard",
    # Wiring: operators' commands that span every app (demo, backups).
    "somos_site.operations",
]

MIDDLEWARE = [
    # The header-setting middleware stand above every one that may raise (a bad Host header
    # in CommonMiddleware, say): a response made for an exception passes only through the
    # middleware above the one that raised, and error pages must carry the same headers.
    # The CSP header first: it only adds a header.
    "somos_site.middleware.ContentSecurityPolicyMiddleware",
    # Next, so that it sees every server error, whichever layer raised it.
    "somos_site.middleware.DatabasePoolCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Errors under /api/ become JSON; the middleware above give them their headers.
    "somos_site.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Below XFrameOptionsMiddleware, which keeps the header this one sets.
    "somos_site.middleware.DashSameOriginFrameMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "somos_site.urls"
WSGI_APPLICATION = "somos_site.wsgi.application"
ASGI_APPLICATION = "somos_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "somos_site" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "campaigns.context_processors.organizer_links",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Django's and allauth's backends, each keeping the user row a few seconds per process.
    "somos_site.accounts.backends.RecentUserModelBackend",
    "somos_site.accounts.backends.RecentUserAllauthBackend",
]

# Internationalisation: Spanish first, English available.
LANGUAGE_CODE = "es"
# Spanish and the co-official languages of Spain, then English.
LANGUAGES = [
    ("es", _("Spanish")),
    ("ca", _("Catalan")),
    ("eu", _("Basque")),
    ("gl", _("Galician")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "somos_site" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("SOMOS_MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION and _env_bool("SOMOS_STATIC_MANIFEST", True)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    # Dash's own JavaScript and CSS, served from here rather than a CDN.
    "django_plotly_dash.finders.DashAssetFinder",
    "django_plotly_dash.finders.DashComponentFinder",
    "django_plotly_dash.finders.DashAppDirectoryFinder",
]
# WhiteNoise serves the static files (uvicorn serves none). With DEBUG (the embedded default)
# it looks each request up through STATICFILES_FINDERS (somos_site/static, the apps, Dash's
# assets), so no collectstatic is needed and edited files show at once; otherwise it serves
# STATIC_ROOT, filled by collectstatic. (Finders without autorefresh would index them at start,
# which django-plotly-dash's finders do not support.)
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
PLOTLY_DASH = {
    "serve_locally": True,
    "cache_arguments": True,
    "cache_timeout_initial_arguments": 300,
}
PLOTLY_COMPONENTS = ["dash"]

# Channels: Redis in production so that every web process shares the groups.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # channels_redis blocks on Redis for up to 5 s while a socket waits for a message;
            # redis-py's own 5 s default timeout would kill idle viewers, so allow longer.
            # redis-py's asyncio pool refuses (not waits) past 100 connections; a worker
            # with a hundred viewers joining or leaving at once needs more.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 10,
                        "max_connections": int(
                            os.environ.get("SOMOS_REDIS_MAX_CONNECTIONS", "1000")
                        ),
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Live progress: submissions within this window reach viewers as one message per campaign.
# Each message costs a snapshot query in a web process; viewers see changes within it.
SOMOS_LIVE_WINDOW_S = float(os.environ.get("SOMOS_LIVE_WINDOW_S", "0.5"))

# Celery: Redis broker in production; embedded runs every task in the calling process.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL or _env_bool("SOMOS_CELERY_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# A worker killed mid-task (OOM, deploy, kill -9) leaves its task to run again, not lost:
# a dead pool process makes the parent requeue it; a dead parent leaves the message unacked,
# and Redis hands it out again after the visibility timeout. The timeout must exceed the
# longest retry countdown (600 s) or Redis hands a waiting retry to a second worker.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("SOMOS_CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
# Every periodic schedule lives here (issues add theirs).
CELERY_BEAT_SCHEDULE: dict[str, dict] = {}

# Background jobs (imports, exports, syncs, recounts started from the web or the API): "celery"
# sends them to a worker (production), "thread" runs them in a thread of this process (the
# embedded default: the request still answers at once), "inline" runs them inside the request
# (the test suite's default, where a test's transaction must see them).
SOMOS_JOBS_RUNNER = os.environ.get(
    "SOMOS_JOBS_RUNNER", "thread" if CELERY_TASK_ALWAYS_EAGER else "celery"
)
if SOMOS_JOBS_RUNNER not in ("celery", "thread", "inline"):
    raise ImproperlyConfigured("SOMOS_JOBS_RUNNER must be celery, thread or inline")

# Sessions are read on every request: from the cache first when Redis is there.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
CACHES = (
    {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "somos",
            "OPTIONS": {
                # While Redis is down the cache misses and drops writes: pages carry on
                # without it, on PostgreSQL alone. Short timeouts keep that outage cheap.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 2,
                "CONNECTION_FACTORY": "somos_site.cache.SharedClientConnectionFactory",
            },
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)

# Accounts (django-allauth): e-mail sign-up and login; Hugging Face through OpenID Connect.
SITE_NAME = "Somos"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = os.environ.get(
    "ACCOUNT_EMAIL_VERIFICATION", "optional" if PRODUCTION else "none"
)
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
# Rate limits ("count/period[/ip|key|user]", comma-separated; counted in the cache, so shared by
# every web process in production). Per IP, and a workshop's volunteers often share one: the
# limits leave a classroom room to sign up and sign in together; allauth's other limits stand.
ACCOUNT_RATE_LIMITS = {
    "login": os.environ.get("SOMOS_RATE_LIMIT_LOGIN", "30/m/ip"),
    # Per address tried: a password guessed at five times in five minutes waits.
    "login_failed": os.environ.get("SOMOS_RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "signup": os.environ.get("SOMOS_RATE_LIMIT_SIGNUP", "20/m/ip,200/h/ip"),
}
# The site's own (somos_site.ratelimit): per user, per IP address when signed out.
SOMOS_RATE_LIMITS = {
    # A volunteer answering a record a second sends 60 a minute; a script sends far more.
    "annotation_submit": os.environ.get("SOMOS_RATE_LIMIT_SUBMIT", "120/m"),
    "guide_question": os.environ.get("SOMOS_RATE_LIMIT_QUESTION", "10/m,50/h"),
    # Every call to the token API (/api/v1/), per user: a script polling a job once a
    # second uses 60 a minute.
    "api": os.environ.get("SOMOS_RATE_LIMIT_API", "300/m,5000/h"),
}
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ADAPTER = "somos_site.accounts.adapters.SomosSocialAccountAdapter"
HUGGINGFACE_CLIENT_ID = os.environ.get("HUGGINGFACE_CLIENT_ID", "")
HUGGINGFACE_CLIENT_SECRET = os.environ.get("HUGGINGFACE_CLIENT_SECRET", "")
if bool(HUGGINGFACE_CLIENT_ID) != bool(HUGGINGFACE_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "Hugging Face login needs both HUGGINGFACE_CLIENT_ID and HUGGINGFACE_CLIENT_SECRET."
    )
HUGGINGFACE_LOGIN_ENABLED = bool(HUGGINGFACE_CLIENT_ID)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": (
            [
                {
                    "provider_id": "huggingface",
                    "name": "Hugging Face",
                    "client_id": HUGGINGFACE_CLIENT_ID,
                    "secret": HUGGINGFACE_CLIENT_SECRET,
                    "settings": {
                        "server_url": "https://huggingface.co",
                        "scope": ["openid", "profile", "email"],
                    },
                }
            ]
            if HUGGINGFACE_LOGIN_ENABLED
            else []
        ),
    }
}

# E-mail: console when embedded; SMTP from the environment in production.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Somos <somos@localhost>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Argilla (the sync issue reads these): off unless both are set.
ARGILLA_API_URL = os.environ.get("ARGILLA_API_URL", "")
ARGILLA_API_KEY = os.environ.get("ARGILLA_API_KEY", "")
if bool(ARGILLA_API_URL) != bool(ARGILLA_API_KEY):
    raise ImproperlyConfigured("Argilla needs both ARGILLA_API_URL and ARGILLA_API_KEY.")
# Where Argilla reaches this site's webhook (https://…/argilla/webhook/); empty: no webhooks,
# answers come through the periodic reconciliation only.
ARGILLA_WEBHOOK_URL = os.environ.get("ARGILLA_WEBHOOK_URL", "")
# The secret of a webhook registered by hand in Argilla (Somos stores the ones it registers).
ARGILLA_WEBHOOK_SECRET = os.environ.get("ARGILLA_WEBHOOK_SECRET", "")
ARGILLA_RECONCILE_SECONDS = int(os.environ.get("ARGILLA_RECONCILE_SECONDS", "30"))
# Jobs whose worker died without Celery noticing run again (or fail) within a few minutes.
CELERY_BEAT_SCHEDULE["jobs-recover"] = {
    "task": "campaigns.tasks.jobs_recover_task",
    "schedule": 60.0,
}
CELERY_BEAT_SCHEDULE["argilla-reconcile"] = {
    "task": "annotation.tasks.argilla_reconcile_all_task",
    "schedule": ARGILLA_RECONCILE_SECONDS,
}

# Transport security. SOMOS_HTTPS=false only for production-like runs on plain HTTP
# (the test suite's loopback servers); `check --deploy` then rightly warns.
HTTPS = PRODUCTION and _env_bool("SOMOS_HTTPS", True)
# Only a proxy that sets X-Forwarded-Proto and X-Forwarded-For itself may be trusted with them.
BEHIND_PROXY = PRODUCTION and _env_bool("SOMOS_BEHIND_PROXY", False)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Volunteers come back every few days; a fortnight without a visit signs them out.
SESSION_COOKIE_AGE = int(os.environ.get("SOMOS_SESSION_DAYS", "14")) * 24 * 3600
# Nothing may frame the site, except its own pages framing their Dash charts (see middleware).
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")
if HTTPS:
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("SECURE_HSTS_PRELOAD", True)
if BEHIND_PROXY:
    # The client is the address the proxy saw: the last X-Forwarded-For entry, which the
    # proxy appends itself (the first ones are whatever the client sent). Rate limits key on it.
    ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("SOMOS_TRUSTED_PROXY_COUNT", "1"))

# Content-Security-Policy (somos_site.middleware): script, style, fonts and connections from
# this site only; guide videos from YouTube (no-cookie), Vimeo or any HTTPS video file.
SOMOS_CSP: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "media-src": ["'self'", "https:"],
    "frame-src": ["'self'", "https://www.youtube-nocookie.com", "https://player.vimeo.com"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    # Signing in with Hugging Face posts a form here that redirects to huggingface.co.
    "form-action": ["'self'", *(["https://huggingface.co"] if HUGGINGFACE_LOGIN_ENABLED else [])],
    "frame-ancestors": ["'none'"],
}
# Dash's frames (/django_plotly_dash/) only: these directives replace the ones above.
SOMOS_CSP_DASH: dict[str, list[str]] = {
    # The renderer's one inline script, "var renderer = new DashRenderer();", by its hash.
    "script-src": ["'self'", "'sha256-jZlsGVOhUAIcH+4PVs7QuGZkthRMgvT2n0ilH6/zTM0='"],
    # dash-renderer, its core components and plotly.js insert <style> elements of their own.
    "style-src": ["'self'", "'unsafe-inline'"],
    "frame-ancestors": ["'self'"],
}
if os.environ.get("SOMOS_CSP_REPORT_URI"):
    SOMOS_CSP["report-uri"] = [os.environ["SOMOS_CSP_REPORT_URI"]]
# Report-only: browsers report what the policy would block and block nothing (to try changes).
SOMOS_CSP_REPORT_ONLY = _env_bool("SOMOS_CSP_REPORT_ONLY", False)

# django-redis reports each cache call it lets fail while Redis is down: one line a minute says it.
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "somos_site.cache"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"once_a_minute": {"()": "somos_site.cache.OnceAMinute"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "somos_site.cache": {"filters": ["once_a_minute"]},
        "django.db.backends": {"level": "WARNING"},
        # The Argilla SDK and its HTTP client log every request at INFO.
        "httpx": {"level": "WARNING"},
        "argilla.sdk": {"level": "WARNING"},
    },
}

# Uploads: files bigger than this are refused before import.
SOMOS_MAX_UPLOAD_BYTES = int(os.environ.get("SOMOS_MAX_UPLOAD_MB", "1024")) * 2**20
# Whole request bodies: two files of an import form and its fields. Bigger ones get a 413
# before Django spools them to disk (somos_site/body_limit.py).
SOMOS_MAX_REQUEST_BYTES = 2 * SOMOS_MAX_UPLOAD_BYTES + 2**20
# Uploads bigger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
# Non-file form fields and JSON bodies (the Argilla webhook caps its own at 2 MiB below this).
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**19
# Imports refuse sources beyond these, so that a small hostile file (a Parquet
# decompression bomb, a line without end) cannot exhaust memory: rows per source, data
# after decompression, one row, and a `.json` array (parsed whole).
SOMOS_IMPORT_MAX_ROWS = int(os.environ.get("SOMOS_IMPORT_MAX_ROWS", "5000000"))
SOMOS_IMPORT_MAX_DATA_BYTES = int(os.environ.get("SOMOS_IMPORT_MAX_DATA_MB", "4096")) * 2**20
SOMOS_IMPORT_MAX_ROW_BYTES = 16 * 2**20
SOMOS_IMPORT_MAX_JSON_ARRAY_BYTES = 64 * 2**20
