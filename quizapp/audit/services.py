"""Reading the audit log (the admin page's pages and filter list).

Recording lives on the ground floor, ``quizapp.core.audit``.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from quizapp.core.audit import AuditEntry
from quizapp.core.db import db

PER_PAGE = 50


def entries(action: str | None = None, page: int = 1, per_page: int = PER_PAGE):
    """One page of the audit log, newest first, optionally one action only."""
    stmt = sa.select(AuditEntry).options(selectinload(AuditEntry.actor))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, error_out=False, count=True)


def action_names() -> list[str]:
    """Every action the log holds (for the filter list)."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
