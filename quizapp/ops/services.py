"""The figures of the operations view and of ``/metrics``.

Per running round (from the database, through the ``status, deadline_at`` index):
entrants with an attempt in progress, attempts past their deadline + grace still
open, and the finalisation lag (how long the oldest of those has been overdue: the
every-minute periodic task keeps it under ~1 minute).  For the whole app (from the
request metrics, every worker added up): starts, saves and submits per minute by
status class (2xx, 4xx, 5xx, 503) and the p95 time of each, and the job queue's depth.
"""
from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.attempts.clock import sweep_after
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db, utcnow
from quizapp.ops import metrics

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
GROUPS = ("start", "save", "submit", "page", "api")
HISTORY_KEY = "ops:history"
HISTORY_SECONDS = 180
SAMPLE_EVERY = 4.0
WINDOW = 60.0


def running_rounds(now: datetime | None = None) -> list[Round]:
    """Rounds open now, and closed ones not finalised yet (closed within the last day)."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(Round).join(Contest).where(Round.opens_at <= now, Round.closes_at > now - timedelta(days=1),
                                             sa.or_(Round.closes_at > now, Round.finalized_at.is_(None)))
        .options(sa.orm.contains_eager(Round.contest))  # the view shows each round's contest: no query per row
        .order_by(Round.closes_at, Round.id)))


def round_figures(round_ids: list[int], now: datetime | None = None) -> dict[int, dict]:
    """{round id: in_progress, overdue, finalize_lag_seconds} in one query over open attempts."""
    now = now or utcnow()
    if not round_ids:
        return {}
    cutoff = now - sweep_after()  # open past this: the sweep's to close (the contest engine's rule)
    live = sa.case((Attempt.deadline_at > cutoff, 1), else_=0)
    late = sa.case((Attempt.deadline_at <= cutoff, 1), else_=0)
    rows = db.session.execute(
        sa.select(Attempt.round_id, sa.func.sum(live), sa.func.sum(late),
                  sa.func.min(sa.case((Attempt.deadline_at <= cutoff, Attempt.deadline_at), else_=None)))
        .where(Attempt.status == AttemptStatus.IN_PROGRESS, Attempt.round_id.in_(round_ids))
        .group_by(Attempt.round_id)).all()
    out = {rid: {"in_progress": 0, "overdue": 0, "finalize_lag_seconds": 0} for rid in round_ids}
    for rid, n_live, n_late, oldest in rows:
        lag = 0
        if oldest is not None:
            if isinstance(oldest, str):  # SQLite's min() of the stored text
                oldest = datetime.fromisoformat(oldest)
            if oldest.tzinfo is None:
                from datetime import timezone

                oldest = oldest.replace(tzinfo=timezone.utc)
            lag = max(0, int((cutoff - oldest).total_seconds()))
        out[rid] = {"in_progress": int(n_live or 0), "overdue": int(n_late or 0), "finalize_lag_seconds": lag}
    return out


# --- request figures from the metrics --------------------------------------------------------------

def sample() -> dict:
    """The request counters and latency buckets now (cumulative since the workers started)."""
    counts: dict[str, float] = {}
    buckets: dict[str, dict[str, float]] = {}
    for family in metrics.registry().collect():
        for s in family.samples:
            if s.name == "quizapp_requests_total":
                key = f"{s.labels['group']}|{s.labels['status']}"
                counts[key] = counts.get(key, 0) + s.value
            elif s.name == "quizapp_request_duration_seconds_bucket":
                per = buckets.setdefault(s.labels["group"], {})
                per[s.labels["le"]] = per.get(s.labels["le"], 0) + s.value
    return {"t": time.time(), "counts": counts, "buckets": buckets}


def _history(now_sample: dict) -> dict:
    """The oldest kept sample at least WINDOW old (or the oldest one), keeping a short history
    in the shared cache store so every worker answers with the same window."""
    from quizapp.leaderboards.cache import cache_for

    backend = cache_for(current_app).backend
    key = current_app.config.get("LEADERBOARD_CACHE_PREFIX", "lb:") + HISTORY_KEY
    raw = backend.get(key)
    history = json.loads(raw) if raw else []
    t = now_sample["t"]
    history = [h for h in history if t - h["t"] <= HISTORY_SECONDS]
    if not history or t - history[-1]["t"] >= SAMPLE_EVERY:
        history.append(now_sample)
        backend.set_many({key: json.dumps(history).encode()}, HISTORY_SECONDS * 1000)
    older = [h for h in history if t - h["t"] >= WINDOW]
    return older[-1] if older else history[0]


def _p95_ms(now_b: dict[str, float], then_b: dict[str, float]) -> float | None:
    bounds = sorted(((float(le), now_b.get(le, 0) - then_b.get(le, 0)) for le in now_b), key=lambda x: x[0])
    total = bounds[-1][1] if bounds else 0
    if total <= 0:
        return None
    for bound, cumulative in bounds:
        if cumulative >= 0.95 * total:
            return None if math.isinf(bound) else bound * 1000
    return None


def request_figures() -> dict:
    now = sample()
    then = _history(now)
    elapsed = max(now["t"] - then["t"], 1.0)
    scale = 60.0 / elapsed  # per minute (extrapolated while less than a minute of history exists)
    out: dict = {"window_seconds": round(elapsed), "groups": {}, "errors": {"4xx": 0, "5xx": 0, "503": 0}}
    for group in GROUPS:
        per = {}
        for status in ("2xx", "3xx", "4xx", "5xx", "503"):
            key = f"{group}|{status}"
            delta = now["counts"].get(key, 0) - then["counts"].get(key, 0)
            per[status] = round(delta * scale, 1)
            if status in out["errors"]:
                out["errors"][status] = round(out["errors"][status] + delta * scale, 1)
        entry = {"per_minute": per, "total_per_minute": round(sum(per.values()), 1)}
        if group in ("start", "save", "submit"):
            entry["p95_ms"] = _p95_ms(now["buckets"].get(group, {}), then["buckets"].get(group, {}))
        out["groups"][group] = entry
    return out


def live_figures(now: datetime | None = None) -> dict:
    """Everything the operations view shows, as JSON."""
    from quizapp.jobs import queue

    now = now or utcnow()
    rounds = running_rounds(now)
    figures = round_figures([r.id for r in rounds], now)
    return {
        "as_of": now.isoformat(),
        "as_of_local": now.astimezone(VN_TZ).strftime("%H:%M:%S"),  # Vietnam time, as every page shows
        "rounds": [{"id": r.id, "title": r.title, "contest": r.contest.title, "closes_at": r.closes_at.isoformat(),
                    "open": r.closes_at > now, **figures[r.id]} for r in rounds],
        "requests": request_figures(),
        "queue_depth": queue.queue_depth(),
    }
