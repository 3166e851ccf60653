"""Access control: every endpoint declares who may use it; undeclared means refused.

``@public`` opens a view to everyone, ``@requires(Role.X)`` to users whose
role is X or higher.  ``enforce`` runs before every request and refuses any
endpoint that declared nothing, so a new route cannot escape its check.
"""
from __future__ import annotations

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user

from quizapp.auth.models import Role

PUBLIC = "public"
_ACCESS_ATTR = "_quizapp_access"


def public(view):
    setattr(view, _ACCESS_ATTR, PUBLIC)
    return view


def requires(role: Role):
    def decorate(view):
        setattr(view, _ACCESS_ATTR, role)
        return view

    return decorate


def access_of(view) -> str | Role | None:
    return getattr(view, _ACCESS_ATTR, None)


def endpoint_access(endpoint: str | None) -> str | Role | None:
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return access_of(view) if view else None


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def enforce():
    if request.endpoint is None:
        return None  # 404/405 handled by Flask
    access = endpoint_access(request.endpoint)
    if access == PUBLIC:
        return None
    if access is None:
        abort(403)
    if not current_user.is_authenticated:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if not current_user.has_role(access):
        abort(403)
    return None


def init_app(app: Flask) -> None:
    app.before_request(enforce)


def require_unit_scope(unit_id: int) -> None:
    """Unit managers see their unit and its sub-units; organisers everything."""
    from quizapp.units import services as units

    if current_user.has_role(Role.ORGANISER):
        return
    if current_user.role == Role.UNIT_MANAGER and current_user.unit_id and units.is_within(
        unit_id, current_user.unit_id
    ):
        return
    abort(403)
