"""Equimentor settings, read from environment variables.

SQLite under ``var/`` by default, so checking out and running just works;
set ``DATABASE_URL=postgres://...`` for PostgreSQL in production.
"""

from __future__ import annotations

import os
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from equimentor.lib.env import envbool, envint, envlist, kept_secret, var_dir

BASE_DIR = Path(__file__).resolve().parent
# Files the site keeps (the SQLite database, collected static files, the SAML key pair, the demo's
# secret key): EQUIMENTOR_VAR_DIR in production; var/ in a checkout; never inside site-packages.
VAR_DIR = Path(os.environ.get("EQUIMENTOR_VAR_DIR") or var_dir(BASE_DIR))

DEMO = envbool("EQUIMENTOR_DEMO", False)
TESTING = envbool("EQUIMENTOR_TESTING", False)
DEBUG = envbool("DEBUG", DEMO)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEMO or DEBUG:
        SECRET_KEY = kept_secret(VAR_DIR / "secret_key")
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment for production, "
            "or run `equimentor demo` for a local demonstration (and set EQUIMENTOR_DEMO=1 to run "
            "another command, such as `token create`, against the demo)."
        )

# Earlier keys, still accepted for signatures and stored secrets while SECRET_KEY is rotated.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = os.environ.get("SITE_NAME", "Equimentor")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_ratelimit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (the API reference)
    "equimentor.core",
    "equimentor.accounts",
    "equimentor.schemes",
    "equimentor.enrolment",
    "equimentor.identity",
    "equimentor.directory",
    "equimentor.matching",
    "equimentor.relationships",
    "equimentor.training",
    "equimentor.evaluation",
    "equimentor.backoffice",
    "equimentor.staff",
    "equimentor.api",
    "equimentor.demo",
    "equimentor.safeguarding",
    "equimentor.privacy",
    "equimentor.reports",
    "equimentor.sso",
    "equimentor.portal",
    "equimentor.provisioning",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_tasks_db",
    "django.forms",  # the form templates, overridden in templates/django/forms/ (FORM_RENDERER)
]
# Django 6 has the task API built in (django.tasks); before it, the django_tasks backport is an app.
_TASKS_API = "django.tasks" if find_spec("django.tasks") else "django_tasks"
if _TASKS_API == "django_tasks":
    INSTALLED_APPS.append("django_tasks")

MIDDLEWARE = [
    "equimentor.core.net.ProxyHeadersMiddleware",  # first: scheme, host and client address
    "equimentor.core.csp.CSPMiddleware",  # Content-Security-Policy on every response
    "equimentor.core.health.HealthCheckMiddleware",  # before the https redirect and host check
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "equimentor.privacy.twofactor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "equimentor.core.middleware.UserTimezoneMiddleware",
    "equimentor.core.middleware.PrivatePagesMiddleware",  # signed-in pages: no-store
    "equimentor.core.middleware.AuditContextMiddleware",  # API token of this request only
    "equimentor.core.params.IdRangeMiddleware",  # a path id no database can hold: 404
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# Forms render through TEMPLATES, so templates/django/forms/ replaces Django's own form templates:
# those print help text unescaped, and a questionnaire's help is written by staff (#23).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# Strict: pages load site.js and site.css from here and nothing inline (no nonces are needed).
# equimentor.core.csp adds identity providers to form-action on pages that sign in through them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}

ROOT_URLCONF = "equimentor.urls"
WSGI_APPLICATION = "equimentor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "equimentor.staff.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'equimentor.sqlite3'}"),
        # Persistent connections (one per web thread, checked before reuse after a request); not
        # under DEBUG, whose development server starts a thread per request.
        conn_max_age=envint("DB_CONN_MAX_AGE", 0 if DEBUG else 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses throttled password sign-ins
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"  # default for display; storage is always UTC
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or VAR_DIR / "static")  # `collectstatic` fills it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Email: console by default, SMTP by URL (smtp://user:pass@host:587/?tls=1).
EMAIL_URL = os.environ.get("EMAIL_URL", "console:")
DEFAULT_FROM_EMAIL = os.environ.get(
    "DEFAULT_FROM_EMAIL", "Equimentor <no-reply@equimentor.invalid>"
)
if EMAIL_URL.startswith("smtp"):
    from urllib.parse import parse_qs, unquote, urlsplit

    _mail = urlsplit(EMAIL_URL)
    _query = parse_qs(_mail.query)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "localhost"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _query.get("tls", ["0"])[0] in {"1", "true", "yes"}
elif EMAIL_URL.startswith("file:"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = EMAIL_URL.removeprefix("file:") or str(VAR_DIR / "mail")
elif EMAIL_URL.startswith("console"):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured("EMAIL_URL must start with smtp://, smtps://, file: or console:")

# The cache holds the rate-limit and sign-in-throttle counters, so in production it must be shared
# by every process (Redis): with a cache local to each process the limits would multiply by the
# number of processes. Production therefore refuses to start without CACHE_URL.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a Redis URL: redis://, rediss:// or unix://")
elif DEBUG or TESTING:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfigured(
        "CACHE_URL is not set. Production needs a cache shared by every process, or rate limits "
        "and sign-in throttling count each process apart: set CACHE_URL=redis://host:6379/1."
    )
RATELIMIT_VIEW = "equimentor.core.views.rate_limited"
# The reports pages keep their computed sections in this cache until the scheme's data changes,
# and at most this long (figures that move with the clock: sessions held, six months running).
REPORTS_CACHE_SECONDS = envint("REPORTS_CACHE_SECONDS", 300)
# Rate limits need a shared cache (Redis) in production; the demo and tests use local memory.
SILENCED_SYSTEM_CHECKS = (
    ["django_ratelimit.W001", "django_ratelimit.E003"] if (DEBUG or TESTING) else []
) + [
    # axes counts failed sign-ins per account only (AXES_LOCKOUT_PARAMETERS); per client address
    # they are counted by core.limits with a higher limit, which axes cannot know (#23)
    "axes.W006",
]

# Security: strict unless DEBUG (the demo); tunable for a TLS-terminating proxy.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# A reverse proxy's X-Forwarded-For/-Proto/-Host are believed only from these addresses or CIDR
# networks (equimentor/core/net.py); from anyone else they are dropped.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", [])
if "BEHIND_PROXY" in os.environ:
    raise ImproperlyConfigured(
        "BEHIND_PROXY is no longer read: set TRUSTED_PROXIES to the proxy's addresses or networks "
        "(e.g. TRUSTED_PROXIES=127.0.0.1,::1 for a proxy on the same machine)."
    )
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"

# Registration and sign-in links.
REGISTRATION_LINK_DAYS = envint("REGISTRATION_LINK_DAYS", 14)
SIGN_IN_LINK_MINUTES = envint("SIGN_IN_LINK_MINUTES", 30)
# An invitation to a staff role works once, until it expires.
STAFF_INVITATION_DAYS = envint("STAFF_INVITATION_DAYS", 7)
WELCOME_RESEND_MINUTES = envint("WELCOME_RESEND_MINUTES", 10)

# Two-factor sign-in (TOTP) for staff who can reach identity data or safeguarding cases: on unless
# turned off; off by default only in the test suite (whose 2FA tests turn it on) and the demo (see
# equimentor/privacy/twofactor.py).
REQUIRE_STAFF_2FA = envbool("REQUIRE_STAFF_2FA", not (TESTING or DEMO))
OTP_TOTP_ISSUER = SITE_NAME

# Rate limits (equimentor/core/limits.py): per real client address with figures a whole university
# behind one address can live with, per account or email address with tight ones.
RATELIMITS = {
    # failed password sign-ins from one address (any accounts): then that address waits
    "sign_in_failures_per_address": os.environ.get("RATELIMIT_SIGN_IN_FAILURES", "100/h"),
    # sign-in links asked for from one address, and for one email address
    "sign_in_links_per_address": os.environ.get("RATELIMIT_SIGN_IN_LINKS", "300/h"),
    "sign_in_links_per_email": "5/h",
    # expressions of interest sent from one address, and for one email address
    "interest_per_address": os.environ.get("RATELIMIT_INTEREST", "200/h"),
    "interest_per_email": "5/h",
    # institution sign-in starts from one address
    "institution_sign_in_per_address": os.environ.get("RATELIMIT_INSTITUTION_SIGN_IN", "600/h"),
    # API requests whose bearer token does not work (unknown, revoked, expired), from one address
    "api_token_failures_per_address": os.environ.get("RATELIMIT_API_TOKEN_FAILURES", "60/h"),
}
# Failed password sign-ins are also counted per account, from any address (django-axes): after
# AXES_FAILURE_LIMIT in 15 minutes that account's password sign-in waits (even a right password;
# a sign-in link still works). Attempts are kept a day, then deleted by the retention job. No log
# of successful sign-ins (addresses) is kept.
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "equimentor.privacy.twofactor.locked_out"
AXES_CLIENT_IP_CALLABLE = "equimentor.core.net.client_address"
AXES_USERNAME_CALLABLE = "equimentor.privacy.twofactor.axes_username"
AXES_SENSITIVE_PARAMETERS = ["pw-email", "pw-password", "link-email"]
AXES_VERBOSE = False

# Background work (docs/deployment.md, "Tasks"): Django's task API (the django_tasks backport until
# Django 6). TASKS_BACKEND=immediate runs tasks in the process that enqueues them (the demo, the
# tests, and DEBUG); database (the production default) keeps them in PostgreSQL for
# `equimentor worker`; rq keeps them in Redis (TASKS_REDIS_URL) for larger sites.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "immediate" if (DEBUG or TESTING) else "database")
_TASK_BACKENDS = {
    "immediate": f"{_TASKS_API}.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {sorted(_TASK_BACKENDS)}")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("TASKS_REDIS_URL", "redis://127.0.0.1:6379/2"),
            "DEFAULT_TIMEOUT": 3600,
        }
    }
# Every email is kept in the outbox (core.OutgoingEmail) and sent by a task; a failed send is
# retried with growing delays (1, 4, 16, 64 ... minutes) up to EMAIL_MAX_ATTEMPTS times.
EMAIL_MAX_ATTEMPTS = envint("EMAIL_MAX_ATTEMPTS", 6)
EMAIL_RETRY_SECONDS = envint("EMAIL_RETRY_SECONDS", 60)
EMAIL_LEASE_SECONDS = envint("EMAIL_LEASE_SECONDS", 300)  # a send stuck longer is tried again
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 30)
EMAIL_RECORD_DAYS = envint("EMAIL_RECORD_DAYS", 180)  # then the record of a sent email goes
TASK_RESULT_DAYS = envint("TASK_RESULT_DAYS", 7)  # finished tasks kept this long (database backend)
# Workers and schedulers beat every HEARTBEAT_SECONDS; one silent for WORKER_DEAD_AFTER_SECONDS is
# dead (its running task goes back in the queue; /readyz needs a live worker). The scheduler turns
# every SCHEDULER_INTERVAL_SECONDS.
HEARTBEAT_SECONDS = envint("HEARTBEAT_SECONDS", 10)
WORKER_DEAD_AFTER_SECONDS = envint("WORKER_DEAD_AFTER_SECONDS", 60)
SCHEDULER_INTERVAL_SECONDS = envint("SCHEDULER_INTERVAL_SECONDS", 10)

# Institutional single sign-on (equimentor/sso): the SAML service provider's key pair, which signs
# logout requests and decrypts encrypted assertions; made once under VAR_DIR/saml/ if not given.
SSO_SAML_KEY_FILE = os.environ.get("SSO_SAML_KEY_FILE", "")
SSO_SAML_CERT_FILE = os.environ.get("SSO_SAML_CERT_FILE", "")

# API tokens (docs/api.md): how long a new one lasts unless its maker says, the longest allowed,
# and the requests each token may make (DRF's rate: "120/min", "5000/hour"), counted in the cache.
API_TOKEN_DEFAULT_DAYS = envint("API_TOKEN_DEFAULT_DAYS", 90)
API_TOKEN_MAX_DAYS = envint("API_TOKEN_MAX_DAYS", 366)
API_TOKEN_RATE = os.environ.get("API_TOKEN_RATE", "120/min")
# Webhooks (docs/api.md): tries per delivery (waiting 1, 4, 16, 64 ... times WEBHOOK_RETRY_SECONDS
# between them), each request's timeout, and whether an endpoint may be plain http on loopback
# (the demo and the tests; production takes https to public addresses only).
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_SECONDS = envint("WEBHOOK_RETRY_SECONDS", 60)
WEBHOOK_TIMEOUT_SECONDS = envint("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_ALLOW_LOOPBACK = envbool("WEBHOOK_ALLOW_LOOPBACK", DEBUG or TESTING)
WEBHOOK_RECORD_DAYS = envint("WEBHOOK_RECORD_DAYS", 90)  # then a finished delivery's log goes
REST_FRAMEWORK = {
    # bearer first: its 401s carry the challenge; a session still needs its CSRF token
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "equimentor.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["equimentor.api.auth.TokenRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "equimentor.api.renderers.APIPageRenderer",  # the browsable API: lang, no inline style
    ],
    "DEFAULT_SCHEMA_CLASS": "equimentor.api.schema.AutoSchema",  # tokens' scopes per operation
    "DEFAULT_PAGINATION_CLASS": "equimentor.api.pagination.CursorPage",  # next/previous cursors
    "PAGE_SIZE": 50,
    # every error a problem document (RFC 9457): docs/api.md, Conventions
    "EXCEPTION_HANDLER": "equimentor.api.problems.problem_exception_handler",
}
# SCIM 2.0 provisioning (/scim/v2/, django-scim2): a SCIM User is a participant of the scheme the
# service token belongs to. docs/api.md, Provisioning.
SCIM_SERVICE_PROVIDER = {
    "USER_MODEL_GETTER": "equimentor.provisioning.filters.participant_model",
    "USER_ADAPTER": "equimentor.provisioning.adapters.ParticipantUser",
    "USER_FILTER_PARSER": "equimentor.provisioning.filters.ParticipantFilter",
    "SERVICE_PROVIDER_CONFIG_MODEL": "equimentor.provisioning.views.ServiceProviderConfig",
    "BASE_LOCATION_GETTER": "equimentor.provisioning.adapters.base_location",
    "GET_EXTRA_MODEL_FILTER_KWARGS_GETTER": (
        "equimentor.provisioning.adapters.extra_filter_kwargs_getter"
    ),
    "GET_QUERYSET_POST_PROCESSOR_GETTER": (
        "equimentor.provisioning.adapters.queryset_post_processor_getter"
    ),
    "SCHEMAS_GETTER": "equimentor.provisioning.schemas.all_schemas",
    "NETLOC": urlsplit(SITE_URL).netloc,
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "Scheme service token",
            "description": "A scheme's API service token with the provisioning scopes, sent as "
            "'Authorization: Bearer <token>' (docs/api.md).",
            "primary": True,
        }
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="scim"',
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Equimentor API",
    "DESCRIPTION": "Schemes, registrations and participation in Equimentor mentoring schemes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The rendered reference (/api/docs/) loads Swagger UI from this site (drf-spectacular-sidecar,
    # pinned), never from a CDN; its start-up script is a file too (the policy allows no inline code).
    # Path parameters as the URL patterns take them: a slug's characters, an id a database holds.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
    },
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": False, "validatorUrl": None, "syntaxHighlight": False},
    "ENUM_NAME_OVERRIDES": {
        "GoalStatusEnum": "equimentor.relationships.models.Goal.Status",
        "RelationshipKindEnum": "equimentor.relationships.models.Relationship.Kind",
        "MeetingModeEnum": "equimentor.relationships.models.Meeting.Mode",
        # a mentor's preferred meeting mode (virtual, in person, either): without its own name it
        # took MeetingModeEnum's and the directory's answers broke the schema (the fuzz, #20)
        "ParticipantMeetingModeEnum": "equimentor.enrolment.models.Participant.MeetingMode",
        "AgreementModeEnum": "equimentor.relationships.models.AgreementVersion.Mode",
        "PauseReasonEnum": "equimentor.relationships.models.Relationship.PauseReason",
        "CloseReasonEnum": "equimentor.relationships.models.Relationship.CloseReason",
        "MemberCloseReasonEnum": "equimentor.api.lifecycle.MEMBER_CLOSE_REASONS",
        "SessionKindEnum": "equimentor.training.models.Session.Kind",
        "SessionStatusEnum": "equimentor.training.models.Session.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # neither link secrets nor email addresses reach the log: Django logs the path of every 4xx
    # and 5xx response, and a traceback ends with the exception's message
    "filters": {"secrets_and_addresses": {"()": "equimentor.lib.logsafe.HideSecretsAndAddresses"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["secrets_and_addresses"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers would write paths as they are: its "django" logger's console
        # (with DEBUG on) and the development server's request lines (the demo) go through
        # ours instead
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # its INFO lines name the account
        "django_tasks": {
            "level": "WARNING"
        },  # a line per task; `equimentor worker -v 2` shows them
        # the SAML library logs names, addresses and whole assertions; equimentor.sso logs
        # every refusal itself (provider id and reason only)
        "saml2": {"level": "CRITICAL"},
        "xmlschema": {"level": "WARNING"},  # an INFO line at every start, from pysaml2's schemas
        "authlib": {"level": "WARNING"},
    },
}
