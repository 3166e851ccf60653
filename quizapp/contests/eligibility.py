"""Who may enter a contest: all registered users, or members of the chosen units
(with their sub-units) and/or of the chosen entrant categories.

Owns the eligibility rule, on a contest and on plain values (the attempt engine reads
those in SQL).  Must not decide timing (``schedule``), limits (``grants``) or what a
page lists (``catalogue``); it writes nothing.
"""
from __future__ import annotations

import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory, User
from quizapp.contests.models import Contest, ContestStatus, contest_units
from quizapp.core.db import db
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


CATEGORY_VALUES = {c.value for c in EntrantCategory}
