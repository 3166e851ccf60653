"""Factories for tests: small, explicit objects with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import date

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.services import hash_password
from quizapp.units import services as unit_services
from quizapp.units.models import Unit, UnitKind

DEFAULT_PASSWORD = "mat-khau-123"
_seq = itertools.count(1)


class Factory:
    def __init__(self, db):
        self.db = db

    def unit(self, name: str | None = None, parent: Unit | None = None, code: str | None = None,
             kind: UnitKind = UnitKind.DEPARTMENT, bloc: str | None = None, headcount: int = 10) -> Unit:
        n = next(_seq)
        unit = unit_services.create_unit(code or f"U{n}", name or f"Đơn vị {n}", parent, kind, bloc, headcount)
        self.db.session.commit()
        return unit

    def user(self, role: Role = Role.PARTICIPANT, unit: Unit | None = None, password: str = DEFAULT_PASSWORD,
             full_name: str | None = None, phone: str | None = None, email: str | None = None,
             category: EntrantCategory = EntrantCategory.CIVIL_SERVANT, **kw) -> User:
        n = next(_seq)
        if unit is None:
            unit = self.unit()
        user = User(
            full_name=full_name or f"Người dùng {n}",
            phone=phone if phone is not None or email else f"09{n:08d}",
            email=email,
            role=role,
            unit_id=unit.id,
            category=category,
            date_of_birth=date(1990, 1, 1),
            password_hash=hash_password(password),
            **kw,
        )
        self.db.session.add(user)
        self.db.session.commit()
        return user
