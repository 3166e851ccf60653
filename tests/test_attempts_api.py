"""The JSON API (/api/v1): the entrant's whole flow, bad input, and no answer key before submission."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.attempts.option_ids import OptionIds
from quizapp.bank.models import Option
from quizapp.contests.models import ContestStatus, ReviewPolicy
from quizapp.core.db import utcnow
from tests.factories import DEFAULT_PASSWORD

SECRET_EXPLANATION = "GIAI-THICH-BI-MAT"
SECRET_SOURCE = "NGUON-BI-MAT"


def forget_user():
    """The test app context outlives requests, so Flask-Login's per-request cache
    (g._login_user) would leak from one client to another: drop it."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("csrf_token", None)


class Api:
    def __init__(self, client):
        self.client = client
        self.token = None

    def csrf(self):
        self.token = self.client.get("/api/v1/csrf").json["csrf_token"]
        return self.token

    def _headers(self):
        if self.token is None:
            self.csrf()
        return {"X-CSRFToken": self.token, "Accept": "application/json"}

    def login(self, user, password=DEFAULT_PASSWORD):
        return self.post("/api/v1/login", {"login": user.login_name, "password": password})

    def post(self, path, body=None):
        forget_user()
        return self.client.post(path, data=json.dumps(body or {}), content_type="application/json",
                                headers=self._headers())

    def put(self, path, body):
        forget_user()
        return self.client.put(path, data=json.dumps(body), content_type="application/json",
                               headers=self._headers())

    def get(self, path):
        forget_user()
        return self.client.get(path, headers={"Accept": "application/json"})


@pytest.fixture()
def api(client):
    return Api(client)


@pytest.fixture()
def contest_round(make):
    for _ in range(4):
        make.question(explanation=SECRET_EXPLANATION, source=SECRET_SOURCE)
    make.question(multiple=True, correct=[1, 3], explanation=SECRET_EXPLANATION, source=SECRET_SOURCE)
    return make.round(quotas=[("TC", 0, 5)], review_policy=ReviewPolicy.AFTER_ATTEMPT, attempts_allowed=2)


def key_of(db, question_id, attempt_id):
    """The question's key as the attempt shows it (per-attempt option ids)."""
    shown = OptionIds(attempt_id).shown
    return sorted(shown(oid) for oid in db.session.scalars(sa.select(Option.id).where(
        Option.question_id == question_id, Option.is_correct.is_(True))))


def start(api, rnd):
    resp = api.post(f"/api/v1/rounds/{rnd.id}/attempts")
    assert resp.status_code == 201, resp.json
    return resp.json["attempt"]


def test_the_whole_flow_login_start_save_submit_result(api, make, db, contest_round):
    user = make.user()
    assert api.login(user).status_code == 200
    rounds = api.get("/api/v1/rounds").json["rounds"]
    assert [r["id"] for r in rounds] == [contest_round.id] and rounds[0]["can_start"]
    attempt = start(api, contest_round)
    assert len(attempt["questions"]) == 5 and 0 < attempt["remaining_ms"] <= 20 * 60 * 1000
    assert attempt["deadline"].endswith("+00:00")
    q0 = attempt["questions"][0]
    assert {"id", "text", "options", "multiple", "selected", "seq"} <= set(q0)
    aq_question = {aq.id: aq.question_id for aq in db.session.scalars(sa.select(AttemptQuestion))}
    for i, q in enumerate(attempt["questions"]):
        key = key_of(db, aq_question[q["id"]], attempt["id"])
        resp = api.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}", {"selected": key, "seq": 100 + i})
        assert resp.status_code == 200 and resp.json["saved"] is True and resp.json["selected"] == key
        assert resp.json["remaining_ms"] > 0
    # Resuming (reload, other device) shows the saved answers.
    again = start(api, contest_round)
    assert again["id"] == attempt["id"]
    assert all(q["selected"] for q in again["questions"])
    resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "12"})
    assert resp.status_code == 200
    result = resp.json["result"]
    assert result["score"] == 5 and result["max_score"] == 5 and result["finish_reason"] == "submitted"
    assert result["review_available"] and result["review"][0]["explanation"] == SECRET_EXPLANATION
    assert api.get(f"/api/v1/attempts/{attempt['id']}/result").json["result"]["score"] == 5


def test_a_stale_save_returns_200_with_the_stored_answer(api, make, db, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    q = attempt["questions"][0]
    a, b = q["options"][0]["id"], q["options"][1]["id"]
    url = f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}"
    assert api.put(url, {"selected": [b], "seq": 50}).json["saved"] is True
    resp = api.put(url, {"selected": [a], "seq": 49})
    assert resp.status_code == 200 and resp.json == {**resp.json, "saved": False, "selected": [b], "seq": 50}


def test_submitting_twice_from_two_tabs_records_one_submission(api, make, db, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    first = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": 3}).json["result"]
    second = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": 99}).json["result"]
    assert first == second and first["prediction"] == "3.000000"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def _walk_unfinished(api, attempt, client):
    """Every page and JSON response an entrant can get for an unfinished attempt."""
    aid = attempt["id"]
    q = attempt["questions"][0]
    yield client.get(f"/attempts/{aid}").get_data(as_text=True)
    yield client.get(f"/rounds/{attempt['round_id']}/start").get_data(as_text=True)
    yield client.get("/my/rounds").get_data(as_text=True)
    yield api.get(f"/api/v1/attempts/{aid}").get_data(as_text=True)
    yield api.get(f"/api/v1/attempts/{aid}/result").get_data(as_text=True)
    yield api.get("/api/v1/rounds").get_data(as_text=True)
    yield api.post(f"/api/v1/rounds/{attempt['round_id']}/attempts").get_data(as_text=True)
    yield api.put(f"/api/v1/attempts/{aid}/answers/{q['id']}",
                  {"selected": [q["options"][0]["id"]], "seq": 7}).get_data(as_text=True)
    yield api.put(f"/api/v1/attempts/{aid}/answers/{q['id']}",
                  {"selected": [q["options"][1]["id"]], "seq": 3}).get_data(as_text=True)  # stale
    yield api.post(f"/api/v1/attempts/{aid}/submit", {"prediction": "-1"}).get_data(as_text=True)  # refused


def test_the_answer_key_never_reaches_the_browser_before_submission(api, client, make, db, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    aq_question = {aq.id: aq.question_id for aq in db.session.scalars(sa.select(AttemptQuestion))}
    for body in _walk_unfinished(api, attempt, client):
        assert SECRET_EXPLANATION not in body and SECRET_SOURCE not in body
        assert "is_correct" not in body and '"correct"' not in body and "opt-correct" not in body
    # In the quiz page the right options are marked up exactly like the wrong ones.
    html = client.get(f"/attempts/{attempt['id']}").get_data(as_text=True)
    for q in attempt["questions"]:
        key = key_of(db, aq_question[q["id"]], attempt["id"])
        shapes = set()
        for opt in q["options"]:
            start_at = html.index(f'name="q{q["id"]}" value="{opt["id"]}"')
            line = html[html.rindex("<label", 0, start_at): html.index("</label>", start_at)]
            shapes.add((opt["id"] in key, line.replace(opt["text"], "TEXT").replace(f'value="{opt["id"]}"', "ID").replace(" checked", "")
                        .replace(" checked", "")))
        assert len({shape for _is_key, shape in shapes}) == 1
    assert db.session.get(Attempt, attempt["id"]).status == AttemptStatus.IN_PROGRESS


def test_every_post_needs_the_csrf_header(api, make, contest_round):
    api.login(make.user())
    resp = api.client.post(f"/api/v1/rounds/{contest_round.id}/attempts", json={})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "csrf_failed"
    assert api.client.get("/api/v1/rounds").status_code == 200


def test_the_api_needs_a_login(api, contest_round):
    resp = api.post(f"/api/v1/rounds/{contest_round.id}/attempts")
    assert resp.status_code == 401 and resp.json["error"]["message"]


def test_login_failures_are_rate_limited(api, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per minute")
    user = make.user()
    codes = [api.login(user, "wrong-password").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert api.login(user, "wrong-password").json["error"]["message"]


# --- bad input: each a clear 4xx that changes nothing -------------------------------------

def _stored(db):
    db.session.expire_all()
    return [(aq.selected, aq.answer_seq) for aq in db.session.scalars(sa.select(AttemptQuestion).order_by(AttemptQuestion.id))]


def test_bad_answers_are_refused_with_4xx_and_change_nothing(api, make, db, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    qs = attempt["questions"]
    single = next(q for q in qs if not q["multiple"])
    url = f"/api/v1/attempts/{attempt['id']}/answers/"
    before = _stored(db)
    first = url + str(qs[0]["id"])
    option = qs[0]["options"][0]["id"]
    cases = [
        (url + "999999", {"selected": [option], "seq": 5}, 404, "question_not_in_attempt", None),
        (first, {"selected": [qs[1]["options"][0]["id"]], "seq": 5}, 400, "option_not_in_question", "selected"),
        (url + str(single["id"]), {"selected": [o["id"] for o in single["options"][:2]], "seq": 5}, 400, "single_choice",
         "selected"),
        (first, {"selected": [option]}, 400, "seq_invalid", "seq"),
        (first, {"selected": [option], "seq": 0}, 400, "seq_invalid", "seq"),
        (first, {"selected": [option], "seq": True}, 400, "seq_invalid", "seq"),
        (first, {"selected": [option], "seq": "5"}, 400, "seq_invalid", "seq"),
        (first, {"selected": [option], "seq": 2**63}, 400, "seq_invalid", "seq"),
        (first, {"selected": "x", "seq": 5}, 400, "selected_invalid", "selected"),
        (first, {"selected": [True], "seq": 5}, 400, "selected_invalid", "selected"),
        (first, {"selected": ["1a"], "seq": 5}, 400, "selected_invalid", "selected"),
        (first, {"selected": [option] * 51, "seq": 5}, 400, "selected_invalid", "selected"),
    ]
    for path, body, status, code, field in cases:
        resp = api.put(path, body)
        assert (resp.status_code, resp.json["error"]["code"]) == (status, code), (path, body)
        assert resp.json["error"]["message"]
        # docs/api.md: a refusal names the field at fault, so a client can show the message beside it
        assert resp.json["error"].get("field") == field, (body, resp.json["error"])
    resp = api.client.put(url + str(qs[0]["id"]), data="not json", content_type="application/json",
                          headers={"X-CSRFToken": api.token})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "body_invalid"
    assert _stored(db) == before


def test_someone_elses_attempt_is_404(api, client, make, db, contest_round, app):
    api.login(make.user())
    attempt = start(api, contest_round)
    q = attempt["questions"][0]
    other = Api(app.test_client())
    other.login(make.user())
    before = _stored(db)
    aid = attempt["id"]
    assert other.get(f"/api/v1/attempts/{aid}").status_code == 404
    assert other.get(f"/api/v1/attempts/{aid}/result").status_code == 404
    resp = other.put(f"/api/v1/attempts/{aid}/answers/{q['id']}", {"selected": [q["options"][0]["id"]], "seq": 9})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "attempt_not_found"
    assert other.post(f"/api/v1/attempts/{aid}/submit", {"prediction": 1}).status_code == 404
    forget_user()
    assert other.client.get(f"/attempts/{aid}").status_code == 404
    assert _stored(db) == before
    assert db.session.get(Attempt, aid).status == AttemptStatus.IN_PROGRESS


@pytest.mark.parametrize("case,status,code", [
    ("closed", 409, "round_closed"), ("unpublished", 404, "round_not_found"), ("missing", 404, "round_not_found"),
])
def test_closed_or_unpublished_rounds_cannot_be_started(api, make, db, case, status, code):
    make.question(), make.question()
    now = utcnow()
    kw = {"closed": dict(opens_at=now - timedelta(days=3), closes_at=now - timedelta(hours=1)),
          "unpublished": dict(contest_status=ContestStatus.DRAFT), "missing": {}}[case]
    rnd = make.round(quotas=[("TC", 0, 2)], **kw)
    api.login(make.user())
    resp = api.post(f"/api/v1/rounds/{rnd.id + (1000 if case == 'missing' else 0)}/attempts")
    assert (resp.status_code, resp.json["error"]["code"]) == (status, code)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_the_attempt_limit_is_refused_clearly(api, make, db, contest_round):
    api.login(make.user())
    for _ in range(2):
        a = start(api, contest_round)
        api.post(f"/api/v1/attempts/{a['id']}/submit", {"prediction": 1})
    resp = api.post(f"/api/v1/rounds/{contest_round.id}/attempts")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "attempt_limit"
    assert "hết số lượt" in resp.json["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 2


def test_client_sent_times_are_ignored(api, make, db, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    aid = attempt["id"]
    stored = db.session.get(Attempt, aid)
    deadline = stored.deadline_at
    # Time has run out on the server.
    stored.deadline_at = utcnow() - timedelta(minutes=1)
    stored.started_at = stored.deadline_at - timedelta(minutes=20)
    db.session.commit()
    q = attempt["questions"][0]
    far = (utcnow() + timedelta(days=1)).isoformat()
    resp = api.put(f"/api/v1/attempts/{aid}/answers/{q['id']}",
                   {"selected": [q["options"][0]["id"]], "seq": 5, "deadline": far, "now": far,
                    "remaining_ms": 10**9})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"
    db.session.expire_all()
    a = db.session.get(Attempt, aid)
    assert a.deadline_at != deadline and a.deadline_at < utcnow()
    assert all(aq.selected is None for aq in a.questions)
    # The refused save still closed the expired attempt, graded on what was saved.
    assert a.status == AttemptStatus.SUBMITTED and a.finish_reason == FinishReason.FINALIZED
    assert a.duration_ms == 20 * 60 * 1000


def test_a_deadline_sent_at_start_or_submit_changes_nothing(api, make, db, contest_round):
    api.login(make.user())
    far = (utcnow() + timedelta(days=30)).isoformat()
    resp = api.post(f"/api/v1/rounds/{contest_round.id}/attempts", {"deadline": far, "now": far})
    deadline = db.session.get(Attempt, resp.json["attempt"]["id"]).deadline_at
    assert deadline < utcnow() + timedelta(minutes=21)
    aid = resp.json["attempt"]["id"]
    result = api.post(f"/api/v1/attempts/{aid}/submit",
                      {"prediction": 2, "submitted_at": far, "duration_ms": 10**9, "now": far}).json["result"]
    assert 0 <= result["duration_ms"] < 60_000  # the server's own clock, not the 10**9 sent
    assert result["submitted_at"] < far


@pytest.mark.parametrize("body,code", [
    ({}, "prediction_missing"), ({"prediction": -5}, "prediction_negative"), ({"prediction": "mười"}, "prediction_invalid"),
    ({"prediction": "NaN"}, "prediction_invalid"), ({"prediction": "Infinity"}, "prediction_invalid"),
    ({"prediction": "1e30"}, "prediction_invalid"), ({"prediction": 10**12}, "prediction_too_large"),
    ({"prediction": [1]}, "prediction_invalid"),
])
def test_missing_or_absurd_predictions_are_refused(api, make, db, contest_round, body, code):
    api.login(make.user())
    attempt = start(api, contest_round)
    resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", body)
    assert resp.status_code == 400 and resp.json["error"]["code"] == code
    assert resp.json["error"]["field"] == "prediction"
    assert db.session.get(Attempt, attempt["id"]).status == AttemptStatus.IN_PROGRESS


def test_result_of_an_unfinished_attempt_is_409(api, make, contest_round):
    api.login(make.user())
    attempt = start(api, contest_round)
    resp = api.get(f"/api/v1/attempts/{attempt['id']}/result")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "attempt_in_progress"


def test_a_deactivated_account_cannot_save_with_its_live_session(api, make, db, contest_round):
    """Saving skips loading the user (hot path); its UPDATE still checks the account is active."""
    from quizapp.auth.models import User

    user = make.user()
    api.login(user)
    attempt = start(api, contest_round)
    q = attempt["questions"][0]
    url = f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}"
    assert api.put(url, {"selected": [q["options"][0]["id"]], "seq": 1}).status_code == 200
    db.session.get(User, user.id).is_active_account = False
    db.session.commit()
    resp = api.put(url, {"selected": [q["options"][1]["id"]], "seq": 2})
    assert resp.status_code == 404
    db.session.expire_all()
    stored = db.session.get(AttemptQuestion, q["id"])
    assert stored.selected == [OptionIds(attempt["id"]).real(q["options"][0]["id"])] and stored.answer_seq == 1


def test_saving_without_a_session_is_401(api, make, contest_round):
    resp = api.put("/api/v1/attempts/1/answers/1", {"selected": [], "seq": 1})
    assert resp.status_code == 401 and resp.json["error"]["code"]
