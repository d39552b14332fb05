"""Settings shared by every environment; local, test and production only override."""

import datetime
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "django_filters",
    "guardian",
    "simple_history",
    "audit",
    "dossiers",
    "approvals",
    "consultations",  # consultation (hiệp y) of the bodies a form names
    "workflows",
    "notices",  # public notice of nominees and the public's comments
    "accounts",  # sign-in, TOTP, API tokens (their admin)
    "notifications",  # the bell and e-mails, from the ledger's events after commit
    "documents",  # decision PDFs (signed PAdES), certificates, minutes, public decisions
    "reports",  # Excel exports, yearly statistics, dashboards
    "web",  # the pages' template tags (web/templatetags/); its views are routed by config/urls
    "demo",  # the demo world and `manage.py seed_demo`
    "jobs",  # background work: the tasks' retrying base, failed tasks in the admin
]

MIDDLEWARE = [
    "config.health.HealthMiddleware",  # /healthz, /readyz: before sessions, users, the database
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "api.middleware.ApiLanguageMiddleware",
    "api.middleware.ApiBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.auth.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "audit.context.AuditContextMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "notifications.context_processors.notifications",
                "web.context_processors.menu",
            ],
        },
    },
]


# SQLite, however it is named: writers queue instead of failing with "database is locked"
# (viewflow-notes §4): IMMEDIATE transactions, a busy timeout, WAL.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}

# Per PostgreSQL connection: no JIT compilation (PostgreSQL compiles a query whose estimated cost
# passes jit_above_cost, a count over a few hundred thousand rows or any query planned on a table
# never analyzed: tens of ms of compiling, paid again by every request, for queries that run in
# less) and no parallel workers (starting worker processes for a query of a few ms costs more than
# it saves, and under load every core is already busy with requests: the lists' counts ran on 3
# processes at 100,000). Parameters bound by the server and a statement run five times on a
# connection prepared there (psycopg's `prepare_threshold`; Django's default turns it off): the
# year's planning time 16 → 1.6 s at scale 0.02, and no client-side quoting of every value.
POSTGRESQL_OPTIONS = {
    "options": "-c jit=off -c max_parallel_workers_per_gather=0",
    "server_side_binding": True,
    "prepare_threshold": 5,
}


def database_config(url: str | None) -> dict:
    """DATABASE_URL when set (PostgreSQL, or a SQLite file); else the embedded SQLite file."""
    if url:
        # Health checks: a persistent connection that died (database restarted) is replaced
        # before use, so the first request after an outage succeeds.
        config = dj_database_url.parse(
            url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
        config.setdefault("TEST", {})
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    if config["ENGINE"].endswith("sqlite3"):
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    elif config["ENGINE"].endswith("postgresql"):
        config["OPTIONS"] = {**POSTGRESQL_OPTIONS, **config.get("OPTIONS", {})}
    return config


DATABASES = {"default": database_config(env_str("DATABASE_URL", "") or None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: counts failures, refuses locked accounts
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Sign-in hardening: lockout after repeated failures (django-axes), sessions that expire,
# a second factor (TOTP, django-otp) for the board head, the deciders and administrators.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 30) / 60  # hours
# Failures lock the (user, address) pair, so an attacker elsewhere cannot lock a user out of
# its own address; spraying one user from many addresses is slowed instead (below).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.auth.locked_out"
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_SECONDS", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
OTP_TOTP_ISSUER = "Khen thưởng"
# Signing a decision asks for the password (and code) again unless signed in this recently.
REAUTH_SECONDS = env_int("REAUTH_SECONDS", 300)
# Password spraying across addresses (accounts/auth.py, `signin_delay`): once a username has
# SIGNIN_DELAY_AFTER failures within SIGNIN_DELAY_WINDOW seconds, from any addresses, every
# sign-in attempt for it (browser and API token) waits SIGNIN_DELAY_BASE seconds, doubling
# with each further failure, at most SIGNIN_DELAY_MAX: slowed, never locked.
SIGNIN_DELAY_AFTER = env_int("SIGNIN_DELAY_AFTER", 5)
SIGNIN_DELAY_BASE = env_int("SIGNIN_DELAY_BASE_MS", 250) / 1000
SIGNIN_DELAY_MAX = env_int("SIGNIN_DELAY_MAX_MS", 4000) / 1000
SIGNIN_DELAY_WINDOW = env_int("SIGNIN_DELAY_WINDOW", 30 * 60)
# The client address behind reverse proxies (axes, through django-ipware). PROXY_COUNT is the
# number of proxies in front of the app, each appending to X-Forwarded-For; 0 (the default)
# ignores that header entirely, since any client can send it. With N proxies the address is
# the N-th entry from the right (python-ipware counts the proxies listed in the header, which
# is N - 1: the nearest proxy is REMOTE_ADDR) and a client's own entries further left are
# ignored (not strict).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_IPWARE_PROXY_ORDER = "left-most"
AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1 if PROXY_COUNT > 0 else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    (*env_list("PROXY_CLIENT_HEADERS", "HTTP_X_FORWARDED_FOR"), "REMOTE_ADDR")
    if PROXY_COUNT > 0
    else ("REMOTE_ADDR",)
)
IPWARE_STRICT = False
# API tokens (django-rest-knox): one per client, stored as a SHA-512 digest, expiring after
# API_TOKEN_SECONDS; revoked by DELETE /api/v1/auth/token/ or in the admin.
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(seconds=env_int("API_TOKEN_SECONDS", 8 * 3600)),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # No inline script or style: the pages' behaviour is static/js/site.js, their look
        # static/css/site.css. Only the flow chart (an SVG image) and the API docs widen
        # style-src for their own responses (web/views.py, api/urls.py).
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}
LOGIN_REDIRECT_URL = "workflows:inbox"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Dates in Vietnamese as dd/mm/yyyy (config/formats/vi/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))
# Signing keys of the decision documents (documents/pki.py): the demo CA and one certificate per
# decider and per issuing body, made once by `seed_demo`, kept outside the database and git
# (var/ is ignored), each private key encrypted with SIGNING_KEY_PASSWORD.
SIGNING_DIR = Path(env_str("SIGNING_DIR", str(BASE_DIR / "var" / "signing")))
SIGNING_KEY_PASSWORD = env_str("SIGNING_KEY_PASSWORD", "dev-only-signing-password")

# Uploads: size limit in bytes (20 MB default) and the allow-list checked by content.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Deep content checks (dossiers/uploads.py): an image's pixels (full decode), a DOCX/XLSX's parts
# and the bytes really inflated from them (counted while streaming, headers not trusted), a PDF's
# objects walked for JavaScript and embedded files.
UPLOAD_IMAGE_MAX_PIXELS = env_int("UPLOAD_IMAGE_MAX_PIXELS", 50_000_000)
UPLOAD_ZIP_MAX_MEMBERS = env_int("UPLOAD_ZIP_MAX_MEMBERS", 2000)
UPLOAD_ZIP_MAX_BYTES = env_int("UPLOAD_ZIP_MAX_BYTES", 200 * 1024 * 1024)
UPLOAD_PDF_MAX_OBJECTS = env_int("UPLOAD_PDF_MAX_OBJECTS", 200_000)

# Input limits of dossiers (refused with a clear error, never cut): nominees per dossier, the
# length of a nominee's achievements (title and names: the 255 characters their columns hold);
# lists carry at most DOSSIER_LIST_NOMINEES nominees per item (details carry all of them) and
# at most API_MAX_PAGE_SIZE items per page (`?page_size=`).
DOSSIER_MAX_NOMINEES = env_int("DOSSIER_MAX_NOMINEES", 500)
DOSSIER_MAX_ACHIEVEMENTS_CHARS = env_int("DOSSIER_MAX_ACHIEVEMENTS_CHARS", 20_000)
DOSSIER_LIST_NOMINEES = env_int("DOSSIER_LIST_NOMINEES", 20)
# The home page's counts of at least HOME_LARGE_COUNT dossiers are kept in the cache for
# HOME_COUNT_SECONDS (web/home.py); smaller counts are made for every page.
HOME_LARGE_COUNT = env_int("HOME_LARGE_COUNT", 5000)
HOME_COUNT_SECONDS = env_int("HOME_COUNT_SECONDS", 30)
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 200)
# A decision with more awardees than this has its certificates rendered once by the background
# worker and served from the stored file (documents/tasks.py); up to it they are rendered in the
# request, as a single awardee's always is.
CERTIFICATES_INLINE_MAX = env_int("CERTIFICATES_INLINE_MAX", 100)
# How long the answer "being prepared" (202) asks the client to wait before asking again.
CERTIFICATES_RETRY_AFTER = env_int("CERTIFICATES_RETRY_AFTER", 30)
# Large imports and exports run on the worker as jobs (jobs/services.py): the request answers
# 202 with the job's address, which answers the result once done. Above these sizes: a registry
# history file in bytes (128 KiB: about 2,400 rows of XLSX or 1,100 of CSV, measured with
# bench_import's rows), the dossiers of a list export, the events of the signed ledger export.
# JOBS_RETRY_AFTER: the seconds a client is asked to wait before asking again; JOBS_KEEP_DAYS:
# finished jobs' files (personal data) are deleted after.
REGISTRY_IMPORT_INLINE_MAX_BYTES = env_int("REGISTRY_IMPORT_INLINE_MAX_BYTES", 128 * 1024)
DOSSIER_EXPORT_INLINE_MAX = env_int("DOSSIER_EXPORT_INLINE_MAX", 5000)
AUDIT_EXPORT_INLINE_MAX = env_int("AUDIT_EXPORT_INLINE_MAX", 50_000)
JOBS_RETRY_AFTER = env_int("JOBS_RETRY_AFTER", 10)
JOBS_KEEP_DAYS = env_int("JOBS_KEEP_DAYS", 7)

VIEWFLOW = {"AUTOREGISTER": False}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.auth.ExpiringTokenAuthentication",  # knox: hashed, per client, expiring
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.LimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# JSON request bodies (api/parsers.py): larger → 413 `too_large`, nested deeper →
# 400 `too_deep`. Idempotency-Key / request_key longer than this → 400, never cut.
API_JSON_MAX_BYTES = env_int("API_JSON_MAX_BYTES", 2 * 1024 * 1024)
API_JSON_MAX_DEPTH = env_int("API_JSON_MAX_DEPTH", 32)
IDEMPOTENCY_KEY_MAX_LENGTH = env_int("IDEMPOTENCY_KEY_MAX_LENGTH", 128)
SPECTACULAR_SETTINGS = {
    "TITLE": "Khen thưởng API",
    "DESCRIPTION": "Award dossier workflow: dossiers, actions, decisions.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components (no read-only fields; minLength on non-blank text).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.no_nul_in_request_text",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "DossierStateEnum": "dossiers.models.DossierState",
        "DecisionStateEnum": "approvals.models.DecisionState",
        "NomineeKindEnum": "dossiers.models.NomineeKind",
        "OrganizationKindEnum": "dossiers.models.OrganizationKind",
        "BlocKindEnum": "dossiers.models.BlocKind",
        "DeciderEnum": "dossiers.models.Decider",
        "BatchDeciderEnum": ["TTG", "CTN", "T-UBND"],
        "BallotBodyEnum": "approvals.models.BallotBody",
        "BallotStateEnum": "approvals.models.BallotState",
        "OutcomeEnum": "dossiers.models.NomineeOutcome",
        "CheckOutcomeEnum": ["pass", "fail", "warning", "overridden"],
    },
}

SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Notifications by e-mail (notifications/services.py) through Django's mail: SMTP configured
# from the environment (local development prints them on the console: local.py). SITE_URL
# makes the links in the e-mails absolute.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Khen thưởng <khenthuong@localhost>")
SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Signs the head of audit exports (HMAC-SHA256); inspectors verify offline with the same key.
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")

# Seals secret ballots while their session is open (approvals/sealing.py). Every app process
# needs the same value; it never goes into the database. Empty: derived from SECRET_KEY, so set it
# if SECRET_KEY may change while a ballot is open (docs/ballot-secrecy.md).
BALLOT_SEALING_KEY = env_str("BALLOT_SEALING_KEY", "")

# Background work (config/celery.py): Celery, Redis as the broker. Without one (`make run`,
# `make test`) tasks run in place (eager); production sets CELERY_TASK_ALWAYS_EAGER=false. Due
# work is derived from the database by the beat's scans (a Redis that restarts empty loses
# nothing): each task is idempotent and retried with backoff (jobs/tasks.py).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = False  # a failing task is recorded, the action still succeeds
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # LOGGING below rules the worker's log lines too
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down must not hold a request up: one quick retry, then the outbox waits
# for the beat's scan (notifications/tasks.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 5,
    "visibility_timeout": 3600,
}
CELERY_TIMEZONE = TIME_ZONE
# One queue per deployment (or per test run sharing a Redis).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "khenthuong")
CELERY_BEAT_SCHEDULE = {
    # Ballots past their deadline are closed (approvals/tasks.py; `manage.py close_ballots`).
    "ballots-close-due": {"task": "approvals.close_due_ballots", "schedule": 60.0},
    # Notifications the outbox still holds (a broker that was down when they were written).
    "notifications-outbox": {
        "task": "notifications.drain_outbox",
        "schedule": float(env_int("CELERY_OUTBOX_SCAN_SECONDS", 30)),
    },
    # Voters of ballots closing within 24 hours (once per ballot).
    "ballots-closing-reminder": {"task": "notifications.remind_closing_ballots", "schedule": 900.0},
    # Overdue work (once per dossier and day) and consultations due soon (once per request and
    # day): hourly, so a day is never missed for a worker or a broker that was down at one hour.
    "overdue-reminders": {"task": "notifications.notify_overdue", "schedule": 3600.0},
    "consultations-remind": {"task": "consultations.remind_due", "schedule": 3600.0},
    # The certificates of large signed decisions a lost message left without their file.
    "certificates-pending": {"task": "documents.queue_pending_certificates", "schedule": 600.0},
    # Users' jobs still queued after five minutes (a message the broker lost) sent again, and
    # finished jobs' files deleted after JOBS_KEEP_DAYS.
    "jobs-requeue": {"task": "jobs.requeue", "schedule": 300.0},
    "jobs-purge": {"task": "jobs.purge", "schedule": 3600.0},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
