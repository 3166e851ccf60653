"""Recording organiser and admin actions."""
from __future__ import annotations

from quizapp.audit.models import AuditEntry
from quizapp.core.db import db


def record(actor_id: int | None, action: str, obj_type: str, obj_id=None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the action)."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        object_type=obj_type,
        object_id=None if obj_id is None else str(obj_id),
        details=details,
    )
    db.session.add(entry)
    return entry
