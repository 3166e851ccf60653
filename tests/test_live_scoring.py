"""The live contest's scoring rules, as pure functions (quizapp/live/scoring.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from quizapp.live import scoring
from quizapp.live.scoring import Press

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_right_answer_earns_the_points_and_a_speed_bonus_from_the_server_open():
    # 20 s question, 5 bonus points: an answer 5 s after the server opened it keeps 3/4 of the bonus.
    assert scoring.knowledge_points(True, 10, 5, at(0), at(20), at(5)) == (10, 3.75)
    assert scoring.knowledge_points(True, 10, 5, at(0), at(20), at(0)) == (10, 5)
    assert scoring.knowledge_points(True, 10, 5, at(0), at(20), at(20)) == (10, 0)


def test_wrong_answer_earns_nothing_however_fast():
    assert scoring.knowledge_points(False, 10, 5, at(0), at(20), at(0.1)) == (0, 0)


def test_no_speed_bonus_outside_the_window_or_when_not_set():
    assert scoring.speed_bonus(5, at(0), at(20), at(25)) == 0
    assert scoring.speed_bonus(5, at(0), at(20), at(-1)) == 0
    assert scoring.speed_bonus(0, at(0), at(20), at(1)) == 0


def test_answers_accepted_only_between_open_and_close_plus_grace():
    assert scoring.accepts_answer(at(0), at(20), at(19.9))
    assert scoring.accepts_answer(at(0), at(20), at(20.4), grace_seconds=0.5)
    assert not scoring.accepts_answer(at(0), at(20), at(20.6), grace_seconds=0.5)
    assert not scoring.accepts_answer(at(0), at(20), at(-0.1))
    assert not scoring.accepts_answer(None, None, at(1))


def test_buzzer_first_press_by_server_arrival_holds_the_right():
    presses = [Press(team_id=7, order=12), Press(team_id=3, order=10), Press(team_id=5, order=11)]
    assert scoring.buzz_holder(presses, pass_on=True) == 3


def test_buzzer_wrong_answer_passes_on_to_the_next_press_only_with_pass_on():
    presses = [Press(3, 10, verdict=False), Press(5, 11), Press(7, 12)]
    assert scoring.buzz_holder(presses, pass_on=True) == 5
    assert scoring.buzz_holder(presses, pass_on=False) is None


def test_buzzer_right_answer_closes_the_question_for_everyone():
    presses = [Press(3, 10, verdict=False), Press(5, 11, verdict=True), Press(7, 12)]
    assert scoring.buzz_holder(presses, pass_on=True) is None


def test_buzzer_mark_points_and_penalty():
    assert scoring.buzzer_points(True, 20, 10) == 20
    assert scoring.buzzer_points(False, 20, 10) == -10
    assert scoring.buzzer_points(False, 20, -10) == -10  # a penalty typed negative is still a loss
    assert scoring.buzzer_points(False, 20, 0) == 0


def test_judges_mean_and_mean_without_highest_and_lowest():
    totals = [8, 9, 10, 4, 9]
    assert scoring.judged_score(totals, "mean") == 8.0
    assert scoring.judged_score(totals, "trimmed") == pytest.approx(26 / 3, abs=0.005)  # 8, 9, 9
    assert scoring.judged_score(totals, "trimmed") == 8.67


def test_trimmed_mean_with_fewer_than_three_judges_is_the_mean():
    assert scoring.judged_score([6, 9], "trimmed") == 7.5
    assert scoring.judged_score([], "mean") is None


def test_rubric_total_and_out_of_range_criterion_named():
    rubric = [{"name": "Nội dung", "max": 5}, {"name": "Hình thức", "max": 3}]
    assert scoring.rubric_total([4.5, 3], rubric) == 7.5
    with pytest.raises(ValueError) as err:
        scoring.rubric_total([4, 3.5], rubric)
    assert str(err.value) == "2"
    with pytest.raises(ValueError):
        scoring.rubric_total([-1, 0], rubric)
    with pytest.raises(ValueError):
        scoring.rubric_total([float("nan"), 0], rubric)


def test_ranking_shares_places_on_ties_and_tiebreak_splits_them():
    standings = scoring.rank({1: 50, 2: 70, 3: 50, 4: 30})
    assert [(s.team_id, s.place, s.tied) for s in standings] == [(2, 1, False), (1, 2, True), (3, 2, True),
                                                                 (4, 4, False)]
    assert scoring.tied_for(standings) == [[1, 3]]
    split = scoring.rank({1: 50, 2: 70, 3: 50, 4: 30}, {3: 10})
    assert [(s.team_id, s.place) for s in split] == [(2, 1), (3, 2), (1, 3), (4, 4)]
    assert scoring.tied_for(split) == []


def test_ranking_compares_to_two_decimals():
    standings = scoring.rank({1: 8.333333, 2: 8.33})
    assert standings[0].place == standings[1].place == 1
