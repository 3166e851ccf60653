"""Contest rules shared by the organiser's builder and the attempt engine.

Read-side rules live here (who may enter, whether a round is open, the
limits that apply to one entrant after individual grants), and the
organiser's write-side rules beside them: create and edit contests and
rounds, validate quotas against the approved questions, publish, grant
individual exceptions, delete.  Every organiser action is audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.audit import services as audit
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from quizapp.contests.models import (
    DEFAULT_RANKING_ORDER,
    DEFAULT_UNIT_RANKING,
    Contest,
    ContestAggregate,
    ContestStatus,
    CountedAttempt,
    Grant,
    PredictionMode,
    ResultsVisibility,
    ReviewPolicy,
    Round,
    RoundQuota,
    contest_units,
)
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.core.text import fold
from quizapp.units.models import Unit


def categories_of(contest: Contest) -> set[str]:
    return _split_categories(contest.eligible_categories)


def _split_categories(eligible_categories: str | None) -> set[str]:
    return {c for c in (eligible_categories or "").split(",") if c}


def is_eligible(contest: Contest, user: User) -> bool:
    """All registered users, or members of the chosen units (with sub-units)
    and/or of the chosen entrant categories."""
    if contest.status != ContestStatus.PUBLISHED or not user.is_active:
        return False
    if contest.open_to_all:
        return True
    unit_paths = db.session.scalars(
        sa.select(Unit.path).join(contest_units, contest_units.c.unit_id == Unit.id)
        .where(contest_units.c.contest_id == contest.id)
    ).all()
    in_units = user.unit is not None and any(user.unit.path.startswith(p) for p in unit_paths)
    return admits(contest.open_to_all, contest.eligible_categories, user.category.value, bool(unit_paths), in_units)


def admits(open_to_all: bool, eligible_categories: str, category: str, has_units: bool, in_units: bool) -> bool:
    """The eligibility rule on plain values (the start of an attempt reads them in SQL):
    everyone; else the entrant's category must be listed (if categories are listed)
    and the entrant's unit must be within a listed unit (if units are listed)."""
    if open_to_all:
        return True
    categories = _split_categories(eligible_categories)
    if categories and category not in categories:
        return False
    if not has_units:
        return bool(categories)
    return in_units


def round_state(rnd: Round, now: datetime | None = None) -> str:
    """'upcoming', 'open' or 'closed'."""
    now = now or utcnow()
    if now < rnd.opens_at:
        return "upcoming"
    if now >= rnd.closes_at:
        return "closed"
    return "open"


def review_time_reached(rnd: Round, now: datetime | None = None) -> bool:
    """Whether the round's review policy lets a submitted attempt show its key now."""
    now = now or utcnow()
    policy = rnd.review_policy
    if policy == ReviewPolicy.AFTER_ATTEMPT:
        return True
    if policy == ReviewPolicy.AFTER_CLOSE:
        return round_state(rnd, now) == "closed"
    if policy == ReviewPolicy.AFTER_CONTEST:
        return now >= contest_closes_at(rnd.contest)
    return False


def contest_closes_at(contest: Contest) -> datetime:
    """When the contest's last round closes (its review after the contest opens then)."""
    last = db.session.scalar(sa.select(sa.func.max(Round.closes_at)).where(Round.contest_id == contest.id))
    return last if last is not None else datetime.max.replace(tzinfo=utcnow().tzinfo)


def review_opened(rnd: Round, now: datetime | None = None) -> bool:
    """Whether anyone may already have seen this round's keys in a review."""
    if not review_time_reached(rnd, now):
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        Attempt.round_id == rnd.id, Attempt.status == AttemptStatus.SUBMITTED))))


@dataclass(frozen=True)
class EntrantLimits:
    attempts_allowed: int
    time_limit: timedelta

    @classmethod
    def of(cls, rnd: Round, extra_minutes, extra_attempts) -> "EntrantLimits":
        """The round's limits plus the minutes and attempts granted to one entrant."""
        return cls(attempts_allowed=rnd.attempts_allowed + int(extra_attempts),
                   time_limit=timedelta(seconds=rnd.time_limit_seconds, minutes=int(extra_minutes)))


def limits_for(rnd: Round, user_id: int) -> EntrantLimits:
    """The round's limits plus every grant made to this entrant."""
    extra_minutes, extra_attempts = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Grant.extra_minutes), 0),
                  sa.func.coalesce(sa.func.sum(Grant.extra_attempts), 0))
        .where(Grant.round_id == rnd.id, Grant.user_id == user_id)
    ).one()
    return EntrantLimits.of(rnd, extra_minutes, extra_attempts)


# --- settings offered to organisers ------------------------------------------
# Every rule that varies between contests is a setting; the first choice of
# each list is the default (the most common practice, see contest-rules.md).

RANKING_ORDERS = {
    DEFAULT_RANKING_ORDER: _l("Correct answers, then prediction, then time taken, then submission time"),
    "prediction,submitted_at": _l("Prediction, then submission time"),
    "score,duration,submitted_at": _l("Correct answers, then time taken, then submission time (no prediction)"),
    "score,duration,prediction": _l("Correct answers, then time taken, then prediction"),
}
UNIT_RANKING_ORDERS = {
    DEFAULT_UNIT_RANKING: _l("Participation rate, then average score"),
    "average,participation": _l("Average score, then participation rate"),
    "entrants,average": _l("Number of entrants, then average score"),
}
AGGREGATES = {
    ContestAggregate.SUM: _l("Sum of the rounds"),
    ContestAggregate.BEST: _l("Best round"),
}
VISIBILITIES = {
    ResultsVisibility.PUBLIC: _l("Everyone"),
    ResultsVisibility.LOGGED_IN: _l("Logged-in users"),
    ResultsVisibility.ORGANISERS: _l("Organisers only"),
}
COUNTED_ATTEMPTS = {
    CountedAttempt.BEST: _l("The best attempt"),
    CountedAttempt.FIRST: _l("The first attempt"),
    CountedAttempt.LAST: _l("The last attempt"),
}
PREDICTION_MODES = {
    PredictionMode.PERFECT_COUNT: _l("How many entrants answer every question correctly"),
    PredictionMode.ENTRANT_COUNT: _l("How many entrants take part in the round"),
    PredictionMode.PERFECT_PERCENT: _l("Percentage of entrants with every answer correct"),
    PredictionMode.OFF: _l("No prediction question"),
}
REVIEW_POLICIES = {
    ReviewPolicy.AFTER_CONTEST: _l("After the whole contest ends (recommended when rounds share a bank)"),
    ReviewPolicy.AFTER_CLOSE: _l("After the round closes"),
    ReviewPolicy.AFTER_ATTEMPT: _l("Right after each attempt"),
    ReviewPolicy.NEVER: _l("Never"),
}
DIFFICULTIES = {0: _l("Any"), 1: _l("Easy"), 2: _l("Medium"), 3: _l("Hard")}
STATUSES = {
    ContestStatus.DRAFT: _l("Draft"),
    ContestStatus.PUBLISHED: _l("Published"),
    ContestStatus.ARCHIVED: _l("Archived"),
}

DEFAULT_TIME_LIMIT_MINUTES = 20
DEFAULT_ATTEMPTS_ALLOWED = 3
DEFAULT_QUESTION_COUNT = 20
MAX_TIME_LIMIT_MINUTES = 600
MAX_ATTEMPTS_ALLOWED = 100
MAX_QUESTIONS = 200
MAX_EXTRA_MINUTES = 600
MAX_EXTRA_ATTEMPTS = 20


def _err(code: str, message, field: str | None = None, status: int = 422) -> ServiceError:
    return ServiceError(code, str(message), status=status, field=field)


# --- the question bank, as far as quotas need it -----------------------------

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
        .where(Question.status == QuestionStatus.APPROVED)
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
        .where(Question.status == QuestionStatus.APPROVED).group_by(Question.area_id)).all())


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


def _check_quotas(quotas: list[QuotaItem], field_name: str = "quotas") -> list[QuotaItem]:
    """The common cells and each entrant group's cells, each set checked on its own."""
    quotas = [q for q in quotas if q.count]
    groups = sorted({q.entrant_group for q in quotas} - {""})
    for group in groups:
        if group not in CATEGORY_VALUES:
            raise _err("quota_group", _l("Questions per area: unknown entrant group."), "group_category")
        _check_quota_set([q for q in quotas if q.entrant_group == group], "group_quotas")
    _check_quota_set([q for q in quotas if not q.entrant_group], field_name)
    return quotas


def _check_quota_set(quotas: list[QuotaItem], field_name: str) -> list[QuotaItem]:
    if not quotas:
        raise _err("quota_empty", _l("Questions per area: choose at least one question for the round."), field_name)
    area_ids = {a.id for a in reform_areas()}
    seen = set()
    for q in quotas:
        if q.area_id not in area_ids:
            raise _err("quota_area", _l("Questions per area: unknown reform area."), field_name)
        if q.difficulty not in DIFFICULTIES:
            raise _err("quota_difficulty", _l("Questions per area: the difficulty must be 0 (any), 1, 2 or 3."),
                       field_name)
        if q.count < 0:
            raise _err("quota_negative", _l("Questions per area: a count cannot be negative."), field_name)
        if (q.area_id, q.difficulty) in seen:
            raise _err("quota_duplicate", _l("Questions per area: each area and difficulty may appear only once."),
                       field_name)
        seen.add((q.area_id, q.difficulty))
    total = sum(q.count for q in quotas)
    if total > MAX_QUESTIONS:
        raise _err("quota_too_many", _l("Questions per area: at most %(max)d questions in one attempt.",
                                        max=MAX_QUESTIONS), field_name)
    shortages = quota_shortages(quotas)
    if shortages:
        raise _err("quota_unfillable", _l("Questions per area: the approved questions cannot fill this quota. %(why)s",
                                          why=" ".join(shortages)), field_name)
    return quotas


CATEGORY_VALUES = {c.value for c in EntrantCategory}


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


def round_count(contest: Contest, before: Round | None = None) -> int:
    """How many rounds the contest has (numbered below ``before``, if given)."""
    stmt = sa.select(sa.func.count()).select_from(Round).where(Round.contest_id == contest.id)
    if before is not None:
        stmt = stmt.where(Round.number < before.number)
    return db.session.scalar(stmt)


def fresh_counts(contest: Contest, rnd: Round | None) -> dict[tuple[int, int], int]:
    """Like ``available_counts`` but only questions no earlier round of the contest has
    drawn: the remaining pool of each quota cell, shown by the builder."""
    used = used_question_ids(contest.id, rnd.number if rnd is not None else None)
    rows = db.session.execute(
        sa.select(Question.id, Question.area_id, Question.difficulty).where(Question.status == QuestionStatus.APPROVED)
    ).all()
    out: dict[tuple[int, int], int] = {}
    for qid, area_id, difficulty in rows:
        if qid in used:
            continue
        out[(area_id, difficulty)] = out.get((area_id, difficulty), 0) + 1
        out[(area_id, 0)] = out.get((area_id, 0), 0) + 1
    return out


# --- contests ----------------------------------------------------------------

@dataclass
class ContestData:
    title: str
    description: str = ""
    rules: str = ""
    open_to_all: bool = True
    unit_ids: list[int] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    blocs: list[str] = field(default_factory=list)
    ranking_order: str = DEFAULT_RANKING_ORDER
    aggregate: ContestAggregate = ContestAggregate.SUM
    unit_ranking_order: str = DEFAULT_UNIT_RANKING
    min_participation_rate: Decimal = Decimal(0)
    results_visibility: ResultsVisibility = ResultsVisibility.PUBLIC


def contest_data_of(contest: Contest) -> ContestData:
    """The editable settings of a contest (to prefill the form)."""
    return ContestData(
        title=contest.title, description=contest.description or "", rules=contest.rules or "",
        open_to_all=contest.open_to_all, unit_ids=[u.id for u in contest.units],
        categories=sorted(categories_of(contest)), blocs=blocs_of(contest),
        ranking_order=contest.ranking_order, aggregate=contest.aggregate,
        unit_ranking_order=contest.unit_ranking_order,
        min_participation_rate=Decimal(contest.min_participation_rate or 0),
        results_visibility=contest.results_visibility,
    )


def blocs_of(contest: Contest) -> list[str]:
    return [b for b in (contest.blocs or "").split(",") if b]


def known_blocs() -> list[str]:
    """The blocs units already belong to (a hint for the contest form)."""
    return list(db.session.scalars(
        sa.select(Unit.bloc).where(Unit.bloc.is_not(None), Unit.bloc != "", Unit.is_active).distinct().order_by(Unit.bloc)
    ))


def _clean_contest_data(data: ContestData) -> ContestData:
    title = (data.title or "").strip()
    if not title:
        raise _err("title_required", _l("Title: please enter the contest's title."), "title")
    if len(title) > 255:
        raise _err("title_too_long", _l("Title: at most 255 characters."), "title")
    if len(data.description or "") > 20000:
        raise _err("description_too_long", _l("Description: at most 20,000 characters."), "description")
    if len(data.rules or "") > 50000:
        raise _err("rules_too_long", _l("Rules: at most 50,000 characters."), "rules")
    categories = sorted({c for c in data.categories if c})
    valid_categories = {c.value for c in EntrantCategory}
    if any(c not in valid_categories for c in categories):
        raise _err("category_unknown", _l("Entrant categories: unknown category."), "categories")
    unit_ids = sorted(set(data.unit_ids))
    if unit_ids:
        found = set(db.session.scalars(sa.select(Unit.id).where(Unit.id.in_(unit_ids))))
        if found != set(unit_ids):
            raise _err("unit_unknown", _l("Units: a chosen unit does not exist."), "unit_ids")
    if data.open_to_all:
        unit_ids, categories = [], []
    elif not unit_ids and not categories:
        raise _err("eligibility_empty", _l(
            "Who may enter: choose “all registered users”, or at least one unit or entrant category."), "open_to_all")
    blocs = []
    for b in data.blocs:
        b = b.strip()
        if b and b not in blocs:
            if len(b) > 64:
                raise _err("bloc_too_long", _l("Unit blocs: each bloc name has at most 64 characters."), "blocs")
            blocs.append(b)
    if len(",".join(blocs)) > 255:
        raise _err("blocs_too_long", _l("Unit blocs: the list is too long (at most 255 characters)."), "blocs")
    if data.ranking_order not in RANKING_ORDERS:
        raise _err("ranking_unknown", _l("Ranking order: choose one of the listed orders."), "ranking_order")
    if data.unit_ranking_order not in UNIT_RANKING_ORDERS:
        raise _err("unit_ranking_unknown", _l("Unit ranking: choose one of the listed criteria."), "unit_ranking_order")
    try:
        aggregate = ContestAggregate(data.aggregate)
        visibility = ResultsVisibility(data.results_visibility)
    except ValueError:
        raise _err("setting_unknown", _l("Contest score / results visibility: choose one of the listed values."),
                   "aggregate") from None
    rate = Decimal(data.min_participation_rate if data.min_participation_rate is not None else 0)
    if rate < 0 or rate > 100:
        raise _err("rate_range", _l("Minimum participation rate: enter a percentage between 0 and 100."),
                   "min_participation_rate")
    return ContestData(
        title=title, description=(data.description or "").strip(), rules=(data.rules or "").strip(),
        open_to_all=bool(data.open_to_all), unit_ids=unit_ids, categories=categories, blocs=blocs,
        ranking_order=data.ranking_order, aggregate=aggregate, unit_ranking_order=data.unit_ranking_order,
        min_participation_rate=rate.quantize(Decimal("0.01")), results_visibility=visibility,
    )


def _slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60].strip("-")
    return slug or "cuoc-thi"


def _unique_slug(title: str) -> str:
    base = _slugify(title)
    taken = set(db.session.scalars(sa.select(Contest.slug).where(Contest.slug.startswith(base))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _apply_contest_data(contest: Contest, data: ContestData) -> list[str]:
    """Write the settings; return the names of the settings that changed."""
    values = {
        "title": data.title, "description": data.description, "rules": data.rules,
        "open_to_all": data.open_to_all, "eligible_categories": ",".join(data.categories),
        "blocs": ",".join(data.blocs), "ranking_order": data.ranking_order, "aggregate": data.aggregate,
        "unit_ranking_order": data.unit_ranking_order, "min_participation_rate": data.min_participation_rate,
        "results_visibility": data.results_visibility,
    }
    changed = [k for k, v in values.items() if getattr(contest, k) != v]
    for k, v in values.items():
        setattr(contest, k, v)
    old_units = {u.id for u in contest.units}
    if old_units != set(data.unit_ids):
        changed.append("units")
        contest.units = list(db.session.scalars(sa.select(Unit).where(Unit.id.in_(data.unit_ids)))) if data.unit_ids else []
    return changed


def _check_prediction_ranking(ranking_order: str, rounds: list[Round], field_name: str) -> None:
    """A contest ranked by the prediction first needs a prediction in every round."""
    if ranking_order.split(",")[0] != "prediction":
        return
    for rnd in rounds:
        if rnd.prediction_mode == PredictionMode.OFF:
            raise _err("prediction_needed", _l(
                "Ranking order: the contest ranks by the prediction first, so round %(n)d needs a prediction question.",
                n=rnd.number), field_name)


def create_contest(data: ContestData, actor_id: int | None) -> Contest:
    data = _clean_contest_data(data)
    contest = Contest(slug=_unique_slug(data.title), status=ContestStatus.DRAFT, created_by_id=actor_id)
    contest.units = []
    _apply_contest_data(contest, data)
    db.session.add(contest)
    db.session.flush()
    audit.record(actor_id, "contest.create", "contest", contest.id)
    return contest


def _refuse_if_archived(contest: Contest) -> None:
    if contest.status == ContestStatus.ARCHIVED:
        raise _err("contest_archived", _l("This contest is archived and can no longer be changed."), status=409)


# How entrants are ranked and scored across rounds: the rules they compete under,
# fixed once anyone has taken part.  (Texts, eligibility, blocs, unit-ranking
# criteria and who sees results stay editable, and every change is audited.)
LOCKED_CONTEST_SETTINGS = {
    "ranking_order": _l("individual ranking order"),
    "aggregate": _l("contest score"),
}


def update_contest(contest: Contest, data: ContestData, actor_id: int | None) -> list[str]:
    _refuse_if_archived(contest)
    data = _clean_contest_data(data)
    _check_prediction_ranking(data.ranking_order, contest.rounds, "ranking_order")
    locked = [k for k in LOCKED_CONTEST_SETTINGS if str(getattr(contest, k)) != str(getattr(data, k))]
    if locked and attempt_count(contest_id=contest.id):
        raise _err("contest_locked", _l(
            "This contest already has attempts, so these settings can no longer change: %(fields)s.",
            fields=", ".join(str(LOCKED_CONTEST_SETTINGS[k]) for k in locked)), locked[0], status=409)
    changed = _apply_contest_data(contest, data)
    db.session.flush()
    if changed:
        audit.record(actor_id, "contest.update", "contest", contest.id, fields=changed)
    return changed


def get_contest_by_slug(slug: str) -> Contest | None:
    return db.session.scalar(sa.select(Contest).where(Contest.slug == slug))


def all_contests() -> list[Contest]:
    return list(db.session.scalars(sa.select(Contest).order_by(Contest.created_at.desc(), Contest.id.desc())))


def attempt_count(*, round_id: int | None = None, contest_id: int | None = None) -> int:
    stmt = sa.select(sa.func.count()).select_from(Attempt)
    if round_id is not None:
        stmt = stmt.where(Attempt.round_id == round_id)
    if contest_id is not None:
        stmt = stmt.join(Round, Round.id == Attempt.round_id).where(Round.contest_id == contest_id)
    return int(db.session.scalar(stmt) or 0)


def attempt_counts_by_round(contest: Contest) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Attempt.round_id, sa.func.count()).join(Round, Round.id == Attempt.round_id)
        .where(Round.contest_id == contest.id).group_by(Attempt.round_id)
    ).all()
    return {rid: n for rid, n in rows}


def publish(contest: Contest, actor_id: int | None) -> None:
    """Draft → published, once every round can be drawn from the approved questions."""
    if contest.status != ContestStatus.DRAFT:
        raise _err("not_draft", _l("Only a draft contest can be published."), status=409)
    if not contest.rounds:
        raise _err("no_rounds", _l("Add at least one round before publishing."), "rounds")
    _check_prediction_ranking(contest.ranking_order, contest.rounds, "ranking_order")
    counts = approved_counts()
    for rnd in contest.rounds:
        quotas = [QuotaItem(q.area_id, q.difficulty, q.count) for q in rnd.quotas]
        if not quotas:
            raise _err("quota_empty", _l("Round %(n)d has no questions: set its questions per area.", n=rnd.number),
                       "quotas")
        shortages = quota_shortages(quotas, counts)
        if shortages:
            raise _err("quota_unfillable", _l(
                "Round %(n)d: the approved questions cannot fill its quota. %(why)s",
                n=rnd.number, why=" ".join(shortages)), "quotas")
    contest.status = ContestStatus.PUBLISHED
    contest.published_at = utcnow()
    db.session.flush()
    audit.record(actor_id, "contest.publish", "contest", contest.id)


def unpublish(contest: Contest, actor_id: int | None) -> None:
    """Published → draft, only while nobody has taken an attempt."""
    if contest.status != ContestStatus.PUBLISHED:
        raise _err("not_published", _l("Only a published contest can be unpublished."), status=409)
    if attempt_count(contest_id=contest.id):
        raise _err("has_attempts", _l(
            "Entrants have already taken attempts in this contest: it cannot go back to draft; archive it instead."),
            status=409)
    contest.status = ContestStatus.DRAFT
    db.session.flush()
    audit.record(actor_id, "contest.unpublish", "contest", contest.id)


def archive(contest: Contest, actor_id: int | None) -> None:
    _refuse_if_archived(contest)
    contest.status = ContestStatus.ARCHIVED
    db.session.flush()
    audit.record(actor_id, "contest.archive", "contest", contest.id)


def delete_contest(contest: Contest, actor_id: int | None) -> None:
    """Only a draft contest nobody has entered can be deleted."""
    if contest.status != ContestStatus.DRAFT:
        raise _err("not_draft", _l("Only a draft contest can be deleted; archive a published contest instead."),
                   status=409)
    if attempt_count(contest_id=contest.id):
        raise _err("has_attempts", _l("This contest has attempts and cannot be deleted."), status=409)
    contest_id = contest.id
    db.session.delete(contest)
    db.session.flush()
    audit.record(actor_id, "contest.delete", "contest", contest_id)


# --- rounds ------------------------------------------------------------------

@dataclass
class RoundData:
    title: str
    opens_at: datetime  # aware (UTC)
    closes_at: datetime
    quotas: list[QuotaItem]
    time_limit_minutes: int = DEFAULT_TIME_LIMIT_MINUTES
    attempts_allowed: int = DEFAULT_ATTEMPTS_ALLOWED
    counted_attempt: CountedAttempt = CountedAttempt.BEST
    shuffle_questions: bool = True
    shuffle_options: bool = True
    one_page: bool = True
    prediction_mode: PredictionMode = PredictionMode.PERFECT_COUNT
    review_policy: ReviewPolicy = ReviewPolicy.AFTER_CLOSE
    fresh_questions: bool = False
    rank_groups_separately: bool = False


# Settings that must stay as they were once a round has attempts, so every
# entrant's attempts are taken under the same conditions.
LOCKED_SETTINGS = {
    "quotas": _l("questions per area"),
    "time_limit_seconds": _l("time limit"),
    "attempts_allowed": _l("attempts allowed"),
    "counted_attempt": _l("counted attempt"),
    "shuffle_questions": _l("shuffle questions"),
    "shuffle_options": _l("shuffle options"),
    "prediction_mode": _l("prediction question"),
    "review_policy": _l("when answers are shown"),
    "fresh_questions": _l("questions not used in earlier rounds"),
    "rank_groups_separately": _l("ranking of entrant groups"),
    "opens_at": _l("opening time"),
}
_LOCKED_FORM_FIELDS = {"time_limit_seconds": "time_limit_minutes"}


def round_data_of(rnd: Round) -> RoundData:
    return RoundData(
        title=rnd.title, opens_at=rnd.opens_at, closes_at=rnd.closes_at,
        quotas=sorted((QuotaItem(q.area_id, q.difficulty, q.count, q.entrant_group or "") for q in rnd.quotas),
                      key=lambda q: (q.entrant_group, q.area_id, q.difficulty)),
        time_limit_minutes=rnd.time_limit_seconds // 60, attempts_allowed=rnd.attempts_allowed,
        counted_attempt=rnd.counted_attempt, shuffle_questions=rnd.shuffle_questions,
        shuffle_options=rnd.shuffle_options, one_page=rnd.one_page, prediction_mode=rnd.prediction_mode,
        review_policy=rnd.review_policy, fresh_questions=rnd.fresh_questions,
        rank_groups_separately=rnd.rank_groups_separately,
    )


def _settings(values: dict) -> dict:
    return {
        "quotas": sorted((q.entrant_group, q.area_id, q.difficulty, q.count) for q in values["quotas"] if q.count),
        **{k: values[k] for k in LOCKED_SETTINGS if k != "quotas"},
    }


def _round_values(data: RoundData) -> dict:
    return {
        "title": data.title, "opens_at": data.opens_at, "closes_at": data.closes_at, "quotas": data.quotas,
        "time_limit_seconds": data.time_limit_minutes * 60, "attempts_allowed": data.attempts_allowed,
        "counted_attempt": data.counted_attempt, "shuffle_questions": data.shuffle_questions,
        "shuffle_options": data.shuffle_options, "one_page": data.one_page,
        "prediction_mode": data.prediction_mode, "review_policy": data.review_policy,
        "fresh_questions": data.fresh_questions, "rank_groups_separately": data.rank_groups_separately,
    }


def _clean_round_data(contest: Contest, data: RoundData, rnd: Round | None) -> RoundData:
    title = (data.title or "").strip()
    if not title:
        raise _err("title_required", _l("Round title: please enter a title, e.g. “Week 1”."), "title")
    if len(title) > 255:
        raise _err("title_too_long", _l("Round title: at most 255 characters."), "title")
    if data.opens_at is None or data.opens_at.tzinfo is None:
        raise _err("opens_at_required", _l("Opening time: please enter a date and time."), "opens_at")
    if data.closes_at is None or data.closes_at.tzinfo is None:
        raise _err("closes_at_required", _l("Closing time: please enter a date and time."), "closes_at")
    if data.closes_at <= data.opens_at:
        raise _err("closes_before_opens", _l("Closing time: the round must close after it opens."), "closes_at")
    if not 1 <= (data.time_limit_minutes or 0) <= MAX_TIME_LIMIT_MINUTES:
        raise _err("time_limit_range", _l("Time limit: enter between 1 and %(max)d minutes.",
                                          max=MAX_TIME_LIMIT_MINUTES), "time_limit_minutes")
    if not 1 <= (data.attempts_allowed or 0) <= MAX_ATTEMPTS_ALLOWED:
        raise _err("attempts_range", _l("Attempts allowed: enter between 1 and %(max)d.",
                                        max=MAX_ATTEMPTS_ALLOWED), "attempts_allowed")
    try:
        counted = CountedAttempt(data.counted_attempt)
        prediction = PredictionMode(data.prediction_mode)
        review = ReviewPolicy(data.review_policy)
    except ValueError:
        raise _err("setting_unknown", _l("Round settings: choose one of the listed values."), "counted_attempt") from None
    for other in contest.rounds:
        if rnd is not None and other.id == rnd.id:
            continue
        if other.opens_at < data.closes_at and data.opens_at < other.closes_at:
            raise _err("rounds_overlap", _l(
                "Opening time: this round overlaps round %(n)d (“%(title)s”); rounds of a contest must not overlap.",
                n=other.number, title=other.title), "opens_at")
    if prediction == PredictionMode.OFF and contest.ranking_order.split(",")[0] == "prediction":
        raise _err("prediction_needed", _l(
            "Prediction question: the contest ranks by the prediction first, so the round needs one."),
            "prediction_mode")
    quotas = _check_quotas(list(data.quotas))
    return RoundData(
        title=title, opens_at=data.opens_at, closes_at=data.closes_at, quotas=quotas,
        time_limit_minutes=int(data.time_limit_minutes), attempts_allowed=int(data.attempts_allowed),
        counted_attempt=counted, shuffle_questions=bool(data.shuffle_questions),
        shuffle_options=bool(data.shuffle_options), one_page=bool(data.one_page),
        prediction_mode=prediction, review_policy=review, fresh_questions=bool(data.fresh_questions),
        rank_groups_separately=bool(data.rank_groups_separately),
    )


def _apply_round_values(rnd: Round, values: dict) -> list[str]:
    changed = []
    for k, v in values.items():
        if k == "quotas":
            continue
        if getattr(rnd, k) != v:
            changed.append(k)
            setattr(rnd, k, v)
    old = sorted((q.entrant_group or "", q.area_id, q.difficulty, q.count) for q in rnd.quotas)
    new = sorted((q.entrant_group, q.area_id, q.difficulty, q.count) for q in values["quotas"])
    if old != new:
        changed.append("quotas")
        rnd.quotas.clear()
        db.session.flush()
        rnd.quotas.extend(RoundQuota(area_id=a, difficulty=d, count=c, entrant_group=g) for g, a, d, c in new)
    return changed


def add_round(contest: Contest, data: RoundData, actor_id: int | None) -> Round:
    _refuse_if_archived(contest)
    data = _clean_round_data(contest, data, None)
    if any(r.review_policy == ReviewPolicy.AFTER_CONTEST and review_opened(r) for r in contest.rounds):
        # The contest's answers were shown when it ended: a new round would be sat by people who read them.
        audit.record_detached(actor_id, "round.create_refused", "contest", contest.id)
        raise _err("review_visible", _l(
            "Entrants have already seen the correct answers of this contest, so no round can be added to it; "
            "start a new contest instead."), status=409)
    number = max((r.number for r in contest.rounds), default=0) + 1
    try:
        with db.session.begin_nested():
            rnd = Round(contest=contest, number=number, title=data.title, opens_at=data.opens_at,
                        closes_at=data.closes_at)
            db.session.add(rnd)
            _apply_round_values(rnd, _round_values(data))
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another organiser added a round with the same number at the same moment.
        raise _err("round_conflict", _l("Another round was added at the same time. Please reload and try again."),
                   status=409) from None
    audit.record(actor_id, "round.create", "round", rnd.id, contest_id=contest.id)
    return rnd


def update_round(rnd: Round, data: RoundData, actor_id: int | None) -> list[str]:
    """Edit a round.  Once it has attempts, only its title and a later closing
    time may change: anything else would make attempts unequal."""
    contest = rnd.contest
    _refuse_if_archived(contest)
    data = _clean_round_data(contest, data, rnd)
    values = _round_values(data)
    if attempt_count(round_id=rnd.id):
        before, after = _settings(_round_values(round_data_of(rnd))), _settings(values)
        locked = [k for k in LOCKED_SETTINGS if before[k] != after[k]]
        if locked:
            raise _err("round_locked", _l(
                "This round already has attempts, so these settings can no longer change: %(fields)s.",
                fields=", ".join(str(LOCKED_SETTINGS[k]) for k in locked)),
                _LOCKED_FORM_FIELDS.get(locked[0], locked[0]), status=409)
        if data.closes_at < rnd.closes_at:
            raise _err("close_earlier", _l(
                "Closing time: this round already has attempts; its closing time can only be moved later."),
                "closes_at", status=409)
        if data.closes_at > rnd.closes_at and review_opened(rnd):
            # An entrant who read the keys in a review could start again: refused, and the refusal audited.
            audit.record_detached(actor_id, "round.extend_refused", "round", rnd.id, contest_id=contest.id,
                                  closes_at=rnd.closes_at.isoformat(), asked=data.closes_at.isoformat())
            raise _err("review_visible", _l(
                "Closing time: entrants have already seen this round's correct answers, so it cannot be "
                "extended or reopened."), "closes_at", status=409)
    changed = _apply_round_values(rnd, values)
    db.session.flush()
    if changed:
        audit.record(actor_id, "round.update", "round", rnd.id, contest_id=contest.id, fields=changed)
    return changed


def delete_round(rnd: Round, actor_id: int | None) -> None:
    contest = rnd.contest
    _refuse_if_archived(contest)
    if attempt_count(round_id=rnd.id):
        raise _err("has_attempts", _l("This round has attempts and cannot be deleted."), status=409)
    if contest.status == ContestStatus.PUBLISHED and len(contest.rounds) == 1:
        raise _err("last_round", _l("A published contest needs at least one round; unpublish it first."), status=409)
    round_id = rnd.id
    contest.rounds.remove(rnd)
    db.session.flush()
    audit.record(actor_id, "round.delete", "round", round_id, contest_id=contest.id)


# --- individual exceptions ---------------------------------------------------

def find_entrants(q: str, limit: int = 20) -> list[User]:
    """Entrants matching a name, a phone number (any usual spelling) or an e-mail."""
    from quizapp.auth.services import normalize_email, normalize_phone, search_users

    q = (q or "").strip()[:100]
    if not q:
        return []
    if "@" in q:
        q = normalize_email(q) or q
    elif re.fullmatch(r"[+\d\s.\-()]{6,}", q):
        q = normalize_phone(q) or q
    return list(search_users(q, limit=limit))


def mask_phone(phone: str | None) -> str:
    """'0912345678' → '09******78': enough to tell two namesakes apart."""
    if not phone:
        return ""
    return phone[:2] + "*" * max(len(phone) - 4, 0) + phone[-2:]


def grant(rnd: Round, user_id: int, extra_minutes: int, extra_attempts: int, reason: str,
          actor_id: int | None) -> Grant:
    """Give one entrant extra minutes and/or attempts on a round, for a stated reason."""
    _refuse_if_archived(rnd.contest)
    user = db.session.get(User, user_id) if user_id else None
    if user is None or not user.is_active:
        raise _err("user_unknown", _l("Entrant: choose an active account from the search results."), "user_id")
    reason = (reason or "").strip()
    if not reason:
        raise _err("reason_required", _l("Reason: a reason is required for every exception."), "reason")
    if len(reason) > 2000:
        raise _err("reason_too_long", _l("Reason: at most 2,000 characters."), "reason")
    extra_minutes, extra_attempts = int(extra_minutes or 0), int(extra_attempts or 0)
    if not 0 <= extra_minutes <= MAX_EXTRA_MINUTES:
        raise _err("minutes_range", _l("Extra minutes: enter between 0 and %(max)d.", max=MAX_EXTRA_MINUTES),
                   "extra_minutes")
    if not 0 <= extra_attempts <= MAX_EXTRA_ATTEMPTS:
        raise _err("attempts_range", _l("Extra attempts: enter between 0 and %(max)d.", max=MAX_EXTRA_ATTEMPTS),
                   "extra_attempts")
    if not extra_minutes and not extra_attempts:
        raise _err("grant_empty", _l("Extra minutes: grant at least one extra minute or one extra attempt."),
                   "extra_minutes")
    if round_state(rnd) == "closed":
        raise _err("round_closed", _l("This round has closed; an exception can no longer be used."), status=409)
    row = Grant(round_id=rnd.id, user_id=user.id, extra_minutes=extra_minutes, extra_attempts=extra_attempts,
                reason=reason, granted_by_id=actor_id, created_at=utcnow())
    db.session.add(row)
    db.session.flush()
    # The reason stays in the grants table; the log keeps ids and figures only.
    audit.record(actor_id, "grant.create", "round", rnd.id, user_id=user.id, grant_id=row.id,
                 extra_minutes=extra_minutes, extra_attempts=extra_attempts)
    return row


def grants_for(rnd: Round) -> list[tuple[Grant, User]]:
    rows = db.session.execute(
        sa.select(Grant, User).join(User, User.id == Grant.user_id)
        .where(Grant.round_id == rnd.id).order_by(Grant.created_at.desc(), Grant.id.desc())
    ).all()
    return [(g, u) for g, u in rows]


# --- what entrants see -------------------------------------------------------

def visible_contests(user: User | None) -> list[Contest]:
    """Published contests for the public list: all of them for visitors (and
    organisers), only those the user may enter for everyone else."""
    contests = list(db.session.scalars(
        sa.select(Contest).where(Contest.status == ContestStatus.PUBLISHED)
        .order_by(Contest.published_at.desc(), Contest.id.desc())
    ))
    if user is None or user.has_role(Role.ORGANISER):
        return contests
    return [c for c in contests if is_eligible(c, user)]


def can_view(contest: Contest, user: User | None) -> bool:
    """Who may open a contest's page: anyone once published or archived;
    organisers also while it is a draft (a preview)."""
    if contest.status != ContestStatus.DRAFT:
        return True
    return user is not None and user.has_role(Role.ORGANISER)


def _published_rounds(now: datetime, *, open_now: bool) -> list[Round]:
    stmt = sa.select(Round).join(Contest, Contest.id == Round.contest_id).where(
        Contest.status == ContestStatus.PUBLISHED, Round.closes_at > now)
    stmt = stmt.where(Round.opens_at <= now) if open_now else stmt.where(Round.opens_at > now)
    return list(db.session.scalars(stmt.order_by(Round.opens_at, Round.id)))


def open_rounds_for(user: User, now: datetime | None = None) -> list[Round]:
    """Rounds open right now in published contests the user may enter."""
    now = now or utcnow()
    return _eligible_only(_published_rounds(now, open_now=True), user)


def _eligible_only(rounds: list[Round], user: User) -> list[Round]:
    verdicts: dict[int, bool] = {}
    for r in rounds:
        if r.contest_id not in verdicts:
            verdicts[r.contest_id] = is_eligible(r.contest, user)
    return [r for r in rounds if verdicts[r.contest_id]]


def upcoming_rounds_for(user: User | None, now: datetime | None = None, limit: int = 10) -> list[Round]:
    """Rounds not yet open in published contests (the user may enter, if given)."""
    now = now or utcnow()
    rounds = _published_rounds(now, open_now=False)
    if user is not None:
        rounds = _eligible_only(rounds, user)
    return rounds[:limit]


def open_rounds_public(now: datetime | None = None) -> list[Round]:
    """Rounds open right now in any published contest (for visitors)."""
    return _published_rounds(now or utcnow(), open_now=True)
