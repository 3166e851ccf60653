"""CSRF on every state-changing request, JSON API included: a missing, forged or
another session's token is refused (400, code ``csrf_failed`` under /api/) and
changes nothing; the session's own token is accepted."""
from __future__ import annotations

import pytest
from tests.conftest import csrf_token
from tests.sweep_world import build_world, table_fingerprint
from tests.test_sweep_access import _variants

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def _token_of_another_session(app, w) -> str:
    """A genuine token, issued to participant B's session."""
    other = app.test_client()
    w.login(other, "participant_b")
    token = other.get("/api/v1/csrf").get_json()["csrf_token"]
    w.login(app.test_client(), "anonymous")  # forget B's session cached in the shared app context
    return token


@pytest.fixture()
def sweep(app, db, make):
    w = build_world(make, db)
    stolen = _token_of_another_session(app, w)
    return w, stolen


def test_every_write_refuses_missing_forged_and_foreign_tokens(app, db, sweep):
    """As the attempts' owner: without the CSRF check most of these would succeed (or be
    403/404 for the role), so anything but 400 is a hole."""
    w, stolen = sweep
    client = app.test_client()
    w.login(client, "participant")
    own = client.get("/api/v1/csrf").get_json()["csrf_token"]
    assert own != stolen
    forged = own[:-4] + ("AAAA" if not own.endswith("AAAA") else "BBBB")
    bad_headers = [{}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": forged}, {"X-CSRFToken": stolen},
                   {"X-CSRFToken": ""}]
    before = table_fingerprint(db)
    failures, checked = [], 0
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & STATE_CHANGING):
            for url, _key in _variants(rule, w):
                attempts = [{"json": {"selected": [], "seq": 99, "login": "x", "password": "y"}, "headers": h}
                            for h in bad_headers]
                attempts += [{"data": {"csrf_token": stolen}}, {"data": {"csrf_token": forged}},
                             {"data": {}, "headers": {"X-CSRFToken": stolen}}]
                for kwargs in attempts:
                    resp = client.open(url, method=method, **kwargs)
                    checked += 1
                    if resp.status_code != 400:
                        failures.append(f"{method} {url} {kwargs}: {resp.status_code}")
                    elif url.startswith("/api/") and resp.get_json()["error"]["code"] != "csrf_failed":
                        failures.append(f"{method} {url}: {resp.get_json()}")
    assert not failures, "\n".join(failures)
    assert checked > 300
    db.session.expire_all()
    assert table_fingerprint(db) == before


def test_the_api_accepts_the_sessions_own_token_and_nothing_else(app, db, sweep):
    w, stolen = sweep
    client = app.test_client()
    w.login(client, "participant")
    own = client.get("/api/v1/csrf").get_json()["csrf_token"]
    url = f"/api/v1/attempts/{w.ids['attempt_in_progress']}/answers/{w.ids['aq']}"
    shown = client.get(f"/api/v1/attempts/{w.ids['attempt_in_progress']}").get_json()["attempt"]["questions"]
    option = next(q for q in shown if q["id"] == w.ids["aq"])["options"][0]["id"]
    body = {"selected": [option], "seq": 50}
    refused = client.put(url, json=body, headers={"X-CSRFToken": stolen})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    ok = client.put(url, json=body, headers={"X-CSRFToken": own})
    assert ok.status_code == 200 and ok.get_json()["selected"] == [option]


def test_api_login_needs_a_token_too(app, db, sweep):
    """Login CSRF: a page elsewhere cannot log a visitor into the attacker's account."""
    w, stolen = sweep
    client = app.test_client()
    body = {"login": w.users["participant"].phone, "password": "mat-khau-123"}
    assert client.post("/api/v1/login", json=body).status_code == 400
    assert client.post("/api/v1/login", json=body, headers={"X-CSRFToken": stolen}).status_code == 400
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    assert client.post("/api/v1/login", json=body, headers={"X-CSRFToken": token}).status_code == 200


def test_html_forms_refuse_another_sessions_token(app, db, sweep):
    w, stolen = sweep
    client = app.test_client()
    w.login(client, "organiser")
    assert csrf_token(client) != stolen
    resp = client.post(f"/admin/contests/{w.ids['contest']}/archive", data={"csrf_token": stolen})
    assert resp.status_code == 400
    assert "hết hạn" in resp.get_data(as_text=True)  # the Vietnamese "session expired" page
