"""Friendly error pages (HTML) and stable JSON errors (API)."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class ServiceError(Exception):
    """A rule refused the request: a stable code, a message for the user and a status."""

    status = 400

    def __init__(self, code: str, message: str, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


def message_text(message) -> str:
    """A lazy message as text: translated inside a request, the English msgid in the CLI and tests."""
    from flask import has_request_context

    if has_request_context():
        return str(message)
    return message._args[0] if getattr(message, "_args", None) else str(message)


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def _messages():
    return {
        400: _("The request could not be understood."),
        401: _("Please log in to continue."),
        403: _("You do not have permission to open this page."),
        404: _("The page you are looking for does not exist."),
        405: _("This action is not allowed here."),
        409: _("The request conflicts with the current state. Please reload and try again."),
        413: _("The file is too large."),
        429: _("Too many attempts. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Your saved answers are safe; please try again."),
        503: _("The service is briefly unavailable. Your saved answers are safe; please try again in a moment."),
    }


def error_response(status: int, code: str, message: str, field: str | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


# Seconds a client should wait before retrying after a 503.
RETRY_AFTER_SECONDS = 2


def database_unavailable(exc: BaseException) -> bool:
    """True for a lost or refused database connection (a restart, a failover), as opposed
    to an error in the statement itself: the request may simply be retried."""
    return isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)) or (
        isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated
    )


def unavailable_response():
    """503 with Retry-After: nothing was acknowledged, the client retries (saves carry a seq,
    submits are idempotent, so a retry after an unknown outcome is safe)."""
    response = make_response(error_response(503, "service_unavailable", _messages()[503]))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class RerunRequest(Exception):
    """Raised (only on SQLite) when the request's write met another process's commit and nothing of
    the request was committed yet: ``core.pipeline`` runs the request again on a fresh transaction."""


def rerun_allowed(exc: BaseException) -> bool:
    """SQLite refused this request's write at once (see ``core.db.sqlite_write_conflict``) and the
    pipeline still lets it run again (no commit yet, reruns left)."""
    from flask import g

    from quizapp.core.db import sqlite_write_conflict

    return bool(g.get("_sqlite_rerun_ok")) and sqlite_write_conflict(exc)


def init_app(app: Flask) -> None:
    @app.errorhandler(sa.exc.DBAPIError)
    def _database_error(exc: sa.exc.DBAPIError):
        if rerun_allowed(exc):
            raise RerunRequest() from exc
        if database_unavailable(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        str(exc.orig).splitlines()[0] if exc.orig else exc)
            return unavailable_response()
        return _unhandled(exc)

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        return error_response(
            400, "csrf_failed", _("Your session has expired or the form is invalid. Please reload the page and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = _messages().get(status, exc.description or "")
        return error_response(status, (exc.name or "error").lower().replace(" ", "_"), message)

    @app.errorhandler(Exception)
    def _unhandled(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", _messages()[500])
