"""Which rankings are kept fresh in the cache, and recomputing one off the request path.

A ranking (a round's snapshot, a contest's snapshot, a unit ranking) is cached for
``LEADERBOARD_FRESH_SECONDS`` (default 1.5 s) and never shown older than
``LEADERBOARD_MAX_STALE_SECONDS`` (default 3.5 s): the request that finds it older than
``fresh`` starts its recomputation in the background (``tasks.py``: a job when values live
in Redis, else a thread) and serves the value it has (``cache.py``: stale-while-revalidate).

Owns: the registry of such rankings by name (each module that computes one registers how
to name its cache key, compute it and encode it, with ``register``), serving one
(``cached``) and the background half (``refresh_cached``, which a worker calls with the
name and arguments only).
Must not: import the modules that register (they import this one), or know any ranking
rule. Whoever runs ``refresh_cached`` imports the registering modules first (``tasks.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import current_app

from quizapp.leaderboards.cache import cache_for


@dataclass(frozen=True)
class CachedRanking:
    key: Callable[..., str]  # the cache key for the ranking's arguments
    compute: Callable[..., Any]  # computes it from the same arguments
    codec: type  # dumps/loads for the stored bytes


_RANKINGS: dict[str, CachedRanking] = {}


def register(name: str, *, key: Callable[..., str], compute: Callable[..., Any], codec: type) -> None:
    _RANKINGS[name] = CachedRanking(key, compute, codec)


def fresh_seconds() -> float:
    return float(current_app.config.get("LEADERBOARD_FRESH_SECONDS", 1.5))


def max_stale_seconds() -> float:
    return float(current_app.config.get("LEADERBOARD_MAX_STALE_SECONDS", 3.5))


def cached(name: str, *args):
    """The ranking ``name`` for ``args``, at most ``max stale`` seconds old."""
    spec = _RANKINGS[name]
    hook = current_app.extensions.get("leaderboards.refresh")
    refresh = None
    if hook is not None and current_app.config.get("LEADERBOARD_REFRESH_IN_BACKGROUND", True):
        def refresh(token: str) -> None:
            hook(name, list(args), token)
    return cache_for(current_app).get_or_compute(
        spec.key(*args), lambda: spec.compute(*args), fresh_for=fresh_seconds(), stale_for=max_stale_seconds(),
        codec=spec.codec, refresh=refresh)


def refresh_cached(name: str, args: list, token: str) -> bool:
    """Recompute one ranking in the background under the lock ``token`` its requester took."""
    spec = _RANKINGS[name]
    return cache_for(current_app).refill(spec.key(*args), token, lambda: spec.compute(*args),
                                         fresh_for=fresh_seconds(), stale_for=max_stale_seconds(),
                                         codec=spec.codec)
