"""Issue 20, item 7: practice no longer hands out the bank's keys.

A prize-hunter used to practise round after round of 30 questions, each answer returning its
key, until he had the keys of the whole approved bank, i.e. of every upcoming round. Practice
now draws from a study set the organiser controls (questions marked for practice, which rounds
never draw, and questions of closed rounds no open or upcoming round can draw), is rate-limited
per account and per address, and publishing the whole bank is an explicit choice the builder
explains.
"""
from __future__ import annotations

import random
from datetime import timedelta

from quizapp.attempts.models import AttemptQuestion
from quizapp.auth.models import Role
from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.practice import services
from tests.conftest import csrf_token


def _practised(user, size=30) -> set[int]:
    try:
        return {a.question_id for a in services.start(user.id, None, 0, size, False).answers}
    except ServiceError as exc:
        assert exc.code == "nothing_to_practise"
        return set()


def test_the_pool_of_an_upcoming_round_is_never_practised(db, make):
    bank = [make.question("TC") for _ in range(12)]
    make.round(quotas=(("TC", 0, 5),), opens_at=utcnow() + timedelta(days=3),
               closes_at=utcnow() + timedelta(days=9))
    user = make.user()
    assert _practised(user) == set()  # the bank is not the study set
    # Marked for practice: offered, and no longer drawn by any round.
    services.mark_for_practice(f"{bank[0].id}, {bank[1].id}", True, None)
    db.session.commit()
    assert _practised(user) == {bank[0].id, bank[1].id}


def test_rounds_never_draw_study_questions(db, make):
    qs = [make.question("TC") for _ in range(6)]
    services.mark_for_practice(" ".join(str(q.id) for q in qs[:2]), True, None)
    db.session.commit()
    rnd = make.round(quotas=(("TC", 0, 4),))
    from quizapp.attempts import start as attempt_start

    for seed in range(6):
        view = attempt_start.begin_attempt(rnd.id, make.user().id, rng=random.Random(seed))
        db.session.commit()
        drawn = set(db.session.scalars(db.select(AttemptQuestion.question_id)
                                       .where(AttemptQuestion.attempt_id == view.id)))
        assert drawn and not drawn & {qs[0].id, qs[1].id}


def test_questions_of_closed_rounds_are_studied_unless_a_coming_round_may_draw_them(db, make):
    tc = [make.question("TC") for _ in range(4)]
    other = [make.question("CQS") for _ in range(4)]
    closed = make.round(quotas=(("TC", 0, 1), ("CQS", 0, 1)), opens_at=utcnow() - timedelta(days=9),
                        closes_at=utcnow() - timedelta(days=2))
    attempt = make.attempt(closed, make.user())
    for pos, q in enumerate((tc[0], other[0]), start=1):
        db.session.add(AttemptQuestion(attempt_id=attempt.id, question_id=q.id, position=pos,
                                       option_order=[o.id for o in q.options]))
    db.session.commit()
    user = make.user()
    assert _practised(user) == {tc[0].id, other[0].id}
    # An upcoming round draws from CQS: its questions leave the study set until it closes.
    make.round(quotas=(("CQS", 0, 2),), opens_at=utcnow() + timedelta(days=1), closes_at=utcnow() + timedelta(days=7))
    assert _practised(user) == {tc[0].id}


def test_publishing_the_whole_bank_is_explicit_audited_and_explained(client, auth, db, make):
    bank = [make.question("TC") for _ in range(10)]
    organiser = make.user(role=Role.ORGANISER)
    auth.login(organiser)
    html = client.get("/practice").get_data(as_text=True)
    assert 'id="whole-bank-effect"' in html and 'id="whole-bank-on"' not in html
    token = csrf_token(client, "/practice")
    client.post("/practice/settings", data={"whole_bank": "y", "csrf_token": token})
    assert services.whole_bank_published()
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "practice.whole_bank")) is not None
    assert 'id="whole-bank-on"' in client.get("/practice").get_data(as_text=True)
    # The round builder says what it does to the contest.
    rnd = make.round(quotas=(("TC", 0, 4),))
    page = client.get(f"/admin/contests/{rnd.contest_id}/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert 'id="whole-bank-published"' in page
    assert _practised(make.user()) == {q.id for q in bank}


def test_the_study_set_is_edited_all_or_nothing_by_code(client, auth, db, make):
    a, b = make.question("TC"), make.question("TC")
    a.external_id, b.external_id = "TC-901", "TC-902"
    db.session.commit()
    auth.login(make.user(role=Role.ORGANISER))
    token = csrf_token(client, "/practice")
    client.post("/practice/study-set", data={"references": "TC-901, NOPE-1", "add": "1", "csrf_token": token})
    db.session.expire_all()
    assert not a.for_practice and not b.for_practice  # one unknown code: nothing changed
    page = client.get("/practice").get_data(as_text=True)
    assert "NOPE-1" in page
    client.post("/practice/study-set", data={"references": "TC-901 TC-902", "add": "1", "csrf_token": token})
    db.session.expire_all()
    assert a.for_practice and b.for_practice
    client.post("/practice/study-set", data={"references": "TC-902", "remove": "1", "csrf_token": token})
    db.session.expire_all()
    assert a.for_practice and not b.for_practice
    assert client.post("/practice/study-set", data={"references": "9" * 40, "add": "1",
                                                    "csrf_token": token}).status_code == 302  # no overflow, no 500


def test_practice_is_rate_limited_per_account_and_per_address(app, client, auth, db, make):
    for _ in range(3):
        make.question("TC")
    services.set_whole_bank(True, None)
    db.session.commit()
    app.config["PRACTICE_START_RATE_LIMIT"] = "2 per hour"
    app.config["PRACTICE_START_ADDRESS_RATE_LIMIT"] = "4 per hour"  # refused requests count too
    try:
        auth.login(make.user())
        token = csrf_token(client, "/practice")
        form = {"size": 10, "area_id": 0, "difficulty": 0, "csrf_token": token}
        assert [client.post("/practice", data=form).status_code for _ in range(3)] == [302, 302, 429]
        # Another account from the same address: one more, then the address is spent.
        auth.logout()
        auth.login(make.user())
        token = csrf_token(client, "/practice")
        form["csrf_token"] = token
        assert [client.post("/practice", data=form).status_code for _ in range(2)] == [302, 429]
    finally:
        app.config["PRACTICE_START_RATE_LIMIT"] = "30 per hour"
        app.config["PRACTICE_START_ADDRESS_RATE_LIMIT"] = "120 per hour"
