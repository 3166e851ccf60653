"""What the home page shows."""
from __future__ import annotations

import sqlalchemy as sa

from quizapp.core.db import db
from quizapp.units.models import Unit


def home_page() -> dict:
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
