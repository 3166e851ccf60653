"""Security properties of every route: CSRF, cookies, headers, upload limits, debug pages."""
from __future__ import annotations

import io

import pytest

from quizapp import create_app
from quizapp.auth.models import Role
from tests.conftest import csrf_token
from tests.test_access import _url_for_rule

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def test_every_state_changing_request_without_a_csrf_token_is_refused(app, client, auth, make):
    admin = make.user(Role.ADMIN)
    auth.login(admin)
    ids = {"unit_id": admin.unit_id, "user_id": admin.id}
    checked = 0
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            url = _url_for_rule(rule, ids)
            for kwargs in ({"data": {}}, {"json": {}}, {"data": {"csrf_token": "forged"}}):
                resp = client.open(url, method=method, **kwargs)
                assert resp.status_code == 400, f"{method} {url} {kwargs}: {resp.status_code}"
            checked += 1
    assert checked >= 10  # the walk really covered the app's forms


def test_csrf_header_is_accepted_for_json_clients(client, make, auth):
    user = make.user()
    auth.login(user)
    token = csrf_token(client)
    resp = client.post("/lang/en", headers={"X-CSRFToken": token})
    assert resp.status_code == 302


def test_session_cookie_flags(monkeypatch, make):
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    prod = create_app("production")
    assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert prod.config["SESSION_COOKIE_SECURE"] is True
    assert prod.config["REMEMBER_COOKIE_SECURE"] is True


def test_login_cookie_is_httponly_and_samesite(client, make, auth):
    user = make.user()
    resp = auth.login(user)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_debug_pages_in_production(monkeypatch, app):
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    prod = create_app(dict(app.config) | {"DEBUG": False, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    from quizapp.auth.access import public

    @prod.route("/_crash")
    @public
    def _crash():
        raise ZeroDivisionError("secret detail")

    with prod.app_context():
        resp = prod.test_client().get("/_crash")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "Traceback" not in body and "secret detail" not in body and "ZeroDivisionError" not in body


def test_uploads_over_the_limit_are_refused_with_413(app, client, auth, make):
    auth.login(make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/units")
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        resp = client.post("/admin/units/import", data={"file": (io.BytesIO(b"x" * 5000), "u.csv"), "csrf_token": token},
                           content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert resp.status_code == 413 and "Tệp quá lớn" in resp.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/login", "/register"])
def test_security_headers_on_pages(client, path):
    resp = client.get(path)
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script anywhere
