"""What the home page shows."""
from __future__ import annotations

import sqlalchemy as sa

from quizapp.contests import schedule
from quizapp.core.db import db, utcnow
from quizapp.units.models import Unit


def home_page(user=None) -> dict:
    """Units taking part, and the rounds open now or coming up (for ``user``
    when logged in: only contests they may enter)."""
    now = utcnow()
    if user is None:
        open_rounds = schedule.open_rounds_public(now)
    else:
        open_rounds = schedule.open_rounds_for(user, now)
    return {
        **_units_part(),
        "now": now,
        "open_rounds": open_rounds,
        "upcoming_rounds": schedule.upcoming_rounds_for(user, now, limit=5),
        **_entrant_part(user, open_rounds, now),
    }


def _entrant_part(user, open_rounds, now) -> dict:
    """For a logged-in entrant: attempts in progress in the open rounds (the button says
    "continue"), the rounds whose answers were published since they took them, and the
    prizes she won (once the winners list is published; revoked ones are not shown)."""
    if user is None:
        return {"in_progress": {}, "reviews_opened": [], "prizes_won": []}
    from quizapp.attempts import history
    from quizapp.attempts.models import Attempt, AttemptStatus

    ids = [r.id for r in open_rounds]
    in_progress = dict(db.session.execute(
        sa.select(Attempt.round_id, Attempt.id).where(
            Attempt.user_id == user.id, Attempt.status == AttemptStatus.IN_PROGRESS,
            Attempt.round_id.in_(ids), Attempt.deadline_at > now)).all()) if ids else {}
    return {"in_progress": in_progress, "reviews_opened": history.reviews_opened(user, now),
            "prizes_won": _prizes_won(user)}


def _prizes_won(user) -> list[tuple[object, str]]:
    """(award, what it is for: 'Giải Nhất – Tuần thi thứ 1, Cuộc thi ...') of the entrant's published prizes."""
    from quizapp.campaign import awards as campaign
    from quizapp.campaign.models import AwardKind
    from quizapp.contests.models import Contest

    awards = campaign.my_awards(user.id, kinds=[AwardKind.INDIVIDUAL])[:5]
    titles = dict(db.session.execute(sa.select(Contest.id, Contest.title).where(
        Contest.id.in_({a.contest_id for a in awards}))).all()) if awards else {}
    return [(a, campaign.achievement(a, titles.get(a.contest_id, ""), campaign.award_scope_title(a))) for a in awards]


def _units_part() -> dict:
    top_units = db.session.scalars(
        sa.select(Unit).where(Unit.parent_id.is_(None), Unit.is_active).order_by(Unit.name)
    ).all()
    unit_count = db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.is_active))
    children = []
    if len(top_units) == 1:
        children = db.session.scalars(
            sa.select(Unit).where(Unit.parent_id == top_units[0].id, Unit.is_active).order_by(Unit.kind, Unit.name)
        ).all()
    return {"top_units": top_units, "unit_count": unit_count, "child_units": children}
