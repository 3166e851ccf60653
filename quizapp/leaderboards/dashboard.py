"""A unit manager's dashboard: participation per round and per contest, the unit's rank and
what a prize needs, who has not taken part.

Every participation figure comes from ``participation`` (with sub-units, confirmed members,
rounds opened so far): the same figure as the unit ranking's default view and the periodic report.
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
from quizapp.contests.schedule import round_state
from quizapp.core.db import db, utcnow
from quizapp.core.spreadsheet import frame_to_csv, frame_to_xlsx
from quizapp.leaderboards import participation
from quizapp.leaderboards.people import unit_people
from quizapp.leaderboards.visibility import get_round, service_error
from quizapp.leaderboards.models import Standing
from quizapp.units import membership
from quizapp.units import services as units
from quizapp.units.models import Unit

CONTESTS_SHOWN = 5


class _Rated:
    figure: participation.Participation

    @property
    def entrants(self) -> int:
        return self.figure.entrants

    @property
    def rate(self) -> float | None:  # percent of the headcount
        return self.figure.rate_float

    @property
    def rate_text(self) -> str:
        return self.figure.rate_text


@dataclass(frozen=True)
class RoundFigure(_Rated):
    round: Round
    state: str  # upcoming / open / closed
    figure: participation.Participation


@dataclass(frozen=True)
class ContestFigure(_Rated):
    contest: Contest
    rounds: list[RoundFigure]  # in round order: the trend across rounds (opened rounds only)
    figure: participation.Participation  # over the rounds opened so far


@dataclass(frozen=True)
class Dashboard:
    unit: Unit
    headcount: int
    registered: int
    contests: list[ContestFigure]
    round: Round | None  # the round whose missing people are listed
    missing: list  # people.PersonRow of the people who have not taken part in ``round``
    confirmed: int = 0  # active members a manager confirmed: only they count toward participation
    unconfirmed: tuple = ()  # units.membership.Member rows still waiting for confirmation
    standing: participation.UnitStanding | None = None  # rank in ``round``'s unit ranking, gap to the prize floor


def subtree_headcount(unit: Unit) -> int:
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Unit.headcount), 0))
        .where(Unit.path.startswith(unit.path), Unit.merged_into_id.is_(None))) or 0)


def contest_figures(unit_id: int, now: datetime, limit: int = CONTESTS_SHOWN) -> list[ContestFigure]:
    contests = db.session.scalars(
        sa.select(Contest).where(Contest.status == ContestStatus.PUBLISHED)
        .where(sa.exists().where(Round.contest_id == Contest.id, Round.opens_at <= now))
        .options(selectinload(Contest.rounds))  # every contest's rounds in one more query, not one each
        .order_by(Contest.id.desc()).limit(limit)).all()
    out = []
    for c in contests:
        opened = participation.rounds_counted(sorted(c.rounds, key=lambda r: r.opens_at), now)
        rounds = [RoundFigure(r, round_state(r, now), participation.of_round(r.id, unit_id)) for r in opened]
        out.append(ContestFigure(c, rounds, participation.of_rounds([unit_id], opened, now)[unit_id]))
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
    figures = contest_figures(unit.id, now)
    rnd = get_round(round_id) if round_id else default_round(figures)
    missing = missing_people(unit.id, rnd.id) if rnd else []
    members = membership.members_by_confirmation(unit.id)
    return Dashboard(unit, headcount, registered, figures, rnd, missing,
                     len(members["confirmed"]), tuple(members["unconfirmed"]),
                     participation.standing(rnd.id, unit.id) if rnd else None)


def missing_people(unit_id: int, round_id: int) -> list:
    """Members of the unit (and sub-units) who have not taken part in the round; unit managers
    are left out (the manager is not one of his own non-participants)."""
    from quizapp.auth.models import Role

    managers = set(db.session.scalars(sa.select(User.id).where(User.role != Role.PARTICIPANT)))
    return [p for p in unit_people(unit_id, round_id, True) if not p.took_part and p.user_id not in managers]


MISSING_COLUMNS = ["Họ và tên", "Đơn vị", "Số điện thoại", "E-mail"]


def export_missing(unit_id: int, round_id: int, fmt: str) -> tuple[bytes, str, str]:
    """The people of the unit (and sub-units) who have not taken part in the round:
    (content, mimetype, file name)."""
    rnd = get_round(round_id)
    people = missing_people(unit_id, rnd.id)
    frame = pd.DataFrame([[p.full_name, p.unit_name, p.phone or "", p.email or ""] for p in people],
                         columns=MISSING_COLUMNS)
    name = f"chua-thi-vong-{rnd.id}-don-vi-{unit_id}.{fmt}"
    if fmt == "csv":
        return frame_to_csv(frame), "text/csv; charset=utf-8", name
    return (frame_to_xlsx(frame, sheet_name="Chưa thi", title=f"Chưa tham gia: {rnd.title}", filter_header=True),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name)
