"""The request cycle: one commit per request, rollback on any error.

Views and services only add and flush; this module is the one place that
commits.  A response with a status of 400 or more (a refused request) rolls
back instead, so a refused request never changes anything.
"""
from __future__ import annotations

import logging

from flask import Flask, g

from quizapp.core.db import db

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    @app.after_request
    def _commit_or_rollback(response):
        if g.pop("_skip_commit", False):
            return response
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback_on_error(exc):
        if exc is not None:
            db.session.rollback()


def skip_commit() -> None:
    """For views that committed themselves (e.g. streamed exports)."""
    g._skip_commit = True
