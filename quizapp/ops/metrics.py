"""Request metrics kept with prometheus-client, cheap enough for the save path.

Per request: one counter increment (group × status class) and, for the contest
engine's requests (start, save, submit), one histogram observation: a few
microseconds (label children are looked up once per process, not per request).

With gunicorn, set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder before the
workers start (``deploy/gunicorn.conf.py`` does, and marks dead workers): every
worker then writes its figures to memory-mapped files there, and ``/metrics`` (or
the operations view) adds them up across workers.  Without it (``flask run``,
tests) the figures are this process's.
"""
from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram

ENGINE_GROUPS = {"api_v1.start": "start", "attempts.start": "start", "api_v1.save": "save",
                 "api_v1.submit": "submit", "attempts.submit": "submit"}
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("quizapp_requests", "HTTP requests answered, by kind and status class", ["group", "status"])
LATENCY = Histogram("quizapp_request_duration_seconds", "Time to answer start, save and submit requests",
                    ["group"], buckets=LATENCY_BUCKETS)

_children: dict = {}


def _status_class(code: int) -> str:
    if code == 503:
        return "503"  # database unavailable or overloaded: counted apart from other 5xx
    return f"{code // 100}xx"


def _group(endpoint: str | None) -> str:
    if endpoint is None:
        return "other"
    group = ENGINE_GROUPS.get(endpoint)
    if group:
        return group
    if endpoint == "static":
        return "static"
    return "api" if endpoint.startswith("api_v1.") else "page"


def record(endpoint: str | None, status: int, seconds: float | None) -> None:
    group = _group(endpoint)
    key = (group, status)
    child = _children.get(key)
    if child is None:
        child = _children[key] = REQUESTS.labels(group, _status_class(status))
    child.inc()
    if seconds is not None and group in ("start", "save", "submit"):
        hist = _children.get(group)
        if hist is None:
            hist = _children[group] = LATENCY.labels(group)
        hist.observe(seconds)


def registry():
    """Every worker's figures (multiprocess mode), else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        reg = CollectorRegistry()
        multiprocess.MultiProcessCollector(reg)
        return reg
    return REGISTRY


def init_app(app: Flask) -> None:
    """Register before the request pipeline, so the time includes its COMMIT and a 503 it makes."""
    @app.before_request
    def _start_clock():
        g._ops_t0 = time.perf_counter()

    @app.after_request
    def _count(response):
        t0 = g.get("_ops_t0")
        record(request.endpoint, response.status_code, None if t0 is None else time.perf_counter() - t0)
        return response
