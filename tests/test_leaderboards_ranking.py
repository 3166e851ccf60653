"""Ranking a round's entrants: every tie-break step and every prediction mode, hand-computed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

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

    def add(self, name, score, prediction=None, duration=100, submitted=0, category="civil_servant"):
        user = self.make.user(full_name=name, category=category)
        at = T0 + timedelta(seconds=submitted)
        attempt = Attempt(round_id=self.round.id, user_id=user.id, unit_id=user.unit_id, category=category,
                          number=1, status=AttemptStatus.SUBMITTED, started_at=at - timedelta(seconds=duration),
                          deadline_at=at, submitted_at=at, score=score, max_score=self.max_score,
                          duration_ms=duration * 1000,
                          prediction=None if prediction is None else Decimal(str(prediction)))
        self.db.session.add(attempt)
        self.db.session.flush()
        self.db.session.add(Standing(round_id=self.round.id, user_id=user.id, unit_id=user.unit_id,
                                     category=category, attempt_id=attempt.id, attempts_count=1,
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


# --- issue 20 item 17: the order rules as entrants rely on them (mutation testing, docs/testing.md) ----------

@pytest.mark.parametrize("mode", [PredictionMode.PERFECT_COUNT, PredictionMode.ENTRANT_COUNT,
                                  PredictionMode.PERFECT_PERCENT])
def test_while_open_a_missing_prediction_does_not_rank_below_a_slower_entrant_who_made_one(make, db, mode):
    """The prediction is no ranking key until the round is finalised, so having made one cannot buy a place
    over a faster entrant who has not (mutant ``or`` → ``and`` in ``_order_by`` did exactly that)."""
    b = Board(make, db, mode)
    b.add("no-guess-fast", 9, prediction=None, duration=10, submitted=1)
    b.add("guess-slow", 9, prediction=0, duration=900, submitted=2)
    b.add("no-guess-slowest", 9, prediction=None, duration=950, submitted=0)
    assert b.ranks(final=False) == [("no-guess-fast", 1), ("guess-slow", 2), ("no-guess-slowest", 3)]
    # Once the truth is fixed, any prediction ranks before a missing one.
    assert b.ranks() == [("guess-slow", 1), ("no-guess-fast", 2), ("no-guess-slowest", 3)]


def test_while_open_equal_score_and_times_share_a_place_whatever_was_predicted(make, db):
    b = Board(make, db)
    b.add("guessed", 10, prediction=3, duration=60, submitted=5)
    b.add("no-guess", 10, prediction=None, duration=60, submitted=5)
    b.add("guessed-other", 10, prediction=40, duration=60, submitted=5)
    b.add("slower", 10, prediction=2, duration=61, submitted=5)
    assert sorted(b.ranks(final=False)) == [("guessed", 1), ("guessed-other", 1), ("no-guess", 1), ("slower", 4)]


def test_the_key_order_is_score_then_distance_then_duration_then_submission_each_only_breaking_ties(make, db):
    """One board where every key decides exactly one pair, finalised (truth = 3 perfect papers)."""
    b = Board(make, db)
    b.add("perfect-exact-slow-late", 10, prediction=3, duration=300, submitted=90)
    b.add("perfect-exact-slow-early", 10, prediction=3, duration=300, submitted=10)
    b.add("perfect-exact-fast", 10, prediction=3, duration=100, submitted=99)
    b.add("perfect-near-fastest", 10, prediction=4, duration=1, submitted=1)
    b.add("nine-exact-fastest", 9, prediction=3, duration=1, submitted=0)
    b.add("nine-none", 9, prediction=None, duration=1, submitted=0)
    assert b.round.contest.ranking_order == "score,prediction,duration,submitted_at"  # the default order
    # perfect: 4 papers → truth 4; distances: exact-* 1, near 0
    assert b.ranks() == [("perfect-near-fastest", 1), ("perfect-exact-fast", 2), ("perfect-exact-slow-early", 3),
                         ("perfect-exact-slow-late", 4), ("nine-exact-fastest", 5), ("nine-none", 6)]
    entries = ranking.rank_round(b.round.id)
    assert [e.prediction_error for e in entries[:5]] == [Decimal(0), Decimal(1), Decimal(1), Decimal(1), Decimal(1)]
    assert entries[0].prediction == Decimal(4) and entries[5].prediction is None and entries[5].prediction_error is None
    assert [ranking.place_of(b.round.id, e.user_id) for e in entries] == entries  # one entrant's place: the same


def test_an_equal_distance_above_and_below_the_truth_is_a_tie_on_that_key(make, db):
    b = Board(make, db, PredictionMode.ENTRANT_COUNT)  # truth: 3 entrants
    b.add("above", 10, prediction="3.5", duration=60, submitted=5)
    b.add("below", 10, prediction="2.5", duration=60, submitted=5)
    b.add("further", 10, prediction="3.500001", duration=1, submitted=1)
    assert sorted(b.ranks()) == [("above", 1), ("below", 1), ("further", 3)]


def test_ties_are_listed_in_a_stable_order_and_the_next_place_skips(make, db):
    b = Board(make, db, PredictionMode.OFF)
    tied = [b.add(f"tie-{i}", 7, duration=60, submitted=5) for i in range(3)]
    b.add("after", 7, duration=61, submitted=0)
    entries = ranking.rank_round(b.round.id)
    assert [(e.user_id, e.rank) for e in entries] == [(u.id, 1) for u in tied] + [(entries[3].user_id, 4)]
    assert ranking.place_of(b.round.id, tied[2].id).rank == 1
    assert [e.user_id for e in ranking.rank_round(b.round.id, limit=2, offset=1)] == [tied[1].id, tied[2].id]


def test_groups_ranked_separately_each_have_their_own_places_and_the_rest_rank_together(make, db):
    from quizapp.contests.models import RoundQuota

    b = Board(make, db, PredictionMode.OFF)
    tthc = make.area("TTHC").id
    b.round.quotas.append(RoundQuota(area_id=tthc, difficulty=0, count=2, entrant_group="student"))
    db.session.commit()
    b.add("cs-best", 10, duration=50, category="civil_servant")
    b.add("student-best", 2, duration=90, category="student")
    b.add("citizen", 9, duration=10, category="citizen")
    b.add("student-second", 1, duration=10, category="student")
    assert b.ranks(final=False) == [("cs-best", 1), ("citizen", 2), ("student-best", 3), ("student-second", 4)]
    b.round.rank_groups_separately = True
    db.session.commit()
    assert sorted(b.ranks(final=False)) == [("citizen", 2), ("cs-best", 1), ("student-best", 1),
                                            ("student-second", 2)]
    student = next(uid for uid, name in b.users.items() if name == "student-second")
    assert ranking.place_of(b.round.id, student).rank == 2


def test_finalising_stores_the_time_it_is_given_and_the_figure_of_that_moment(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT)
    b.add("a", 10, prediction=1)
    b.add("b", 9, prediction=1)
    at = datetime(2026, 3, 9, 17, 0, 5, tzinfo=timezone.utc)
    assert ranking.finalize_round(b.round, now=at) is True
    db.session.commit()
    assert b.round.finalized_at == at and b.round.prediction_truth == Decimal(1)
    assert ranking.prediction_truth(b.round) == Decimal(1)


def test_a_paper_with_no_questions_is_not_a_perfect_paper(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT, max_score=0)
    b.add("empty", 0, prediction=1)
    assert ranking.live_truth(b.round) == Decimal(0)


def test_prediction_truth_is_none_for_a_round_without_a_prediction_even_once_finalised(make, db):
    b = Board(make, db, PredictionMode.OFF)
    b.add("a", 10)
    b.round.prediction_truth = Decimal(7)  # a figure left from before the organiser turned the question off
    b.round.finalized_at = T0
    db.session.commit()
    assert ranking.prediction_truth(b.round) is None
    assert all(e.prediction is None for e in ranking.rank_round(b.round.id))


def test_a_missing_round_has_no_ranking_and_no_place(make, db):
    assert ranking.rank_round(987654) == [] and ranking.place_of(987654, 1) is None


@pytest.mark.parametrize("value,text", [
    (None, None), (Decimal("7.000000"), "7"), (Decimal("87.654320"), "87.65432"), (Decimal("0.000001"), "0.000001"),
    (Decimal("100.000000"), "100"), (Decimal("0"), "0"), (Decimal("12.5"), "12.5"), (3, "3"),
])
def test_figures_are_shown_without_trailing_zeros_or_exponents(value, text):
    assert ranking.number_text(value) == text


def test_each_entry_carries_the_standing_it_ranks(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT)
    user = b.add("only", 10, prediction=2, duration=77, submitted=12, category="student")
    standing = db.session.scalar(sa.select(Standing).where(Standing.user_id == user.id))
    ranking.finalize_round(b.round)
    db.session.commit()
    e = ranking.rank_round(b.round.id)[0]
    assert (e.rank, e.user_id, e.unit_id, e.category, e.attempt_id, e.attempts_count) == (
        1, user.id, user.unit_id, "student", standing.attempt_id, 1)
    assert (e.score, e.max_score, e.duration_ms, e.submitted_at) == (10, 10, 77_000, T0 + timedelta(seconds=12))
    assert (e.prediction, e.prediction_error) == (Decimal(2), Decimal(1))


def test_a_one_question_paper_answered_right_is_perfect(make, db):
    b = Board(make, db, PredictionMode.PERFECT_COUNT, max_score=1)
    b.add("right", 1, prediction=1)
    b.add("wrong", 0, prediction=1)
    assert ranking.live_truth(b.round) == Decimal(1)
