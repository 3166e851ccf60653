"""A short-lived cache for leaderboards with single-flight recomputation.

Leaderboards are read far more often than they change, and recomputing one
(a ranking over every entrant of a round) costs much more than showing it.
So each computed value (a round's ranked snapshot, a page of rows, the unit
ranking, the statistics) is kept for a few seconds:

* a value younger than ``fresh_for`` seconds is served as it is;
* once it is older, ONE caller recomputes it: it takes a short lock
  (Redis ``SET key NX PX``) and everybody else keeps serving the stale value
  meanwhile, so an expiry never sends every worker into the same query at
  once (no stampede);
* with a ``refresh`` hook (``leaderboards/tasks.py``: a job on the queue when values
  live in Redis, else a thread of this process), the caller that takes the lock
  starts the recomputation in the background and serves the stale value as well:
  no request waits for a recomputation while a value younger than ``stale_for``
  exists;
* a value older than ``stale_for`` (after a quiet spell nobody refreshed it)
  is not served: callers wait for the one recomputation in progress, so what
  is shown is never older than ``stale_for`` seconds;
* a caller that finds no value at all waits for the lock holder (polling),
  and computes itself only if the holder disappeared.

Where values live:

* with ``REDIS_URL`` set: in Redis, shared by every worker and instance
  (the lock is then global too);
* without it (the embedded default, one machine): in a dictionary in each
  process, so single-flight holds per process, not across processes: with
  ``-w N`` workers at most N recomputations run at once.

Values are stored as bytes (``codec.dumps`` / ``codec.loads``: JSON by
default; never pickle, so whoever can write to Redis cannot run code here).
Each stored value carries the time it was computed; the time alone is also
kept under ``<key>:t``, and each process keeps the last decoded value of a
key, so a large value (a round of 200,000 entrants) is fetched and decoded
once per process per recomputation, not on every request.

If Redis is unreachable the cache steps aside and values are computed
directly (slower, never wrong).
"""
from __future__ import annotations

import json
import logging
import struct
import threading
import time
import uuid
from collections import OrderedDict
from typing import Any, Callable

log = logging.getLogger(__name__)

_STAMP = struct.Struct("!d")


class JsonCodec:
    @staticmethod
    def dumps(value: Any) -> bytes:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()

    @staticmethod
    def loads(data: bytes) -> Any:
        return json.loads(data)


class MemoryBackend:
    """Per-process storage with expiry and an atomic add (for tests and one-process use)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._data: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> bytes | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[0] <= self._clock():
            del self._data[key]
            return None
        return item[1]

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key)

    def set_many(self, items: dict[str, bytes], ttl_ms: int) -> None:
        with self._lock:
            expires = self._clock() + ttl_ms / 1000
            for key, value in items.items():
                self._data[key] = (expires, value)

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (self._clock() + ttl_ms / 1000, value)
            return True

    def delete_if(self, key: str, value: bytes) -> None:
        with self._lock:
            if self._live(key) == value:
                del self._data[key]

    def clear(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k.startswith(prefix)]:
                del self._data[key]


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisBackend:
    def __init__(self, client):
        self.client = client
        self._release = client.register_script(_RELEASE)

    def get(self, key: str) -> bytes | None:
        return self.client.get(key)

    def set_many(self, items: dict[str, bytes], ttl_ms: int) -> None:
        pipe = self.client.pipeline(transaction=True)
        for key, value in items.items():
            pipe.set(key, value, px=ttl_ms)
        pipe.execute()

    def add(self, key: str, value: bytes, ttl_ms: int) -> bool:
        return bool(self.client.set(key, value, nx=True, px=ttl_ms))

    def delete_if(self, key: str, value: bytes) -> None:
        self._release(keys=[key], args=[value])

    def clear(self, prefix: str) -> None:
        keys = list(self.client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            self.client.delete(*keys)


def _backend_errors() -> tuple[type[BaseException], ...]:
    try:
        import redis

        return (redis.RedisError,)
    except ImportError:  # pragma: no cover
        return ()


class Cache:
    """Read-through cache with stale-while-revalidate and single-flight recomputation."""

    def __init__(self, backend, prefix: str = "lb:", clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, memo_size: int = 256, recheck_for: float = 0.0):
        self.backend = backend
        self.prefix = prefix
        self.clock = clock
        self.sleep = sleep
        self._memo: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._memo_size = memo_size
        self._memo_lock = threading.Lock()
        self._errors = _backend_errors()
        self.computations = 0  # how many times this process recomputed a value (for tests and benchmarks)
        self.background_refreshes = 0  # recomputations this process handed to the background
        # A value this process checked against the store less than ``recheck_for`` seconds ago is
        # served from its memory without asking the store again (a page then costs no round trip
        # to Redis; a new ranking shows at most ``recheck_for`` later).  0 = always ask.
        self.recheck_for = recheck_for
        self._checked: dict[str, float] = {}
        self._held: dict[str, tuple[float, Any]] = {}  # see ``hold``
        self._busy_until: dict[str, float] = {}  # someone is recomputing: do not try the lock again yet

    # --- reading ------------------------------------------------------------------

    def _read(self, key: str, codec, force: bool = False) -> tuple[float, Any] | None:
        """(computed_at, value) of the stored value, decoding it at most once per process."""
        if self.recheck_for and not force and time.monotonic() - self._checked.get(key, -1e9) < self.recheck_for:
            with self._memo_lock:
                hit = self._memo.get(key)
            if hit is not None:
                return hit
        raw_stamp = self.backend.get(key + ":t")
        if raw_stamp is None:
            return None
        (stamp,) = _STAMP.unpack(raw_stamp)
        with self._memo_lock:
            hit = self._memo.get(key)
            if hit is not None and hit[0] == stamp:
                self._memo.move_to_end(key)
                self._checked[key] = time.monotonic()
                return hit
        raw = self.backend.get(key)
        if raw is None:
            return None
        (stamp,) = _STAMP.unpack(raw[: _STAMP.size])
        item = (stamp, codec.loads(raw[_STAMP.size:]))
        self._remember(key, item)
        return item

    def _remember(self, key: str, item: tuple[float, Any]) -> None:
        self._checked[key] = time.monotonic()
        with self._memo_lock:
            self._memo[key] = item
            self._memo.move_to_end(key)
            while len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)

    # --- the one entry point ------------------------------------------------------------

    def get_or_compute(self, key: str, compute: Callable[[], Any], *, fresh_for: float,
                       stale_for: float | None = None, keep_for: float = 600, lock_ms: int = 30_000,
                       codec=JsonCodec, refresh: Callable[[str], None] | None = None) -> Any:
        """The cached value of ``key``, recomputed by one caller once older than ``fresh_for`` seconds.

        Meanwhile other callers get the stale value, unless it is older than ``stale_for`` seconds
        (after a quiet period): they then wait for the recomputation instead.

        ``refresh(token)``, if given, starts the recomputation in the background (a job or a
        thread that calls ``refill`` with the same lock token): the caller that took the lock
        then serves the stale value too, so no request waits while a usable value exists.
        """
        key = self.prefix + key
        try:
            return self._get_or_compute(key, compute, fresh_for, stale_for, keep_for, lock_ms, codec, refresh)
        except self._errors:
            log.warning("leaderboard cache unavailable; computing directly")
            return self._compute(compute)

    def refill(self, key: str, token: str, compute: Callable[[], Any], *, fresh_for: float,
               stale_for: float | None = None, keep_for: float = 600, lock_ms: int = 30_000,
               codec=JsonCodec) -> bool:
        """The background half of ``refresh``: recompute and store under the caller's lock
        ``token``; nothing if another worker holds the lock meanwhile.  True if it computed."""
        key = self.prefix + key
        lock, raw = key + ":lock", token.encode()
        held = self.backend.get(lock)
        if held is not None and held != raw:
            return False
        if held is None and not self.backend.add(lock, raw, lock_ms):
            return False
        before = self.computations
        self._fill(key, lock, raw, compute, fresh_for, keep_for, codec)
        return self.computations > before

    def _compute(self, compute):
        self.computations += 1
        return compute()

    def _get_or_compute(self, key, compute, fresh_for, stale_for, keep_for, lock_ms, codec, refresh=None):
        def usable(found):
            return found is not None and (stale_for is None or self.clock() - found[0] < stale_for)

        item = self._read(key, codec)
        if item is not None and self.clock() - item[0] < fresh_for:
            return item[1]
        lock, token = key + ":lock", uuid.uuid4().hex.encode()
        if usable(item) and time.monotonic() < self._busy_until.get(key, 0):
            return item[1]  # a recomputation started a moment ago: serve what we have
        if self.backend.add(lock, token, lock_ms):
            if refresh is not None and usable(item):
                try:
                    refresh(token.decode())
                    self.background_refreshes += 1
                    self._busy_until[key] = time.monotonic() + self.recheck_for
                    return item[1]  # stale-while-revalidate: the recomputation runs elsewhere
                except Exception:  # noqa: BLE001 - no queue: recompute here rather than fail
                    log.warning("background refresh unavailable; recomputing in the request", exc_info=True)
            return self._fill(key, lock, token, compute, fresh_for, keep_for, codec)
        if usable(item):
            self._busy_until[key] = time.monotonic() + self.recheck_for
            return item[1]  # stale, while the lock holder recomputes
        give_up = self.clock() + lock_ms / 1000
        while self.clock() < give_up:
            self.sleep(0.02)
            found = self._read(key, codec, force=True)
            if found is not None and (item is None or found[0] != item[0]) and usable(found):
                return found[1]
            if self.backend.add(lock, token, lock_ms):  # the holder failed without storing anything
                return self._fill(key, lock, token, compute, fresh_for, keep_for, codec)
        return self._compute(compute)

    def _fill(self, key, lock, token, compute, fresh_for, keep_for, codec):
        """Recompute and store the value while holding the lock."""
        try:
            again = self._read(key, codec, force=True)  # another worker may have just finished
            if again is not None and self.clock() - again[0] < fresh_for:
                return again[1]
            value = self._compute(compute)
            stamp = self.clock()
            packed = _STAMP.pack(stamp)
            self.backend.set_many({key: packed + codec.dumps(value), key + ":t": packed}, int(keep_for * 1000))
            self._remember(key, (stamp, value))
            return value
        finally:
            self.backend.delete_if(lock, token)

    # --- small facts read on every page, kept by this process only ------------------------

    def hold(self, key: str, value: Any) -> None:
        """Keep ``value`` in this process for ``recheck_for`` seconds (nothing if 0): for facts
        every page needs (a round and its contest), which may then show up to that late."""
        if self.recheck_for:
            self._held[key] = (time.monotonic() + self.recheck_for, value)

    def held(self, key: str) -> Any:
        """What ``hold`` kept under ``key`` less than ``recheck_for`` seconds ago, else None."""
        item = self._held.get(key)
        if item is None:
            return None
        if item[0] <= time.monotonic():
            self._held.pop(key, None)
            return None
        return item[1]

    def clear(self) -> None:
        self.backend.clear(self.prefix)
        with self._memo_lock:
            self._memo.clear()
        self._held.clear()
        self._checked.clear()
        self._busy_until.clear()


def cache_for(app) -> Cache:
    """The app's leaderboard cache: Redis when ``REDIS_URL`` is set, else this process's memory."""
    cache = app.extensions.get("leaderboards.cache")
    if cache is None:
        url = app.config.get("REDIS_URL")
        if url:
            import redis

            backend = RedisBackend(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
        else:
            backend = MemoryBackend()
        cache = Cache(backend, prefix=app.config.get("LEADERBOARD_CACHE_PREFIX", "lb:"),
                      recheck_for=float(app.config.get("LEADERBOARD_RECHECK_SECONDS", 0.25)) if url else 0.0)
        app.extensions["leaderboards.cache"] = cache
    return cache
