"""Leaderboards: individual and contest rankings, unit rankings, statistics, hand-computed.

Every standing comes from a real attempt through the contest engine
(``make.submission``), so what is tested is what entrants will see.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from quizapp.auth.models import EntrantCategory
from quizapp.contests.models import ContestAggregate, PredictionMode
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.leaderboards import boards, places, ranking, round_stats, snapshots, unit_ranking
from quizapp.leaderboards.people import unit_people
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture
from quizapp.units import services as unit_services




def new_round(make, questions=4, **fields):
    for _ in range(questions):
        make.question()
    return make.round(quotas=(("TC", 0, questions),), **fields)


def finalised(db, *rounds):
    """Store the rounds' true figures (``flask rounds finalize``): only then does the prediction rank anyone."""
    for rnd in rounds:
        ranking.finalize_round(rnd)
    db.session.commit()


def names(board):
    return [(r.full_name, r.rank) for r in board.rows]


T0 = utcnow() - timedelta(hours=3)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


# --- individual ranking of a round -----------------------------------------------------

def test_every_tie_break_step_in_the_default_order(make, db):
    """score → prediction (missing after any) → duration → submission time; full ties share a rank."""
    rnd = new_round(make, time_limit_seconds=120, attempts_allowed=3)
    people = {n: make.user(full_name=n) for n in "ABCDEFG"}
    # 6 perfect papers (A, B, D, E, F, G), so the true figure is 6.
    make.submission(rnd, people["A"], 4, "5", start=at(0), seconds=100)
    make.submission(rnd, people["E"], 4, "5", start=at(0), seconds=100)   # identical to A in every key
    make.submission(rnd, people["B"], 4, "6", start=at(5), seconds=50)     # exact prediction
    make.submission(rnd, people["C"], 3, "6", start=at(1), seconds=10)     # fewer correct answers
    make.submission(rnd, people["D"], 4, "5", start=at(30), seconds=100)   # like A, submitted later
    make.submission(rnd, people["F"], 4, "5", start=at(20), seconds=90)    # like A, faster
    make.submission(rnd, people["G"], 4, None, start=at(0), seconds=100, auto=True)  # no prediction
    finalised(db, rnd)
    board = boards.round_board(rnd.id)
    assert board.truth == "6"
    assert names(board) == [("B", 1), ("F", 2), ("A", 3), ("E", 3), ("D", 5), ("G", 6), ("C", 7)]
    a = next(r for r in board.rows if r.full_name == "A")
    assert (a.score, a.max_score, a.duration_ms, a.prediction, a.prediction_error, a.attempts) == (4, 4, 100_000, "5", "1", 1)


def test_the_counted_attempt_is_the_best_and_attempts_are_counted(make, db):
    rnd = new_round(make, attempts_allowed=3, prediction_mode=PredictionMode.OFF)
    user = make.user(full_name="Lan")
    make.submission(rnd, user, 2, "1", start=at(0), seconds=60)
    make.submission(rnd, user, 4, "1", start=at(100), seconds=80)
    make.submission(rnd, user, 3, "1", start=at(200), seconds=30)
    (row,) = boards.round_board(rnd.id).rows
    assert (row.score, row.duration_ms, row.attempts) == (4, 80_000, 3)


@pytest.mark.parametrize("mode, submissions, truth, expected", [
    # The true figure is how many entrants took part: 3.
    (PredictionMode.ENTRANT_COUNT, [("X", 4, "3"), ("Y", 4, "10"), ("Z", 4, "2")], "3",
     [("X", 1), ("Z", 2), ("Y", 3)]),
    # The true figure is how many answered everything: 3 (W has none right).
    (PredictionMode.PERFECT_COUNT, [("X", 4, "1"), ("Y", 4, "3"), ("Z", 4, "4"), ("W", 0, "3")], "3",
     [("Y", 1), ("Z", 2), ("X", 3), ("W", 4)]),
    # The true figure is the share of perfect papers: 3 of 4 = 75%; decimals with a comma are accepted.
    (PredictionMode.PERFECT_PERCENT, [("X", 4, "75"), ("Y", 4, "74,5"), ("Z", 4, "80"), ("W", 0, "75")], "75",
     [("X", 1), ("Y", 2), ("Z", 3), ("W", 4)]),
])
def test_prediction_targets(make, db, mode, submissions, truth, expected):
    rnd = new_round(make, prediction_mode=mode)
    for i, (name, correct, prediction) in enumerate(submissions):
        make.submission(rnd, make.user(full_name=name), correct, prediction, start=at(i), seconds=60)
    finalised(db, rnd)
    board = boards.round_board(rnd.id)
    assert board.truth == truth and board.final
    assert names(board) == expected


def test_percentage_prediction_error_is_exact(make, db):
    rnd = new_round(make, prediction_mode=PredictionMode.PERFECT_PERCENT)
    make.submission(rnd, make.user(full_name="X"), 4, "33,333333", start=at(0))
    for i in range(2):
        make.submission(rnd, make.user(), 0, "1", start=at(i + 1))
    finalised(db, rnd)
    top = boards.round_board(rnd.id).rows[0]
    assert (top.full_name, top.prediction, top.prediction_error) == ("X", "33.333333", "0")


def test_ranking_order_without_prediction_ignores_it(make, db):
    rnd = new_round(make, ranking_order="score,duration,submitted_at")
    make.submission(rnd, make.user(full_name="slow-exact"), 4, "2", start=at(0), seconds=90)
    make.submission(rnd, make.user(full_name="fast-far"), 4, "900", start=at(1), seconds=60)
    finalised(db, rnd)  # the truth is known (and "slow-exact" guessed closer): still ignored
    assert names(boards.round_board(rnd.id)) == [("fast-far", 1), ("slow-exact", 2)]


def test_prediction_first_order_ranks_the_closest_prediction_above_more_correct_answers(make, db):
    rnd = new_round(make, ranking_order="prediction,submitted_at")
    make.submission(rnd, make.user(full_name="right-answers"), 4, "9", start=at(0))
    make.submission(rnd, make.user(full_name="right-guess"), 1, "1", start=at(1))  # truth: 1 perfect
    finalised(db, rnd)
    assert names(boards.round_board(rnd.id)) == [("right-guess", 1), ("right-answers", 2)]


def test_filters_by_unit_subtree_and_category_keep_the_official_rank(make, db):
    province = make.unit("Tỉnh")
    dept = make.unit("Sở Nội vụ", parent=province)
    commune = make.unit("Xã A", parent=dept)
    other = make.unit("Sở Tư pháp", parent=province)
    rnd = new_round(make, prediction_mode=PredictionMode.OFF)
    make.submission(rnd, make.user(full_name="top", unit=other), 4, "3", start=at(0))
    make.submission(rnd, make.user(full_name="dept", unit=dept), 3, "3", start=at(1))
    make.submission(rnd, make.user(full_name="commune", unit=commune, category=EntrantCategory.CITIZEN), 2, "3",
                    start=at(2))
    board = boards.round_board(rnd.id, unit_id=dept.id)
    assert names(board) == [("dept", 2), ("commune", 3)] and board.total == 2 and board.entrants == 3
    assert names(boards.round_board(rnd.id, category="citizen")) == [("commune", 3)]
    assert names(boards.round_board(rnd.id, unit_id=dept.id, category="civil_servant")) == [("dept", 2)]
    with pytest.raises(ServiceError) as exc:
        boards.round_board(rnd.id, category="nonsense")
    assert exc.value.status == 400


def test_a_participant_always_sees_their_own_place_far_below_the_top(make, db, monkeypatch):
    monkeypatch.setattr(boards, "PAGE_SIZE", 2)
    rnd = new_round(make, prediction_mode=PredictionMode.OFF)
    me = None
    for i in range(5):
        user = make.user(full_name=f"P{i}")
        make.submission(rnd, user, 4 - i, "1", start=at(i))
        me = user
    board = boards.round_board(rnd.id, me, page=1)
    assert [r.full_name for r in board.rows] == ["P0", "P1"] and board.pages == 3
    assert board.me is not None and (board.me.full_name, board.me.rank) == ("P4", 5)
    assert places.place_in_round(rnd.id, me.id).rank == 5
    assert places.place_in_round(rnd.id, make.user().id) is None


# --- whole contest ------------------------------------------------------------------------

def contest_fixture(make):
    r1 = new_round(make, prediction_mode=PredictionMode.OFF, number=1)
    r2 = make.round(quotas=(("TC", 0, 4),), contest=r1.contest, prediction_mode=PredictionMode.OFF, number=2)
    u1, u2, u3 = (make.user(full_name=n) for n in ("U1", "U2", "U3"))
    make.submission(r1, u1, 4, start=at(0), seconds=100)
    make.submission(r2, u1, 2, start=at(10), seconds=100)
    make.submission(r1, u2, 3, start=at(20), seconds=50)
    make.submission(r2, u2, 3, start=at(30), seconds=50)
    make.submission(r2, u3, 4, start=at(40), seconds=30)
    return r1.contest


def test_contest_sum_of_the_rounds(make, db):
    contest = contest_fixture(make)
    board = boards.contest_board(contest.id)
    # U1 and U2 both total 6; U2 took 100 s in all against U1's 200 s.
    assert names(board) == [("U2", 1), ("U1", 2), ("U3", 3)]
    u2 = board.rows[0]
    assert (u2.score, u2.max_score, u2.duration_ms, u2.rounds, u2.attempts) == (6, 8, 100_000, 2, 2)


def test_contest_best_round(make, db):
    contest = contest_fixture(make)
    contest.aggregate = ContestAggregate.BEST
    db.session.commit()
    board = boards.contest_board(contest.id)
    # U1 and U3 both best 4; U3 did it in 30 s.
    assert names(board) == [("U3", 1), ("U1", 2), ("U2", 3)]
    assert (board.rows[1].score, board.rows[1].duration_ms, board.rows[1].rounds) == (4, 100_000, 2)


def test_contest_sum_counts_prediction_errors_and_missing_predictions(make, db):
    r1 = new_round(make, number=1, time_limit_seconds=120)
    r2 = make.round(quotas=(("TC", 0, 4),), contest=r1.contest, number=2, time_limit_seconds=120)
    near, far, none = (make.user(full_name=n) for n in ("near", "far", "none"))
    # Round 1: all three perfect → truth 3.  Round 2: all three perfect → truth 3.
    make.submission(r1, near, 4, "2", start=at(0), seconds=61)
    make.submission(r2, near, 4, "3", start=at(0), seconds=61)  # errors 1 + 0 = 1
    make.submission(r1, far, 4, "1", start=at(1), seconds=61)
    make.submission(r2, far, 4, "1", start=at(1), seconds=61)  # errors 2 + 2 = 4
    make.submission(r1, none, 4, "3", start=at(2), seconds=61)
    make.submission(r2, none, 4, None, start=at(2), seconds=61, auto=True)  # one missing
    finalised(db, r1, r2)
    board = boards.contest_board(r1.contest.id)
    assert names(board) == [("near", 1), ("far", 2), ("none", 3)]
    assert [r.prediction_error for r in board.rows[:2]] == ["1", "4"]


# --- unit ranking ----------------------------------------------------------------------------

def units_fixture(make, db):
    parent = make.unit("Khối sở", bloc="Sở", headcount=2)
    a = make.unit("Sở A", parent=parent, bloc="Sở", headcount=4)
    b = make.unit("Sở B", parent=parent, bloc="Sở", headcount=2)
    c = make.unit("Huyện C", bloc="Huyện", headcount=10)
    d = make.unit("Huyện D", bloc="Huyện", headcount=2)
    e = make.unit("Ban E", bloc="Sở", headcount=0)
    f = make.unit("Huyện F", bloc="Huyện", headcount=2)
    rnd = new_round(make, attempts_allowed=3)
    contest = rnd.contest
    contest.min_participation_rate = Decimal("50")
    contest.unit_ranking_order = "participation,average"
    db.session.commit()
    a1, a2 = make.user(full_name="A-best", unit=a), make.user(full_name="A-two", unit=a)
    make.submission(rnd, a1, 1, "1", start=at(0))
    make.submission(rnd, a1, 4, "1", start=at(100))
    make.submission(rnd, a1, 3, "1", start=at(200))
    make.submission(rnd, a2, 2, "1", start=at(10))
    make.submission(rnd, make.user(full_name="B-best", unit=b), 4, "1", start=at(20))
    make.submission(rnd, make.user(full_name="C-only", unit=c), 4, "1", start=at(30))
    make.submission(rnd, make.user(full_name="E-only", unit=e), 4, "1", start=at(40))
    make.submission(rnd, make.user(full_name="F-best", unit=f), 4, "1", start=at(50), seconds=30)
    return rnd, dict(parent=parent, a=a, b=b, c=c, d=d, e=e, f=f)


def by_name(ranking):
    return {r.name: r for r in ranking.rows}


def test_unit_ranking_hand_computed(make, db):
    rnd, u = units_fixture(make, db)
    result = unit_ranking.compute_unit_ranking(rnd.id)
    rows = by_name(result)
    # B and F: 1 of 2 = 50 %, average 4 → tie at 1; A: 2 of 4 = 50 %, average 3 → 3.
    assert [(r.name, r.rank) for r in result.rows if r.rank] == [("Huyện F", 1), ("Sở B", 1), ("Sở A", 3)]
    a = rows["Sở A"]
    assert (a.entrants, a.attempts, a.headcount, a.rate_text, a.average_text, a.perfect) == (2, 4, 4, "50.00", "3.00", 1)
    # Everyone predicted 1 (truth 5): F-best was fastest, then the 60 s papers by submission time:
    # B-best (+80 s), C-only (+90 s), E-only (+100 s), A-best (+160 s).
    assert (a.best_name, a.best_rank) == ("A-best", 5)
    assert rows["Sở B"].best_rank == 2
    assert rows["Huyện F"].best_rank == 1
    assert (rows["Huyện C"].rank, rows["Huyện C"].note, rows["Huyện C"].rate_text) == (None, "below_minimum", "10.00")
    assert rows["Huyện D"].note == "no_entrants" and rows["Ban E"].note == "no_headcount"
    assert rows["Khối sở"].note == "no_entrants"  # nobody directly in the parent


def test_unit_ranking_order_and_minimum_are_the_contests_settings(make, db):
    rnd, u = units_fixture(make, db)
    rnd.contest.unit_ranking_order = "entrants,average"
    rnd.contest.min_participation_rate = Decimal("0")
    db.session.commit()
    result = unit_ranking.compute_unit_ranking(rnd.id)
    ranked = [(r.name, r.rank) for r in result.rows if r.rank]
    assert ranked[0] == ("Sở A", 1)  # most entrants
    assert ("Huyện C", 2) in ranked  # 10 % participation is ranked now: 1 entrant, average 4


def test_unit_ranking_per_bloc(make, db):
    rnd, u = units_fixture(make, db)
    result = unit_ranking.compute_unit_ranking(rnd.id, bloc="Huyện")
    assert {r.name for r in result.rows} == {"Huyện C", "Huyện D", "Huyện F"}
    assert [(r.name, r.rank) for r in result.rows if r.rank] == [("Huyện F", 1)]
    assert set(result.blocs) == {"Huyện", "Sở"}


def test_unit_ranking_rolls_up_the_subtree(make, db):
    rnd, u = units_fixture(make, db)
    rows = by_name(unit_ranking.compute_unit_ranking(rnd.id, subtree=True))
    parent = rows["Khối sở"]
    # Itself (2) + A (4) + B (2) = 8 headcount; 3 entrants; scores 4 + 2 + 4.
    assert (parent.headcount, parent.entrants, parent.attempts, parent.perfect) == (8, 3, 5, 2)
    assert (parent.rate_text, parent.average_text, parent.best_name) == ("37.50", "3.33", "B-best")
    assert parent.note == "below_minimum"
    assert rows["Sở A"].entrants == 2  # a leaf is unchanged


def test_results_stay_with_the_unit_after_a_merge(make, db):
    rnd, u = units_fixture(make, db)
    unit_services.merge(u["a"], u["b"])
    db.session.commit()
    rows = by_name(unit_ranking.compute_unit_ranking(rnd.id))
    assert rows["Sở A"].entrants == 2 and rows["Sở A"].merged and not rows["Sở A"].is_active
    assert rows["Sở B"].entrants == 1 and rows["Sở B"].headcount == 6
    # A later attempt by a moved member counts for the new unit only.
    rnd2 = make.round(quotas=(("TC", 0, 4),), contest=rnd.contest, number=2)
    from quizapp.auth.models import User
    mover = db.session.scalar(db.select(User).where(User.full_name == "A-two"))
    make.submission(rnd2, mover, 4, "1", start=at(0))
    assert by_name(unit_ranking.compute_unit_ranking(rnd2.id))["Sở B"].entrants == 1
    assert by_name(unit_ranking.compute_unit_ranking(rnd.id))["Sở A"].entrants == 2
    finalised(db, rnd)  # its results are published (the round has a prediction question)
    board = boards.round_board(rnd.id)
    assert {r.full_name: r.unit_name for r in board.rows}["A-two"] == "Sở A"
    # Roll-up: B's headcount includes A's; A's is not counted twice.
    assert by_name(unit_ranking.compute_unit_ranking(rnd.id, subtree=True))["Khối sở"].headcount == 8


def test_unit_aggregates_agree_with_an_independent_pandas_computation(make, db):
    import random

    import pandas as pd
    import sqlalchemy as sa

    from quizapp.attempts.models import Attempt, AttemptStatus
    from quizapp.units.models import Unit

    rng = random.Random(7)
    unit_list = [make.unit(headcount=rng.randint(3, 12)) for _ in range(6)]
    rnd = new_round(make, attempts_allowed=3)
    for i in range(30):
        user = make.user(unit=rng.choice(unit_list))
        for k in range(rng.randint(1, 3)):
            make.submission(rnd, user, rng.randint(0, 4), str(rng.randint(0, 30)), start=at(i * 10 + k * 300),
                            seconds=rng.randint(20, 200))
    attempts = pd.DataFrame(db.session.execute(
        sa.select(Attempt.user_id, Attempt.unit_id, Attempt.score, Attempt.max_score, Attempt.duration_ms)
        .where(Attempt.round_id == rnd.id, Attempt.status == AttemptStatus.SUBMITTED)).all(),
        columns=["user_id", "unit_id", "score", "max_score", "duration_ms"])
    tries = attempts.groupby("user_id").size().rename("tries")
    best = (attempts.sort_values(["user_id", "score", "duration_ms"], ascending=[True, False, True])
            .groupby("user_id").head(1).set_index("user_id").join(tries))
    best["perfect"] = (best.score == best.max_score).astype(int)
    expected = best.groupby("unit_id").agg(entrants=("score", "size"), attempts=("tries", "sum"),
                                           average=("score", "mean"), perfect=("perfect", "sum"))
    heads = dict(db.session.execute(sa.select(Unit.id, Unit.headcount)).all())
    result = {r.unit_id: r for r in unit_ranking.compute_unit_ranking(rnd.id).rows}
    for unit_id, e in expected.iterrows():
        got = result[unit_id]
        assert (got.entrants, got.attempts, got.perfect) == (e.entrants, e.attempts, e.perfect)
        assert float(got.average) == pytest.approx(e.average)
        # capped at 100 % (issue 11 item 7: a unit over its headcount is flagged instead)
        assert float(got.rate) == pytest.approx(min(100, 100 * e.entrants / heads[unit_id]))
        assert got.over_headcount == (e.entrants > heads[unit_id])
    assert {u for u, r in result.items() if r.entrants} == set(expected.index)


# --- statistics --------------------------------------------------------------------------------

def test_round_statistics_hand_computed(make, db):
    rnd = new_round(make, questions=5)
    unit = make.unit("Phường 1", headcount=12)
    for i, correct in enumerate([5, 5, 4, 2, 1, 0]):
        make.submission(rnd, make.user(unit=unit), correct, "2", start=at(i))
    stats = round_stats.compute_round_stats(rnd.id)
    assert (stats.entrants, stats.attempts, stats.perfect, stats.perfect_pct) == (6, 6, 2, "33.3")
    assert stats.bands == [["full", 2, "33.3"], ["q75", 1, "16.7"], ["q25", 1, "16.7"], ["low", 1, "16.7"],
                           ["zero", 1, "16.7"]]
    assert stats.truth is None and not stats.truth_final  # secret until the round is finalised
    finalised(db, rnd)
    assert round_stats.compute_round_stats(rnd.id).truth == "2"
    assert stats.distribution == [[0, 1], [1, 1], [2, 1], [3, 0], [4, 1], [5, 2]]
    local_day = (at(0) + timedelta(hours=7)).date().isoformat()
    assert [d for d, _, _ in stats.per_day] == [local_day] and stats.per_day[0][1:] == [6, 6]
    assert ["Phường 1", "50.00", 6, 12] in stats.units


def test_statistics_list_units_lowest_participation_first(make, db):
    rnd = new_round(make)
    low, high = make.unit("Thấp", headcount=10), make.unit("Cao", headcount=1)
    make.submission(rnd, make.user(unit=high), 4, "1", start=at(0))
    make.submission(rnd, make.user(unit=low), 4, "1", start=at(1))
    names_in_order = [n for n, *_ in round_stats.compute_round_stats(rnd.id).units]
    assert names_in_order.index("Thấp") < names_in_order.index("Cao")


# --- a unit manager's people -------------------------------------------------------------------

def test_unit_people_lists_who_has_not_taken_part_first(make, db):
    unit = make.unit("Sở X")
    sub = make.unit("Phòng Y", parent=unit)
    rnd = new_round(make, prediction_mode=PredictionMode.OFF)
    done = make.user(full_name="Đã thi", unit=sub)
    make.user(full_name="Chưa thi", unit=unit)
    make.user(full_name="Ngoài", unit=make.unit())
    make.submission(rnd, done, 3, "1", start=at(0))
    people = unit_people(unit.id, rnd.id)
    assert [(p.full_name, p.took_part) for p in people] == [("Chưa thi", False), ("Đã thi", True)]
    assert people[1].rank == 1 and people[1].score == 3
    assert [p.full_name for p in unit_people(unit.id, rnd.id, subtree=False)] == ["Chưa thi"]


@pytest.mark.parametrize("mode, order", [
    (PredictionMode.PERFECT_COUNT, None),
    (PredictionMode.PERFECT_PERCENT, None),
    (PredictionMode.ENTRANT_COUNT, "score,duration,prediction"),
    (PredictionMode.OFF, "score,duration,submitted_at"),
    (PredictionMode.PERFECT_COUNT, "prediction,submitted_at"),
])
def test_the_fast_snapshot_agrees_with_the_reference_ranking(make, db, mode, order):
    """The snapshot ranks in numpy; ``ranking.rank_round`` ranks in SQL: same places, same ties."""
    import random

    from quizapp.leaderboards import ranking

    rng = random.Random(3)
    rnd = new_round(make, prediction_mode=mode, ranking_order=order, time_limit_seconds=120)
    for i in range(40):
        prediction = None if mode == PredictionMode.OFF else str(rng.choice([1, 2, 3, 10, 25, 50]))
        seconds = rng.choice([61, 70, 90])
        auto = rng.random() < 0.1 and mode != PredictionMode.OFF
        make.submission(rnd, make.user(), rng.randint(2, 4), None if auto else prediction,
                        start=at(rng.choice([0, 0, 5, 9])), seconds=seconds, auto=auto)
    reference = [(e.user_id, e.rank) for e in ranking.rank_round(rnd.id)]
    snap = snapshots.compute_round_snapshot(rnd.id)
    assert list(zip(snap.user_ids.tolist(), snap.ranks.tolist())) == reference
    assert len({r for _, r in reference}) < len(reference)  # the data has ties
