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
