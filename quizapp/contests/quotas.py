"""Questions per area (quotas) and the pools they draw from: what the approved
questions can fill, the form's proposal, the check of a round's quota cells (common
and per entrant group), and the per-round pool of questions earlier rounds have not
drawn.

Owns reading the question bank as far as quotas need it.  Must not write rounds
(``rounds``) or draw an attempt's questions (``quizapp.attempts.draws``).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt, AttemptQuestion
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from quizapp.contests.eligibility import CATEGORY_VALUES
from quizapp.contests.models import Contest, Round
from quizapp.contests.settings import DEFAULT_QUESTION_COUNT, DIFFICULTIES, MAX_QUESTIONS, refusal
from quizapp.core.db import db


@dataclass(frozen=True)
class QuotaItem:
    area_id: int
    difficulty: int  # 0 = any difficulty
    count: int
    entrant_group: str = ""  # an entrant category with its own cells; "" = everyone else


def approved_counts() -> dict[tuple[int, int], int]:
    """{(area_id, difficulty): number of APPROVED questions an attempt can hold} (difficulty
    1..3): the questions of one exclusion group count once, since a draw takes one of them."""
    rows = db.session.execute(
        sa.select(Question.area_id, Question.difficulty, Question.exclusion_group, sa.func.count())
        .where(Question.status == QuestionStatus.APPROVED, Question.for_practice.is_(False))
        .group_by(Question.area_id, Question.difficulty, Question.exclusion_group)
    ).all()
    out: dict[tuple[int, int], int] = {}
    for area_id, difficulty, group, n in rows:
        out[(area_id, difficulty)] = out.get((area_id, difficulty), 0) + (1 if group else n)
    return out


def area_capacity() -> dict[int, int]:
    """{area_id: how many APPROVED questions of the area one attempt can hold}: an exclusion
    group counts once, whatever difficulties its questions have."""
    key = sa.func.coalesce(Question.exclusion_group, sa.cast(Question.id, sa.String))
    return dict(db.session.execute(
        sa.select(Question.area_id, sa.func.count(sa.distinct(key)))
        .where(Question.status == QuestionStatus.APPROVED, Question.for_practice.is_(False)).group_by(Question.area_id)).all())


def available_counts() -> dict[tuple[int, int], int]:
    """Approved questions per (area, difficulty), with difficulty 0 = the area's total."""
    counts = approved_counts()
    out = dict(counts)
    for (area_id, _d), n in counts.items():
        out[(area_id, 0)] = out.get((area_id, 0), 0) + n
    return out


def reform_areas() -> list[ReformArea]:
    return list(db.session.scalars(sa.select(ReformArea).order_by(ReformArea.position, ReformArea.id)))


def quota_shortages(quotas: list[QuotaItem], counts: dict[tuple[int, int], int] | None = None) -> list[str]:
    """Why the approved questions cannot fill these quotas (empty = they can).

    A quota for one difficulty draws from that difficulty only; a quota for
    "any" difficulty draws from what the specific quotas leave over.
    """
    capacity = area_capacity() if counts is None else None
    counts = approved_counts() if counts is None else counts
    names = {a.id: a.name for a in reform_areas()}
    problems: list[str] = []
    by_area: dict[int, list[QuotaItem]] = {}
    for q in quotas:
        by_area.setdefault(q.area_id, []).append(q)
    for area_id, items in by_area.items():
        name = names.get(area_id, str(area_id))
        short = False
        for q in items:
            if q.difficulty:
                have = counts.get((area_id, q.difficulty), 0)
                if have < q.count:
                    short = True
                    problems.append(str(_l(
                        "Area “%(area)s”, difficulty %(level)s: %(need)d questions wanted, only %(have)d approved.",
                        area=name, level=DIFFICULTIES[q.difficulty], need=q.count, have=have)))
        total_have = capacity.get(area_id, 0) if capacity is not None else sum(
            n for (a, _d), n in counts.items() if a == area_id)
        total_need = sum(q.count for q in items)
        if total_need > total_have and not short:
            problems.append(str(_l(
                "Area “%(area)s”: %(need)d questions wanted, only %(have)d approved.",
                area=name, need=total_need, have=total_have)))
    return problems


def default_quotas(total: int = DEFAULT_QUESTION_COUNT) -> list[QuotaItem]:
    """The form's proposal: ``total`` questions of any difficulty spread evenly
    over the areas that have approved questions (all areas if none has)."""
    counts = approved_counts()
    areas = reform_areas()
    stocked = [a for a in areas if any(k[0] == a.id for k in counts)]
    areas = stocked or areas
    if not areas:
        return []
    base, extra = divmod(total, len(areas))
    items = [QuotaItem(a.id, 0, base + (1 if i < extra else 0)) for i, a in enumerate(areas)]
    return [q for q in items if q.count > 0]


def check_quotas(quotas: list[QuotaItem], field_name: str = "quotas") -> list[QuotaItem]:
    """The common cells and each entrant group's cells, each set checked on its own."""
    quotas = [q for q in quotas if q.count]
    groups = sorted({q.entrant_group for q in quotas} - {""})
    for group in groups:
        if group not in CATEGORY_VALUES:
            raise refusal("quota_group", _l("Questions per area: unknown entrant group."), "group_category")
        _check_quota_set([q for q in quotas if q.entrant_group == group], "group_quotas")
    _check_quota_set([q for q in quotas if not q.entrant_group], field_name)
    return quotas


def _check_quota_set(quotas: list[QuotaItem], field_name: str) -> list[QuotaItem]:
    if not quotas:
        raise refusal("quota_empty", _l("Questions per area: choose at least one question for the round."), field_name)
    area_ids = {a.id for a in reform_areas()}
    seen = set()
    for q in quotas:
        if q.area_id not in area_ids:
            raise refusal("quota_area", _l("Questions per area: unknown reform area."), field_name)
        if q.difficulty not in DIFFICULTIES:
            raise refusal("quota_difficulty", _l("Questions per area: the difficulty must be 0 (any), 1, 2 or 3."),
                       field_name)
        if q.count < 0:
            raise refusal("quota_negative", _l("Questions per area: a count cannot be negative."), field_name)
        if (q.area_id, q.difficulty) in seen:
            raise refusal("quota_duplicate", _l("Questions per area: each area and difficulty may appear only once."),
                       field_name)
        seen.add((q.area_id, q.difficulty))
    total = sum(q.count for q in quotas)
    if total > MAX_QUESTIONS:
        raise refusal("quota_too_many", _l("Questions per area: at most %(max)d questions in one attempt.",
                                        max=MAX_QUESTIONS), field_name)
    shortages = quota_shortages(quotas)
    if shortages:
        raise refusal("quota_unfillable", _l("Questions per area: the approved questions cannot fill this quota. %(why)s",
                                          why=" ".join(shortages)), field_name)
    return quotas


def used_question_ids(contest_id: int, before_number: int | None) -> set[int]:
    """Questions drawn by any attempt of the contest's rounds numbered below
    ``before_number`` (None: every round): what a per-round pool avoids."""
    stmt = (sa.select(AttemptQuestion.question_id).distinct()
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .join(Round, Round.id == Attempt.round_id)
            .where(Round.contest_id == contest_id))
    if before_number is not None:
        stmt = stmt.where(Round.number < before_number)
    return set(db.session.scalars(stmt))


POOL_FACTOR = 2  # a per-round pool smaller than twice a cell's quota hands most entrants the same questions


def pool_warnings(contest: Contest, rnd: Round | None, items: list[QuotaItem], fresh_questions: bool) -> list[str]:
    """The builder's warnings for a round with a per-round pool that has earlier rounds: each
    quota cell whose remaining pool (questions no earlier round drew) is under ``POOL_FACTOR``
    times its count. Under the count, attempts also draw questions of earlier rounds, whose
    keys entrants may have seen; under twice the count, entrants get nearly the same questions."""
    if not fresh_questions or not any(q.count for q in items):
        return []
    earlier = sa.select(sa.func.count()).select_from(Round).where(Round.contest_id == contest.id)
    if rnd is not None:
        earlier = earlier.where(Round.number < rnd.number)
    if not db.session.scalar(earlier):
        return []
    fresh = fresh_counts(contest, rnd)
    names = {a.id: a.name for a in reform_areas()}
    out = []
    for q in items:
        left = fresh.get((q.area_id, q.difficulty), 0)
        if not q.count or left >= POOL_FACTOR * q.count:
            continue
        where = f"{names.get(q.area_id, q.area_id)} – {DIFFICULTIES.get(q.difficulty, q.difficulty)}"
        if left < q.count:
            out.append(str(_l("%(cell)s: only %(left)d questions no earlier round has drawn, for %(count)d per "
                              "attempt; attempts will also draw questions of earlier rounds, whose keys entrants "
                              "may have seen. Add questions to this cell or lower its quota.",
                              cell=where, left=left, count=q.count)))
        else:
            out.append(str(_l("%(cell)s: only %(left)d questions no earlier round has drawn, for %(count)d per "
                              "attempt; entrants will get nearly the same questions and can pass the keys on. "
                              "Aim for at least %(aim)d.", cell=where, left=left, count=q.count,
                              aim=POOL_FACTOR * q.count)))
    return out


def fresh_counts(contest: Contest, rnd: Round | None) -> dict[tuple[int, int], int]:
    """Like ``available_counts`` but only questions no earlier round of the contest has
    drawn: the remaining pool of each quota cell, shown by the builder."""
    used = used_question_ids(contest.id, rnd.number if rnd is not None else None)
    rows = db.session.execute(
        sa.select(Question.id, Question.area_id, Question.difficulty)
        .where(Question.status == QuestionStatus.APPROVED, Question.for_practice.is_(False))
    ).all()
    out: dict[tuple[int, int], int] = {}
    for qid, area_id, difficulty in rows:
        if qid in used:
            continue
        out[(area_id, difficulty)] = out.get((area_id, difficulty), 0) + 1
        out[(area_id, 0)] = out.get((area_id, 0), 0) + 1
    return out
