"""Test settings: fast hasher, in-memory cache and email, uploads in a temp folder.

Each test run gets its own test database, outside the work tree, so runs side by side
(two developers' checks, CI's two databases) never share one."""

import os
import tempfile

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Background tasks run in place, whatever the environment says (tests/jobs start a real worker).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = tempfile.mkdtemp(prefix="khenthuong-test-media-")
SIGNING_DIR = tempfile.mkdtemp(prefix="khenthuong-test-signing-")  # never a developer's keys
_RUN = os.environ.get("TEST_DB_SUFFIX") or str(os.getpid())
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _name = os.path.join(tempfile.gettempdir(), f"khenthuong-test-{_RUN}.sqlite3")
    DATABASES["default"]["TEST"] = {"NAME": _name}
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_khenthuong_{_RUN}"
