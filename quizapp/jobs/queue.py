"""The Huey instance, configured from the app's config, and the decorators capabilities use.

One module-level ``huey`` (tasks register on it at import time); ``configure(app)``
gives it its storage: Redis when ``REDIS_URL`` (or ``JOBS_REDIS_URL``) is set, else a
SQLite file in the instance folder (``make run`` needs nothing more); ``JOBS_IMMEDIATE``
(the testing config) runs every task synchronously in the caller, in memory.

Every task runs in an application context of its own (its own database session),
commits when it returns and rolls back when it raises.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, crontab  # noqa: F401 - crontab re-exported for the capabilities' tasks
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

huey = Huey("quizapp", results=False, utc=True, immediate=True)
_state: dict = {"app": None}


def configure(app: Flask) -> None:
    """Bind the queue to ``app``: its storage and the app the tasks run in."""
    _state["app"] = app
    if app.config.get("JOBS_IMMEDIATE"):
        huey.immediate = True
        return
    huey.name = app.config.get("JOBS_QUEUE_NAME") or "quizapp"
    url = app.config.get("JOBS_REDIS_URL") or app.config.get("REDIS_URL")
    if url:
        huey.storage_class, huey.storage_kwargs = RedisStorage, {"url": url}
    else:
        path = Path(app.config.get("JOBS_SQLITE_PATH") or Path(app.instance_path) / "jobs-queue.sqlite3")
        path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class, huey.storage_kwargs = SqliteStorage, {"filename": str(path)}
    huey._immediate = False  # noqa: SLF001 - the setter would keep the memory storage
    huey.storage = huey.create_storage()


def storage_kind() -> str:
    if huey.immediate:
        return "immediate"
    return "redis" if huey.storage_class is RedisStorage else "sqlite"


def app() -> Flask:
    """The caller's app (immediate mode), else the app the queue was configured with."""
    if has_app_context():
        return current_app._get_current_object()  # noqa: SLF001
    bound = _state["app"]
    if bound is None:  # a bare `huey_consumer quizapp.jobs.queue.huey`
        from quizapp import create_app

        bound = create_app()
        configure(bound)
    return bound


def _in_app_context(func):
    @functools.wraps(func)
    def run(*args, **kwargs):
        from quizapp.core.db import db

        with app().app_context():
            try:
                value = func(*args, **kwargs)
                db.session.commit()
                return value
            except Exception:
                db.session.rollback()
                raise

    return run


def task(**options):
    """``@jobs.task()``: a Huey task run in an app context (committed on return)."""
    def decorate(func):
        return huey.task(name=func.__name__, **options)(_in_app_context(func))

    return decorate


def periodic(schedule, **options):
    """``@jobs.periodic(crontab(minute="*"))``: a periodic task run by the consumer."""
    def decorate(func):
        wrapped = _in_app_context(func)

        @functools.wraps(func)
        def logged():
            try:
                return wrapped()
            except Exception:  # a periodic task must not stop the next run
                log.exception("periodic task %s failed", func.__name__)
                return None

        return huey.periodic_task(schedule, name=func.__name__, **options)(logged)

    return decorate


def queue_depth() -> int:
    """Tasks waiting in the queue (0 in immediate mode)."""
    try:
        return int(huey.pending_count())
    except Exception:  # noqa: BLE001 - a figure for the operations view, never an error page
        log.warning("queue depth unavailable", exc_info=True)
        return -1
