"""Leaderboard work on the queue: the jury exports (a job kind) and snapshot recomputation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from quizapp import jobs
# contest_ranking, snapshots, unit_ranking: imported so that the rankings ``refresh.refresh_cached``
# recomputes by name (in a worker that has served no page) are registered.
from quizapp.leaderboards import contest_ranking, exports, refresh, snapshots, unit_ranking  # noqa: F401

EXPORT_JOB = "leaderboards.export"

jobs.register(EXPORT_JOB, exports.run_export, label=_l("Results export"))


@jobs.task()
def refresh_ranking(name: str, args: list, token: str) -> None:
    """Recompute a ranking snapshot for every worker (values shared in Redis)."""
    refresh.refresh_cached(name, args, token)


def _in_a_thread(app, name: str, args: list, token: str) -> None:
    """Values in this process's memory: recompute them here, beside the requests."""
    import threading

    def run():
        from quizapp.core.db import db

        with app.app_context():
            try:
                refresh.refresh_cached(name, args, token)
            finally:
                db.session.rollback()

    threading.Thread(target=run, name=f"refresh-{name}", daemon=True).start()


def init_app(app) -> None:
    """How this app recomputes stale rankings: a job when the cache is shared (Redis) and a
    consumer runs, else a thread of the process that found the ranking stale."""
    from quizapp.jobs import queue
    from quizapp.leaderboards.cache import RedisBackend, cache_for

    def start(name: str, args: list, token: str) -> None:
        if isinstance(cache_for(app).backend, RedisBackend) and not queue.huey.immediate:
            refresh_ranking(name, args, token)
        else:
            _in_a_thread(app, name, args, token)

    app.extensions["leaderboards.refresh"] = start
