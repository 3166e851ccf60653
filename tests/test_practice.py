"""Practice mode: sets from the approved bank, answers checked at once, progress per area,
never counted in contests, running rounds' questions held back."""
from __future__ import annotations

import random
import re
from datetime import timedelta

import flask_babel
import pytest
import sqlalchemy as sa

from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.practice import services
from tests.conftest import csrf_token


@pytest.fixture(autouse=True)
def whole_bank(app, db):
    """These tests are about practising itself, from any approved question: the organiser has
    published the whole bank. Which questions form the study set otherwise (issue 20, item 7)
    is tests/test_practice_study_set.py."""
    services.set_whole_bank(True, None)
    db.session.commit()


def _bank(make, n=12, area="TC", difficulty=1):
    return [make.question(area, difficulty=difficulty, explanation=f"Vì luật {i}", source=f"Nguồn {i}")
            for i in range(n)]


def test_a_set_draws_approved_questions_of_the_area_and_difficulty(app, db, make):
    user = make.user()
    wanted = _bank(make, 12, "TC", 2)
    _bank(make, 5, "TC", 1)
    _bank(make, 5, "CV", 2)
    make.question("TC", difficulty=2, status="draft")
    practice = services.start(user.id, make.area("TC").id, 2, 10, False, rng=random.Random(1))
    ids = {a.question_id for a in practice.answers}
    assert len(ids) == 10 and ids <= {q.id for q in wanted}
    assert practice.deadline_at is None


def test_timed_set_allows_a_minute_per_question_and_refuses_late_answers(app, db, make):
    user = make.user()
    _bank(make, 10)
    now = utcnow()
    practice = services.start(user.id, None, 0, 10, True, now=now)
    assert practice.deadline_at == now + timedelta(minutes=10)
    first = practice.answers[0]
    with pytest.raises(ServiceError) as exc:
        services.answer(practice, 1, [first.option_order[0]], now=now + timedelta(minutes=11))
    assert exc.value.code == "time_up" and practice.finished_at is not None


def test_an_answer_is_checked_at_once_and_only_then_reveals_key_explanation_and_source(app, db, make):
    user = make.user()
    _bank(make, 10)
    practice = services.start(user.id, None, 0, 10, False)
    shown = services.shown(practice, 1)
    assert shown.feedback is None and "correct" not in str(shown.as_dict())
    question = practice.answers[0].question
    key = [o.id for o in question.options if o.is_correct]
    wrong = [o.id for o in question.options if not o.is_correct][:1]
    feedback = services.answer(practice, 1, wrong)
    assert feedback.correct is False and feedback.key == key
    assert feedback.explanation == question.explanation and feedback.source == question.source
    with pytest.raises(ServiceError) as exc:  # no second try once the key is shown
        services.answer(practice, 1, key)
    assert exc.value.code == "already_answered"
    assert services.shown(practice, 2).feedback is None  # the next question's key stays hidden


def test_questions_drawn_in_an_open_round_are_held_back_until_it_closes(app, db, make):
    user = make.user()
    questions = _bank(make, 11)
    rnd = make.round(quotas=(("TC", 0, 1),))
    attempt = make.attempt(rnd, make.user())
    from quizapp.attempts.models import AttemptQuestion
    held = questions[0]
    db.session.add(AttemptQuestion(attempt_id=attempt.id, question_id=held.id, position=1,
                                   option_order=[o.id for o in held.options]))
    db.session.commit()
    practice = services.start(user.id, None, 0, 20, False)
    assert held.id not in {a.question_id for a in practice.answers} and practice.size == 10
    rnd.closes_at = utcnow() - timedelta(minutes=1)
    rnd.opens_at = utcnow() - timedelta(days=1)
    db.session.commit()
    again = services.start(user.id, None, 0, 20, False)
    assert held.id in {a.question_id for a in again.answers}


def test_progress_per_area_counts_distinct_questions_and_share_right(app, db, make):
    user = make.user()
    _bank(make, 10, "TC")
    _bank(make, 4, "CV")
    practice = services.start(user.id, make.area("TC").id, 0, 10, False, rng=random.Random(3))
    for i, item in enumerate(practice.answers[:4]):
        key = sorted(item.question.correct_option_ids)
        wrong = [o for o in item.option_order if o not in key][:1]
        services.answer(practice, item.position, key if i < 3 else wrong)
    whole, *areas = services.progress(user.id)
    tc = next(p for p in areas if p.area.code == "TC")
    cv = next(p for p in areas if p.area.code == "CV")
    assert (tc.practised, tc.total, tc.percent_right) == (4, 10, 75)
    assert (cv.practised, cv.total, cv.answered) == (0, 4, 0)
    assert (whole.practised, whole.total, whole.percent_right) == (4, 14, 75)
    # The next set offers the questions not yet practised first.
    nxt = services.start(user.id, make.area("TC").id, 0, 10, False)
    practised = {a.question_id for a in practice.answers[:4]}
    assert {a.question_id for a in nxt.answers[:6]}.isdisjoint(practised)


def test_practice_never_counts_in_contest_statistics_or_standings(app, db, make):
    from quizapp.attempts.models import Attempt
    from quizapp.itemstats import services as itemstats
    from quizapp.itemstats.models import StatsScope
    from quizapp.leaderboards.models import Standing

    user = make.user()
    _bank(make, 10)
    practice = services.start(user.id, None, 0, 10, False)
    for item in practice.answers:
        services.answer(practice, item.position, sorted(item.question.correct_option_ids))
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Standing.id))) == 0
    columns, _items = itemstats.load_sample(StatsScope.BANK)
    assert len(columns.attempt) == 0


def test_practice_pages_form_posts_with_csrf(client, auth, make):
    user = make.user()
    _bank(make, 12)
    auth.login(user)
    page = client.get("/practice")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Bạn đã ôn 0/12 câu" in html
    assert client.post("/practice", data={"size": 10, "area_id": 0, "difficulty": 0}).status_code == 400  # no CSRF
    token = csrf_token(client, "/practice")
    resp = client.post("/practice", data={"size": 10, "area_id": 0, "difficulty": 0, "csrf_token": token})
    assert resp.status_code == 302
    qpage = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Kiểm tra đáp án" in qpage and "đáp án đúng" not in qpage
    option = re.search(r'name="option" value="(\d+)"', qpage).group(1)
    action = re.search(r'action="(/practice/\d+/1/answer)"', qpage).group(1)
    done = client.post(action, data={"option": option, "csrf_token": token}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "đáp án đúng" in html and "Giải thích" in html and "Nguồn" in html
    assert "Câu hỏi tiếp theo" in html


def test_practice_answer_as_json(client, auth, make, db):
    user = make.user()
    _bank(make, 10)
    auth.login(user)
    practice = services.start(user.id, None, 0, 10, False)
    item = practice.answers[0]
    token = csrf_token(client, "/practice")
    url = f"/practice/{practice.id}/1/answer"
    key = sorted(item.question.correct_option_ids)
    resp = client.post(url, json={"selected": key}, headers={"X-CSRFToken": token})
    assert resp.status_code == 200
    assert resp.json["correct"] is True and resp.json["correct_option_ids"] == key and resp.json["next_position"] == 2
    again = client.post(url, json={"selected": key}, headers={"X-CSRFToken": token})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_answered"
    bad = client.post(f"/practice/{practice.id}/2/answer", json={"selected": [999999]}, headers={"X-CSRFToken": token})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "selected"
    second = practice.answers[1].question
    assert not second.multiple
    two = client.post(f"/practice/{practice.id}/2/answer", json={"selected": [o.id for o in second.options[:2]]},
                      headers={"X-CSRFToken": token})
    assert two.status_code == 422 and two.json["error"]["code"] == "single_choice"
    assert two.json["error"]["field"] == "selected"


def test_someone_elses_set_is_not_found(client, auth, make):
    owner, other = make.user(), make.user()
    _bank(make, 10)
    practice = services.start(owner.id, None, 0, 10, False)
    auth.login(other)
    assert client.get(f"/practice/{practice.id}/1").status_code == 404


def test_visitors_practise_only_when_the_organiser_allows(client, auth, make):
    _bank(make, 10)
    page = client.get("/practice")
    assert page.status_code == 200 and "Vui lòng đăng nhập để ôn tập" in page.get_data(as_text=True)
    assert "Bắt đầu ôn tập" not in page.get_data(as_text=True)
    organiser = make.user(role=__import__("quizapp.auth.models", fromlist=["Role"]).Role.ORGANISER)
    auth.login(organiser)
    token = csrf_token(client, "/practice")
    assert client.post("/practice/settings", data={"open_to_anonymous": "y", "whole_bank": "y",  # as published
                                                   "csrf_token": token}).status_code == 302
    auth.logout()
    assert client.get("/practice").status_code == 200
    token = csrf_token(client, "/practice")
    resp = client.post("/practice", data={"size": 10, "area_id": 0, "difficulty": 0, "csrf_token": token})
    assert resp.status_code == 302
    assert client.get(resp.headers["Location"]).status_code == 200
    # A second visitor (another cookie jar) cannot open that set.
    other = client.application.test_client()
    assert other.get(resp.headers["Location"]).status_code == 404


def test_timed_page_counts_down_from_the_server_and_ends_at_the_deadline(client, auth, make, db):
    user = make.user()
    _bank(make, 10)
    auth.login(user)
    practice = services.start(user.id, None, 0, 10, True)
    html = client.get(f"/practice/{practice.id}/1").get_data(as_text=True)
    remaining = int(re.search(r'data-practice-remaining-ms="(\d+)"', html).group(1))
    assert 590_000 <= remaining <= 600_000 and "js/practice.js" in html
    practice.deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    resp = client.get(f"/practice/{practice.id}/1")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/practice/{practice.id}/result")
    assert "0 trên 0 câu" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_practice_and_statistics_pages_in_english(client, auth, make):
    from quizapp.auth.models import Role

    _bank(make, 10)
    auth.login(make.user(Role.ORGANISER))
    client.post("/lang/en", data={"csrf_token": csrf_token(client), "next": "/practice"})
    flask_babel.refresh()  # the test's app context caches the locale across requests
    html = client.get("/practice").get_data(as_text=True)
    assert "You have practised 0/10 questions, 0 % right." in html and "Start practising" in html
    stats = client.get("/admin/stats/bank").get_data(as_text=True)
    assert "Item statistics" in stats and "No statistics yet." in stats


def test_practice_checks_answers_with_the_contests_own_rules(app, db, make, monkeypatch):
    """Issue 19 item 4: practice does not re-implement the answer check: whether an answer is
    right is ``attempts.grading.answer_is_right`` (here replaced by a spy) and a choice outside
    the question or a second choice for a single-choice question is refused by
    ``attempts.answers.check_choice`` (practice's status, 422)."""
    from quizapp.attempts import answers as attempt_answers

    user = make.user()
    _bank(make, 10)
    practice = services.start(user.id, None, 0, 10, False)
    question = practice.answers[0].question
    wrong = [o.id for o in question.options if not o.is_correct][:1]
    asked = []

    def right_by_spy(selected, key):
        asked.append((list(selected), set(key)))
        return True

    monkeypatch.setattr(services, "answer_is_right", right_by_spy)  # where practice looks it up
    assert services.answer(practice, 1, wrong).correct is True  # only the spy calls it right
    assert asked == [(wrong, question.correct_option_ids)]
    checked = []
    real_check = attempt_answers.check_choice
    monkeypatch.setattr(services, "check_choice", lambda *a, **kw: checked.append(a) or real_check(*a, **kw))
    with pytest.raises(ServiceError) as exc:
        services.answer(practice, 2, [10**9])
    assert exc.value.code == "option_not_in_question" and exc.value.status == 422 and len(checked) == 1
