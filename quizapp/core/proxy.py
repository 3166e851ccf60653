"""Which request headers of the front proxy are believed (issue 20 items 1 and 3).

Behind nginx (``TRUSTED_PROXY_HOPS`` > 0) the app takes the client's address and scheme from
``X-Forwarded-For``/``-Proto`` (Werkzeug ProxyFix) and the arrival time of an answer from
``X-Request-Start``.  Anyone who reaches gunicorn directly could send those headers too, so the
recipe (deploy/quizapp-proxy.conf) adds ``X-Proxy-Secret: <PROXY_SECRET>``; a request without the
right secret has every one of those headers removed before the app (or ProxyFix) sees them.
``X-Forwarded-Host`` is never trusted unless ``TRUSTED_PROXY_X_HOST`` says so: links that leave
the app are built from ``PUBLIC_BASE_URL`` anyway (quizapp/core/urls.py).
"""
from __future__ import annotations

import hmac

from flask import current_app, request

SECRET_HEADER = "X-Proxy-Secret"
_SECRET_ENVIRON = "HTTP_X_PROXY_SECRET"
# What only the trusted proxy may say about a request.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                 "HTTP_X_FORWARDED_PREFIX", "HTTP_X_REQUEST_START", "HTTP_FORWARDED")
VERIFIED = "quizapp.proxy_verified"


def secret_matches(sent: str | None, secret: str | None) -> bool:
    """Constant-time comparison; no secret configured matches nothing."""
    if not secret or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "replace"), secret.encode("utf-8", "replace"))


class ProxySecretGate:
    """WSGI middleware in front of ProxyFix: with a ``secret``, a request that does not carry it
    loses its proxy headers (so ProxyFix and the app see the socket's address and their own clock).
    The secret header itself never reaches the app."""

    def __init__(self, wsgi_app, secret: str | None):
        self.wsgi_app = wsgi_app
        self.secret = secret

    def __call__(self, environ, start_response):
        sent = environ.pop(_SECRET_ENVIRON, None)
        if self.secret is not None:
            verified = secret_matches(sent, self.secret)
            if not verified:
                for key in PROXY_HEADERS:
                    environ.pop(key, None)
            environ[VERIFIED] = verified
        return self.wsgi_app(environ, start_response)


def wrap(app) -> None:
    """Install the gate and ProxyFix as ``TRUSTED_PROXY_HOPS``/``PROXY_SECRET``/``TRUSTED_PROXY_X_HOST`` say."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops <= 0:
        return
    from werkzeug.middleware.proxy_fix import ProxyFix

    x_host = hops if int(app.config.get("TRUSTED_PROXY_X_HOST") or 0) > 0 else 0
    app.wsgi_app = ProxySecretGate(ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=x_host),
                                   app.config.get("PROXY_SECRET") or None)


def from_trusted_proxy() -> bool:
    """May this request's X-Request-Start be believed?  Only with ``TRUSTED_PROXY_HOPS`` > 0 and,
    when ``PROXY_SECRET`` is set, only if the gate saw the secret (or, without the gate, the
    request carries it)."""
    if int(current_app.config.get("TRUSTED_PROXY_HOPS") or 0) <= 0:
        return False
    secret = current_app.config.get("PROXY_SECRET") or None
    if secret is None:
        return True  # development only: production refuses to start without a secret
    if VERIFIED in request.environ:  # the gate checked (and removed) the secret header
        return request.environ[VERIFIED] is True
    return secret_matches(request.headers.get(SECRET_HEADER), secret)
