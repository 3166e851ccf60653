"""Issue 11 item 16: oversized forms are refused before they are parsed, deep JSON is a 400."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from quizapp.attempts.models import AttemptQuestion
from tests.test_attempts_api import api  # noqa: F401 (the api fixture)


def test_a_10_mb_urlencoded_form_with_2_5_million_fields_is_refused_unparsed(client, monkeypatch):
    import urllib.parse

    parsed = []
    real = urllib.parse.parse_qsl
    monkeypatch.setattr("quizapp.core.inputs.parse_qsl", lambda *a, **k: parsed.append(1) or real(*a, **k),
                        raising=False)
    body = b"&".join([b"a=b"] * 2_500_000)[: 10 * 1024 * 1024 - 16]  # ~10 MB, ~2.5 M fields
    resp = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413
    assert parsed == []  # refused on its declared size, before any field was decoded


def test_a_small_form_with_too_many_fields_is_refused(client, app):
    body = "&".join(f"f{i}=1" for i in range(app.config["MAX_FORM_PARTS"] + 1))
    resp = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 413


def test_an_ordinary_form_still_works(client):
    resp = client.post("/login", data={"login": "0900000000", "password": "x"})
    assert resp.status_code in (200, 400, 401, 422)  # the form answers (CSRF or wrong password), not 413


def _deep(n: int) -> str:
    return "[" * n + "]" * n


@pytest.mark.parametrize("path", ["/api/v1/login", "save", "submit"])
def test_json_nested_1000_deep_is_400_invalid_json_and_changes_nothing(api, make, db, path):
    rnd = make.round(quotas=[("TC", 0, 2)])
    for _ in range(2):
        make.question()
    user = make.user()
    if path != "/api/v1/login":
        assert api.login(user).status_code == 200
        attempt = api.post(f"/api/v1/rounds/{rnd.id}/attempts").json["attempt"]
        q = attempt["questions"][0]
        path = (f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}" if path == "save"
                else f"/api/v1/attempts/{attempt['id']}/submit")
    before = db.session.execute(sa.select(AttemptQuestion.id, AttemptQuestion.answer_seq)).all()
    body = '{"login": ' + _deep(1000) + ', "selected": ' + _deep(1000) + ', "prediction": ' + _deep(1000) + "}"
    from tests.test_attempts_api import forget_user
    forget_user()
    method = api.client.put if "/answers/" in path else api.client.post
    resp = method(path, data=body, content_type="application/json", headers=api._headers())
    assert resp.status_code == 400, resp.data[:300]
    assert resp.json["error"]["code"] == "invalid_json"
    db.session.expire_all()
    assert db.session.execute(sa.select(AttemptQuestion.id, AttemptQuestion.answer_seq)).all() == before
