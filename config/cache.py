"""The shared cache in production: Django's own RedisCache, made to survive a Redis that is
down. The cache only holds counters of the rate limits (notices' comments, registry look-ups)
and the home page's large counts (web/home.py); sessions, lockouts and tokens are in the
database. While Redis cannot be reached, a read misses, a write is dropped and `incr` says the
key is gone (ValueError, as for an expired key): the callers then count from 1, i.e. the rate
limits fail open for the outage, the home page counts afresh, and every action still succeeds.
Each failure is logged (at most once a minute per process)."""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("config.cache")
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = [0.0]


def _warn(operation: str, exc: BaseException) -> None:
    now = time.monotonic()
    if now - _last_warning[0] > 60:
        _last_warning[0] = now
        logger.warning("cache unavailable (%s): %s", operation, exc)


def _tolerant(default: Any, *, missing: bool = False):  # type: ignore[no-untyped-def]
    def wrap(method):  # type: ignore[no-untyped-def]
        @functools.wraps(method)
        def call(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as exc:
                _warn(method.__name__, exc)
                if missing:
                    raise ValueError("the cache cannot be reached") from exc
                return default() if callable(default) else default

        return call

    return wrap


class ResilientRedisCache(RedisCache):
    get_many = _tolerant(dict)(RedisCache.get_many)
    has_key = _tolerant(False)(RedisCache.has_key)
    add = _tolerant(False)(RedisCache.add)
    set = _tolerant(None)(RedisCache.set)
    set_many = _tolerant(list)(RedisCache.set_many)
    touch = _tolerant(False)(RedisCache.touch)
    delete = _tolerant(False)(RedisCache.delete)
    delete_many = _tolerant(None)(RedisCache.delete_many)
    clear = _tolerant(False)(RedisCache.clear)
    incr = _tolerant(None, missing=True)(RedisCache.incr)

    def get(self, key, default=None, version=None):  # type: ignore[no-untyped-def,override]
        try:
            return super().get(key, default, version)
        except UNREACHABLE as exc:
            _warn("get", exc)
            return default

    def ping(self) -> bool:
        """Whether Redis answers now (/readyz)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except UNREACHABLE:
            return False
