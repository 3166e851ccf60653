"""Issue 11 item 21: what a client writer was missing in /api/v1 (docs/api.md)."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.contests.models import PredictionMode, ResultsVisibility, Round
from quizapp.core.db import utcnow
from tests.test_attempts_api import Api, key_of, start, api  # noqa: F401 (the api fixture)


@pytest.fixture()
def rnd(make):
    for _ in range(3):
        make.question()
    return make.round(quotas=[("TC", 0, 3)], attempts_allowed=2)


def _answer_all(api, db, attempt):
    shown = {aq.id: aq.question_id for aq in db.session.scalars(sa.select(AttemptQuestion))}
    for i, q in enumerate(attempt["questions"]):
        resp = api.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}",
                       {"selected": key_of(db, shown[q["id"]], attempt["id"]), "seq": 10 + i})
        assert resp.status_code == 200


def test_the_result_has_started_at_deadline_and_ones_place(api, app, make, db, rnd):
    rnd.prediction_mode = PredictionMode.OFF  # places are live only without a prediction (issue 20, item 4)
    db.session.commit()
    other = make.user()
    api.login(other)
    first = start(api, rnd)
    _answer_all(api, db, first)
    assert api.post(f"/api/v1/attempts/{first['id']}/submit", {"prediction": "2"}).status_code == 200
    api = Api(app.test_client())  # another entrant, on another device
    api.login(make.user())
    attempt = start(api, rnd)  # nothing answered: ranks below the other entrant
    submitted = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "2"}).json["result"]
    assert submitted["started_at"] == attempt["started_at"] and submitted["deadline"] == attempt["deadline"]
    result = api.get(f"/api/v1/attempts/{attempt['id']}/result").json["result"]
    assert result["started_at"] == attempt["started_at"] and result["deadline"] == attempt["deadline"]
    assert result["place"]["rank"] == 2 and result["place"]["entrants"] == 2 and result["place"]["final"] is False


def test_no_place_when_the_contest_shows_results_to_organisers_only(api, make, db, rnd):
    rnd.contest.results_visibility = ResultsVisibility.ORGANISERS
    db.session.commit()
    api.login(make.user())
    attempt = start(api, rnd)
    api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "1"})
    assert api.get(f"/api/v1/attempts/{attempt['id']}/result").json["result"]["place"] is None


def test_my_attempts_lists_every_round_past_ones_included(api, make, db, rnd):
    user = make.user()
    api.login(user)
    old = start(api, rnd)
    api.post(f"/api/v1/attempts/{old['id']}/submit", {"prediction": "1"})
    # The round closes: GET /rounds no longer lists it, "my attempts" still does.
    now = utcnow()
    db.session.execute(sa.update(Round).where(Round.id == rnd.id)
                       .values(opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=2)))
    db.session.commit()
    current = make.round(quotas=[("TC", 0, 3)])
    fresh = start(api, current)
    assert [r["id"] for r in api.get("/api/v1/rounds").json["rounds"]] == [current.id]
    mine = api.get("/api/v1/attempts").json["attempts"]
    assert [a["id"] for a in mine] == [fresh["id"], old["id"]]
    assert mine[1]["round"]["id"] == rnd.id and mine[1]["status"] == "submitted" and mine[1]["counted"] is True
    assert mine[0]["status"] == "in_progress" and mine[0]["deadline"] == fresh["deadline"]


def _expire(db, attempt_id):
    now = utcnow()
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id)
                       .values(started_at=now - timedelta(minutes=40), deadline_at=now - timedelta(minutes=20)))
    db.session.commit()


def test_a_submit_after_deadline_and_grace_is_409_time_up_like_a_save(api, make, db, rnd):
    api.login(make.user())
    attempt = start(api, rnd)
    _expire(db, attempt["id"])
    q = attempt["questions"][0]
    save = api.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}", {"selected": [], "seq": 99})
    assert save.status_code == 409 and save.json["error"]["code"] == "time_up"
    for _ in range(2):  # and again: the attempt the server closed stays refused, never a 200
        resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "5"})
        assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"
    db.session.expire_all()
    closed = db.session.get(Attempt, attempt["id"])
    assert closed.status == AttemptStatus.SUBMITTED and closed.finish_reason == FinishReason.FINALIZED
    assert closed.prediction is None
    result = api.get(f"/api/v1/attempts/{attempt['id']}/result").json["result"]
    assert result["finish_reason"] == "finalized" and result["prediction"] is None


def test_a_late_submit_of_an_open_attempt_is_409_and_closes_it(api, make, db, rnd):
    api.login(make.user())
    attempt = start(api, rnd)
    _expire(db, attempt["id"])
    resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "5"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"
    db.session.expire_all()
    assert db.session.get(Attempt, attempt["id"]).finish_reason == FinishReason.FINALIZED


@pytest.mark.parametrize("raw,stored", [("1.000.000", Decimal(1_000_000)), ("12.345", Decimal(12_345)),
                                        ("1 500", Decimal(1500)), ("42", Decimal(42))])
def test_vietnamese_thousands_grouping_is_accepted(api, make, db, rnd, raw, stored):
    api.login(make.user())
    attempt = start(api, rnd)
    resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": raw})
    assert resp.status_code == 200, resp.json
    assert db.session.scalar(sa.select(Attempt.prediction).where(Attempt.id == attempt["id"])) == stored


@pytest.mark.parametrize("raw", ["1e3", "1E3", "2e0", "1.000.00"])
def test_exponents_and_broken_grouping_are_refused(api, make, db, rnd, raw):
    api.login(make.user())
    attempt = start(api, rnd)
    resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": raw})
    assert resp.status_code == 400 and resp.json["error"]["code"] in ("prediction_invalid", "prediction_not_integer")
    assert db.session.get(Attempt, attempt["id"]).status == AttemptStatus.IN_PROGRESS


def test_the_api_and_the_page_list_my_attempts_from_one_service_in_one_order(api, make, db):
    """Issue 19 item 4: GET /api/v1/attempts and the page "Bài thi của tôi" are the same list
    (``attempts.history.my_attempts``): newest submission first.  The API used to keep its own
    query ordered by start, so an attempt started earlier but submitted later came second."""
    for _ in range(3):
        make.question()
    user = make.user()
    now = utcnow()
    from quizapp.contests.models import PredictionMode

    # Rounds without a prediction publish their ranking while open (issue 20 item 4), so a place shows.
    first = make.round(quotas=[("TC", 0, 3)], title="Vòng chậm", prediction_mode=PredictionMode.OFF)
    second = make.round(quotas=[("TC", 0, 3)], title="Vòng nhanh", prediction_mode=PredictionMode.OFF)
    slow = make.submission(first, user, 1, None, start=now - timedelta(minutes=50), seconds=10 * 60)  # at -40 min
    quick = make.submission(second, user, 1, None, start=now - timedelta(minutes=45), seconds=60)  # at -44 min
    api.login(user)
    mine = api.get("/api/v1/attempts").json["attempts"]
    page = api.client.get("/my/attempts").get_data(as_text=True)
    assert [a["id"] for a in mine] == [slow.id, quick.id]
    assert page.index("Vòng chậm") < page.index("Vòng nhanh")
    assert [a["counted"] for a in mine] == [True, True]
    # Issue 21 item 3: with the place the page shows (each alone in its round: first of one).
    assert [(a["place"]["rank"], a["place"]["entrants"]) for a in mine] == [(1, 1), (1, 1)]
