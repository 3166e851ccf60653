"""Who may read and write which unit's plan records.

* Organisers and admins (the province) read every unit's records and manage the province plan,
  the list of forms and the return of reports; they write the records of their own unit.
* A unit manager reads and writes his unit's records and those of its sub-units.
* A reform focal officer (cán bộ đầu mối CCHC) reads and writes his own unit's records only.
* Anyone else: nothing.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import Role, User
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.units import services as units
from quizapp.units.models import Unit


def is_province(user: User | None) -> bool:
    return bool(user is not None and user.has_role(Role.ORGANISER))


def may_write(user: User | None, unit_id: int) -> bool:
    if user is None or not user.is_active or not user.unit_id:
        return False
    if user.unit_id == unit_id:
        return user.has_role(Role.REFORM_OFFICER)
    return user.role == Role.UNIT_MANAGER and units.is_within(unit_id, user.unit_id)


def may_read(user: User | None, unit_id: int) -> bool:
    return is_province(user) or may_write(user, unit_id)


def check_read(user: User | None, unit_id: int) -> None:
    if not may_read(user, unit_id):
        raise refuse("forbidden", _l("You may not see the records of this unit."), 403)


def check_write(user: User | None, unit_id: int) -> None:
    if not may_write(user, unit_id):
        raise refuse("forbidden", _l("You may not change the records of this unit."), 403)


def home_unit_id(user: User) -> int | None:
    """The unit whose plan pages the user lands on: his own (the province's top unit for an
    organiser without one)."""
    if user.unit_id:
        return user.unit_id
    if is_province(user):
        return db.session.scalar(sa.select(Unit.id).where(Unit.parent_id.is_(None), Unit.is_active.is_(True))
                                 .order_by(Unit.id).limit(1))
    return None


def refuse(code: str, message, status: int = 422, field: str | None = None) -> ServiceError:
    """A refusal naming the field (translated inside a request; the English text in jobs and tests)."""
    from quizapp.core.errors import message_text

    params = getattr(message, "_kwargs", None) or {}
    text = message_text(message)
    if params and "%(" in text:
        text = text % params
    return ServiceError(code, text, status, field)
