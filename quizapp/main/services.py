"""What the home page shows."""
from __future__ import annotations

import sqlalchemy as sa

from quizapp.contests import services as contests
from quizapp.core.db import db, utcnow
from quizapp.units.models import Unit


def home_page(user=None) -> dict:
    """Units taking part, and the rounds open now or coming up (for ``user``
    when logged in: only contests they may enter)."""
    now = utcnow()
    if user is None:
        open_rounds = contests.open_rounds_public(now)
    else:
        open_rounds = contests.open_rounds_for(user, now)
    return {
        **_units_part(),
        "now": now,
        "open_rounds": open_rounds,
        "upcoming_rounds": contests.upcoming_rounds_for(user, now, limit=5),
    }


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
