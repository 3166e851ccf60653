"""The organiser's contests: create and edit a contest's settings, publish,
unpublish, archive and delete it, find contests, and count their attempts.

Owns the contest's lifecycle (draft → published → archived) and the settings locked
once anyone has taken part.  Every change is audited.  Must not edit rounds
(``rounds``) or grants (``grants``), nor decide who may enter (``eligibility``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt
from quizapp.core import audit
from quizapp.auth.models import EntrantCategory
from quizapp.contests.eligibility import categories_of
from quizapp.contests.models import (
    DEFAULT_RANKING_ORDER,
    DEFAULT_UNIT_RANKING,
    Contest,
    ContestAggregate,
    ContestStatus,
    PredictionMode,
    ResultsVisibility,
    Round,
)
from quizapp.contests.quotas import QuotaItem, approved_counts, quota_shortages
from quizapp.contests.settings import RANKING_ORDERS, UNIT_RANKING_ORDERS, refusal
from quizapp.core.db import db, utcnow
from quizapp.core.text import fold
from quizapp.units.models import Unit


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
        raise refusal("title_required", _l("Title: please enter the contest's title."), "title")
    if len(title) > 255:
        raise refusal("title_too_long", _l("Title: at most 255 characters."), "title")
    if len(data.description or "") > 20000:
        raise refusal("description_too_long", _l("Description: at most 20,000 characters."), "description")
    if len(data.rules or "") > 50000:
        raise refusal("rules_too_long", _l("Rules: at most 50,000 characters."), "rules")
    categories = sorted({c for c in data.categories if c})
    valid_categories = {c.value for c in EntrantCategory}
    if any(c not in valid_categories for c in categories):
        raise refusal("category_unknown", _l("Entrant categories: unknown category."), "categories")
    unit_ids = sorted(set(data.unit_ids))
    if unit_ids:
        found = set(db.session.scalars(sa.select(Unit.id).where(Unit.id.in_(unit_ids))))
        if found != set(unit_ids):
            raise refusal("unit_unknown", _l("Units: a chosen unit does not exist."), "unit_ids")
    if data.open_to_all:
        unit_ids, categories = [], []
    elif not unit_ids and not categories:
        raise refusal("eligibility_empty", _l(
            "Who may enter: choose “all registered users”, or at least one unit or entrant category."), "open_to_all")
    blocs = []
    for b in data.blocs:
        b = b.strip()
        if b and b not in blocs:
            if len(b) > 64:
                raise refusal("bloc_too_long", _l("Unit blocs: each bloc name has at most 64 characters."), "blocs")
            blocs.append(b)
    if len(",".join(blocs)) > 255:
        raise refusal("blocs_too_long", _l("Unit blocs: the list is too long (at most 255 characters)."), "blocs")
    if data.ranking_order not in RANKING_ORDERS:
        raise refusal("ranking_unknown", _l("Ranking order: choose one of the listed orders."), "ranking_order")
    if data.unit_ranking_order not in UNIT_RANKING_ORDERS:
        raise refusal("unit_ranking_unknown", _l("Unit ranking: choose one of the listed criteria."), "unit_ranking_order")
    try:
        aggregate = ContestAggregate(data.aggregate)
        visibility = ResultsVisibility(data.results_visibility)
    except ValueError:
        raise refusal("setting_unknown", _l("Contest score / results visibility: choose one of the listed values."),
                   "aggregate") from None
    rate = Decimal(data.min_participation_rate if data.min_participation_rate is not None else 0)
    if rate < 0 or rate > 100:
        raise refusal("rate_range", _l("Minimum participation rate: enter a percentage between 0 and 100."),
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
            raise refusal("prediction_needed", _l(
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


def refuse_if_archived(contest: Contest) -> None:
    if contest.status == ContestStatus.ARCHIVED:
        raise refusal("contest_archived", _l("This contest is archived and can no longer be changed."), status=409)


# How entrants are ranked and scored across rounds: the rules they compete under,
# fixed once anyone has taken part.  (Texts, eligibility, blocs, unit-ranking
# criteria and who sees results stay editable, and every change is audited.)
LOCKED_CONTEST_SETTINGS = {
    "ranking_order": _l("individual ranking order"),
    "aggregate": _l("contest score"),
}


def update_contest(contest: Contest, data: ContestData, actor_id: int | None) -> list[str]:
    refuse_if_archived(contest)
    data = _clean_contest_data(data)
    _check_prediction_ranking(data.ranking_order, contest.rounds, "ranking_order")
    locked = [k for k in LOCKED_CONTEST_SETTINGS if str(getattr(contest, k)) != str(getattr(data, k))]
    if locked and attempt_count(contest_id=contest.id):
        raise refusal("contest_locked", _l(
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
    """Every contest, newest first, with its rounds (the lists show them) in one more statement."""
    return list(db.session.scalars(sa.select(Contest).options(selectinload(Contest.rounds))
                                   .order_by(Contest.created_at.desc(), Contest.id.desc())))


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
        raise refusal("not_draft", _l("Only a draft contest can be published."), status=409)
    if not contest.rounds:
        raise refusal("no_rounds", _l("Add at least one round before publishing."), "rounds")
    _check_prediction_ranking(contest.ranking_order, contest.rounds, "ranking_order")
    counts = approved_counts()
    for rnd in contest.rounds:
        quotas = [QuotaItem(q.area_id, q.difficulty, q.count) for q in rnd.quotas]
        if not quotas:
            raise refusal("quota_empty", _l("Round %(n)d has no questions: set its questions per area.", n=rnd.number),
                       "quotas")
        shortages = quota_shortages(quotas, counts)
        if shortages:
            raise refusal("quota_unfillable", _l(
                "Round %(n)d: the approved questions cannot fill its quota. %(why)s",
                n=rnd.number, why=" ".join(shortages)), "quotas")
    contest.status = ContestStatus.PUBLISHED
    contest.published_at = utcnow()
    db.session.flush()
    audit.record(actor_id, "contest.publish", "contest", contest.id)


def unpublish(contest: Contest, actor_id: int | None) -> None:
    """Published → draft, only while nobody has taken an attempt."""
    if contest.status != ContestStatus.PUBLISHED:
        raise refusal("not_published", _l("Only a published contest can be unpublished."), status=409)
    if attempt_count(contest_id=contest.id):
        raise refusal("has_attempts", _l(
            "Entrants have already taken attempts in this contest: it cannot go back to draft; archive it instead."),
            status=409)
    contest.status = ContestStatus.DRAFT
    db.session.flush()
    audit.record(actor_id, "contest.unpublish", "contest", contest.id)


def archive(contest: Contest, actor_id: int | None) -> None:
    refuse_if_archived(contest)
    contest.status = ContestStatus.ARCHIVED
    db.session.flush()
    audit.record(actor_id, "contest.archive", "contest", contest.id)


def delete_contest(contest: Contest, actor_id: int | None) -> None:
    """Only a draft contest nobody has entered can be deleted."""
    if contest.status != ContestStatus.DRAFT:
        raise refusal("not_draft", _l("Only a draft contest can be deleted; archive a published contest instead."),
                   status=409)
    if attempt_count(contest_id=contest.id):
        raise refusal("has_attempts", _l("This contest has attempts and cannot be deleted."), status=409)
    contest_id = contest.id
    db.session.delete(contest)
    db.session.flush()
    audit.record(actor_id, "contest.delete", "contest", contest_id)
