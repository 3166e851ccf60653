"""Headers on every response, cookies, production error pages, upload limits, login throttling."""
from __future__ import annotations

import io
import re
import uuid

import pytest

from quizapp import create_app
from quizapp.auth.models import Role
from tests.conftest import csrf_token
from tests.sweep_world import login_as
from tests.test_rate_limit_redis import _redis_up

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.I)


def _header_problems(resp) -> list[str]:
    h, out = resp.headers, []
    csp = h.get("Content-Security-Policy", "")
    if "script-src 'self'" not in csp or "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        out.append(f"CSP {csp!r}")
    if "frame-ancestors 'none'" not in csp or h.get("X-Frame-Options") != "DENY":
        out.append("frame protection")
    if h.get("X-Content-Type-Options") != "nosniff":
        out.append("nosniff")
    if resp.mimetype == "text/html":
        body = resp.get_data(as_text=True)
        for name, pattern in (("inline script", INLINE_SCRIPT), ("inline handler", INLINE_HANDLER),
                              ("inline style", INLINE_STYLE)):
            if pattern.search(body):
                out.append(f"{name}: {pattern.search(body).group(0)[:80]}")
    return out


# Every route × every actor is walked in tests/test_sweep_access.py, which checks
# these headers on every response; here the error responses that walk does not meet.
def test_error_responses_send_the_security_headers(client):
    for url in ("/no-such-page", "/api/v1/no-such", "/api/v1/attempts/999999", "/admin/bank/999999",
                "/api/v1/attempts/99999999999999999999", "/static/no-such.js"):
        resp = client.get(url)
        assert resp.status_code in (401, 302, 404), url
        assert _header_problems(resp) == [], url
    resp = client.post("/api/v1/login", data="{", content_type="application/json")
    assert resp.status_code == 400 and _header_problems(resp) == []


@pytest.fixture()
def production(app, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    import config

    prod = create_app(config.ProductionConfig)
    prod.config.update(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       SQLALCHEMY_ENGINE_OPTIONS=app.config["SQLALCHEMY_ENGINE_OPTIONS"],
                       RATELIMIT_STORAGE_URI="memory://")
    prod = create_app(dict(prod.config))
    return prod


def test_production_cookies_are_secure_httponly_samesite(production, make):
    user = make.user()
    with production.app_context():
        client = production.test_client()
        client.environ_base["wsgi.url_scheme"] = "https"
        token = csrf_token(client, "/login")
        form = {"login": user.phone, "password": "mat-khau-123", "csrf_token": token, "remember": "y"}
        # Over HTTPS the token must also come from a page of this site (Referer checked).
        assert client.post("/login", data=form, headers={"Referer": "https://evil.example/"}).status_code == 400
        resp = client.post("/login", data=form, headers={"Referer": "https://localhost/login"})
        assert resp.status_code == 302
        cookies = resp.headers.getlist("Set-Cookie")
        home = client.get("/")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember):
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_shows_no_debug_pages(production):
    assert production.debug is False and production.config["TESTING"] is False
    with production.app_context():
        client = production.test_client()
        for url, status in (("/console", 404), ("/no-such-page", 404), ("/api/v1/nope", 404)):
            resp = client.get(url)
            body = resp.get_data(as_text=True)
            assert resp.status_code == status
            assert "Traceback" not in body and "Werkzeug Debugger" not in body and "__debugger__" not in body
        assert client.post("/healthz").status_code == 405


# --- uploads ----------------------------------------------------------------------------------

UPLOAD_ROUTES = {"/admin/units/import": {}, "/admin/bank/import": {"default_area_id": "0", "status": "draft"}}


def test_every_upload_route_is_known(app):
    """Upload limits below cover every form that takes a file."""
    from pathlib import Path

    import quizapp

    actions = set()
    for tpl in Path(quizapp.__file__).parent.rglob("*.html"):
        for m in re.finditer(r"<form[^>]*action=\"\{\{ url_for\('([^']+)'\) \}\}\"[^>]*multipart", tpl.read_text()):
            actions.add(m.group(1))
    assert actions == {"units.import_file", "bank.import_file"}


@pytest.mark.parametrize("url", sorted(UPLOAD_ROUTES))
def test_uploads_too_big_get_a_friendly_413(app, client, make, url):
    login_as(client, make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/bank/import")
    app.config["MAX_CONTENT_LENGTH"], old = 2048, app.config["MAX_CONTENT_LENGTH"]
    try:
        resp = client.post(url, data={**UPLOAD_ROUTES[url], "csrf_token": token,
                                      "file": (io.BytesIO(b"a,b\n" * 2000), "big.csv")},
                           content_type="multipart/form-data")
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413 and "Tệp quá lớn" in body and "<html" in body.lower()


@pytest.mark.parametrize("url", sorted(UPLOAD_ROUTES))
@pytest.mark.parametrize("name,content", [("virus.exe", b"MZ\x90\x00\x03"), ("anh.png", b"\x89PNG\r\n\x1a\n0000"),
                                          ("noext", b"\x00\x01\x02"), ("tai-lieu.pdf", b"%PDF-1.4 ...")])
def test_uploads_of_the_wrong_type_get_a_clear_vietnamese_error(app, db, client, make, url, name, content):
    from tests.sweep_world import table_fingerprint

    login_as(client, make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/bank/import")
    before = table_fingerprint(db)
    resp = client.post(url, data={**UPLOAD_ROUTES[url], "csrf_token": token, "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code in (400, 415, 422), resp.status_code
    assert re.search(r"(định dạng|loại tệp|Tệp|tệp)", body), body[:2000]
    db.session.expire_all()
    assert table_fingerprint(db) == before


# --- login throttling ---------------------------------------------------------------------------

def test_web_and_api_logins_share_one_failure_counter_per_account(app, client, make):
    """Ten wrong passwords on the form lock the account for the API too (and vice versa):
    an attacker does not get ten guesses per door."""
    victim, other = make.user(), make.user()
    token = csrf_token(client, "/login")
    for _ in range(10):
        assert client.post("/login", data={"login": victim.phone, "password": "sai", "csrf_token": token}
                           ).status_code == 401
    api_token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    resp = client.post("/api/v1/login", json={"login": victim.phone, "password": "mat-khau-123"},
                       headers={"X-CSRFToken": api_token})
    assert resp.status_code == 429
    for _ in range(10):
        client.post("/api/v1/login", json={"login": other.phone, "password": "sai"}, headers={"X-CSRFToken": api_token})
    resp = client.post("/login", data={"login": other.phone, "password": "mat-khau-123", "csrf_token": token})
    assert resp.status_code == 429


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_api_login_throttling_holds_across_instances_through_redis(app, make):
    from quizapp.extensions import limiter

    user = make.user()
    config = dict(app.config) | {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
                                 "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    try:
        codes = []
        for _ in range(2):  # two workers, five wrong passwords each
            worker = create_app(config)
            with worker.app_context():
                c = worker.test_client()
                token = c.get("/api/v1/csrf").get_json()["csrf_token"]
                codes += [c.post("/api/v1/login", json={"login": user.phone, "password": "sai"},
                                 headers={"X-CSRFToken": token}).status_code for _ in range(5)]
        assert codes == [401] * 10
        third = create_app(config)
        with third.app_context():
            c = third.test_client()
            token = c.get("/api/v1/csrf").get_json()["csrf_token"]
            resp = c.post("/api/v1/login", json={"login": user.phone, "password": "mat-khau-123"},
                          headers={"X-CSRFToken": token})
        assert resp.status_code == 429 and resp.get_json()["error"]["code"]
    finally:
        limiter.init_app(app)
