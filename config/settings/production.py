"""Production: secrets, hosts and database must come from the environment."""

from pathlib import Path

from config.env import env_bool, env_int, env_list, env_str
from config.logs import json_logging

from .base import *  # noqa: F403
from .base import BASE_DIR, MIDDLEWARE, database_config

DEBUG = False
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": database_config(env_str("DATABASE_URL"))}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]  # probes speak plain HTTP
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
# Notification e-mails: EMAIL_* and DEFAULT_FROM_EMAIL come from the environment (base.py).

# Several app processes (gunicorn, `make prod`) share one database, one media folder and one
# Redis: nothing a request needs is kept in a process. Sessions, lockouts and API tokens are in
# the database; the rate limits' counters in the shared cache, Django's RedisCache, which
# tolerates a Redis that is down (config/cache.py); documents under DJANGO_MEDIA_ROOT, a path
# every app process and worker mounts (a shared filesystem beyond one machine).
CACHES = {
    "default": {
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": env_str("REDIS_CACHE_URL", "redis://127.0.0.1:6379/1"),
        "KEY_PREFIX": "khenthuong",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}
# Background work on real workers (config/celery.py); the broker is CELERY_BROKER_URL.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Static files served by the app itself (WhiteNoise), compressed, with hashed names cached for
# ever: `manage.py collectstatic` fills STATIC_ROOT (staticfiles/, git-ignored) before start.
MIDDLEWARE = [
    MIDDLEWARE[0],  # health first (config/health.py)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *[m for m in MIDDLEWARE[1:] if m != "django.middleware.security.SecurityMiddleware"],
]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_COMPRESS = env_bool("DJANGO_STATIC_COMPRESS", True)  # gzip/brotli copies (config/storage.py)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticStorage"},
}

# One JSON object per log line, with the request id (config/logs.py).
LOGGING = json_logging(env_str("DJANGO_LOG_LEVEL", "INFO"))
