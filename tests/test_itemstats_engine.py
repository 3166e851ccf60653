"""Item statistics formulas, cross-checked against hand-worked values and an
independent pandas/numpy computation (docs/item-statistics.md)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quizapp.itemstats import engine
from quizapp.itemstats.engine import ItemMeta, Response

# The reference's worked example: 6 attempts (A–F) × 3 items, every item shown to all.
WORKED = [[1, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]]


def _binary_sample(matrix):
    """Items with two options: option 10*i is the key, 10*i+1 the distractor."""
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(len(matrix[0]))}
    responses = [Response(a, i, bool(v), (10 * i,) if v else (10 * i + 1,))
                 for a, row in enumerate(matrix) for i, v in enumerate(row)]
    return responses, items


def test_worked_example_of_the_reference():
    figures, test = engine.compute(*_binary_sample(WORKED), min_n=1)
    assert [round(figures[i].facility, 1) for i in range(3)] == [66.7, 50.0, 33.3]
    assert figures[0].discrimination == pytest.approx(34.3, abs=0.05)
    assert figures[0].efficiency == pytest.approx(40.0, abs=0.01)
    assert figures[1].discrimination == 0.0 and figures[1].efficiency == 0.0
    assert figures[2].discrimination == pytest.approx(34.3, abs=0.05)
    assert figures[2].efficiency == pytest.approx(40.0, abs=0.01)
    assert test.cic == pytest.approx(36.4, abs=0.05)
    assert test.cic_approximate is False  # everyone saw the same three items


def test_worked_example_recomputed_independently_with_pandas():
    """The same figures from a straightforward pandas/numpy computation of the formulas."""
    x = pd.DataFrame(WORKED, columns=["i1", "i2", "i3"], dtype=float)
    t = x.sum(axis=1)
    figures, test = engine.compute(*_binary_sample(WORKED), min_n=1)
    for i, col in enumerate(x.columns):
        rest = t - x[col]
        assert figures[i].facility == pytest.approx(100 * x[col].mean(), abs=1e-3)
        assert figures[i].sd == pytest.approx(100 * x[col].std(ddof=1), abs=1e-3)
        assert figures[i].discrimination == pytest.approx(100 * x[col].corr(rest), abs=1e-3)
        cov_max = np.cov(np.sort(x[col]), np.sort(rest))[0, 1]
        assert figures[i].efficiency == pytest.approx(100 * np.cov(x[col], rest)[0, 1] / cov_max, abs=1e-3)
    alpha = 3 / 2 * (1 - x.var(ddof=1).sum() / t.var(ddof=1))
    assert test.cic == pytest.approx(100 * alpha, abs=1e-3)
    scores = 100 * t / 3
    assert test.mean == pytest.approx(scores.mean()) and test.median == pytest.approx(scores.median())
    assert test.sd == pytest.approx(scores.std(ddof=1), abs=1e-3)
    dev = scores - scores.mean()
    assert test.skewness == pytest.approx((dev ** 3).mean() / (dev ** 2).mean() ** 1.5, abs=1e-3)
    assert test.kurtosis == pytest.approx((dev ** 4).mean() / (dev ** 2).mean() ** 2 - 3, abs=1e-3)
    assert test.error_ratio == pytest.approx(100 * np.sqrt(1 - alpha), abs=1e-3)
    assert test.standard_error == pytest.approx(np.sqrt(1 - alpha) * scores.std(ddof=1), abs=1e-3)


# A hand-worked fixture with options: 10 attempts, 4 items.  Item 3 (options 30 = key,
# 31, 32) is answered "31" by the five strongest entrants: the key is probably wrong.
#            item0 item1 item2 item3-choice
HAND = [
    ("P1", 1, 1, 1, 31), ("P2", 1, 1, 1, 31), ("P3", 1, 1, 0, 31), ("P4", 1, 1, 1, 31),
    ("P5", 1, 0, 1, 31), ("P6", 1, 0, 0, 30), ("P7", 0, 1, 0, 30), ("P8", 1, 0, 0, 32),
    ("P9", 0, 0, 0, 30), ("P10", 0, 0, 0, 32),
]


def _hand_sample():
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(3)}
    items[3] = ItemMeta(3, (30, 31, 32), frozenset({30}))
    responses = []
    for who, *row in HAND:
        for i, v in enumerate(row[:3]):
            responses.append(Response(who, i, bool(v), (10 * i,) if v else (10 * i + 1,)))
        responses.append(Response(who, 3, row[3] == 30, (row[3],)))
    return responses, items


def test_option_analysis_and_wrong_key_flag_on_a_hand_worked_fixture():
    figures, test = engine.compute(*_hand_sample(), min_n=1)
    item3 = figures[3]
    # By hand: 3 of 10 chose the key (P6, P7, P9): facility 30 %.
    assert item3.facility == 30.0
    # Rest scores (out of the 3 other items): P1 3, P2 3, P4 3, P3 2, P5 2, P6 1, P7 1, P8 1, P9 0, P10 0.
    # Kelley groups of round(0.27 × 10) = 3: upper = P1, P2, P4 (all chose 31); lower = P9, P10 and
    # (stable sort among the rest-1 ties P6, P7, P8) P6 → key 2/3, option 32 1/3.
    by_option = {o.option_id: o for o in item3.options}
    assert by_option[31].upper == 100.0 and by_option[30].upper == 0.0
    assert by_option[30].lower == pytest.approx(66.6667) and by_option[32].lower == pytest.approx(33.3333)
    assert by_option[31].share == 50.0 and by_option[32].share == 20.0
    assert by_option[31].point_biserial > 0 > by_option[30].point_biserial
    assert engine.FLAG_WRONG_KEY in item3.flags
    assert engine.FLAG_NOT_DISCRIMINATING in item3.flags  # negative D
    assert item3.discrimination < 0
    # Item 0 (facility 7/10 = 70 %) is keyed right: no flag, positive discrimination (its rest
    # score includes the miskeyed item 3, which pulls it down).
    assert figures[0].facility == 70.0 and figures[0].flags == []
    assert figures[0].discrimination > 15


def test_hand_fixture_point_biserials_match_pandas():
    responses, items = _hand_sample()
    figures, _test = engine.compute(responses, items, min_n=1)
    df = pd.DataFrame([(r.attempt, r.question_id, float(r.correct), r.selected[0]) for r in responses],
                      columns=["who", "item", "x", "chose"])
    totals = df.groupby("who")["x"].sum()
    for item, meta in items.items():
        part = df[df["item"] == item].set_index("who")
        rest = (totals[part.index] - part["x"]) / 3
        assert figures[item].discrimination == pytest.approx(100 * part["x"].corr(rest), abs=1e-3)
        for option in meta.option_ids:
            chose = (part["chose"] == option).astype(float)
            expected = chose.corr(rest)
            got = next(o.point_biserial for o in figures[item].options if o.option_id == option)
            assert got == pytest.approx(expected, abs=1e-3)


def test_random_guess_scores():
    assert engine.random_guess(4, False) == 25.0
    assert engine.random_guess(4, True) == pytest.approx(100 / 15)


def test_too_few_attempts_get_no_flags_and_easy_hard_flags_apply_above():
    few = [[1, 1]] * 29
    figures, _ = engine.compute(*_binary_sample(few))
    assert figures[0].n == 29 and figures[0].flags == []
    rows = [[1, 0]] * 28 + [[1, 1]] * 2 + [[0, 0]]
    figures, _ = engine.compute(*_binary_sample(rows))
    assert engine.FLAG_TOO_EASY in figures[0].flags  # 30/31 right
    assert engine.FLAG_TOO_HARD in figures[1].flags  # 2/31 right


def test_random_draws_use_each_questions_own_attempts_and_mark_cic_approximate():
    """Attempts of two questions each, drawn from three: each item's figures use only the attempts
    that saw it, and the CIC is computed from the per-question variances (an approximation)."""
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(3)}
    draws = [(0, 1), (1, 2), (0, 2), (0, 1), (1, 2), (0, 2)]
    right = [(1, 1), (1, 0), (0, 1), (1, 0), (0, 0), (1, 1)]
    responses = [Response(a, q, bool(v), (10 * q,) if v else (10 * q + 1,))
                 for a, (qs, vs) in enumerate(zip(draws, right)) for q, v in zip(qs, vs)]
    figures, test = engine.compute(responses, items, min_n=1)
    assert figures[0].n == 4 and figures[0].facility == 75.0  # attempts 0, 2, 3, 5: right 1, 0, 1, 1
    assert test.n_questions == 2 and test.cic_approximate is True
    x_var = {0: np.var([1, 0, 1, 1], ddof=1), 1: np.var([1, 1, 0, 0], ddof=1), 2: np.var([0, 1, 0, 1], ddof=1)}
    totals = np.array([sum(v) for v in right], dtype=float)
    mean_sum = np.mean([x_var[a] + x_var[b] for a, b in draws])
    assert test.cic == pytest.approx(100 * 2 * (1 - mean_sum / totals.var(ddof=1)), abs=1e-3)


def _figures(n, d, key_upper=60.0, key_pb=0.3, other_upper=20.0, other_pb=-0.2, facility=60.0):
    return engine.ItemFigures(question_id=1, n=n, facility=facility, discrimination=d, options=[
        engine.OptionFigures(1, 0, True, facility, key_upper, 30.0, key_pb),
        engine.OptionFigures(2, 1, False, 100 - facility, other_upper, 70.0, other_pb)])


def test_not_discriminating_needs_confident_evidence_not_a_noisy_estimate():
    """At ~125 attempts an honest question's D scatters by ±9: D = 12 is not enough to flag,
    D = 3 is; with 1,000 attempts D = 12 is (its interval stays below 20)."""
    assert engine.FLAG_NOT_DISCRIMINATING not in engine.flags_of(_figures(125, 12.0))
    assert engine.FLAG_NOT_DISCRIMINATING in engine.flags_of(_figures(125, 3.0))
    assert engine.FLAG_NOT_DISCRIMINATING in engine.flags_of(_figures(1000, 12.0))
    assert engine.FLAG_NOT_DISCRIMINATING in engine.flags_of(_figures(40, -20.0))
    assert engine.FLAG_NOT_DISCRIMINATING in engine.flags_of(_figures(40, None))  # nobody or everybody right


def test_wrong_key_needs_a_distractor_clearly_ahead_of_the_key():
    # A distractor barely ahead (noise): no flag.
    assert engine.FLAG_WRONG_KEY not in engine.flags_of(_figures(125, 5.0, 30.0, 0.02, 35.0, 0.06))
    # Ahead by more than 10 points in the upper group, or by more than 0.10 in point-biserial: flag.
    assert engine.FLAG_WRONG_KEY in engine.flags_of(_figures(125, 5.0, 30.0, 0.02, 45.0, 0.0))
    assert engine.FLAG_WRONG_KEY in engine.flags_of(_figures(125, -10.0, 30.0, -0.1, 30.0, 0.05))


# --- samples real rounds produce (issue 21 item 4) ---------------------------------------

def _drawn_sample(n_attempts, per_attempt, pool, seed=0, p_right=0.6):
    """Attempts of ``per_attempt`` questions drawn at random from ``pool`` questions."""
    rng = np.random.default_rng(seed)
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(pool)}
    ability = rng.normal(0, 1, n_attempts)
    responses = []
    for a in range(n_attempts):
        for q in rng.choice(pool, per_attempt, replace=False):
            right = bool(rng.random() < 1 / (1 + np.exp(-(ability[a] + np.log(p_right / (1 - p_right))))))
            responses.append(Response(a, int(q), right, (10 * int(q),) if right else (10 * int(q) + 1,)))
    return responses, items


def test_the_105_percent_reliability_was_questions_seen_by_one_attempt_counted_as_zero_variance():
    """The 105,3 % was the CIC of a round of 20 questions drawn from a pool larger than the entrants
    could cover: every question seen by one attempt got variance 0, so CIC = 100 × 20/19 = 105,26 %.
    A question seen once has an unknown variance: the CIC is not computed, and the page says why."""
    responses, items = _drawn_sample(10, 20, 400, seed=3)
    seen = pd.Series([r.question_id for r in responses]).value_counts()
    assert (seen == 1).any()
    _figures, test = engine.compute(responses, items, min_n=1)
    assert test.cic is None and test.error_ratio is None and test.standard_error is None
    assert test.cic_note == engine.CIC_QUESTION_SEEN_ONCE
    assert test.mean is not None and test.sd is not None  # the other figures stay


@pytest.mark.parametrize("seed", range(40))
def test_the_cic_is_never_above_100_percent_and_matches_kr20(seed):
    """Every attempt shown the same questions: KR-20 computed by numpy, and never above 100 %
    (var(ΣX) ≤ P·Σvar(X_i)); random draws: out-of-range approximations are withheld, not shown."""
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(2, 40)), int(rng.integers(2, 12))
    matrix = (rng.random((n, p)) < rng.random()).astype(int)
    _figures, test = engine.compute(*_binary_sample(matrix.tolist()), min_n=1)
    t = matrix.sum(axis=1)
    if t.var(ddof=1) == 0:
        assert test.cic is None and test.cic_note == engine.CIC_NO_SPREAD
    else:
        kr20 = 100 * p / (p - 1) * (1 - matrix.var(axis=0, ddof=1).sum() / t.var(ddof=1))
        assert test.cic == pytest.approx(kr20, abs=1e-3) and test.cic <= 100
    responses, items = _drawn_sample(int(rng.integers(3, 30)), 5, 12, seed=seed)
    _figures, drawn = engine.compute(responses, items, min_n=1)
    assert drawn.cic is None or drawn.cic <= 100
    assert (drawn.cic is None) == (drawn.cic_note is not None)


def test_no_attempts():
    figures, test = engine.compute([], {})
    assert figures == {} and test.n_attempts == 0
    assert (test.mean, test.median, test.sd, test.cic, test.standard_error) == (None,) * 5
    assert test.cic_note == engine.CIC_TOO_FEW_ATTEMPTS
    empty = engine.Columns.build([], [], [], [])
    assert engine.compute_columns(empty, {})[1].n_attempts == 0


def test_one_attempt():
    figures, test = engine.compute(*_binary_sample([[1, 0, 1]]), min_n=1)
    assert test.n_attempts == 1 and test.mean == pytest.approx(66.6667) and test.median == pytest.approx(66.6667)
    assert test.sd is None and test.skewness is None and test.cic is None
    assert test.cic_note == engine.CIC_TOO_FEW_ATTEMPTS
    assert figures[0].n == 1 and figures[0].facility == 100.0
    assert figures[0].sd is None and figures[0].discrimination is None and figures[0].efficiency is None
    assert [o.share for o in figures[0].options] == [100.0, 0.0]


def test_a_one_question_round_has_no_consistency_coefficient():
    """P = 1: P/(P − 1) would divide by zero; the rest of the test is empty."""
    figures, test = engine.compute(*_binary_sample([[1], [0], [1], [1]]), min_n=1)
    assert test.n_questions == 1 and test.mean == 75.0 and test.sd == pytest.approx(50.0)
    assert test.cic is None and test.error_ratio is None and test.standard_error is None
    assert test.cic_note == engine.CIC_ONE_QUESTION
    assert figures[0].facility == 75.0 and figures[0].discrimination is None  # R is 0 for everyone


def test_everyone_on_the_same_score():
    """var(T) = 0: no CIC and no standard error (it was None / 100)."""
    figures, test = engine.compute(*_binary_sample([[1, 0], [0, 1], [1, 0], [0, 1]]), min_n=1)
    assert test.sd == 0.0 and test.skewness is None and test.kurtosis is None
    assert test.cic is None and test.error_ratio is None and test.standard_error is None
    assert test.cic_note == engine.CIC_NO_SPREAD
    assert figures[0].facility == 50.0


def test_a_question_seen_by_one_attempt():
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(3)}
    # Attempts 0-3 saw questions 0 and 1; attempt 4 saw 0 and 2 (question 2 seen once).
    rows = [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 0), (2, 0, 0), (2, 1, 0), (3, 0, 1), (3, 1, 1),
            (4, 0, 0), (4, 2, 1)]
    responses = [Response(a, q, bool(v), (10 * q,) if v else (10 * q + 1,)) for a, q, v in rows]
    figures, test = engine.compute(responses, items, min_n=1)
    once = figures[2]
    assert once.n == 1 and once.facility == 100.0 and once.sd is None
    assert once.discrimination is None and once.efficiency is None
    assert figures[0].n == 5 and figures[0].facility == 60.0
    assert test.cic is None and test.cic_note == engine.CIC_QUESTION_SEEN_ONCE


def test_attempts_with_different_numbers_of_questions_get_no_cic():
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(3)}
    rows = [(0, 0, 1), (0, 1, 0), (1, 0, 1), (1, 1, 1), (1, 2, 0), (2, 0, 0), (2, 1, 1), (3, 0, 1), (3, 2, 1)]
    responses = [Response(a, q, bool(v), ()) for a, q, v in rows]
    _figures, test = engine.compute(responses, items, min_n=1)
    assert test.n_questions is None
    assert test.cic is None and test.error_ratio is None and test.standard_error is None
    assert test.cic_note == engine.CIC_DIFFERENT_LENGTHS
    # Scores are % of each attempt's own maximum: 50, 66.7, 50, 100.
    assert test.mean == pytest.approx((50 + 200 / 3 + 50 + 100) / 4, abs=1e-3)


def test_multiple_answer_option_counts_keep_every_chosen_option():
    """A multiple-answer question: an attempt choosing A and C counts for both A and C."""
    items = {0: ItemMeta(0, (1, 2, 3, 4), frozenset({1, 3}), multiple=True)}
    picks = [(1, 3), (1, 3), (1, 2, 3), (2, 4), (1,), (3, 4)]
    responses = [Response(a, 0, set(p) == {1, 3}, p) for a, p in enumerate(picks)]
    figures, _test = engine.compute(responses, items, min_n=1)
    share = {o.option_id: o.share for o in figures[0].options}
    assert share == {1: pytest.approx(400 / 6, abs=1e-3), 2: pytest.approx(200 / 6, abs=1e-3),
                     3: pytest.approx(400 / 6, abs=1e-3), 4: pytest.approx(200 / 6, abs=1e-3)}
    assert engine.chosen_mask({1: 0, 2: 1, 3: 2, 4: 3}, (1, 3)) == 0b101
    assert engine.chosen_mask({1: 0, 2: 1, 3: 2, 4: 3}, (4, 1, 2)) == 0b1011
    assert engine.chosen_mask({1: 0}, (99,)) == 0 and engine.chosen_mask({1: 0}, None) == 0


def _right_of(n, right):
    """n attempts of two questions: question 0 right for ``right`` of them, question 1 varied."""
    return [[1 if a < right else 0, a % 2] for a in range(n)]


def test_flags_start_at_exactly_30_attempts():
    assert engine.MIN_N == 30
    figures, _ = engine.compute(*_binary_sample(_right_of(29, 29)))
    assert figures[0].n == 29 and figures[0].flags == []
    figures, _ = engine.compute(*_binary_sample(_right_of(30, 30)))
    assert figures[0].n == 30 and engine.FLAG_TOO_EASY in figures[0].flags


def test_too_easy_and_too_hard_at_the_exact_edges():
    """90.0 % is not too easy, just above is; 30.0 % is not too hard, just below is."""
    figures, _ = engine.compute(*_binary_sample(_right_of(30, 27)))  # 27/30 = 90.0 %
    assert figures[0].facility == 90.0 and engine.FLAG_TOO_EASY not in figures[0].flags
    figures, _ = engine.compute(*_binary_sample(_right_of(30, 28)))  # 93.3 %
    assert engine.FLAG_TOO_EASY in figures[0].flags
    figures, _ = engine.compute(*_binary_sample(_right_of(30, 9)))  # 30.0 %
    assert figures[0].facility == 30.0 and engine.FLAG_TOO_HARD not in figures[0].flags
    figures, _ = engine.compute(*_binary_sample(_right_of(30, 8)))  # 26.7 %
    assert engine.FLAG_TOO_HARD in figures[0].flags
    for facility, easy, hard in [(90.0, False, False), (90.01, True, False), (30.0, False, False),
                                 (29.99, False, True), (60.0, False, False)]:
        flags = engine.flags_of(_figures(100, 50.0, facility=facility))
        assert (engine.FLAG_TOO_EASY in flags, engine.FLAG_TOO_HARD in flags) == (easy, hard), facility


# --- pinned by mutation testing (docs/testing.md) -------------------------------------------

def test_random_guess_edges():
    assert engine.random_guess(1, False) == 100.0 and engine.random_guess(2, False) == 50.0
    assert engine.random_guess(3, True) == pytest.approx(100 / 7)
    assert engine.random_guess(0, False) == 0.0 and engine.random_guess(0, True) == 0.0


def test_each_question_carries_its_id_random_guess_and_option_positions():
    items = {7: ItemMeta(7, (70, 71, 72), frozenset({70, 72}), multiple=True),
             8: ItemMeta(8, (80, 81, 82, 83), frozenset({81}))}
    responses = [Response(a, 7, a % 2 == 0, (70, 72) if a % 2 == 0 else (71,)) for a in range(4)]
    responses += [Response(a, 8, a < 2, (81,) if a < 2 else (80,)) for a in range(4)]
    figures, _test = engine.compute(responses, items, min_n=1)
    assert figures[7].question_id == 7 and figures[8].question_id == 8
    assert figures[7].random_guess == pytest.approx(100 / 7, abs=1e-4)  # several answers: 1/(2^3 − 1)
    assert figures[8].random_guess == 25.0
    assert [o.position for o in figures[8].options] == [0, 1, 2, 3]
    assert [o.option_id for o in figures[8].options] == [80, 81, 82, 83]
    assert [o.correct for o in figures[7].options] == [True, False, True]


def test_two_attempts_have_an_sd_a_discrimination_and_an_efficiency():
    """The smallest sample with a spread: every figure that needs n − 1 ≥ 1 is there."""
    figures, test = engine.compute(*_binary_sample([[1, 1], [0, 0]]), min_n=1)
    assert figures[0].sd == pytest.approx(100 * np.std([1, 0], ddof=1), abs=1e-3)
    assert figures[0].discrimination == 100.0 and figures[0].efficiency == 100.0
    assert test.sd == pytest.approx(np.std([100, 0], ddof=1), abs=1e-3)


def test_kelley_groups_are_27_percent_and_break_ties_in_attempt_order():
    """Upper and lower groups hold round(27 % of S) attempts (at least one); among attempts with the
    same rest score the earlier ones go to the lower group (a stable sort), at every size."""
    # Four attempts: one in each group.
    figures, _ = engine.compute(*_binary_sample([[1, 1], [0, 1], [1, 0], [0, 0]]), min_n=1)
    key = figures[0].options[0]
    # Item 0's rest scores 1, 1, 0, 0: lower = attempt 2 (first of rest 0, right), upper = attempt 1
    # (last of rest 1, wrong).
    assert key.upper == 0.0 and key.lower == 100.0
    # Sixty attempts, rest scores full of ties: compare with a stable pure-Python sort.
    rng = np.random.default_rng(4)
    matrix = (rng.random((60, 4)) < 0.5).astype(int).tolist()
    figures, _ = engine.compute(*_binary_sample(matrix), min_n=1)
    for item in range(4):
        rest = [sum(row) - row[item] for row in matrix]
        order = sorted(range(60), key=lambda a: rest[a])  # Python's sort is stable
        g = round(0.27 * 60)
        upper = 100 * np.mean([matrix[a][item] for a in order[-g:]])
        lower = 100 * np.mean([matrix[a][item] for a in order[:g]])
        key = figures[item].options[0]
        assert (key.upper, key.lower) == (pytest.approx(upper, abs=1e-3), pytest.approx(lower, abs=1e-3))


def test_columns_built_from_stored_rows_give_the_same_figures():
    """``services`` streams rows into ``Columns.build`` (any attempt keys); the figures must be those
    of ``compute`` on the same responses."""
    responses, items = _hand_sample()
    positions = {qid: engine.option_positions(meta) for qid, meta in items.items()}
    cols = engine.Columns.build([r.attempt for r in responses], [r.question_id for r in responses],
                                [r.correct for r in responses],
                                [engine.chosen_mask(positions[r.question_id], r.selected) for r in responses])
    assert cols.attempt.dtype == np.int64 and cols.attempt.shape == (len(responses),)
    assert sorted(set(cols.attempt.tolist())) == list(range(len(HAND)))
    by_columns, test_columns = engine.compute_columns(cols, items, min_n=1)
    by_rows, test_rows = engine.compute(responses, items, min_n=1)
    assert test_columns == test_rows
    for qid in items:
        assert by_columns[qid] == by_rows[qid]


def test_skewness_and_kurtosis_of_a_skewed_round():
    """The worked example is symmetric (skewness 0 whatever the formula): a skewed round pins them."""
    matrix = [[1, 1, 1, 1]] * 6 + [[1, 1, 1, 0]] * 3 + [[1, 0, 0, 0], [0, 0, 0, 0]]
    _figures, test = engine.compute(*_binary_sample(matrix), min_n=1)
    scores = 100 * np.array([sum(r) for r in matrix]) / 4
    dev = scores - scores.mean()
    m2, m3, m4 = (dev ** 2).mean(), (dev ** 3).mean(), (dev ** 4).mean()
    assert test.skewness == pytest.approx(m3 / m2 ** 1.5, abs=1e-3) and test.skewness < -1
    assert test.kurtosis == pytest.approx(m4 / m2 ** 2 - 3, abs=1e-3)
    assert test.n_questions == 4


def test_one_attempt_still_says_how_many_questions_it_had():
    _figures, test = engine.compute(*_binary_sample([[1, 0, 1]]), min_n=1)
    assert test.n_questions == 3


def test_a_perfectly_consistent_round_has_a_cic_of_exactly_100():
    _figures, test = engine.compute(*_binary_sample([[1, 1], [0, 0], [1, 1], [0, 0]]), min_n=1)
    assert test.cic == 100.0 and test.error_ratio == 0.0 and test.standard_error == 0.0
    assert test.cic_note is None


def test_an_approximation_above_100_percent_is_withheld_with_its_reason():
    """Random draws where each question's attempts all agree: Σ var = 0 with var(T) > 0, CIC 200 %."""
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(4)}
    rows = [(0, 0, 1), (0, 1, 1), (1, 0, 1), (1, 1, 1), (2, 2, 0), (2, 3, 0), (3, 2, 0), (3, 3, 0)]
    responses = [Response(a, q, bool(v), ()) for a, q, v in rows]
    _figures, test = engine.compute(responses, items, min_n=1)
    assert test.cic is None and test.error_ratio is None and test.standard_error is None
    assert test.cic_note == engine.CIC_OUT_OF_RANGE and test.cic_approximate is True


def test_rest_of_test_is_the_share_right_among_the_other_questions():
    """Across attempts of different lengths R = (T − x) / (P − 1) keeps the scales comparable;
    D is the correlation with that R (pandas recomputes it)."""
    items = {i: ItemMeta(i, (10 * i, 10 * i + 1), frozenset({10 * i})) for i in range(5)}
    sheets = [((0, 1), (1, 1)), ((0, 1, 2, 3), (1, 0, 1, 1)), ((0, 2), (0, 1)), ((0, 1, 2, 3, 4), (1, 1, 0, 0, 0)),
              ((0, 3), (0, 0)), ((0, 1, 2, 3), (1, 1, 1, 0)), ((0, 4), (0, 1)), ((0, 1, 2), (1, 0, 0))]
    responses = [Response(a, q, bool(v), ()) for a, (qs, vs) in enumerate(sheets) for q, v in zip(qs, vs)]
    figures, _test = engine.compute(responses, items, min_n=1)
    x = pd.Series([vs[0] for _qs, vs in sheets], dtype=float)  # question 0: every attempt saw it
    rest = pd.Series([(sum(vs) - vs[0]) / (len(vs) - 1) for _qs, vs in sheets])
    assert figures[0].discrimination == pytest.approx(100 * x.corr(rest), abs=1e-3)
    cov_max = np.cov(np.sort(x), np.sort(rest))[0, 1]
    assert figures[0].efficiency == pytest.approx(100 * np.cov(x, rest)[0, 1] / cov_max, abs=1e-3)


def test_the_confidence_bound_of_the_discrimination_index():
    """Fisher z, one-sided 90 %: tanh(atanh(D/100) + 1.2816 / sqrt(n − 3))."""
    for d, n in ((12.0, 125), (-20.0, 40), (3.0, 1000), (50.0, 30)):
        expected = 100 * np.tanh(np.arctanh(d / 100) + 1.2816 / np.sqrt(n - 3))
        assert engine.discrimination_upper_bound(d, n) == pytest.approx(expected, abs=1e-6)


def test_wrong_key_margins_at_their_exact_edges():
    """A distractor exactly 10 points ahead in the upper group, or exactly 0.10 ahead in point-biserial,
    is not enough; a key nobody in the upper group chose (0 %) counts as 0, not as missing."""
    assert engine.FLAG_WRONG_KEY not in engine.flags_of(_figures(125, 40.0, 30.0, 0.5, 40.0, 0.5))
    assert engine.FLAG_WRONG_KEY in engine.flags_of(_figures(125, 40.0, 30.0, 0.5, 40.5, 0.5))
    assert engine.FLAG_WRONG_KEY not in engine.flags_of(_figures(125, 40.0, 30.0, 0.5, 30.0, 0.6))
    assert engine.FLAG_WRONG_KEY in engine.flags_of(_figures(125, 40.0, 30.0, 0.5, 30.0, 0.61))
    assert engine.FLAG_WRONG_KEY in engine.flags_of(_figures(125, 40.0, 0.0, 0.5, 10.5, 0.5))
    # A question with only keys (or only distractors) cannot have a wrong key.
    only_keys = engine.ItemFigures(question_id=1, n=125, facility=60.0, discrimination=40.0, options=[
        engine.OptionFigures(1, 0, True, 60.0, 0.0, 30.0, 0.3)])
    assert engine.FLAG_WRONG_KEY not in engine.flags_of(only_keys)
    only_distractors = engine.ItemFigures(question_id=1, n=125, facility=60.0, discrimination=40.0, options=[
        engine.OptionFigures(1, 0, False, 60.0, 90.0, 30.0, 0.3)])
    assert engine.FLAG_WRONG_KEY not in engine.flags_of(only_distractors)
