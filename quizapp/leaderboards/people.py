"""A unit manager's view of their people: everybody of the unit with their result in a round.

Owns: ``PersonRow`` and ``unit_people`` (who has not taken part first, people whose result
counts for the unit although they have moved, contact details only while they belong).
Must not: show scores, times or ranks the contest's results visibility hides from the
viewer (``visibility.results_visible``), or check the manager's scope (the view does,
``require_unit_scope``).
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from quizapp.auth.models import User
from quizapp.core.db import db
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.snapshots import round_snapshot
from quizapp.leaderboards.visibility import get_round, results_visible
from quizapp.units import services as units
from quizapp.units.models import Unit


@dataclass(frozen=True)
class PersonRow:
    user_id: int
    full_name: str
    unit_name: str  # the unit the result counts for (or the person's current unit if no result)
    current_unit_name: str
    phone: str | None
    email: str | None
    took_part: bool
    score: int | None
    max_score: int | None
    duration_ms: int | None
    attempts: int
    rank: int | None


def unit_people(unit_id: int, round_id: int, subtree: bool = True, viewer=None) -> list[PersonRow]:
    """Everybody of the unit (and its sub-units) with their result in the round, those
    who have not taken part first (so the manager can remind them).  Includes people
    whose result counts for the unit although they have moved since.

    Scores, times and ranks follow the contest's results visibility for ``viewer``
    like every other view of results (``results_visible``); whether someone has
    taken part is always shown (the manager reminds those who have not)."""
    rnd = get_round(round_id)
    shown = results_visible(rnd.contest, viewer, rnd)
    ids = units.subtree_ids(unit_id) if subtree else [unit_id]
    current = sa.orm.aliased(Unit)
    counted = sa.orm.aliased(Unit)
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.phone, User.email, current.name, counted.name,
                  Standing.score, Standing.max_score, Standing.duration_ms, Standing.attempts_count, User.unit_id)
        .outerjoin(Standing, (Standing.user_id == User.id) & (Standing.round_id == round_id))
        .outerjoin(current, current.id == User.unit_id)
        .outerjoin(counted, counted.id == Standing.unit_id)
        .where(sa.or_(User.unit_id.in_(ids), Standing.unit_id.in_(ids)))
        .order_by(User.full_name, User.id)
    ).all()
    snap = round_snapshot(round_id) if shown else None
    id_set = set(ids)
    out = []
    for r in rows:
        took = r.score is not None
        pos = snap.position_of(r.id) if took and shown else None
        # Contact details only while the person belongs to the unit: someone who has left
        # is listed (the result still counts here) without his phone or e-mail.
        here = r.unit_id in id_set
        out.append(PersonRow(r.id, r.full_name, (r[5] if took else r[4]) or "", r[4] or "",
                             r.phone if here else None, r.email if here else None, took,
                             r.score if shown else None, r.max_score if shown else None,
                             r.duration_ms if shown else None, int(r.attempts_count or 0),
                             int(snap.ranks[pos]) if pos is not None else None))
    out.sort(key=lambda p: (p.took_part, p.full_name, p.user_id))
    return out
