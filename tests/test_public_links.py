"""Issue 20 items 1 and 15: every link that leaves the app (mails, QR codes, certificates, share
cards, short links, reports) is built from PUBLIC_BASE_URL, never from the request's Host or
X-Forwarded-Host; production refuses to start without it."""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from quizapp import create_app
from tests.test_accounts_recovery import _token, smtp  # noqa: F401 (the smtp fixture)

ROOT = Path(__file__).resolve().parents[1]
EVIL = "http://evil.example"


def _csrf(client, path: str) -> str:
    """A CSRF token from a page fetched under the forged host (the session cookie is per host)."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    html = client.get(path, base_url=EVIL).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_a_forged_host_never_reaches_the_password_reset_mail(app, make, smtp, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    make.user(email="hoa@example.vn", phone=None)
    attacker = app.test_client()
    token = _csrf(attacker, "/password/forgot")
    resp = attacker.post("/password/forgot", base_url=EVIL, headers={"X-Forwarded-Host": "evil.example"},
                         data={"email": "hoa@example.vn", "csrf_token": token})
    assert resp.status_code == 302
    body = smtp[0].get_payload(decode=True).decode()
    assert "evil.example" not in body
    assert re.search(r"https://thi\.example\.gov\.vn/password/reset/\S+", body)


def test_the_reset_code_page_shows_the_public_address(app, client, auth, make, monkeypatch):
    from quizapp.auth.models import Role

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    unit = make.unit()
    manager = make.user(role=Role.UNIT_MANAGER, unit=unit)
    member = make.user(unit=unit, phone="0911222333")
    auth.login(manager)
    token = _token(client, f"/units/{unit.id}/members")
    html = client.post(f"/users/{member.id}/reset-code", data={"csrf_token": token}).get_data(True)
    assert "https://thi.example.gov.vn/password/code" in html and "http://localhost/" not in html


def test_no_link_is_built_from_the_request_host():
    """One helper (quizapp/core/urls.py) builds every external link: no _external=True, no
    request.url_root / host_url / base_url / request.host anywhere in the app."""
    offenders = []
    for path in (ROOT / "quizapp").rglob("*"):
        if path.suffix not in (".py", ".html") or path.name == "urls.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in ("_external=True", "_external = True", "url_root", "host_url", "request.base_url",
                        "request.host", "request.url "):
            if pattern in text:
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


def test_production_refuses_to_start_without_public_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app("production")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn/")
    assert create_app("production").config["PUBLIC_BASE_URL"] == "https://thi.example.gov.vn"


def _echo(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ.get('HTTP_HOST')}|{environ.get('REMOTE_ADDR')}".encode()]


def test_behind_the_proxy_x_forwarded_host_is_not_trusted_unless_configured():
    from werkzeug.test import Client

    from quizapp.core import proxy

    for x_host, expected in ((0, "thi.example.gov.vn"), (1, "evil.example")):
        fake = SimpleNamespace(config={"TRUSTED_PROXY_HOPS": 1, "TRUSTED_PROXY_X_HOST": x_host}, wsgi_app=_echo)
        proxy.wrap(fake)
        resp = Client(fake.wsgi_app).get("/", headers={"Host": "thi.example.gov.vn", "X-Forwarded-Host": "evil.example"})
        assert resp.get_data(as_text=True).split("|")[0] == expected


def test_external_links_work_outside_a_request(app, monkeypatch):
    from quizapp.core.urls import external_url

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://cchc.example.gov.vn/thi")
    assert external_url("auth.reset_password", token="abc") == "https://cchc.example.gov.vn/thi/password/reset/abc"
