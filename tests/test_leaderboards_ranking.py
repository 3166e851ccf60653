"""Ranking a round's entrants: every tie-break step and every prediction mode, hand-computed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from quizapp.attempts.models import Attempt, AttemptStatus
from quizapp.contests.models import PredictionMode
from quizapp.leaderboards import order, ranking
from quizapp.leaderboards.models import Standing

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)


class Board:
    """Standings written directly: who scored what, predicted what, in how long, when."""

    def __init__(self, make, db, mode=PredictionMode.PERFECT_COUNT, order=None, max_score=10):
        self.make, self.db, self.max_score = make, db, max_score
        self.round = make.round(prediction_mode=mode, ranking_order=order)
        self.users = {}

    def add(self, name, score, prediction=None, duration=100, submitted=0):
        user = self.make.user(full_name=name)
        at = T0 + timedelta(seconds=submitted)
        attempt = Attempt(round_id=self.round.id, user_id=user.id, unit_id=user.unit_id, category="civil_servant",
                          number=1, status=AttemptStatus.SUBMITTED, started_at=at - timedelta(seconds=duration),
                          deadline_at=at, submitted_at=at, score=score, max_score=self.max_score,
                          duration_ms=duration * 1000,
                          prediction=None if prediction is None else Decimal(str(prediction)))
        self.db.session.add(attempt)
        self.db.session.flush()
        self.db.session.add(Standing(round_id=self.round.id, user_id=user.id, unit_id=user.unit_id,
                                     category="civil_servant", attempt_id=attempt.id, attempts_count=1,
                                     score=score, max_score=self.max_score, duration_ms=duration * 1000,
                                     prediction=attempt.prediction, submitted_at=at))
        self.db.session.commit()
        self.users[user.id] = name
        return user

    def ranks(self, final=True, **kw):
        """The ranking once the round is finalised (``final``), or while it is still open."""
        if final:
            self.round.finalized_at = None
            ranking.finalize_round(self.round)
            self.db.session.commit()
        return [(self.users[e.user_id], e.rank) for e in ranking.rank_round(self.round.id, **kw)]


def test_more_correct_answers_rank_first_whatever_the_rest(make, db):
    b = Board(make, db)
    b.add("slow-but-right", 9, prediction=100, duration=900, submitted=50)
    b.add("fast-but-wrong", 8, prediction=0, duration=10, submitted=1)
    assert b.ranks() == [("slow-but-right", 1), ("fast-but-wrong", 2)]


def test_same_score_then_the_closest_prediction_wins_even_if_slower(make, db):
    b = Board(make, db)  # nobody is perfect: the true figure is 0
    b.add("far", 9, prediction=5, duration=10)
    b.add("close", 9, prediction=1, duration=500)
    b.add("exact", 9, prediction=0, duration=900)
    assert b.ranks() == [("exact", 1), ("close", 2), ("far", 3)]
    assert ranking.rank_round(b.round.id)[1].prediction_error == Decimal(1)


def test_same_score_and_distance_then_shorter_duration(make, db):
    b = Board(make, db)
    b.add("over", 10, prediction=3, duration=50, submitted=1)  # truth = 2 perfect → distance 1
    b.add("under", 10, prediction=1, duration=40, submitted=9)  # distance 1 too, faster
    assert b.ranks() == [("under", 1), ("over", 2)]


def test_same_score_distance_and_duration_then_earlier_submission(make, db):
    b = Board(make, db)
    b.add("later", 10, prediction=2, duration=60, submitted=30)
    b.add("earlier", 10, prediction=2, duration=60, submitted=10)
    assert b.ranks() == [("earlier", 1), ("later", 2)]


def test_ties_that_survive_every_step_share_a_rank_1_2_2_4(make, db):
    b = Board(make, db)
    b.add("first", 10, prediction=3, duration=30, submitted=5)
    b.add("tie-a", 10, prediction=3, duration=60, submitted=5)
    b.add("tie-b", 10, prediction=3, duration=60, submitted=5)
    b.add("fourth", 9, prediction=3, duration=1, submitted=1)
    ranks = b.ranks()
    assert [r for _n, r in ranks] == [1, 2, 2, 4]
    assert {n for n, r in ranks if r == 2} == {"tie-a", "tie-b"}


def test_a_missing_prediction_ranks_after_any_given_one(make, db):
    b = Board(make, db)
    b.add("none", 10, prediction=None, duration=1, submitted=1)
    b.add("absurd", 10, prediction=999_999_999, duration=600, submitted=60)
    b.add("none-slow", 10, prediction=None, duration=5, submitted=2)
    assert b.ranks() == [("absurd", 1), ("none", 2), ("none-slow", 3)]


def test_hand_computed_board_perfect_count(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT)
    # perfect: A, B, C, E, F → truth 5
    b.add("A", 10, prediction=3, duration=100, submitted=1)   # |3-5| = 2
    b.add("B", 10, prediction=2, duration=50, submitted=2)    # 3
    b.add("C", 10, prediction=None, duration=10, submitted=3)  # missing
    b.add("D", 9, prediction=5, duration=10, submitted=4)     # lower score
    b.add("E", 10, prediction=7, duration=90, submitted=5)    # 2
    b.add("F", 10, prediction=3, duration=90, submitted=5)    # 2, same as E on every key
    assert ranking.live_truth(b.round) == Decimal(5)
    assert sorted(b.ranks()[:2]) == [("E", 1), ("F", 1)]
    assert b.ranks()[2:] == [("A", 3), ("B", 4), ("C", 5), ("D", 6)]


def _four(b, preds):
    for name, score, pred in zip(("P1", "P2", "P3", "Q"), (10, 10, 10, 5), preds):
        b.add(name, score, prediction=pred, duration=60, submitted=0)


def test_prediction_mode_perfect_count(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT)
    _four(b, (3, 4, 10, 3))  # truth 3 perfect
    assert ranking.live_truth(b.round) == 3
    assert b.ranks() == [("P1", 1), ("P2", 2), ("P3", 3), ("Q", 4)]


def test_prediction_mode_entrant_count(make, db):
    b = Board(make, db, PredictionMode.ENTRANT_COUNT)
    _four(b, (3, 4, 10, 3))  # truth 4 entrants
    assert ranking.live_truth(b.round) == 4
    assert b.ranks() == [("P2", 1), ("P1", 2), ("P3", 3), ("Q", 4)]


def test_prediction_mode_perfect_percent_with_decimals(make, db):
    b = Board(make, db, PredictionMode.PERFECT_PERCENT)
    _four(b, ("74.999999", "75.5", "75.000002", "75"))  # truth 3/4 = 75%
    assert ranking.live_truth(b.round) == Decimal("75.000000")
    # distances: P1 0.000001, P3 0.000002, P2 0.5
    assert b.ranks() == [("P1", 1), ("P3", 2), ("P2", 3), ("Q", 4)]
    entries = ranking.rank_round(b.round.id)
    assert entries[1].prediction_error == Decimal("0.000002")


def test_percent_truth_is_rounded_to_six_places(make, db):
    b = Board(make, db, PredictionMode.PERFECT_PERCENT)
    for i in range(7):
        b.add(f"u{i}", 10 if i < 3 else 4, prediction=1)
    assert ranking.live_truth(b.round) == Decimal("42.857143")


def test_prediction_off_skips_the_prediction_step(make, db):
    b = Board(make, db, PredictionMode.OFF)
    b.add("slow", 10, prediction=None, duration=90)
    b.add("fast", 10, prediction=None, duration=30)
    assert ranking.live_truth(b.round) is None
    assert b.ranks() == [("fast", 1), ("slow", 2)]


def test_contest_ranking_order_without_prediction(make, db):
    b = Board(make, db, order="score,duration,submitted_at")  # Bình Tân 2019
    b.add("good-guess-slow", 10, prediction=2, duration=90)
    b.add("bad-guess-fast", 10, prediction=50, duration=30)
    assert b.ranks() == [("bad-guess-fast", 1), ("good-guess-slow", 2)]


def test_contest_ranking_order_prediction_then_submission(make, db):
    b = Board(make, db, PredictionMode.ENTRANT_COUNT, order="prediction,submitted_at")  # Quảng Ninh
    b.add("high-score-bad-guess", 10, prediction=50, submitted=1)
    b.add("low-score-exact-late", 2, prediction=3, submitted=90)
    b.add("low-score-exact-early", 1, prediction=3, submitted=10)
    assert b.ranks() == [("low-score-exact-early", 1), ("low-score-exact-late", 2), ("high-score-bad-guess", 3)]


def test_contest_ranking_order_score_duration_prediction(make, db):
    b = Board(make, db, order="score,duration,prediction")  # a Lạng Sơn contest
    b.add("exact-slow", 10, prediction=2, duration=90)
    b.add("far-fast", 10, prediction=40, duration=30)
    assert b.ranks() == [("far-fast", 1), ("exact-slow", 2)]


def test_unknown_keys_in_the_ranking_order_are_ignored(make, db):
    assert order.ranking_keys("score, bogus ,duration,score") == ["score", "duration"]
    assert order.ranking_keys("") == ["score", "prediction", "duration", "submitted_at"]


def test_limit_offset_and_place_of(make, db):
    b = Board(make, db)
    users = [b.add(f"u{i}", 10 - i, prediction=1, duration=10) for i in range(5)]
    page = ranking.rank_round(b.round.id, limit=2, offset=2)
    assert [(b.users[e.user_id], e.rank) for e in page] == [("u2", 3), ("u3", 4)]
    place = ranking.place_of(b.round.id, users[3].id)
    assert place.rank == 4 and place.score == 7
    assert ranking.place_of(b.round.id, make.user().id) is None


def test_truth_is_secret_while_open_and_final_once_finalised(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT)
    b.add("a", 10, prediction=1)
    assert ranking.live_truth(b.round) == 1 and not ranking.is_final(b.round)
    assert ranking.prediction_truth(b.round) is None  # not used by any ranking or page before finalisation
    b.add("b", 10, prediction=1)
    assert ranking.live_truth(b.round) == 2  # live
    assert ranking.finalize_round(b.round) is True
    db.session.commit()
    assert ranking.is_final(b.round) and b.round.prediction_truth == 2
    b.add("late-row", 10, prediction=1)  # e.g. a correction: the stored figure stays
    assert ranking.prediction_truth(b.round) == 2
    assert ranking.finalize_round(b.round) is False


@pytest.mark.parametrize("mode,expected", [
    (PredictionMode.PERFECT_COUNT, Decimal(0)), (PredictionMode.ENTRANT_COUNT, Decimal(0)),
    (PredictionMode.PERFECT_PERCENT, Decimal("0.000000")),
])
def test_truth_of_an_empty_round(make, db, mode, expected):
    b = Board(make, db, mode)
    assert ranking.live_truth(b.round) == expected
    assert ranking.rank_round(b.round.id) == []


def test_while_open_the_ranking_ignores_the_prediction_and_hides_it(make, db):
    """Issue 11.1: the live figure would let the last entrant copy it and win the tie-break."""
    b = Board(make, db)  # nobody is perfect: the live figure is 0
    b.add("exact-but-slow", 9, prediction=0, duration=900)
    b.add("far-but-fast", 9, prediction=50, duration=10)
    assert b.ranks(final=False) == [("far-but-fast", 1), ("exact-but-slow", 2)]
    assert all(e.prediction is None and e.prediction_error is None for e in ranking.rank_round(b.round.id))
    assert b.ranks() == [("exact-but-slow", 1), ("far-but-fast", 2)]  # finalised: the prediction decides
