"""The request cycle: one commit per request, rollback on any error.

Views and services only add and flush; this module is the one place that
commits.  A response with a status of 400 or more (a refused request) rolls
back instead, so a refused request never changes anything.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, g

from quizapp.core.db import db
from quizapp.core.errors import database_unavailable, unavailable_response

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
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


def _discard() -> None:
    """Roll back; on a dead connection the rollback itself may fail: the pool discards it anyway."""
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        log.warning("rollback failed on a lost connection", exc_info=True)


def skip_commit() -> None:
    """For views that committed themselves (e.g. streamed exports)."""
    g._skip_commit = True
