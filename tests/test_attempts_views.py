"""The entrant's pages: start, quiz (with and without JavaScript), result."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.attempts import answers as attempt_answers
from quizapp.attempts import submit as attempt_submit
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.attempts.option_ids import OptionIds
from quizapp.bank.models import Option
from quizapp.contests.models import ReviewPolicy
from tests.conftest import csrf_token


@pytest.fixture()
def rnd(make):
    for _ in range(3):
        make.question(explanation="Vì Nghị quyết 76 quy định như vậy", source="NQ 76/NQ-CP")
    make.question(multiple=True, correct=[0, 1])
    return make.round(quotas=[("TC", 0, 4)], review_policy=ReviewPolicy.AFTER_ATTEMPT, time_limit_seconds=900)


def started(client, auth, make, rnd):
    user = make.user()
    auth.login(user)
    page = client.get(f"/rounds/{rnd.id}/start")
    assert page.status_code == 200 and "Bắt đầu làm bài" in page.get_data(as_text=True)
    resp = client.post(f"/rounds/{rnd.id}/start", data={"csrf_token": csrf_token(client, f"/rounds/{rnd.id}/start")})
    assert resp.status_code == 303
    return user, resp.headers["Location"]


def test_start_page_then_quiz_page_for_a_phone(client, auth, make, db, rnd):
    user, location = started(client, auth, make, rnd)
    html = client.get(location).get_data(as_text=True)
    assert '<meta name="csrf-token"' in html and "js/quiz.js" in html
    assert "<script>" not in html and " style=" not in html  # CSP: no inline script or style
    assert html.count('type="radio"') == 3 * 4 and html.count('type="checkbox"') == 4
    assert html.count("Chọn một đáp án") == 3 and html.count("Chọn tất cả đáp án đúng") == 1
    assert 'id="quiz-timer"' in html and re.search(r"1[45]:\d\d</strong>", html)
    assert re.search(r'data-remaining-ms="(\d+)"', html)
    assert 'aria-live="polite"' in html and "0</span>/4" in html
    assert "Câu dự đoán: có bao nhiêu người trả lời đúng tất cả các câu hỏi" in html
    # Leaving and starting again resumes the same attempt.
    resp = client.post(f"/rounds/{rnd.id}/start", data={"csrf_token": csrf_token(client, location)})
    assert resp.headers["Location"] == location


def test_saved_answers_are_rendered_checked_on_reload(client, auth, make, db, rnd):
    user, location = started(client, auth, make, rnd)
    attempt = db.session.scalar(sa.select(Attempt))
    aq = attempt.questions[0]
    shown = OptionIds(attempt.id).shown(aq.option_order[2])  # the id the page shows for that option
    attempt_answers.save_answer(attempt.id, user.id, aq.id, [shown], 5)
    db.session.commit()
    html = client.get(location).get_data(as_text=True)
    assert f'name="q{aq.id}" value="{shown}" checked' in html
    assert f'data-aq="{aq.id}" data-seq="5"' in html and "1</span>/4" in html


def test_the_form_works_without_javascript(client, auth, make, db, rnd):
    user, location = started(client, auth, make, rnd)
    attempt = db.session.scalar(sa.select(Attempt))
    data = {"csrf_token": csrf_token(client, location), "prediction": "15"}
    shown = []
    for aq in attempt.questions:
        key = db.session.scalars(sa.select(Option.id).where(Option.question_id == aq.question_id,
                                                            Option.is_correct.is_(True))).all()
        shown.append(str(aq.id))
        data[f"q{aq.id}"] = [str(OptionIds(attempt.id).shown(k)) for k in key]
    data["shown"] = shown
    resp = client.post(f"/attempts/{attempt.id}/submit", data=data)
    assert resp.status_code == 303
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "4/4" in html and "Vì Nghị quyết 76 quy định như vậy" in html and "NQ 76/NQ-CP" in html
    assert "đáp án đúng" in html
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == 4


def test_no_js_submit_with_a_bad_prediction_keeps_the_page_and_saves_nothing(client, auth, make, db, rnd):
    user, location = started(client, auth, make, rnd)
    attempt = db.session.scalar(sa.select(Attempt))
    aq = attempt.questions[0]
    resp = client.post(f"/attempts/{attempt.id}/submit", data={
        "csrf_token": csrf_token(client, location), "prediction": "-3",
        "shown": [str(aq.id)], f"q{aq.id}": [str(OptionIds(attempt.id).shown(aq.option_order[1]))]})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Số dự đoán không được âm." in html and 'aria-invalid="true"' in html
    assert f'value="{OptionIds(attempt.id).shown(aq.option_order[1])}" checked' in html  # shown again
    db.session.expire_all()
    assert db.session.get(AttemptQuestion, aq.id).selected is None
    assert db.session.get(Attempt, attempt.id).status == AttemptStatus.IN_PROGRESS


def test_result_page_hides_answers_until_the_round_closes_when_so_configured(client, auth, make, db, rnd):
    rnd.review_policy = ReviewPolicy.AFTER_CLOSE
    db.session.commit()
    user, location = started(client, auth, make, rnd)
    attempt = db.session.scalar(sa.select(Attempt))
    attempt_submit.submit_attempt(attempt.id, user.id, "1")
    db.session.commit()
    html = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "0/4" in html and "Đáp án sẽ được công bố sau khi vòng thi kết thúc" in html
    assert "Vì Nghị quyết 76" not in html
    # The quiz page of a submitted attempt sends the entrant to the result.
    assert client.get(location).status_code == 302


def test_quiz_page_of_an_expired_attempt_closes_it_and_shows_the_result(client, auth, make, db, rnd):
    user, location = started(client, auth, make, rnd)
    attempt = db.session.scalar(sa.select(Attempt))
    attempt.started_at -= timedelta(hours=1)
    attempt.deadline_at -= timedelta(hours=1)
    db.session.commit()
    resp = client.get(location)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/result")
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).finish_reason.value == "finalized"


def test_paged_rounds_mark_the_form_for_paging(client, auth, make, db, rnd):
    rnd.one_page = False
    db.session.commit()
    _user, location = started(client, auth, make, rnd)
    html = client.get(location).get_data(as_text=True)
    assert 'class="quiz quiz-paged"' in html and 'id="quiz-pager" hidden' in html


def test_my_rounds_lists_open_rounds(client, auth, make, rnd):
    auth.login(make.user())
    html = client.get("/my/rounds").get_data(as_text=True)
    assert rnd.title in html and f"/rounds/{rnd.id}/start" in html


def test_pages_need_a_login(client, rnd):
    resp = client.get(f"/rounds/{rnd.id}/start")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
