"""A unit manager's dashboard: participation per round and per contest, who has not taken part.

Participation = distinct entrants whose counted result belongs to the unit or one of its
sub-units ÷ the headcount of the unit and its sub-units (merged units' headcount already
moved to the unit they were merged into), the same figures as the unit ranking "with
sub-units": only members the unit has confirmed are counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from quizapp.auth.models import User
from quizapp.contests.models import Contest, ContestStatus, Round
from quizapp.contests.services import round_state
from quizapp.core.db import db, utcnow
from quizapp.core.spreadsheet import frame_to_csv, frame_to_xlsx
from quizapp.leaderboards.people import unit_people
from quizapp.leaderboards.visibility import get_round, service_error
from quizapp.leaderboards.models import Standing
from quizapp.units import services as units
from quizapp.units.models import Unit

CONTESTS_SHOWN = 5


class _Rated:
    rate: float | None  # percent of the headcount

    @property
    def rate_text(self) -> str:
        return "" if self.rate is None else f"{self.rate:.1f}"


@dataclass(frozen=True)
class RoundFigure(_Rated):
    round: Round
    state: str  # upcoming / open / closed
    entrants: int
    rate: float | None  # percent of the headcount


@dataclass(frozen=True)
class ContestFigure(_Rated):
    contest: Contest
    rounds: list[RoundFigure]  # in round order: the trend across rounds
    entrants: int  # distinct entrants over all its rounds
    rate: float | None


@dataclass(frozen=True)
class Dashboard:
    unit: Unit
    headcount: int
    registered: int
    contests: list[ContestFigure]
    round: Round | None  # the round whose missing people are listed
    missing: list  # people.PersonRow of the people who have not taken part in ``round``
    confirmed: int = 0  # active members a manager confirmed: only they count toward participation
    unconfirmed: tuple = ()  # units.services.Member rows still waiting for confirmation


def subtree_headcount(unit: Unit) -> int:
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Unit.headcount), 0))
        .where(Unit.path.startswith(unit.path), Unit.merged_into_id.is_(None))) or 0)


def _rate(entrants: int, headcount: int) -> float | None:
    return 100.0 * entrants / headcount if headcount else None


def contest_figures(unit_ids: list[int], headcount: int, now: datetime, limit: int = CONTESTS_SHOWN) -> list[ContestFigure]:
    contests = db.session.scalars(
        sa.select(Contest).where(Contest.status == ContestStatus.PUBLISHED)
        .where(sa.exists().where(Round.contest_id == Contest.id, Round.opens_at <= now))
        .options(selectinload(Contest.rounds))  # every contest's rounds in one more query, not one each
        .order_by(Contest.id.desc()).limit(limit)).all()
    if not contests:
        return []
    # Only members the unit has confirmed count, as in the unit ranking (self-registration could
    # otherwise inflate a unit's participation).
    counted = (sa.select(Standing.round_id, Round.contest_id, Standing.user_id)
               .join(Round, Round.id == Standing.round_id).join(User, User.id == Standing.user_id)
               .where(Round.contest_id.in_([c.id for c in contests]), Standing.unit_id.in_(unit_ids),
                      User.unit_confirmed).subquery())
    per_round = dict(db.session.execute(
        sa.select(counted.c.round_id, sa.func.count(sa.distinct(counted.c.user_id)))
        .group_by(counted.c.round_id)).all())
    per_contest = dict(db.session.execute(
        sa.select(counted.c.contest_id, sa.func.count(sa.distinct(counted.c.user_id)))
        .group_by(counted.c.contest_id)).all())
    out = []
    for c in contests:
        rounds = [RoundFigure(r, round_state(r, now), int(per_round.get(r.id, 0)),
                              _rate(int(per_round.get(r.id, 0)), headcount))
                  for r in sorted(c.rounds, key=lambda r: r.opens_at) if r.opens_at <= now]
        n = int(per_contest.get(c.id, 0))
        out.append(ContestFigure(c, rounds, n, _rate(n, headcount)))
    return out


def default_round(figures: list[ContestFigure]) -> Round | None:
    """The round a manager most likely asks about: an open one, else the latest opened."""
    rounds = [rf for cf in figures for rf in cf.rounds]
    open_ = [rf.round for rf in rounds if rf.state == "open"]
    if open_:
        return min(open_, key=lambda r: r.closes_at)
    return max((rf.round for rf in rounds), key=lambda r: r.opens_at, default=None)


def unit_dashboard(unit_id: int, round_id: int | None = None, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise service_error("unit_not_found", _l("This unit does not exist."), 404)
    ids = units.subtree_ids(unit.id)
    headcount = subtree_headcount(unit)
    registered = int(db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.unit_id.in_(ids))))
    figures = contest_figures(ids, headcount, now)
    rnd = get_round(round_id) if round_id else default_round(figures)
    missing = [p for p in unit_people(unit.id, rnd.id, True) if not p.took_part] if rnd else []
    members = units.members_by_confirmation(unit.id)
    return Dashboard(unit, headcount, registered, figures, rnd, missing,
                     len(members["confirmed"]), tuple(members["unconfirmed"]))


MISSING_COLUMNS = ["Họ và tên", "Đơn vị", "Số điện thoại", "E-mail"]


def export_missing(unit_id: int, round_id: int, fmt: str) -> tuple[bytes, str, str]:
    """The people of the unit (and sub-units) who have not taken part in the round:
    (content, mimetype, file name)."""
    rnd = get_round(round_id)
    people = [p for p in unit_people(unit_id, rnd.id, True) if not p.took_part]
    frame = pd.DataFrame([[p.full_name, p.unit_name, p.phone or "", p.email or ""] for p in people],
                         columns=MISSING_COLUMNS)
    name = f"chua-thi-vong-{rnd.id}-don-vi-{unit_id}.{fmt}"
    if fmt == "csv":
        return frame_to_csv(frame), "text/csv; charset=utf-8", name
    return (frame_to_xlsx(frame, sheet_name="Chưa thi", title=f"Chưa tham gia: {rnd.title}"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name)
