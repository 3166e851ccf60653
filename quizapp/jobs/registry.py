"""Job kinds: ``kind -> run(params, progress, output_dir) -> dict``.

A capability registers its long work once, in its ``tasks.py``::

    jobs.register("campaign.certificates", services.run_certificates, label=_l("Certificates"))
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

Run = Callable[[dict, Callable[[int, int], None], str], dict]


@dataclass(frozen=True)
class Kind:
    name: str
    run: Run
    label: object  # a (lazy) string shown on the job page
    ttl_hours: float | None  # None: the app's JOBS_TTL_HOURS
    template: str | None  # shown on the finished job's page with ``result`` (Job.result)


_KINDS: dict[str, Kind] = {}


def register(kind: str, run: Run, *, label=None, ttl_hours: float | None = None,
             template: str | None = None) -> Run:
    """Register ``run`` as the job kind ``kind`` (idempotent for the same function); returns ``run``."""
    if len(kind) > 64:
        raise ValueError(f"job kind too long: {kind!r}")
    known = _KINDS.get(kind)
    if known is not None and known.run is not run and getattr(known.run, "__qualname__", None) != getattr(
            run, "__qualname__", None):
        raise ValueError(f"job kind {kind!r} registered twice")
    _KINDS[kind] = Kind(kind, run, label or kind, ttl_hours, template)
    return run


def get(kind: str) -> Kind | None:
    return _KINDS.get(kind)


def kinds() -> list[str]:
    return sorted(_KINDS)
