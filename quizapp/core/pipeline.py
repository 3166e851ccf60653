"""The request cycle: one commit per request, rollback on any error.

Views and services only add and flush; this module is the one place that
commits.  A response with a status of 400 or more (a refused request) rolls
back instead, so a refused request never changes anything.

On SQLite (WAL) a request that read before another process (a second web worker, the job
consumer) committed cannot then write: SQLite answers "database is locked" at once, without
waiting (``core.db.sqlite_write_conflict``).  Such a request, when nothing of it was committed
yet, is rolled back and run again from its first handler, up to SQLITE_RERUNS times, with its
session cookie and uploaded files as they arrived; only then does the client get the 503 with
Retry-After that a lost database gives.  PostgreSQL never takes this path.
"""
from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from flask import Flask, g, request, session

from quizapp.core.db import db
from quizapp.core.errors import RerunRequest, database_unavailable, rerun_allowed, unavailable_response

log = logging.getLogger(__name__)

SQLITE_RERUNS = 3  # times a request is run again after SQLite refused its write (see the module's docstring)


def init_app(app: Flask) -> None:
    if str(app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        _rerun_on_sqlite_conflict(app)  # PostgreSQL's requests pay nothing for it

    @app.after_request
    def _commit_or_rollback(response):
        if g.pop("_skip_commit", False):
            return response
        try:
            if response.status_code < 400:
                db.session.commit()
            else:
                db.session.rollback()
        except sa.exc.DBAPIError as exc:
            if rerun_allowed(exc):
                raise RerunRequest() from exc
            # The connection died under the COMMIT (database restart, failover): its outcome is
            # unknown, so acknowledge nothing; the client retries (saves carry a seq, submits are
            # idempotent).  Without this the error would escape after_request as a 500.
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable at commit: %s", str(exc.orig).splitlines()[0] if exc.orig else exc)
            _discard()
            refused = unavailable_response()
            for key, value in response.headers.items():  # keep the security headers already set
                if key.lower() not in ("content-type", "content-length") and key not in refused.headers:
                    refused.headers[key] = value
            return refused
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            _discard()


def _rerun_on_sqlite_conflict(app: Flask) -> None:
    """Wrap ``app.full_dispatch_request`` (before_request, the view, after_request: the commit) so
    that a ``RerunRequest`` runs it again; see the module's docstring."""
    dispatch = app.full_dispatch_request

    def full_dispatch_request():
        arrived = dict(session)
        for attempt in range(1, SQLITE_RERUNS + 2):
            g._sqlite_rerun_ok = attempt <= SQLITE_RERUNS
            try:
                return dispatch()
            except RerunRequest:
                _discard()
                log.info("SQLite refused a write of %s %s after another commit; running it again (%s)",
                         request.method, request.path, attempt)
                session.clear()
                session.update(arrived)  # flashes and the like of the refused run are dropped
                for upload in request.files.values():
                    upload.stream.seek(0)
                g.pop("_skip_commit", None)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    app.full_dispatch_request = full_dispatch_request


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _no_rerun_after_a_commit(_session) -> None:
    """A request that committed something (a view that commits itself) is never run again."""
    from flask import has_request_context

    if has_request_context():
        g._sqlite_rerun_ok = False


def _discard() -> None:
    """Roll back; on a dead connection the rollback itself may fail: the pool discards it anyway."""
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        log.warning("rollback failed on a lost connection", exc_info=True)


def skip_commit() -> None:
    """For views that committed themselves (e.g. streamed exports)."""
    g._skip_commit = True
