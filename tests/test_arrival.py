"""Issue 13 item 5 (deadline storm): behind a trusted proxy, an answer is timed when the proxy
received it (X-Request-Start), so queueing in front of busy workers does not make it `time_up`."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion
from quizapp.core.db import utcnow
from tests.test_attempts_api import api, key_of, start  # noqa: F401 (the api fixture)


@pytest.fixture()
def late_attempt(api, make, db):
    """An attempt whose deadline + grace (5 s) passed 3 s ago."""
    for _ in range(2):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 2)])
    api.login(make.user())
    attempt = start(api, rnd)
    now = utcnow()
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt["id"])
                       .values(started_at=now - timedelta(minutes=10), deadline_at=now - timedelta(seconds=8)))
    db.session.commit()
    return attempt


def _save(api, db, attempt, stamp):
    q = attempt["questions"][0]
    question_id = db.session.scalar(sa.select(AttemptQuestion.question_id).where(AttemptQuestion.id == q["id"]))
    headers = {} if stamp is None else {"X-Request-Start": f"t={stamp:.3f}"}
    api.client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
    try:
        return api.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}",
                       {"selected": key_of(db, question_id, attempt["id"]), "seq": 5})
    finally:
        api.client.environ_base.pop("HTTP_X_REQUEST_START", None)


def test_an_answer_the_trusted_proxy_received_in_time_is_saved(api, db, app, monkeypatch, late_attempt):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    received = utcnow().timestamp() - 6  # 2 s before deadline + grace; it queued 6 s behind busy workers
    resp = _save(api, db, late_attempt, received)
    assert resp.status_code == 200 and resp.json["saved"] is True
    submit = api.post(f"/api/v1/attempts/{late_attempt['id']}/submit", {"prediction": "3"})
    assert submit.status_code == 409  # no stamp on this one: it arrived after deadline + grace


def test_without_a_trusted_proxy_the_header_is_ignored(api, db, app, late_attempt):
    assert not app.config["TRUSTED_PROXY_HOPS"]
    resp = _save(api, db, late_attempt, utcnow().timestamp() - 6)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"


def test_a_stamp_older_than_the_allowed_skew_buys_nothing_more(api, db, app, monkeypatch, late_attempt):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", 2)
    resp = _save(api, db, late_attempt, utcnow().timestamp() - 600)  # clamped to 2 s: still too late
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"


def test_a_stamp_in_the_future_is_the_server_clock(app):
    from quizapp.core.arrival import arrival_time

    now = utcnow()
    with app.test_request_context(headers={"X-Request-Start": f"t={now.timestamp() + 3600:.3f}"}):
        app.config["TRUSTED_PROXY_HOPS"] = 1
        try:
            assert arrival_time(now) == now
        finally:
            app.config["TRUSTED_PROXY_HOPS"] = 0


def test_the_sweep_waits_for_answers_the_proxy_received_in_time(api, db, app, monkeypatch, late_attempt):
    """Behind a trusted proxy a submit stamped before deadline + grace may still queue in front of the
    workers; the every-minute sweep must not close the attempt meanwhile (the submit would then be
    refused and its prediction lost). It closes it once the longest queueing allowed has passed."""
    from quizapp.attempts.sweep import finalize_all

    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", 30)
    assert finalize_all() == (0, 0)  # 3 s past deadline + grace: an answer may still be queued
    received = utcnow().timestamp() - 6  # reached the proxy 2 s before deadline + grace
    api.client.environ_base["HTTP_X_REQUEST_START"] = f"t={received:.3f}"
    try:
        resp = api.post(f"/api/v1/attempts/{late_attempt['id']}/submit", {"prediction": "3"})
    finally:
        api.client.environ_base.pop("HTTP_X_REQUEST_START", None)
    assert resp.status_code == 200 and resp.json["result"]["finish_reason"] == "submitted"
    stored = db.session.get(Attempt, late_attempt["id"], populate_existing=True)
    assert stored.prediction is not None


def test_the_sweep_closes_after_grace_plus_the_allowed_queueing(make, db, app, monkeypatch):
    from quizapp.attempts.start import start_attempt
    from quizapp.attempts.sweep import finalize_expired

    for _ in range(2):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 2)])
    attempt = start_attempt(rnd.id, make.user())
    deadline = attempt.deadline_at
    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", 30)
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    assert finalize_expired(deadline + timedelta(seconds=5 + 29)) == 0
    assert finalize_expired(deadline + timedelta(seconds=5 + 31)) == 1
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 0)  # no proxy: nothing can be queued unstamped
    other = start_attempt(rnd.id, make.user())
    assert finalize_expired(other.deadline_at + timedelta(seconds=6)) == 1
