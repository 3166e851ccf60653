"""Issue 11 item 19: the attempt that counts is the one that ranks highest under the round's own
ranking order (score, prediction distance, duration, submission time), prediction included once
the true figure is fixed at finalisation."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quizapp.attempts import answers as attempt_answers
from quizapp.attempts import start as attempt_start
from quizapp.attempts import submit as attempt_submit
from quizapp.contests.models import CountedAttempt, PredictionMode
from quizapp.core.db import utcnow
from quizapp.leaderboards import ranking
from quizapp.leaderboards.models import Standing
from tests.test_attempts_services import correct_ids


def _take(make, db, rnd, user, t0, seconds, prediction):
    attempt = attempt_start.start_attempt(rnd.id, user, now=t0)
    for aq in attempt.questions:
        attempt_answers.save_answer(attempt.id, user.id, aq.id, correct_ids(db, aq), 1, now=t0 + timedelta(seconds=1))
    return attempt_submit.submit_attempt(attempt.id, user.id, prediction, now=t0 + timedelta(seconds=seconds))


@pytest.fixture()
def contest(make, db):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=2, counted_attempt=CountedAttempt.BEST,
                     prediction_mode=PredictionMode.PERFECT_COUNT, time_limit_seconds=1200)
    return rnd


def test_the_slower_attempt_with_the_better_prediction_counts_once_the_truth_is_fixed(make, db, contest):
    """The case from the issue: a faster attempt with a worse prediction must not count and
    rank the entrant below another whose best paper is worse."""
    rnd = contest
    anh, binh = make.user(full_name="Anh"), make.user(full_name="Bình")
    t0 = utcnow() - timedelta(hours=2)
    fast = _take(make, db, rnd, anh, t0, 60, "50")  # all correct, 60 s, prediction far off
    slow = _take(make, db, rnd, anh, t0 + timedelta(minutes=30), 120, "2")  # all correct, 120 s, exact
    _take(make, db, rnd, binh, t0 + timedelta(minutes=40), 90, "10")  # all correct, 90 s, off by 8
    db.session.commit()
    # While the round is open the truth is unknown: the standing is the best on score and time.
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == anh.id))
    assert standing.attempt_id == fast.id and standing.attempts_count == 2
    # Finalised: the true figure is 2 entrants with every answer right.
    assert ranking.finalize_round(rnd)
    db.session.commit()
    assert rnd.prediction_truth == Decimal(2)
    db.session.expire_all()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == anh.id))
    assert standing.attempt_id == slow.id and standing.prediction == Decimal(2) and standing.duration_ms == 120_000
    assert standing.attempts_count == 2
    ranked = ranking.rank_round(rnd.id)
    assert [(e.user_id, e.rank) for e in ranked] == [(anh.id, 1), (binh.id, 2)]


def test_after_finalisation_a_late_closed_attempt_is_compared_on_the_prediction_too(make, db, contest):
    rnd = contest
    anh, binh = make.user(), make.user()
    t0 = utcnow() - timedelta(hours=2)
    _take(make, db, rnd, binh, t0, 100, "1")
    first = _take(make, db, rnd, anh, t0, 60, "40")
    db.session.commit()
    ranking.finalize_round(rnd)  # truth = 2
    db.session.commit()
    second = _take(make, db, rnd, anh, t0 + timedelta(minutes=30), 200, "2")
    db.session.commit()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == anh.id))
    assert standing.attempt_id == second.id != first.id


@pytest.mark.parametrize("order,expected", [
    ("score,duration,prediction,submitted_at", "fast"),  # time before prediction: the faster counts
    ("score,prediction,duration,submitted_at", "slow"),
])
def test_the_contests_own_ranking_order_decides(make, db, order, expected):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=2, counted_attempt=CountedAttempt.BEST,
                     prediction_mode=PredictionMode.ENTRANT_COUNT, ranking_order=order)
    user = make.user()
    t0 = utcnow() - timedelta(hours=2)
    attempts = {"fast": _take(make, db, rnd, user, t0, 60, "9"),
                "slow": _take(make, db, rnd, user, t0 + timedelta(minutes=30), 120, "1")}
    db.session.commit()
    ranking.finalize_round(rnd)
    db.session.commit()
    db.session.expire_all()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == user.id))
    assert standing.attempt_id == attempts[expected].id


def test_before_finalisation_the_contests_own_order_picks_the_counted_attempt(make, db):
    """The live board (before the round is finalised) keeps the attempt the contest's own order
    prefers: here the earlier submission, although a later one was faster."""
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=2, counted_attempt=CountedAttempt.BEST,
                     prediction_mode=PredictionMode.ENTRANT_COUNT, ranking_order="score,submitted_at,duration")
    user = make.user()
    t0 = utcnow() - timedelta(hours=2)
    early_slow = _take(make, db, rnd, user, t0, 120, "9")
    late_fast = _take(make, db, rnd, user, t0 + timedelta(minutes=30), 60, "1")
    db.session.commit()
    db.session.expire_all()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == user.id))
    assert standing.attempt_id == early_slow.id != late_fast.id and standing.attempts_count == 2


@pytest.mark.parametrize("policy,which", [(CountedAttempt.FIRST, 0), (CountedAttempt.LAST, 1)])
def test_first_and_last_policies_are_unchanged_by_the_prediction(make, db, policy, which):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=2, counted_attempt=policy,
                     prediction_mode=PredictionMode.ENTRANT_COUNT)
    user = make.user()
    t0 = utcnow() - timedelta(hours=2)
    taken = [_take(make, db, rnd, user, t0, 60, "1"), _take(make, db, rnd, user, t0 + timedelta(minutes=30), 30, "9")]
    ranking.finalize_round(rnd)
    db.session.commit()
    db.session.expire_all()
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == user.id))
    assert standing.attempt_id == taken[which].id and standing.attempts_count == 2


def test_the_rules_page_states_which_attempt_counts(client, make, db, contest):
    resp = client.get(f"/contests/{contest.contest.slug}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert 'id="best-attempt-rule"' in page and "lượt xếp hạng cao nhất" in page
