"""Classical item statistics (Moodle's quiz statistics formulas), pure numpy.

Input is one row per (attempt, question shown): whether it was answered
right and which options were chosen.  Nothing here touches the database;
``services`` loads the rows and stores what ``compute`` returns.  The
formulas are those of docs/item-statistics.md (and the shared reference
item-statistics.md): facility, SD, random-guess score, discrimination index
(correlation with the rest of the test), discriminative efficiency, option
analysis on Kelley's 27 % groups with point-biserials, and the test figures
(mean, median, SD, skewness, kurtosis, CIC = KR-20, error ratio, standard
error).

Rest of test: R_ip = (T_p - x_ip) / (P_p - 1), the share right among the
other questions of the attempt.  With every attempt of the same length
(a round) this is a linear map of Moodle's T_p - x_ip, so every correlation
and the Kelley groups are the same; across rounds of different lengths it
keeps the scales comparable.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

MIN_N = 30  # a figure is shown (and flagged) only when at least this many attempts saw the question
KELLEY = 0.27
TOO_EASY_ABOVE = 90.0  # facility %, above: too easy
TOO_HARD_BELOW = 30.0  # facility %, below: too hard (a four-option guess alone scores 25 %)
# Not discriminating: even the optimistic end of a one-sided 90 % confidence interval for the
# discrimination index (Fisher z, n - 3) stays below "weak" (20).  A point rule (D < 15) flags
# one honest question in six at ~125 attempts each (bench/sim_item_statistics.py).
WEAK_DISCRIMINATION = 20.0
CONFIDENCE_Z = 1.2816  # one-sided 90 %
# Possibly wrong key: a distractor beats the key among the upper group by this many points,
# or its point-biserial is higher by this much (sampling noise alone rarely does either).
WRONG_KEY_UPPER_MARGIN = 10.0
WRONG_KEY_PB_MARGIN = 0.10

FLAG_WRONG_KEY = "possibly_wrong_key"
FLAG_TOO_EASY = "too_easy"
FLAG_TOO_HARD = "too_hard"
FLAG_NOT_DISCRIMINATING = "not_discriminating"
FLAGS = (FLAG_WRONG_KEY, FLAG_TOO_EASY, FLAG_TOO_HARD, FLAG_NOT_DISCRIMINATING)

# Why the coefficient of internal consistency (and with it the error ratio and the standard
# error) was not computed; the page says it in words.
CIC_TOO_FEW_ATTEMPTS = "too_few_attempts"  # fewer than two attempts: no variance
CIC_ONE_QUESTION = "one_question"  # P = 1: P / (P - 1) divides by zero
CIC_DIFFERENT_LENGTHS = "different_lengths"  # attempts with different numbers of questions
CIC_NO_SPREAD = "no_spread"  # everyone on the same score: var(T) = 0
CIC_QUESTION_SEEN_ONCE = "question_seen_once"  # a question's variance over one attempt is unknown
CIC_OUT_OF_RANGE = "approximation_out_of_range"  # random draws: the approximation left 0..100 %
CIC_REASONS = (CIC_TOO_FEW_ATTEMPTS, CIC_ONE_QUESTION, CIC_DIFFERENT_LENGTHS, CIC_NO_SPREAD,
               CIC_QUESTION_SEEN_ONCE, CIC_OUT_OF_RANGE)


@dataclass(frozen=True)
class ItemMeta:
    """The options of one question version in display order, and its key."""

    question_id: int
    option_ids: tuple[int, ...]
    key: frozenset[int]
    multiple: bool = False


@dataclass(frozen=True)
class Response:
    attempt: object  # any hashable attempt key
    question_id: int
    correct: bool
    selected: tuple[int, ...] = ()


@dataclass
class OptionFigures:
    option_id: int
    position: int
    correct: bool
    share: float  # % of all S attempts choosing it
    upper: float | None  # % of the upper 27 % choosing it
    lower: float | None
    point_biserial: float | None  # r(chose option, R), -1..1

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass
class ItemFigures:
    question_id: int
    n: int
    facility: float | None = None
    sd: float | None = None
    random_guess: float | None = None
    discrimination: float | None = None
    efficiency: float | None = None
    options: list[OptionFigures] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


@dataclass
class SampleFigures:
    n_attempts: int
    n_questions: int | None  # questions per attempt when every attempt has the same number
    mean: float | None = None
    median: float | None = None
    sd: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    cic: float | None = None
    error_ratio: float | None = None
    standard_error: float | None = None
    cic_approximate: bool = False  # per-question variances over the attempts that saw them (random draws)
    cic_note: str | None = None  # one of CIC_REASONS when the CIC was not computed


def random_guess(k: int, multiple: bool) -> float:
    """% scored by guessing: 1/k for one answer, 1/(2^k - 1) for exact-set grading."""
    if k <= 0:
        return 0.0
    return 100.0 / ((2 ** k - 1) if multiple else k)


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    if len(a) < 2:
        return None
    sa_, sb = a.std(), b.std()
    if sa_ == 0 or sb == 0:
        return None
    return float(((a - a.mean()) * (b - b.mean())).mean() / (sa_ * sb))


def _cov(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a - a.mean()) * (b - b.mean())).sum() / (len(a) - 1))


def _clean(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def item_figures(meta: ItemMeta, x: np.ndarray, rest: np.ndarray, chosen: np.ndarray,
                 min_n: int = MIN_N) -> ItemFigures:
    """Figures of one question over the S attempts that saw it (x: 0/1, rest: R, chosen:
    bitmask of the option positions each attempt chose, see ``chosen_mask``)."""
    s = len(x)
    fig = ItemFigures(question_id=meta.question_id, n=s,
                      random_guess=_clean(random_guess(len(meta.option_ids), meta.multiple)))
    if s == 0:
        return fig
    fig.facility = _clean(100.0 * x.mean())
    fig.sd = _clean(100.0 * x.std(ddof=1)) if s > 1 else None
    r = _corr(x, rest)
    fig.discrimination = _clean(100.0 * r) if r is not None else None
    if s > 1:
        cov_max = _cov(np.sort(x), np.sort(rest))
        fig.efficiency = _clean(100.0 * _cov(x, rest) / cov_max) if cov_max > 0 else None
    # Kelley groups by rest score (stable: ties keep the attempts' order).
    order = np.argsort(rest, kind="stable")
    g = max(1, int(round(KELLEY * s)))
    lower_idx, upper_idx = order[:g], order[-g:]
    for pos, oid in enumerate(meta.option_ids):
        picked = ((chosen >> pos) & 1).astype(float)
        pb = _corr(picked, rest)
        fig.options.append(OptionFigures(
            option_id=oid, position=pos, correct=oid in meta.key,
            share=_clean(100.0 * picked.mean()),
            upper=_clean(100.0 * picked[upper_idx].mean()), lower=_clean(100.0 * picked[lower_idx].mean()),
            point_biserial=_clean(pb) if pb is not None else None,
        ))
    if s >= min_n:
        fig.flags = flags_of(fig)
    return fig


def flags_of(fig: ItemFigures) -> list[str]:
    """Possibly wrong key, too easy/hard, not discriminating (see the thresholds above)."""
    flags = []
    keys = [o for o in fig.options if o.correct]
    distractors = [o for o in fig.options if not o.correct]
    if keys and distractors:
        key_upper = min(o.upper or 0.0 for o in keys)
        key_pb = min((o.point_biserial for o in keys if o.point_biserial is not None), default=None)
        beats_upper = any((o.upper or 0.0) > key_upper + WRONG_KEY_UPPER_MARGIN for o in distractors)
        beats_pb = key_pb is not None and any(
            o.point_biserial is not None and o.point_biserial > key_pb + WRONG_KEY_PB_MARGIN for o in distractors)
        if beats_upper or beats_pb:
            flags.append(FLAG_WRONG_KEY)
    if fig.facility is not None and fig.facility > TOO_EASY_ABOVE:
        flags.append(FLAG_TOO_EASY)
    if fig.facility is not None and fig.facility < TOO_HARD_BELOW:
        flags.append(FLAG_TOO_HARD)
    if discrimination_upper_bound(fig.discrimination, fig.n) < WEAK_DISCRIMINATION:
        flags.append(FLAG_NOT_DISCRIMINATING)
    return flags


def discrimination_upper_bound(d: float | None, n: int) -> float:
    """The optimistic end of the one-sided 90 % interval for D (None, e.g. nobody or everybody
    right: 0, which separates nobody)."""
    if d is None:
        return 0.0
    if n <= 3:
        return 100.0
    r = max(min(d / 100, 0.999999), -0.999999)
    return 100 * math.tanh(math.atanh(r) + CONFIDENCE_Z / math.sqrt(n - 3))


def sample_figures(totals: np.ndarray, lengths: np.ndarray, item_var_sums: np.ndarray,
                   approximate: bool = False, unknown_variance: bool = False) -> SampleFigures:
    """Round figures over the attempts: scores as % of the maximum.

    Skewness and kurtosis are the moment forms m3/m2^1.5 and m4/m2^2 - 3
    (population central moments, not Moodle's bias-corrected sample forms).
    CIC needs every attempt to have the same number of questions P; each
    attempt's Σ var(x_i) runs over its own questions (``item_var_sums``), and
    their mean stands for Σ var(x_i) when questions are drawn at random.

    The CIC is left out, with the reason in ``cic_note``, when it has no
    meaning: fewer than two attempts, one question per attempt, attempts of
    different lengths, everyone on the same score, or a question whose
    variance is unknown because one attempt alone saw it (``unknown_variance``:
    counting it as 0 inflates the coefficient to P / (P - 1), e.g. 105,3 % for
    20 questions).  With every attempt shown the same questions the CIC cannot
    exceed 100 % (var(ΣX) ≤ P Σ var(X_i)); with random draws the approximation
    can, and a value above 100 % is reported as out of range, never shown.
    """
    n = len(totals)
    same_p = n > 0 and bool((lengths == lengths[0]).all())
    fig = SampleFigures(n_attempts=n, n_questions=int(lengths[0]) if same_p else None)
    if n == 0:
        fig.cic_note = CIC_TOO_FEW_ATTEMPTS
        return fig
    scores = 100.0 * totals / np.maximum(lengths, 1)
    fig.mean = _clean(scores.mean())
    fig.median = _clean(float(np.median(scores)))
    if n < 2:
        fig.cic_note = CIC_TOO_FEW_ATTEMPTS
        return fig
    sd = float(scores.std(ddof=1))
    fig.sd = _clean(sd)
    dev = scores - scores.mean()
    m2, m3, m4 = (dev ** 2).mean(), (dev ** 3).mean(), (dev ** 4).mean()
    if m2 > 0:
        fig.skewness = _clean(m3 / m2 ** 1.5)
        fig.kurtosis = _clean(m4 / m2 ** 2 - 3)
    var_t = float(totals.var(ddof=1))
    if not same_p:
        fig.cic_note = CIC_DIFFERENT_LENGTHS
    elif int(lengths[0]) < 2:
        fig.cic_note = CIC_ONE_QUESTION
    elif var_t <= 0:
        fig.cic_note = CIC_NO_SPREAD
    elif unknown_variance:
        fig.cic_note = CIC_QUESTION_SEEN_ONCE
    if fig.cic_note is not None:
        return fig
    p = int(lengths[0])
    cic = 100.0 * (p / (p - 1)) * (1 - float(item_var_sums.mean()) / var_t)
    fig.cic_approximate = approximate
    if cic > 100.0 + 1e-9:
        fig.cic_note = CIC_OUT_OF_RANGE
        return fig
    fig.cic = _clean(cic)
    error_ratio = 100.0 * math.sqrt(max(0.0, 1 - cic / 100))
    fig.error_ratio = _clean(error_ratio)
    fig.standard_error = _clean(error_ratio / 100 * sd)
    return fig


@dataclass
class Columns:
    """One sample as columns, one entry per (attempt, question shown): compact enough for
    every round of a year in the bank-wide sample."""

    attempt: np.ndarray  # attempt index 0..A-1
    question: np.ndarray  # question (version) id
    correct: np.ndarray  # 1.0 right, 0.0 not
    chosen: np.ndarray  # bitmask of the option positions chosen

    @classmethod
    def build(cls, attempts: list, questions: list[int], correct: list[bool], chosen: list[int]) -> "Columns":
        _keys, index = np.unique(np.asarray(attempts), return_inverse=True)
        return cls(np.asarray(index, dtype=np.int64).reshape(-1), np.asarray(questions, dtype=np.int64),
                   np.asarray(correct, dtype=float), np.asarray(chosen, dtype=np.int64))


def chosen_mask(positions: dict[int, int], selected) -> int:
    """Bitmask of the chosen options' positions (``positions``: option id → position)."""
    mask = 0
    for oid in selected or ():
        pos = positions.get(oid)
        if pos is not None:
            mask |= 1 << pos
    return mask


def option_positions(meta: ItemMeta) -> dict[int, int]:
    return {oid: pos for pos, oid in enumerate(meta.option_ids)}


def compute(responses: list[Response], items: dict[int, ItemMeta],
            min_n: int = MIN_N) -> tuple[dict[int, ItemFigures], SampleFigures]:
    """Per-question and whole-test figures from the rows of one sample."""
    positions = {qid: option_positions(meta) for qid, meta in items.items()}
    if not responses:
        return {}, sample_figures(np.zeros(0), np.zeros(0), np.zeros(0))
    # Attempt keys may be of any hashable type: number them in order of first appearance.
    number: dict[object, int] = {}
    cols = Columns(
        np.array([number.setdefault(r.attempt, len(number)) for r in responses], dtype=np.int64),
        np.array([r.question_id for r in responses], dtype=np.int64),
        np.array([1.0 if r.correct else 0.0 for r in responses]),
        np.array([chosen_mask(positions[r.question_id], r.selected) for r in responses], dtype=np.int64),
    )
    return compute_columns(cols, items, min_n)


def compute_columns(cols: Columns, items: dict[int, ItemMeta],
                    min_n: int = MIN_N) -> tuple[dict[int, ItemFigures], SampleFigures]:
    """The figures of one sample given as columns.

    Within a question the attempts keep the columns' order (the Kelley groups break
    ties by it).  The CIC is marked approximate when the attempts did not all see the
    same questions (random draws)."""
    if len(cols.attempt) == 0:
        return {}, sample_figures(np.zeros(0), np.zeros(0), np.zeros(0))
    n_attempts = int(cols.attempt.max()) + 1
    totals = np.bincount(cols.attempt, weights=cols.correct, minlength=n_attempts)
    lengths = np.bincount(cols.attempt, minlength=n_attempts).astype(float)
    rest = (totals[cols.attempt] - cols.correct) / np.maximum(lengths[cols.attempt] - 1, 1)

    order = np.argsort(cols.question, kind="stable")
    starts = np.flatnonzero(np.diff(cols.question[order])) + 1
    figures: dict[int, ItemFigures] = {}
    row_variance = np.zeros(len(cols.attempt))
    unknown_variance = False
    for rows in np.split(order, starts):
        qid = int(cols.question[rows[0]])
        x = cols.correct[rows]
        figures[qid] = item_figures(items[qid], x, rest[rows], cols.chosen[rows], min_n)
        if len(x) > 1:
            row_variance[rows] = float(x.var(ddof=1))
        else:
            unknown_variance = True  # one attempt saw it: its variance is unknown, not 0
    var_sums = np.bincount(cols.attempt, weights=row_variance, minlength=n_attempts)
    # Every attempt saw every question of the sample exactly when each saw as many as there are.
    approximate = bool((lengths != len(figures)).any())
    return figures, sample_figures(totals, lengths, var_sums, approximate=approximate,
                                   unknown_variance=unknown_variance)
