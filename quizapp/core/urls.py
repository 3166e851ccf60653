"""Links that leave the app (mails, QR codes, certificates, share cards, reports, short links).

Every such link is built from the ``PUBLIC_BASE_URL`` setting, never from the request: the
``Host`` and ``X-Forwarded-Host`` headers are chosen by whoever sends the request, so a link
built from them (``url_for(..., _external=True)``) can point a genuine e-mail at an attacker's
site (issue 20 item 1).  These helpers work inside and outside a request (jobs, CLI).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app

DEV_BASE_URL = "http://localhost:5000"


def public_base_url(app: Flask | None = None) -> str:
    """The configured public address, without a trailing slash (``https://thi.example.gov.vn``)."""
    app = app or current_app
    base = (app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")
    if not base:
        # Production refuses to start without it (config.ProductionConfig.validate); a
        # development or testing app without one uses the development server's address.
        return DEV_BASE_URL
    return base


def external_url(endpoint: str, **values) -> str:
    """``url_for(endpoint, **values)`` as an absolute link on ``PUBLIC_BASE_URL``."""
    parts = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)


def external_path(path: str) -> str:
    """A path of this app (``/contests/x``) as an absolute link on ``PUBLIC_BASE_URL``."""
    return public_base_url() + "/" + path.lstrip("/")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["external_url"] = external_url
