"""What an entrant reads after a round (issue 21 item 10): one duration format with units on every
page, her place on the result page, and practice that asks before finishing and lists what she missed."""
from __future__ import annotations

from datetime import timedelta

import flask_babel
import pytest

from quizapp.core.db import utcnow
from quizapp.core.i18n import duration
from quizapp.practice import services as practice


@pytest.mark.parametrize("ms, vi, en", [
    (22269, "22,269 giây", "22.269 s"),
    (65120, "1 phút 05,120 giây", "1 min 05.120 s"),
    (0, "0,000 giây", "0.000 s"),
    (3_600_000, "60 phút 00,000 giây", "60 min 00.000 s"),
    (None, "", ""),
])
def test_a_duration_reads_in_minutes_and_seconds_with_units(app, ms, vi, en):
    with app.test_request_context():
        assert duration(ms) == vi
        with flask_babel.force_locale("en"):
            assert duration(ms) == en


def test_the_result_page_history_and_ranking_show_the_same_time_and_her_place(client, auth, make, db):
    from quizapp.contests.models import PredictionMode

    rnd = make.round(quotas=(("TC", 0, 3),), prediction_mode=PredictionMode.OFF)  # results live while open
    make.questions(6, "TC")
    her, other = make.user(), make.user()
    make.submission(rnd, other, correct=3, seconds=30)
    attempt = make.submission(rnd, her, correct=2, seconds=65)
    auth.login(her)
    pages = {path: client.get(path).get_data(as_text=True)
             for path in (f"/attempts/{attempt.id}/result", "/my/attempts", f"/rounds/{rnd.id}/leaderboard")}
    for path, html in pages.items():
        assert "1 phút 05,000 giây" in html, path
        assert "01:05" not in html and "1:05,000" not in html, path
    result = pages[f"/attempts/{attempt.id}/result"]
    assert 'class="result-place"><strong>2</strong>/2' in result


def _practice_set(make, user, n=10):
    practice.set_whole_bank(True, None)  # the organiser published the whole bank for study
    make.questions(n, "TC")
    return practice.start(user.id, None, 0, n, False)


def test_finishing_a_practice_with_questions_left_asks_first_then_lists_the_missed(client, auth, make, db):
    from tests.conftest import csrf_token

    user = make.user()
    auth.login(user)
    p = _practice_set(make, user)
    first, second = sorted(p.answers, key=lambda a: a.position)[:2]
    token = csrf_token(client, "/practice")
    wrong = [o.id for o in second.question.options if not o.is_correct][:1]
    client.post(f"/practice/{p.id}/1/answer", json={"selected": sorted(first.question.correct_option_ids)},
                headers={"X-CSRFToken": token})
    client.post(f"/practice/{p.id}/2/answer", json={"selected": wrong}, headers={"X-CSRFToken": token})

    ask = client.get(f"/practice/{p.id}/result").get_data(as_text=True)
    assert "Kết thúc lượt ôn tập?" in ask and "Còn 8 câu chưa trả lời." in ask
    db.session.refresh(p)
    assert p.finished_at is None  # asking did not finish the set
    assert f"/practice/{p.id}/3" in ask  # "Tiếp tục ôn tập" goes to the next unanswered question

    done = client.get(f"/practice/{p.id}/result?confirm=1").get_data(as_text=True)
    assert "Các câu nên xem lại" in done
    assert second.question.text in done and "trả lời sai" in done
    assert done.count("(chưa trả lời)") == 8 and first.question.text not in done.split("Các câu nên xem lại")[1]
    db.session.refresh(p)
    assert p.finished_at is not None


def test_a_practice_feedback_marks_her_wrong_choice(client, auth, make, db):
    from tests.conftest import csrf_token

    user = make.user()
    auth.login(user)
    p = _practice_set(make, user)
    item = sorted(p.answers, key=lambda a: a.position)[0]
    wrong = [o for o in item.question.options if not o.is_correct][0]
    client.post(f"/practice/{p.id}/1/answer", data={"option": [str(wrong.id)], "csrf_token": csrf_token(client, "/practice")})
    html = client.get(f"/practice/{p.id}/1").get_data(as_text=True)
    assert '<li class=" opt-chosen">' in html or "opt-chosen" in html.split(wrong.text)[0].rsplit("<li", 1)[1]
