"""The live contest's pages and JSON endpoints, and its abuse cases (docs/security.md, "Live contest"):
a prize-hunter team pressing twice / answering after the close / forging another team's cookie, an
impostor joining as a team, audience ballot stuffing, a curious audience reading the key before the
reveal; and role checks on the organiser's and the judges' pages."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from quizapp.core.audit import AuditEntry
from quizapp.auth.models import Role
from quizapp.core.db import utcnow
from quizapp.live import joining, play, state
from quizapp.live.models import LiveAnswer, LiveItem
from tests.conftest import csrf_token
from tests.live_support import (CSRF_META, audience_question, build_event, fresh_token_cache, right_option,
                                wrong_option)



@pytest.fixture()
def world(db, make):
    return build_event(db, make)



def _join(client, team):
    fresh_token_cache()
    token = csrf_token(client, "/live/team")
    resp = client.post("/live/team", data={"code": team.join_code.lower(), "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    page = client.get(resp.headers["Location"])
    assert page.status_code == 200
    return CSRF_META.search(page.get_data(as_text=True)).group(1)


def _post(client, url, body, token):
    return client.post(url, data=json.dumps(body), headers={"X-CSRFToken": token, "Accept": "application/json",
                                                            "Content-Type": "application/json"})


def _open_first(db, w):
    play.next_step(w.event, utcnow(), w.organiser.id)
    play.next_step(w.event, utcnow(), w.organiser.id)
    db.session.commit()
    return play._item(w.event)


def _stream_state(client, code) -> dict:
    body = client.get(f"/live/stream/{code}").get_data(as_text=True)
    data = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    return json.loads(data[-1])["state"]


def test_team_device_answers_once_and_sees_it_recorded(app, db, world):
    client = app.test_client()
    token = _join(client, world.teams[0])
    item = _open_first(db, world)
    url = f"/live/events/{world.event.id}/device/answer"
    body = {"item_id": item.id, "option_id": right_option(item), "client_id": "dev-abc-1"}
    first = _post(client, url, body, token)
    again = _post(client, url, body, token)  # the phone resends (a lost response)
    assert first.status_code == 200 and first.json["recorded"] is True
    assert again.status_code == 200 and again.json["recorded"] is False
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 1
    state = _stream_state(client, world.event.audience_code)
    assert world.teams[0].id in state["item"]["answered"]


def test_prize_hunter_pressing_twice_keeps_the_first_answer(app, db, world):
    client = app.test_client()
    token = _join(client, world.teams[0])
    item = _open_first(db, world)
    url = f"/live/events/{world.event.id}/device/answer"
    _post(client, url, {"item_id": item.id, "option_id": wrong_option(item), "client_id": "p1"}, token)
    second = _post(client, url, {"item_id": item.id, "option_id": right_option(item), "client_id": "p2"}, token)
    assert second.status_code == 409 and second.json["error"]["code"] == "already_answered"
    fresh_token_cache()
    other_device = app.test_client()  # a second phone of the same team
    token2 = _join(other_device, world.teams[0])
    third = _post(other_device, url, {"item_id": item.id, "option_id": right_option(item), "client_id": "p3"}, token2)
    assert third.status_code == 409
    answers = list(db.session.scalars(sa.select(LiveAnswer)))
    assert [(a.option_id, a.client_id) for a in answers] == [(wrong_option(item), "p1")]


def test_prize_hunter_answering_after_the_close_is_refused(app, db, world):
    client = app.test_client()
    token = _join(client, world.teams[0])
    item = _open_first(db, world)
    item.opened_at -= timedelta(seconds=30)
    item.closes_at -= timedelta(seconds=30)  # the question closed 10 s ago by the server's clock
    db.session.commit()
    resp = _post(client, f"/live/events/{world.event.id}/device/answer",
                 {"item_id": item.id, "option_id": right_option(item), "client_id": "late1"}, token)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "time_up"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 0


def test_forged_team_cookie_is_refused(app, db, world):
    client = app.test_client()
    token = _join(client, world.teams[0])
    item = _open_first(db, world)
    a, b = world.teams[0], world.teams[1]
    # Another team's id in a cookie signed with a guessed key, and a cookie edited by hand.
    forged = URLSafeSerializer("guess", salt=joining.TEAM_SALT).dumps({"e": world.event.id, "t": b.id, "g": 1, "d": "x"})
    name = joining.team_cookie_name(world.event.id)
    for value in (forged, "eyJlIjoxLCJ0IjoyfQ.tampered"):
        client.set_cookie(name, value, path="/live/")
        resp = _post(client, f"/live/events/{world.event.id}/device/answer",
                     {"item_id": item.id, "option_id": right_option(item), "client_id": "f1"}, token)
        assert resp.status_code == 403
    # A real cookie of event A does not answer for event B's team with the same id.
    with app.test_request_context():
        assert joining.team_device(world.event.id + 1, joining.join_team(a.join_code)[1]) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 0


def test_impostor_needs_the_code_and_a_new_code_signs_out_old_devices(app, db, world):
    impostor = app.test_client()
    token = csrf_token(impostor, "/live/team")
    resp = impostor.post("/live/team", data={"code": "ZZZZZZ", "csrf_token": token})
    assert resp.status_code == 422 and "không hợp lệ" in resp.get_data(as_text=True)
    client = app.test_client()
    _join(client, world.teams[0])
    from quizapp.live import builder

    builder.new_team_code(world.teams[0], world.organiser.id)
    db.session.commit()
    page = client.get(f"/live/events/{world.event.id}/device")
    assert page.status_code == 302 and page.headers["Location"].endswith("/live/team")


def test_team_code_guessing_is_rate_limited(app, world):
    app.config["LIVE_JOIN_RATE_LIMIT"] = "5 per minute"
    client = app.test_client()
    token = csrf_token(client, "/live/team")
    statuses = [client.post("/live/team", data={"code": f"AAAA{n:02d}", "csrf_token": token}).status_code
                for n in range(7)]
    assert statuses[:5] == [422] * 5 and statuses[-1] == 429



def test_audience_ballot_stuffing_counts_one_vote_per_device(app, db, world):
    item = audience_question(db, world)
    fresh_token_cache()
    phone = app.test_client()
    page = phone.get(f"/live/a/{world.event.audience_code.lower()}")
    assert page.status_code == 200
    token = CSRF_META.search(page.get_data(as_text=True)).group(1)
    url = f"/live/a/{world.event.audience_code}/vote"
    ok = _post(phone, url, {"item_id": item.id, "option_id": right_option(item), "client_id": "v1"}, token)
    assert ok.status_code == 200
    stuffed = [_post(phone, url, {"item_id": item.id, "option_id": right_option(item), "client_id": f"v{n}"}, token)
               .status_code for n in range(2, 6)]
    assert set(stuffed) == {409}
    fresh_token_cache()
    bare = app.test_client()  # no device cookie: no vote
    token2 = csrf_token(bare, "/live/a")
    assert _post(bare, url, {"item_id": item.id, "option_id": right_option(item), "client_id": "b1"},
                 token2).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 1


def test_new_audience_phones_are_limited_per_address_and_a_forged_cookie_name_does_not_escape(
        app, db, world, monkeypatch):
    """Each new join is a new device and a new ticket: a script that sends a junk cookie named like the
    event's audience cookie is still a new join, counted against its address; a phone coming back with its
    signed cookie is not."""
    from quizapp.live.models import LiveAudienceTicket

    monkeypatch.setitem(app.config, "LIVE_AUDIENCE_JOIN_RATE_LIMIT", "3 per minute")
    url = f"/live/a/{world.event.audience_code}"
    phone = app.test_client()
    assert phone.get(url).status_code == 200  # a real phone: one join, then it holds its cookie
    script = app.test_client()
    script.set_cookie(f"live_a{world.event.id}", "forged")
    codes = [script.get(url).status_code for _ in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429
    assert phone.get(url).status_code == 200  # coming back with its signed cookie: not a new join
    db.session.expire_all()
    tickets = db.session.scalar(sa.select(sa.func.count()).select_from(LiveAudienceTicket)
                                .where(LiveAudienceTicket.event_id == world.event.id))
    assert tickets == 3  # the phone's one and the script's two: the refused joins issued none


def test_audience_votes_are_rate_limited_per_device(app, db, world):
    app.config["LIVE_DEVICE_RATE_LIMIT"] = "3 per minute"
    item = audience_question(db, world)
    fresh_token_cache()
    phone = app.test_client()
    token = CSRF_META.search(phone.get(f"/live/a/{world.event.audience_code}").get_data(as_text=True)).group(1)
    url = f"/live/a/{world.event.audience_code}/vote"
    codes = [_post(phone, url, {"item_id": item.id, "option_id": right_option(item), "client_id": f"r{n}"},
                   token).status_code for n in range(5)]
    assert codes[-1] == 429
    fresh_token_cache()
    other = app.test_client()  # another phone in the same hall (same address) still votes
    token2 = CSRF_META.search(other.get(f"/live/a/{world.event.audience_code}").get_data(as_text=True)).group(1)
    assert _post(other, url, {"item_id": item.id, "option_id": right_option(item), "client_id": "o1"},
                 token2).status_code == 200


def test_curious_audience_cannot_read_the_key_before_the_reveal(app, db, world):
    item = _open_first(db, world)
    right = right_option(item)
    phone = app.test_client()
    page = phone.get(f"/live/a/{world.event.audience_code}").get_data(as_text=True)
    raw = phone.get(f"/live/stream/{world.event.audience_code}").get_data(as_text=True)
    state = _stream_state(phone, world.event.audience_code)
    assert "key" not in state["item"] and "is_correct" not in raw and "right_teams" not in raw
    assert '"key"' not in page and f'"{right}"' not in page  # the page itself holds no question
    # The key endpoint and the organiser's state are for organisers only.
    assert phone.get(f"/live/events/{world.event.id}/key").status_code == 302
    assert phone.get(f"/live/events/{world.event.id}/presenter").status_code == 302
    play.reveal(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    assert _stream_state(phone, world.event.audience_code)["item"]["key"] == [right]


def test_presenter_page_holds_no_answer_key(app, db, auth, world):
    item = _open_first(db, world)
    auth.login(world.organiser)
    html = auth.client.get(f"/live/events/{world.event.id}/presenter").get_data(as_text=True)
    assert item.question.text not in html  # the question comes from the stream, the key only after the reveal
    key = auth.client.get(f"/live/events/{world.event.id}/key").json
    assert key == {"item_id": item.id, "key": [right_option(item)]}


def test_judges_console_is_for_the_events_judges_only(app, db, make, auth, world):
    outsider = make.user(Role.PARTICIPANT)
    auth.login(outsider)
    assert auth.client.get(f"/live/events/{world.event.id}/judge").status_code == 403
    auth.logout()
    judge = world.judges[0]
    auth.login(judge)
    page = auth.client.get(f"/live/events/{world.event.id}/judge")
    assert page.status_code == 200 and "Nội dung" in page.get_data(as_text=True)
    token = csrf_token(auth.client, f"/live/events/{world.event.id}/judge")
    bad = auth.client.post(f"/live/events/{world.event.id}/judge", data={
        "csrf_token": token, "part_id": world.judged.id, "team_id": world.teams[0].id,
        "score_1": "9", "score_2": "1", "score_3": "1"})
    assert bad.status_code == 422 and "Nội dung" in bad.get_data(as_text=True)
    good = auth.client.post(f"/live/events/{world.event.id}/judge", data={
        "csrf_token": token, "part_id": world.judged.id, "team_id": world.teams[0].id,
        "score_1": "4,5", "score_2": "3", "score_3": "2"})
    assert good.status_code == 302
    assert auth.client.get(f"/live/events/{world.event.id}/results").status_code == 403  # organisers only


def test_mc_marks_and_corrects_with_audit_sentences_in_vietnamese(app, db, auth, world):
    item = _open_first(db, world)
    auth.login(world.organiser)
    token = CSRF_META.search(auth.client.get(f"/live/events/{world.event.id}/mc").get_data(as_text=True)).group(1)
    resp = _post(auth.client, f"/live/events/{world.event.id}/control", {"action": "reveal"}, token)
    assert resp.status_code == 200
    team = world.teams[1]
    resp = auth.client.post(f"/live/events/{world.event.id}/correct", data={
        "csrf_token": token, "fix-team_id": team.id, "fix-item_id": item.id, "fix-points": "10",
        "fix-reason": "Ban giám khảo chấp nhận đáp án"})
    assert resp.status_code == 302
    results = auth.client.get(f"/live/events/{world.event.id}/results").get_data(as_text=True)
    assert "đã sửa điểm của" in results and "Ban giám khảo chấp nhận đáp án" in results
    xlsx = auth.client.get(f"/live/events/{world.event.id}/results.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "live.correct")) == 1


def test_builder_pages_for_organisers(app, db, auth, world):
    auth.login(world.organiser)
    for url in ("/live/events", f"/live/events/{world.event.id}", f"/live/events/{world.event.id}/cards",
                f"/live/events/{world.event.id}/mc", f"/live/events/{world.event.id}/presenter",
                f"/live/events/{world.event.id}/results"):
        assert auth.client.get(url).status_code == 200, url
    cards = auth.client.get(f"/live/events/{world.event.id}/cards").get_data(as_text=True)
    assert all(t.join_code in cards for t in world.teams) and "data:image/svg+xml" in cards
    token = csrf_token(auth.client, "/live/events")
    resp = auth.client.post("/live/events", data={"csrf_token": token, "title": ""})
    assert resp.status_code == 422


def test_stream_reports_the_same_state_after_a_reconnect(app, db, world):
    item = _open_first(db, world)
    phone = app.test_client()
    first = _stream_state(phone, world.event.audience_code)
    again = phone.get(f"/live/stream/{world.event.audience_code}", headers={"Last-Event-ID": str(first["v"])})
    body = again.get_data(as_text=True)
    assert f"id: {first['v']}" in body and again.headers["Content-Type"].startswith("text/event-stream")
    assert _stream_state(phone, world.event.audience_code) == first
    assert first["item"]["id"] == item.id and first["phase"] == "open"


def test_draft_event_has_no_audience_page(app, db, make):
    w = build_event(db, make, start=False)
    assert app.test_client().get(f"/live/a/{w.event.audience_code}").status_code == 404
    assert app.test_client().get(f"/live/stream/{w.event.audience_code}").status_code == 404
    assert db.session.get(LiveItem, w.knowledge.items[0].id).opened_at is None


def test_certificates_for_every_team_and_member_through_the_campaign_kit(app, db, auth, world):
    import io
    import zipfile

    from quizapp.jobs.models import Job
    from quizapp.live import builder

    # Issued only from the final results the organiser published (tests/test_live_certificates.py).
    play.finish(world.event, world.organiser.id)
    builder.publish_results(world.event, True, world.organiser.id)
    db.session.commit()
    auth.login(world.organiser)
    token = csrf_token(auth.client, f"/live/events/{world.event.id}/results")
    resp = auth.client.post(f"/live/events/{world.event.id}/certificates", data={"csrf_token": token})
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    db.session.refresh(job)
    assert job.status.value == "done", job.message
    from quizapp.jobs.services import result_file

    with zipfile.ZipFile(result_file(job)) as zf:
        names = zf.namelist()
        first = zf.read(names[0])
    assert len(names) == 3 + 6  # three teams and their two members each
    assert first[:4] == b"%PDF" and all(n.endswith(".pdf") for n in names)
    assert io.BytesIO(first).getbuffer().nbytes > 1000


def _follow(app, client, code):
    """The stream's messages one at a time (the generator runs in this thread)."""
    resp = client.get(f"/live/stream/{code}", buffered=False)
    return iter(resp.response)


def _next_state(messages, timeout_chunks: int = 50) -> dict | None:
    for _ in range(timeout_chunks):
        try:
            chunk = next(messages)
        except StopIteration:
            return None
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        if text.startswith("id: "):
            return json.loads(text.split("data: ", 1)[1])["state"]
    return None


def test_an_open_stream_hears_a_change_by_polling_the_version_without_redis(app, db, world):
    app.config.update(LIVE_STREAM_MAX_SECONDS=5, LIVE_POLL_SECONDS=0.01, LIVE_REDIS_URL=None, REDIS_URL=None)
    try:
        messages = _follow(app, app.test_client(), world.event.audience_code)
        first = _next_state(messages)
        assert first["phase"] == "lobby"
        play.next_step(world.event, utcnow(), world.organiser.id)
        db.session.commit()
        later = _next_state(messages)
        assert later["phase"] == "intro" and later["v"] == first["v"] + 1
    finally:
        app.config.update(LIVE_STREAM_MAX_SECONDS=0, LIVE_POLL_SECONDS=0.2)


@pytest.fixture()
def live_redis(app):
    """Streams on Redis pub/sub (db 7, a key prefix of the test's own); polling slowed to 60 s, so only
    pub/sub can bring a change in time."""
    import uuid

    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"test{uuid.uuid4().hex[:8]}:"
    app.config.update(LIVE_STREAM_MAX_SECONDS=5, LIVE_REDIS_URL=url, LIVE_REDIS_PREFIX=prefix, LIVE_POLL_SECONDS=60)
    client = redis.Redis.from_url(url)
    yield client, prefix
    app.config.update(LIVE_STREAM_MAX_SECONDS=0, LIVE_REDIS_URL=None, LIVE_POLL_SECONDS=0.2)
    for key in client.scan_iter(prefix + "*"):
        client.delete(key)


def test_an_open_stream_hears_a_change_through_redis_pub_sub(app, db, world, live_redis):
    redis_client, prefix = live_redis
    messages = _follow(app, app.test_client(), world.event.audience_code)
    first = _next_state(messages)  # nothing in Redis yet: built from the database
    play.next_step(world.event, utcnow(), world.organiser.id)
    db.session.commit()  # published on the event's channel after the commit
    later = _next_state(messages)  # polling is 60 s here: only pub/sub can bring it this fast
    assert later is not None and later["phase"] == "intro" and later["v"] == first["v"] + 1
    stored = redis_client.get(f"{prefix}snap:{world.event.id}")
    assert json.loads(stored)["v"] == later["v"]


def test_with_redis_a_team_answer_sends_who_answered_not_a_new_snapshot(app, db, world, live_redis):
    item = _open_first(db, world)
    messages = _follow(app, app.test_client(), world.event.audience_code)
    first = _next_state(messages)
    team = world.teams[2]
    play.answer(world.event, item.id, f"t{team.id}", team.id, "rr1", right_option(item), utcnow())
    db.session.commit()
    chunk = ""
    for _ in range(20):
        chunk = next(messages)
        chunk = chunk.decode() if isinstance(chunk, bytes) else chunk
        if chunk.startswith("event: answered"):
            break
    assert chunk.startswith("event: answered") and "id:" not in chunk
    assert json.loads(chunk.split("data: ", 1)[1]) == {"item": item.id, "answered": [team.id]}
    db.session.expire_all()
    assert state.current_version(world.event.id) == first["v"]  # a thousand phones got a few bytes
    # A phone (or the presenter) that reconnects now gets the stored snapshot, then who has answered since.
    body = "".join(c.decode() if isinstance(c, bytes) else c
                   for c in _follow(app, app.test_client(), world.event.audience_code))
    assert f"id: {first['v']}" in body
    assert json.loads(body.split("event: answered\ndata: ", 1)[1].split("\n", 1)[0])["answered"] == [team.id]
