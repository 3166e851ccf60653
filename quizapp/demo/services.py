"""Demo data: the seed plan's province, demo accounts (and, as they land, the bank and a contest)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.services import hash_password
from quizapp.core.db import db
from quizapp.units import services as units
from quizapp.units.models import Unit

DATA_DIR = Path(__file__).parent / "data"
UNITS_FILE = DATA_DIR / "units_ba_ria_vung_tau_2021.csv"

# Demo accounts for a local trial only; never loaded in production by default.
DEMO_ACCOUNTS = [
    # (phone, full name, role, unit code, password)
    ("0900000001", "Quản trị viên", Role.ADMIN, "SNV", "quanTri@2026"),
    ("0900000002", "Nguyễn Văn Tổ Chức", Role.ORGANISER, "SNV", "toChuc@2026"),
    ("0900000003", "Trần Thị Quản Lý", Role.UNIT_MANAGER, "VT", "quanLy@2026"),
    ("0900000004", "Lê Văn Dự Thi", Role.PARTICIPANT, "VT-P1", "duThi@2026"),
]


def load_units() -> int:
    if db.session.scalar(sa.select(sa.func.count()).select_from(Unit)):
        return 0
    report = units.import_units(UNITS_FILE.read_bytes(), UNITS_FILE.name)
    if not report.ok:  # pragma: no cover - the shipped file is tested
        raise RuntimeError(f"demo unit file is invalid: {report.errors[:3]}")
    return report.created


def load_accounts() -> list[tuple[str, str, str]]:
    created = []
    for phone, name, role, unit_code, password in DEMO_ACCOUNTS:
        if db.session.scalar(sa.select(User.id).where(User.phone == phone)):
            continue
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        db.session.add(User(
            full_name=name, phone=phone, role=role, unit_id=unit.id if unit else None,
            date_of_birth=date(1990, 1, 1), category=EntrantCategory.CIVIL_SERVANT,
            password_hash=hash_password(password),
        ))
        created.append((phone, password, role.value))
    db.session.flush()
    return created


def load_all() -> dict:
    return {"units": load_units(), "accounts": load_accounts()}
