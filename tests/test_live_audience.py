"""Audience prizes (giải khán giả): a ticket per audience phone, the winners of an audience question
(its first right answers by the server's arrival time, after the reveal), and the records."""
from __future__ import annotations

import io
import json
import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.live import audience, builder, joining, play, state
from quizapp.live.models import LiveAnswer, LiveAudienceTicket, LiveEvent
from tests.live_support import (CSRF_META, audience_question, build_event, fresh_token_cache, right_option,
                                wrong_option)

_TICKET = re.compile(r'data-ticket="(\d+)"')


@pytest.fixture()
def world(db, make):
    return build_event(db, make)




def _phone(app, code):
    """A new audience phone opening the event's page: (its client, its CSRF token, its ticket number)."""
    fresh_token_cache()
    phone = app.test_client()
    page = phone.get(f"/live/a/{code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return phone, CSRF_META.search(html).group(1), int(_TICKET.search(html).group(1))


def _vote(phone, code, token, body):
    return phone.post(f"/live/a/{code}/vote", data=json.dumps(body),
                      headers={"X-CSRFToken": token, "Accept": "application/json", "Content-Type": "application/json"})


def _devices(db, event, n):
    """``n`` audience devices with their tickets (the service the audience page calls)."""
    out = []
    for k in range(n):
        device = f"dev{k:03d}"
        out.append((device, audience.issue_ticket(event, device, fresh=True)))
    db.session.commit()
    return out


# --- tickets -----------------------------------------------------------------------------------

def test_each_phone_gets_the_next_ticket_once_and_shows_it_big(app, db, world):
    code = world.event.audience_code
    phone, _token, first = _phone(app, code)
    _other, _t, second = _phone(app, code)
    assert (first, second) == (1, 2)
    again = phone.get(f"/live/a/{code}").get_data(as_text=True)  # a reload keeps the phone's ticket
    assert 'data-ticket="1"' in again
    assert re.search(r'class="live-ticket"[^>]*>Phiếu số <strong>0001</strong>', again)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAudienceTicket)) == 2
    assert db.session.get(LiveEvent, world.event.id).audience_tickets == 2


def test_tickets_are_unique_and_sequential_when_many_phones_join_at_once(app, db, world):
    code = world.event.audience_code
    got, errors = [], []
    barrier = threading.Barrier(8)

    def join_several():
        try:
            barrier.wait()
            for _ in range(5):
                page = app.test_client().get(f"/live/a/{code}")
                assert page.status_code == 200, page.status_code
                got.append(int(_TICKET.search(page.get_data(as_text=True)).group(1)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=join_several) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(got) == list(range(1, 41))  # 40 phones, 40 numbers, no gap, none twice
    db.session.rollback()  # a fresh read: the threads committed after this session's snapshot
    numbers = list(db.session.scalars(sa.select(LiveAudienceTicket.number)
                                      .where(LiveAudienceTicket.event_id == world.event.id)))
    assert sorted(numbers) == list(range(1, 41))


def test_one_ticket_number_per_event_is_a_database_rule(app, db, world, make):
    db.session.add(LiveAudienceTicket(event_id=world.event.id, device_id="a", number=7))
    db.session.flush()
    db.session.add(LiveAudienceTicket(event_id=world.event.id, device_id="b", number=7))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    # Each event counts from 1.
    other = builder.create_event(builder.EventData("Hội thi khác"), None)
    db.session.flush()
    builder.add_team(other, make.unit("Sở Khác", code="SK").id, ["Một"], None)
    builder.add_part(other, builder.PartData("knowledge", "K"), None)
    play.start(other, None)
    assert audience.issue_ticket(other, "x", fresh=True) == 1


def test_no_ticket_before_the_event_runs_or_after_it_finished(app, db, make, world):
    play.finish(world.event, world.organiser.id)
    db.session.commit()
    page = app.test_client().get(f"/live/a/{world.event.audience_code}").get_data(as_text=True)
    assert "data-ticket" not in page and "live-ticket" not in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAudienceTicket)) == 0


# --- winners -----------------------------------------------------------------------------------

def test_winners_are_the_first_right_answers_by_arrival_not_wrong_ones_not_teams(db, world):
    item = audience_question(db, world)
    (d1, t1), (d2, t2), (d3, t3), (d4, t4), (d5, t5) = _devices(db, world.event, 5)
    t0 = item.opened_at
    right, wrong = right_option(item), wrong_option(item)
    # Recorded in this order (row ids), but the server's arrival times order them otherwise.
    for device, option, after in ((d1, right, 4.0), (d2, wrong, 0.5), (d3, right, 1.0), (d4, right, 3.0),
                                  (d5, right, 2.0)):
        play.answer(world.event, item.id, f"d{device}", None, f"c{device}", option, t0 + timedelta(seconds=after))
    # A team's right answer, earliest of all, planted past the service (teams cannot answer here): never a winner.
    db.session.add(LiveAnswer(item_id=item.id, voter=f"t{world.teams[0].id}", team_id=world.teams[0].id,
                              client_id="team", option_id=right, received_at=t0 + timedelta(seconds=0.1)))
    db.session.commit()
    play.reveal(world.event, t0 + timedelta(seconds=10), world.organiser.id)
    db.session.commit()
    winners = audience.winners(item)
    assert [w.ticket for w in winners] == [t3, t5, t4]  # 1.0 s, 2.0 s, 3.0 s; the 0.5 s one was wrong
    assert [w.seconds for w in winners] == [1.0, 2.0, 3.0]
    assert state.snapshot(world.event)["item"]["winners"] == [t3, t5, t4]
    assert t1 not in state.snapshot(world.event)["item"]["winners"]  # the fourth right answer: no prize left


def test_curious_audience_cannot_read_the_winners_before_the_reveal(app, db, world):
    item = audience_question(db, world)
    code = world.event.audience_code
    phone, token, ticket = _phone(app, code)
    assert _vote(phone, code, token, {"item_id": item.id, "option_id": right_option(item),
                                      "client_id": "w1"}).status_code == 200
    raw_open = phone.get(f"/live/stream/{code}").get_data(as_text=True)
    play.close(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    raw_closed = phone.get(f"/live/stream/{code}").get_data(as_text=True)
    for raw in (raw_open, raw_closed):
        assert '"winners"' not in raw and '"key"' not in raw
    assert "winners" not in state.snapshot(world.event)["item"]
    play.reveal(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    raw = phone.get(f"/live/stream/{code}").get_data(as_text=True)
    last = json.loads([line[6:] for line in raw.splitlines() if line.startswith("data: ")][-1])["state"]
    assert last["item"]["winners"] == [ticket]


def test_no_prizes_means_no_winners(db, world):
    world.audience.audience_prizes = 0
    item = audience_question(db, world)
    [(device, _ticket)] = _devices(db, world.event, 1)
    play.answer(world.event, item.id, f"d{device}", None, "c1", right_option(item), item.opened_at)
    play.reveal(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    assert audience.winners(item) == []
    assert "winners" not in state.snapshot(world.event)["item"]
    assert audience.records(world.event) == []


def test_the_prize_count_is_set_on_audience_question_parts_only(db, world):
    event = builder.create_event(builder.EventData("Hội thi nháp"), None)
    db.session.flush()
    default = builder.add_part(event, builder.PartData("audience", "Khán giả"), None)
    assert default.audience_prizes == 3
    five = builder.add_part(event, builder.PartData("audience", "Khán giả 2", audience_prizes=5), None)
    assert five.audience_prizes == 5
    poll = builder.add_part(event, builder.PartData("audience", "Bình chọn", poll=True, audience_prizes=5), None)
    knowledge = builder.add_part(event, builder.PartData("knowledge", "K", audience_prizes=5), None)
    assert (poll.audience_prizes, knowledge.audience_prizes) == (0, 0)
    for bad in (-1, 51, "ba"):
        with pytest.raises(ServiceError) as exc:
            builder.add_part(event, builder.PartData("audience", "X", audience_prizes=bad), None)
        assert exc.value.field == "audience_prizes"


def test_the_part_form_sets_the_prize_count(app, db, auth, world):
    event = builder.create_event(builder.EventData("Hội thi nháp"), world.organiser.id)
    db.session.commit()
    auth.login(world.organiser)
    page = auth.client.get(f"/live/events/{event.id}").get_data(as_text=True)
    assert "Câu hỏi khán giả: số giải mỗi câu" in page
    token = re.search(r'name="part-csrf_token"[^>]*value="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"part-kind": "audience", "part-title": "Khán giả", "part-seconds": "20", "part-points": "10",
            "part-audience_prizes": "2", "part-csrf_token": token.group(1) or token.group(2)}
    auth.client.post(f"/live/events/{event.id}/parts", data=form)
    db.session.expire_all()
    assert [p.audience_prizes for p in db.session.get(LiveEvent, event.id).parts] == [2]


# --- abuse cases -----------------------------------------------------------------------------------

def test_prize_hunter_clearing_cookies_gets_a_new_ticket_but_each_device_answers_once(app, db, world):
    item = audience_question(db, world)
    code = world.event.audience_code
    phone, token, first = _phone(app, code)
    url_body = {"item_id": item.id, "option_id": right_option(item), "client_id": "h1"}
    assert _vote(phone, code, token, url_body).status_code == 200
    assert _vote(phone, code, token, dict(url_body, client_id="h2")).status_code == 409  # one answer a device
    phone.delete_cookie(joining.audience_cookie_name(world.event.id), path="/live/")  # cleared cookies
    page = phone.get(f"/live/a/{code}").get_data(as_text=True)
    second = int(_TICKET.search(page).group(1))
    assert second == first + 1  # a new device id, so a new ticket (what cookies cannot stop) …
    fresh_token_cache()
    token2 = CSRF_META.search(page).group(1)
    assert _vote(phone, code, token2, dict(url_body, client_id="h3")).status_code == 200
    play.reveal(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    # … and each ticket holds one answer: the prizes go to the fastest right answers, device by device.
    assert [w.ticket for w in audience.winners(item)] == [first, second]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 2


def test_a_forged_ticket_is_never_taken_from_the_request(app, db, world):
    item = audience_question(db, world)
    code = world.event.audience_code
    honest, honest_token, honest_ticket = _phone(app, code)
    cheat, cheat_token, cheat_ticket = _phone(app, code)
    # A ticket number in the body names nothing: the ticket is the signed cookie's device's.
    assert _vote(cheat, code, cheat_token, {"item_id": item.id, "option_id": right_option(item), "client_id": "f1",
                                            "ticket": honest_ticket, "voter": "d" + "x" * 16}).status_code == 200
    # A cookie forged for the honest phone's device (a guessed key) is not a device: no vote, a new ticket.
    device = db.session.scalar(sa.select(LiveAudienceTicket.device_id).where(LiveAudienceTicket.number == honest_ticket))
    forged = URLSafeSerializer("guessed-key", salt=joining.AUDIENCE_SALT).dumps({"e": world.event.id, "d": device})
    fresh_token_cache()
    forger = app.test_client()
    forger.set_cookie(joining.audience_cookie_name(world.event.id), forged, path="/live/")
    page = forger.get(f"/live/a/{code}").get_data(as_text=True)
    assert int(_TICKET.search(page).group(1)) not in (honest_ticket, cheat_ticket)
    forger.set_cookie(joining.audience_cookie_name(world.event.id), forged, path="/live/")
    assert _vote(forger, code, CSRF_META.search(page).group(1), {"item_id": item.id, "option_id": right_option(item),
                                                             "client_id": "f2"}).status_code == 403
    play.reveal(world.event, utcnow(), world.organiser.id)
    db.session.commit()
    assert [w.ticket for w in audience.winners(item)] == [cheat_ticket]


# --- records ---------------------------------------------------------------------------------------

def _played_with_winners(db, world):
    item = audience_question(db, world)
    devices = _devices(db, world.event, 4)
    t0 = item.opened_at
    for n, (device, _ticket) in enumerate(devices):
        option = wrong_option(item) if n == 0 else right_option(item)
        play.answer(world.event, item.id, f"d{device}", None, f"c{n}", option, t0 + timedelta(seconds=1 + n))
    play.reveal(world.event, t0 + timedelta(seconds=10), world.organiser.id)
    db.session.commit()
    return item, [t for _d, t in devices]


def test_results_page_lists_each_audience_questions_winners_with_their_times(app, db, auth, world):
    item, tickets = _played_with_winners(db, world)
    auth.login(world.organiser)
    html = auth.client.get(f"/live/events/{world.event.id}/results").get_data(as_text=True)
    section = html[html.index('id="audience-prizes"'):]
    section = section[:section.index("</section>")]
    assert "Giải khán giả" in section
    rows = re.findall(r"<tr><td>(.*?)</td><td>(\d+)</td><td><strong>(\d{4})</strong></td><td>([\d:.]+)</td>"
                      r"<td>([\d.]+)</td></tr>", section)
    assert [(r[1], r[2], r[4]) for r in rows] == [("1", f"{tickets[1]:04d}", "2.00"), ("2", f"{tickets[2]:04d}", "3.00"),
                                                  ("3", f"{tickets[3]:04d}", "4.00")]
    assert rows[0][0].startswith("Khán giả – câu 1: ")
    assert f"{tickets[0]:04d}" not in section  # the wrong answer won nothing


def test_the_workbook_has_the_audience_prizes_sheet(app, db, auth, world):
    import openpyxl

    item, tickets = _played_with_winners(db, world)
    auth.login(world.organiser)
    resp = auth.client.get(f"/live/events/{world.event.id}/results.xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb["Giải khán giả"]
    head = [c.value for c in ws[1]]
    assert head == ["Phần thi", "Câu số", "Câu hỏi", "Giải thứ", "Phiếu số", "Thời gian", "Số giây kể từ khi mở câu hỏi"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[3], r[4], r[6]) for r in rows] == [
        ("Khán giả", 1, 1, f"{tickets[1]:04d}", 2), ("Khán giả", 1, 2, f"{tickets[2]:04d}", 3),
        ("Khán giả", 1, 3, f"{tickets[3]:04d}", 4)]
    assert rows[0][2] == item.question.text
