"""Every route against every role: nothing escapes its access check.

The test walks ``app.url_map``; a new route that declares no access is
refused to everyone (and fails here until it declares one).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from quizapp.auth.access import PUBLIC, ROLE_COLUMNS, access_matrix, access_matrix_markdown, allowed, endpoint_access
from quizapp.auth.models import Role
from tests.conftest import csrf_token

ROOT = Path(__file__).resolve().parent.parent


def _url_for_rule(rule, ids: dict) -> str:
    url = rule.rule
    for arg in rule.arguments:
        if isinstance(rule._converters[arg], IntegerConverter):  # incl. quizapp.core.inputs.IdConverter
            value = ids.get(arg, 1)
        elif arg == "filename":
            value = "css/app.css"
        elif arg == "fmt":
            value = "xlsx"
        elif arg == "code":
            value = "vi"
        else:
            value = "x"
        url = url.replace(f"<{rule._converters[arg].__class__.__name__.replace('Converter', '').lower()}:{arg}>", str(value))
        url = url.replace(f"<int:{arg}>", str(value)).replace(f"<path:{arg}>", str(value)).replace(f"<{arg}>", str(value))
    return url


@pytest.fixture()
def world(make):
    province = make.unit("Tỉnh", code="P")
    unit = make.unit("Sở", parent=province, code="S")
    users = {
        Role.PARTICIPANT: make.user(Role.PARTICIPANT, unit=unit),
        Role.REFORM_OFFICER: make.user(Role.REFORM_OFFICER, unit=unit),
        Role.UNIT_MANAGER: make.user(Role.UNIT_MANAGER, unit=unit),
        Role.ORGANISER: make.user(Role.ORGANISER, unit=unit),
        Role.ADMIN: make.user(Role.ADMIN, unit=unit),
    }
    ids = {"unit_id": unit.id, "user_id": users[Role.PARTICIPANT].id}
    return users, ids


def test_every_endpoint_declares_its_access(app):
    undeclared = [r.endpoint for r in app.url_map.iter_rules() if endpoint_access(r.endpoint) is None]
    assert undeclared == []


def test_routes_doc_is_current(app):
    """docs/routes.md is regenerated with `flask access-matrix > docs/routes.md`."""
    assert (ROOT / "docs" / "routes.md").read_text(encoding="utf-8") == access_matrix_markdown(app)


@pytest.mark.parametrize("who", ROLE_COLUMNS, ids=lambda w: str(getattr(w, "value", w)))
def test_every_route_admits_exactly_the_declared_roles(app, world, who):
    users, ids = world
    client = app.test_client()

    def login():
        if who != "anonymous":
            token = csrf_token(client, "/login")
            resp = client.post("/login", data={"login": users[who].phone, "password": "mat-khau-123", "csrf_token": token})
            assert resp.status_code == 302

    login()
    failures = []
    for row, rule in zip(access_matrix(app), sorted(app.url_map.iter_rules(), key=lambda r: r.rule)):
        url = _url_for_rule(rule, ids)
        for method in row["methods"]:
            kwargs = {}
            if method != "GET":
                kwargs["data"] = {"csrf_token": csrf_token(client)}
            resp = client.open(url, method=method, **kwargs)
            status = resp.status_code
            if status >= 500:
                failures.append(f"{method} {url}: {status} for {who}")
            elif allowed(row["access"], who):
                if status in (401, 403) or (status == 302 and "/login" in resp.headers.get("Location", "") and row["endpoint"] != "auth.login"):
                    failures.append(f"{method} {url}: refused ({status}) for {who}, declared {row['access']}")
            else:
                refused = status == 403 or status == 401 or (status == 302 and "/login" in resp.headers["Location"])
                if not refused:
                    failures.append(f"{method} {url}: NOT refused ({status}) for {who}, declared {row['access']}")
            if row["endpoint"] in ("auth.logout", "auth.logout_everywhere"):
                login()
    assert failures == []


def test_anonymous_users_are_sent_to_login_with_next(client, world):
    resp = client.get("/admin/units")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=/admin/units")


def test_unit_manager_sees_only_their_own_subtree(client, auth, make):
    district = make.unit("Huyện A", code="HA")
    commune = make.unit("Xã A1", parent=district, code="HA1")
    other = make.unit("Huyện B", code="HB")
    manager = make.user(Role.UNIT_MANAGER, unit=district)
    member = make.user(unit=commune, full_name="Người ở xã A1")
    make.user(unit=other, full_name="Người ở huyện B")
    auth.login(manager)
    own = client.get(f"/units/{district.id}/members")
    assert own.status_code == 200 and member.full_name in own.get_data(as_text=True)
    assert client.get(f"/units/{commune.id}/members").status_code == 200
    assert client.get(f"/units/{other.id}/members").status_code == 403


def test_declared_access_is_what_the_matrix_says(app):
    for row in access_matrix(app):
        if row["access"] == PUBLIC:
            assert all(row["admits"].values())
