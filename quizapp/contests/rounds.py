"""The organiser's rounds: add, edit and delete a contest's rounds, with the
settings locked once a round has attempts and the closing time frozen once its
answers may have been seen.

Owns the round's settings and their checks (times, limits, overlaps, quotas through
``quotas``).  Every change is audited.  Must not change the contest's own settings
(``contests``) or decide review visibility (``review``, which it asks).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.contests.contests import attempt_count, refuse_if_archived
from quizapp.contests.models import (
    Contest,
    ContestStatus,
    CountedAttempt,
    PredictionMode,
    ReviewPolicy,
    Round,
    RoundQuota,
)
from quizapp.contests.quotas import QuotaItem, check_quotas
from quizapp.contests.review import contest_review_opened, review_opened
from quizapp.contests.settings import (
    DEFAULT_ATTEMPTS_ALLOWED,
    DEFAULT_TIME_LIMIT_MINUTES,
    MAX_ATTEMPTS_ALLOWED,
    MAX_TIME_LIMIT_MINUTES,
    refusal,
)
from quizapp.core.db import db


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
    # None: the default, a per-round pool for every round after the contest's first.
    fresh_questions: bool | None = None
    rank_groups_separately: bool = False
    live_results: bool = True


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
        rank_groups_separately=rnd.rank_groups_separately, live_results=rnd.live_results,
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
        "live_results": data.live_results,
    }


def _clean_round_data(contest: Contest, data: RoundData, rnd: Round | None) -> RoundData:
    title = (data.title or "").strip()
    if not title:
        raise refusal("title_required", _l("Round title: please enter a title, e.g. “Week 1”."), "title")
    if len(title) > 255:
        raise refusal("title_too_long", _l("Round title: at most 255 characters."), "title")
    if data.opens_at is None or data.opens_at.tzinfo is None:
        raise refusal("opens_at_required", _l("Opening time: please enter a date and time."), "opens_at")
    if data.closes_at is None or data.closes_at.tzinfo is None:
        raise refusal("closes_at_required", _l("Closing time: please enter a date and time."), "closes_at")
    if data.closes_at <= data.opens_at:
        raise refusal("closes_before_opens", _l("Closing time: the round must close after it opens."), "closes_at")
    if not 1 <= (data.time_limit_minutes or 0) <= MAX_TIME_LIMIT_MINUTES:
        raise refusal("time_limit_range", _l("Time limit: enter between 1 and %(max)d minutes.",
                                          max=MAX_TIME_LIMIT_MINUTES), "time_limit_minutes")
    if not 1 <= (data.attempts_allowed or 0) <= MAX_ATTEMPTS_ALLOWED:
        raise refusal("attempts_range", _l("Attempts allowed: enter between 1 and %(max)d.",
                                        max=MAX_ATTEMPTS_ALLOWED), "attempts_allowed")
    try:
        counted = CountedAttempt(data.counted_attempt)
        prediction = PredictionMode(data.prediction_mode)
        review = ReviewPolicy(data.review_policy)
    except ValueError:
        raise refusal("setting_unknown", _l("Round settings: choose one of the listed values."), "counted_attempt") from None
    for other in contest.rounds:
        if rnd is not None and other.id == rnd.id:
            continue
        if other.opens_at < data.closes_at and data.opens_at < other.closes_at:
            raise refusal("rounds_overlap", _l(
                "Opening time: this round overlaps round %(n)d (“%(title)s”); rounds of a contest must not overlap.",
                n=other.number, title=other.title), "opens_at")
    if prediction == PredictionMode.OFF and contest.ranking_order.split(",")[0] == "prediction":
        raise refusal("prediction_needed", _l(
            "Prediction question: the contest ranks by the prediction first, so the round needs one."),
            "prediction_mode")
    quotas = check_quotas(list(data.quotas))
    return RoundData(
        title=title, opens_at=data.opens_at, closes_at=data.closes_at, quotas=quotas,
        time_limit_minutes=int(data.time_limit_minutes), attempts_allowed=int(data.attempts_allowed),
        counted_attempt=counted, shuffle_questions=bool(data.shuffle_questions),
        shuffle_options=bool(data.shuffle_options), one_page=bool(data.one_page),
        prediction_mode=prediction, review_policy=review,
        fresh_questions=(bool(data.fresh_questions) if data.fresh_questions is not None
                         else bool(round_count(contest, before=rnd) if rnd is not None else round_count(contest))),
        rank_groups_separately=bool(data.rank_groups_separately), live_results=bool(data.live_results),
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
    refuse_if_archived(contest)
    data = _clean_round_data(contest, data, None)
    if contest_review_opened(contest):
        # The contest's answers were shown when it ended: a new round would be sat by people who read them.
        audit.record_detached(actor_id, "round.create_refused", "contest", contest.id)
        raise refusal("review_visible", _l(
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
        raise refusal("round_conflict", _l("Another round was added at the same time. Please reload and try again."),
                   status=409) from None
    audit.record(actor_id, "round.create", "round", rnd.id, contest_id=contest.id)
    return rnd


def update_round(rnd: Round, data: RoundData, actor_id: int | None) -> list[str]:
    """Edit a round.  Once it has attempts, only its title and a later closing
    time may change: anything else would make attempts unequal."""
    contest = rnd.contest
    refuse_if_archived(contest)
    data = _clean_round_data(contest, data, rnd)
    values = _round_values(data)
    if attempt_count(round_id=rnd.id):
        before, after = _settings(_round_values(round_data_of(rnd))), _settings(values)
        locked = [k for k in LOCKED_SETTINGS if before[k] != after[k]]
        if locked:
            raise refusal("round_locked", _l(
                "This round already has attempts, so these settings can no longer change: %(fields)s.",
                fields=", ".join(str(LOCKED_SETTINGS[k]) for k in locked)),
                _LOCKED_FORM_FIELDS.get(locked[0], locked[0]), status=409)
        if data.closes_at < rnd.closes_at:
            raise refusal("close_earlier", _l(
                "Closing time: this round already has attempts; its closing time can only be moved later."),
                "closes_at", status=409)
        if data.closes_at > rnd.closes_at and review_opened(rnd):
            # An entrant who read the keys in a review could start again: refused, and the refusal audited.
            audit.record_detached(actor_id, "round.extend_refused", "round", rnd.id, contest_id=contest.id,
                                  closes_at=rnd.closes_at.isoformat(), asked=data.closes_at.isoformat())
            raise refusal("review_visible", _l(
                "Closing time: entrants have already seen this round's correct answers, so it cannot be "
                "extended or reopened."), "closes_at", status=409)
    changed = _apply_round_values(rnd, values)
    db.session.flush()
    if changed:
        audit.record(actor_id, "round.update", "round", rnd.id, contest_id=contest.id, fields=changed)
    return changed


def delete_round(rnd: Round, actor_id: int | None) -> None:
    contest = rnd.contest
    refuse_if_archived(contest)
    if attempt_count(round_id=rnd.id):
        raise refusal("has_attempts", _l("This round has attempts and cannot be deleted."), status=409)
    if contest.status == ContestStatus.PUBLISHED and len(contest.rounds) == 1:
        raise refusal("last_round", _l("A published contest needs at least one round; unpublish it first."), status=409)
    round_id = rnd.id
    contest.rounds.remove(rnd)
    db.session.flush()
    audit.record(actor_id, "round.delete", "round", round_id, contest_id=contest.id)


def round_count(contest: Contest, before: Round | None = None) -> int:
    """How many rounds the contest has (numbered below ``before``, if given)."""
    stmt = sa.select(sa.func.count()).select_from(Round).where(Round.contest_id == contest.id)
    if before is not None:
        stmt = stmt.where(Round.number < before.number)
    return db.session.scalar(stmt)
