"""What the public contest list shows: the published contests a visitor or an
entrant sees, and who may open a contest's page (organisers also preview drafts).

Owns listing and page access only.  Must not decide eligibility itself
(``eligibility``) or round timing (``schedule``); it writes nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from quizapp.auth.models import Role, User
from quizapp.contests.eligibility import is_eligible
from quizapp.contests.models import Contest, ContestStatus
from quizapp.core.db import db


def visible_contests(user: User | None) -> list[Contest]:
    """Published contests for the public list: all of them for visitors (and
    organisers), only those the user may enter for everyone else."""
    contests = list(db.session.scalars(
        sa.select(Contest).options(selectinload(Contest.rounds)).where(Contest.status == ContestStatus.PUBLISHED)
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
