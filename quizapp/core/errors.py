"""Friendly error pages (HTML) and stable JSON errors (API)."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
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
    }


def error_response(status: int, code: str, message: str, field: str | None = None):
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if field:
            body["error"]["field"] = field
        return jsonify(body), status
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
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
