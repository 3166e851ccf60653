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


# --- issue 20 item 3: a client's own X-Request-Start ------------------------------------------------

SECRET = "proxy-secret-for-tests-0123456789"


def _stamp_within(raw: str, seconds: float = 2.0):
    """_stamp(raw), or AssertionError if it does not return within ``seconds`` (t=inf hung the worker)."""
    import threading

    from quizapp.core.arrival import _stamp

    out = []
    thread = threading.Thread(target=lambda: out.append(_stamp(raw)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"_stamp({raw[:20]!r}) did not return"
    return out[0]


def test_the_stamp_is_read_in_seconds_milliseconds_and_microseconds():
    assert _stamp_within("t=1733320000.123") == pytest.approx(1733320000.123)
    assert _stamp_within("t=1733320000123") == pytest.approx(1733320000.123)
    assert _stamp_within("t=1733320000123456") == pytest.approx(1733320000.123456)
    assert _stamp_within("1733320000.5") == pytest.approx(1733320000.5)


@pytest.mark.parametrize("raw", ["t=inf", "t=-inf", "t=1e400", "t=nan", "t=0", "t=-1733320000", "t=1",
                                 "t=5e10", "t=1e30", "t=" + "9" * 100_000, "t=abc", "t=", "  "])
def test_non_finite_and_out_of_range_stamps_are_refused_at_once(raw):
    assert _stamp_within(raw) is None


def test_without_the_proxy_secret_the_stamp_buys_nothing(api, db, app, monkeypatch, late_attempt):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setitem(app.config, "PROXY_SECRET", SECRET)
    received = utcnow().timestamp() - 6
    resp = _save(api, db, late_attempt, received)  # a client reaching the app with its own stamp
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"


def test_with_the_proxy_secret_the_stamp_is_believed(api, db, app, monkeypatch, late_attempt):
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    monkeypatch.setitem(app.config, "PROXY_SECRET", SECRET)
    api.client.environ_base["HTTP_X_PROXY_SECRET"] = SECRET
    try:
        resp = _save(api, db, late_attempt, utcnow().timestamp() - 6)
    finally:
        api.client.environ_base.pop("HTTP_X_PROXY_SECRET", None)
    assert resp.status_code == 200 and resp.json["saved"] is True


def test_an_early_stamp_never_shortens_the_recorded_duration(api, make, db, app, monkeypatch):
    """The paper submitted 8 s after its start was recorded with duration_ms 0 (it wins the time
    tie-break): the stamp decides only whether it arrived in time."""
    for _ in range(2):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 2)])
    api.login(make.user())
    attempt = start(api, rnd)
    db.session.execute(sa.update(Attempt).where(Attempt.id == attempt["id"])
                       .values(started_at=utcnow() - timedelta(seconds=8)))
    db.session.commit()
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    api.client.environ_base["HTTP_X_REQUEST_START"] = f"t={utcnow().timestamp() - 60:.3f}"
    try:
        resp = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {"prediction": "3"})
    finally:
        api.client.environ_base.pop("HTTP_X_REQUEST_START", None)
    assert resp.status_code == 200
    assert db.session.get(Attempt, attempt["id"], populate_existing=True).duration_ms >= 8000


def _echo(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ.get('REMOTE_ADDR')}|{environ.get('HTTP_X_REQUEST_START')}|"
            f"{environ.get('HTTP_X_PROXY_SECRET')}".encode()]


def test_forwarded_headers_without_the_secret_are_dropped_before_proxyfix():
    from types import SimpleNamespace

    from werkzeug.test import Client

    from quizapp.core import proxy

    fake = SimpleNamespace(config={"TRUSTED_PROXY_HOPS": 1, "PROXY_SECRET": SECRET}, wsgi_app=_echo)
    proxy.wrap(fake)
    client = Client(fake.wsgi_app)
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Request-Start": "t=1733320000"}
    body = client.get("/", headers=forged, environ_base={"REMOTE_ADDR": "198.51.100.7"}).get_data(as_text=True)
    assert body == "198.51.100.7|None|None"
    body = client.get("/", headers=forged | {"X-Proxy-Secret": SECRET},
                      environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data(as_text=True)
    assert body == "203.0.113.9|t=1733320000|None"  # believed; the secret itself never reaches the app


def test_production_behind_a_proxy_refuses_to_start_without_a_proxy_secret(monkeypatch):
    from quizapp import create_app

    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "1")
    monkeypatch.delenv("PROXY_SECRET", raising=False)
    with pytest.raises(RuntimeError, match="PROXY_SECRET"):
        create_app("production")


def test_gunicorn_listens_on_loopback_by_default(monkeypatch):
    import runpy
    from pathlib import Path

    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    conf = runpy.run_path(str(Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"))
    assert conf["bind"] == "127.0.0.1:8000"


# --- issue 20 item 17: the stamp's forms and limits, pinned for mutation testing (docs/testing.md) ------------

NOW_S = 1733320000.5  # 2024-12-04 13:46:40.5 UTC


def _utc(seconds: float):
    from datetime import datetime, timezone

    return datetime.fromtimestamp(seconds, timezone.utc)


def _arrival(app, monkeypatch, headers, now_s=NOW_S, hops=1, skew=90, secret=None):
    """arrival_time() of a request carrying ``headers`` when the server's clock says ``now_s``."""
    from quizapp.core.arrival import arrival_time

    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", hops)
    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", skew)
    monkeypatch.setitem(app.config, "PROXY_SECRET", secret)
    with app.test_request_context(headers=headers):
        return arrival_time(_utc(now_s))


@pytest.mark.parametrize("raw", ["t=1733319997.25", "t=1733319997250", "t=1733319997250000", "1733319997.25",
                                 "1733319997250", " t=1733319997.25 "])
def test_each_documented_form_gives_the_same_arrival(app, monkeypatch, raw):
    """nginx's ${msec} (seconds with decimals), milliseconds and microseconds, with or without ``t=``."""
    arrived = _arrival(app, monkeypatch, {"X-Request-Start": raw})
    assert arrived == _utc(1733319997.25)
    assert (_utc(NOW_S) - arrived).total_seconds() == pytest.approx(3.25, abs=1e-6)


def test_whole_seconds_are_read_as_seconds_not_as_milliseconds():
    assert _stamp_within("t=1733320000") == 1733320000.0
    assert _stamp_within("t=1733320000000") == 1733320000.0
    assert _stamp_within("t=1733320000000000") == 1733320000.0


@pytest.mark.parametrize("raw,seconds", [
    ("t=1000000000", 1e9), ("t=9999999999.999", 9999999999.999),  # 2001-09-09 .. 2286-11-20 in seconds
    ("t=1000000000000", 1e9), ("t=9999999999999", 9999999999.999),  # the same in milliseconds
    ("t=1000000000000000", 1e9), ("t=9999999999999990", 9999999999.99999),  # and in microseconds
])
def test_the_accepted_range_is_2001_to_2286_in_each_unit(raw, seconds):
    assert _stamp_within(raw) == pytest.approx(seconds, abs=1e-6)


@pytest.mark.parametrize("raw", ["t=999999999.999", "t=10000000000", "t=999999999999", "t=10000000000000000",
                                 "t=1e20", "x=1733320000", "t= ", "t=0x67505f40", None, ""])
def test_stamps_outside_every_unit_or_of_another_form_are_refused(raw):
    from quizapp.core.arrival import _stamp

    assert _stamp(raw) is None


def test_a_stamp_within_the_allowed_skew_is_the_arrival_to_the_microsecond(app, monkeypatch):
    assert _arrival(app, monkeypatch, {"X-Request-Start": "t=1733319930.500001"}) == _utc(1733319930.500001)


def test_an_older_stamp_is_clamped_to_exactly_the_allowed_skew(app, monkeypatch):
    old = {"X-Request-Start": "t=1733319000.5"}
    assert _arrival(app, monkeypatch, old) == _utc(NOW_S - 90)
    assert _arrival(app, monkeypatch, old, skew=2.5) == _utc(NOW_S - 2.5)
    assert _arrival(app, monkeypatch, {"X-Request-Start": f"t={NOW_S - 2.5}"}, skew=2.5) == _utc(NOW_S - 2.5)


def test_a_later_stamp_is_the_server_clock(app, monkeypatch):
    assert _arrival(app, monkeypatch, {"X-Request-Start": f"t={NOW_S + 0.001:.3f}"}) == _utc(NOW_S)


def test_a_refused_stamp_is_the_server_clock(app, monkeypatch):
    for raw in ("t=inf", "t=nan", "t=1e400", "t=abc", "t=17333199"):
        assert _arrival(app, monkeypatch, {"X-Request-Start": raw}) == _utc(NOW_S)
    assert _arrival(app, monkeypatch, {}) == _utc(NOW_S)


def test_the_stamp_is_believed_only_from_a_trusted_proxy_that_sent_the_secret(app, monkeypatch):
    stamp = {"X-Request-Start": "t=1733319990.5"}
    assert _arrival(app, monkeypatch, stamp, hops=0) == _utc(NOW_S)  # no trusted proxy
    assert _arrival(app, monkeypatch, stamp, secret=SECRET) == _utc(NOW_S)  # no secret sent
    assert _arrival(app, monkeypatch, stamp | {"X-Proxy-Secret": SECRET[:-1] + "x"}, secret=SECRET) == _utc(NOW_S)
    assert _arrival(app, monkeypatch, stamp | {"X-Proxy-Secret": SECRET}, secret=SECRET) == _utc(NOW_S - 10)
    assert _arrival(app, monkeypatch, stamp) == _utc(NOW_S - 10)  # development: a trusted proxy, no secret set


def test_without_now_the_arrival_is_measured_on_the_current_clock(app, monkeypatch):
    from quizapp.core.arrival import arrival_time

    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 0)
    with app.test_request_context(headers={"X-Request-Start": "t=1733319990.5"}):
        before = utcnow()
        arrived = arrival_time()
        assert before <= arrived <= utcnow()


def test_the_sweep_allowance_is_the_skew_behind_a_trusted_proxy_and_nothing_without_one(app, monkeypatch):
    from quizapp.core.arrival import queue_allowance

    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", 42.5)
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 0)
    with app.app_context():
        assert queue_allowance() == timedelta(0)
        monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
        assert queue_allowance() == timedelta(seconds=42.5)
        monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 2)
        assert queue_allowance() == timedelta(seconds=42.5)
