"""Local development: SQLite unless DATABASE_URL is set, DEBUG on, no env needed."""

from config.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)
