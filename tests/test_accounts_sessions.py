"""Accounts and sessions (issue 11, items 10, 11, 12, 14, 20): revocable login sessions,
login throttles that a stranger cannot turn against the owner, trusted proxies, no
personal data in access-log lines, a registration limit that offices can live with."""
from __future__ import annotations

import http.cookiejar
import logging
import re
import threading
import urllib.parse
import urllib.request

import pytest
import sqlalchemy as sa

from tests.conftest import csrf_token

PASSWORD = "mat-khau-123"


def _fresh():
    """The tests run inside one app context, whose ``g`` caches the logged-in user and the
    CSRF token between requests of different clients: drop them, as a new request in
    production starts clean."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def _token(client, path="/"):
    _fresh()
    return csrf_token(client, path)


def _login(client, login, password=PASSWORD, address="10.0.0.1", remember=False):
    _fresh()
    token = _token(client, "/login")
    data = {"login": login, "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data, environ_overrides={"REMOTE_ADDR": address})


def _copy_cookies(source, target, names=("session", "remember_token")):
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def _logged_in(client) -> bool:
    _fresh()
    return client.get("/account").status_code == 200


# --- item 12: sessions can be revoked ------------------------------------------------

def test_a_copied_session_cookie_dies_with_logout(app, client, make):
    user = make.user()
    assert _login(client, user.phone).status_code == 302
    thief = app.test_client()
    _copy_cookies(client, thief)
    assert _logged_in(thief)
    client.post("/logout", data={"csrf_token": _token(client)})
    assert not _logged_in(thief)  # the server forgot that login, not just the browser
    assert not _logged_in(client)


def test_a_copied_remember_me_cookie_dies_with_logout(app, client, make):
    user = make.user()
    _login(client, user.phone, remember=True)
    assert client.get_cookie("remember_token") is not None
    thief = app.test_client()
    _copy_cookies(client, thief, names=("remember_token",))  # no session: Flask-Login restores from it
    assert _logged_in(thief)
    client.post("/logout", data={"csrf_token": _token(client)})
    fresh = app.test_client()
    _copy_cookies(thief, fresh, names=("remember_token",))
    assert not _logged_in(fresh)


def test_the_remember_me_cookie_differs_on_every_login(app, make):
    user = make.user()
    values = []
    for _ in range(2):
        c = app.test_client()
        _login(c, user.phone, remember=True)
        values.append(c.get_cookie("remember_token").value)
    assert values[0] != values[1]


def test_changing_the_password_logs_out_every_other_session(app, client, make):
    user = make.user()
    _login(client, user.phone)
    other = app.test_client()
    _login(other, user.phone, address="10.0.0.2")
    token = _token(client, "/account/password")
    resp = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "moi-12345678",
                                                  "confirm": "moi-12345678", "csrf_token": token})
    assert resp.status_code == 302
    assert _logged_in(client)  # the session that changed it stays
    assert not _logged_in(other)


def test_log_out_everywhere(app, client, make, db):
    from quizapp.auth.models import LoginSession

    user = make.user()
    _login(client, user.phone)
    other = app.test_client()
    _login(other, user.phone, address="10.0.0.2")
    resp = client.post("/account/logout-everywhere", data={"csrf_token": _token(client, "/account")})
    assert resp.status_code == 302
    assert not _logged_in(client) and not _logged_in(other)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)
                             .where(LoginSession.revoked_at.is_(None))) == 0


def test_a_revoked_session_cannot_save_answers_either(app, client, make):
    """The hot JSON endpoints check the login is live without loading the user."""
    user = make.user()
    _login(client, user.phone)
    thief = app.test_client()
    _copy_cookies(client, thief)
    client.post("/logout", data={"csrf_token": _token(client)})
    token = thief.get("/api/v1/csrf").get_json()["csrf_token"]
    resp = thief.put("/api/v1/attempts/1/answers/1", json={"selected": [1], "seq": 1},
                     headers={"X-CSRFToken": token})
    assert resp.status_code == 401


def _two_logins_one_revoked_long_ago(app, client, make, db):
    from datetime import timedelta

    from quizapp.auth.models import LoginSession
    from quizapp.core.db import utcnow

    user = make.user()
    _login(client, user.phone)
    _login(app.test_client(), user.phone)
    db.session.execute(sa.update(LoginSession).where(LoginSession.id == 1)
                       .values(revoked_at=utcnow() - timedelta(days=40)))
    db.session.commit()


def test_old_revoked_sessions_are_pruned(app, client, make, db, runner):
    from quizapp.auth.models import LoginSession

    _two_logins_one_revoked_long_ago(app, client, make, db)
    result = runner.invoke(args=["users", "prune-sessions"])
    assert "1 revoked" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1


# --- item 10: a stranger cannot lock the owner out ------------------------------------

@pytest.fixture()
def tight_limits(app):
    saved = {k: app.config.get(k) for k in ("LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT", "LOGIN_IP_RATE_LIMIT")}
    app.config.update(LOGIN_RATE_LIMIT="5 per 5 minutes", LOGIN_ACCOUNT_RATE_LIMIT="12 per 10 minutes;30 per day",
                      LOGIN_IP_RATE_LIMIT="1000 per minute")
    yield
    app.config.update(saved)


def test_failures_from_one_address_do_not_lock_the_owner_out_on_his(app, client, make, tight_limits):
    owner = make.user()
    attacker = app.test_client()
    statuses = [_login(attacker, owner.phone, "sai-mat-khau", address="203.0.113.9").status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2  # the (account, address) pair is throttled tightly
    # ...even the right password from that address waits
    assert _login(attacker, owner.phone, address="203.0.113.9").status_code == 429
    # the owner, on his own address, logs in
    assert _login(client, owner.phone, address="10.0.0.1").status_code == 302


def test_the_account_limit_is_loose_and_spares_the_owners_known_address(app, client, make, tight_limits):
    owner = make.user()
    assert _login(client, owner.phone, address="10.0.0.1").status_code == 302  # his usual address
    client.post("/logout", data={"csrf_token": _token(client)})
    attacker = app.test_client()
    # A guesser spreads over many addresses: 4 failures each, under the pair limit.
    statuses = [_login(attacker, owner.phone, "sai", address=f"198.51.100.{i}").status_code
                for i in range(4) for _ in range(4)]
    assert statuses[:12] == [401] * 12 and set(statuses[12:]) == {429}  # the loose account limit
    assert _login(attacker, owner.phone, address="198.51.100.200").status_code == 429  # new address: waits
    assert _login(client, owner.phone, address="10.0.0.1").status_code == 302  # the owner's address: not


# --- item 11: behind a proxy ---------------------------------------------------------------

def _proxy_app(database_url, hops):
    import config
    from quizapp import create_app
    from tests.conftest import _testing

    return create_app(_testing() | {
        "SQLALCHEMY_DATABASE_URI": database_url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(database_url),
        "TRUSTED_PROXY_HOPS": hops, "LOGIN_IP_RATE_LIMIT": "3 per minute", "LOGIN_RATE_LIMIT": "100 per minute",
        "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute",
    })


def _failures_behind_proxy(proxy_app, forwarded_for):
    with proxy_app.app_context():
        c = proxy_app.test_client()
        statuses = []
        for i, xff in enumerate(forwarded_for):
            token = _token(c, "/login")
            statuses.append(c.post("/login", data={"login": f"09000000{i:02d}", "password": "x", "csrf_token": token},
                                   headers={"X-Forwarded-For": xff},
                                   environ_overrides={"REMOTE_ADDR": "127.0.0.1"}).status_code)
        return statuses


def test_trusted_proxy_hops_gives_each_client_its_own_address(app, database_url):
    clients = ["1.1.1.1", "1.1.1.1", "1.1.1.1", "1.1.1.1", "2.2.2.2"]
    # Off by default: the proxy's address is everybody's (and a forged header changes nothing).
    assert _failures_behind_proxy(_proxy_app(database_url, 0), clients) == [401, 401, 401, 429, 429]
    # One trusted hop: the client address comes from X-Forwarded-For.
    assert _failures_behind_proxy(_proxy_app(database_url, 1), clients) == [401, 401, 401, 429, 401]


# --- item 20: registrations per address ---------------------------------------------------

def _register(client, unit, n, address="192.0.2.10"):
    return client.post("/register", data={
        "full_name": f"Cán bộ {n}", "date_of_birth": "1990-01-01", "phone": f"0913{n:06d}", "email": "",
        "national_id": "", "unit_id": str(unit.id), "position": "", "category": "civil_servant",
        "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1", "csrf_token": _token(client, "/register"),
    }, environ_overrides={"REMOTE_ADDR": address})


def test_an_office_behind_one_address_registers_its_staff(client, make):
    unit = make.unit()
    assert [_register(client, unit, n).status_code for n in range(25)] == [302] * 25


def test_the_registration_limit_is_a_setting(app, client, make):
    unit = make.unit()
    app.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    try:
        assert [_register(client, unit, n).status_code for n in range(3)] == [302, 302, 429]
    finally:
        app.config["REGISTER_RATE_LIMIT"] = "300 per hour"


# --- item 14: no phone numbers or e-mails in access logs ----------------------------------

class _Server:
    """The app under Werkzeug's server, whose access log goes to the ``werkzeug`` logger."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.httpd = make_server("127.0.0.1", 0, app, threaded=False)
        self.base = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        return self.opener.open(self.base + path, timeout=10).read().decode()

    def post(self, path, data):
        html = self.get(path)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        body = urllib.parse.urlencode({"csrf_token": token, **data}).encode()
        return self.opener.open(urllib.request.Request(self.base + path, data=body), timeout=10).read().decode()

    def close(self):
        self.httpd.shutdown()
        self.thread.join(5)


def test_searches_for_people_leave_no_phone_or_email_in_the_access_log(app, db, make, caplog):
    from quizapp.auth.models import Role

    admin = make.user(role=Role.ADMIN, email="admin@example.vn", phone=None)
    make.user(full_name="Lê Thị Mai", phone="0987654321", email="mai@example.vn")
    rnd = make.round()
    db.session.commit()
    server = _Server(app)
    caplog.set_level(logging.INFO, logger="werkzeug")
    try:
        server.post("/login", {"login": "admin@example.vn", "password": PASSWORD})
        found = server.post("/admin/users", {"q": "0987654321"})
        assert "Lê Thị Mai" in found
        assert "Lê Thị Mai" in server.post("/admin/users", {"q": "mai@example.vn"})
        grants = f"/admin/contests/{rnd.contest_id}/rounds/{rnd.id}/grants"
        assert "Lê Thị Mai" in server.post(grants, {"action": "search", "q": "0987 654 321"})
    finally:
        server.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert any("POST /admin/users" in line for line in lines)  # the log was read
    for line in lines:
        assert "0987" not in line and "654" not in line and "mai%40" not in line and "mai@" not in line, line
    assert admin.id


def test_the_consumer_prunes_old_revoked_sessions_daily_without_cron(app, client, make, db):
    from quizapp.auth import tasks as auth_tasks
    from quizapp.auth.models import LoginSession
    from quizapp.jobs import queue

    assert "prune_login_sessions" in {t.__name__ for t in queue.huey._registry._periodic_tasks}  # noqa: SLF001
    _two_logins_one_revoked_long_ago(app, client, make, db)
    auth_tasks.prune_login_sessions()  # immediate mode: runs now in its own app context and commits
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 1
