"""A unit's own periodic-report settings: the name, number and signer a unit manager's report carries.

Owns: reading a unit's settings with defaults from the unit tree, saving them (audited).
Must not: build the report (``campaign.reports`` reads ``for_unit``).
Defaults: the governing body is the parent unit (the province's people's committee for a unit
directly under the province), the issuer is the unit itself, the number code ``BC``, the place
the province's; the signer's name is left blank (the report form warns about it).
"""
from __future__ import annotations

import unicodedata
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit, UnitReportSettings

FIELDS = {"organiser": 255, "issuer": 255, "number_code": 40, "place": 120, "signer_title": 120,
          "signer_name": 120}
DEFAULT_SIGNER_TITLE = "Thủ trưởng đơn vị"


def _governing(name: str) -> str:
    """``Tỉnh X`` → ``Ủy ban nhân dân tỉnh X`` (the body that issues for the province); other names as they are."""
    name = name.strip()
    return f"Ủy ban nhân dân {name[0].lower() + name[1:]}" if name.startswith("Tỉnh ") else name


def _province_place(unit: Unit) -> str:
    top = unit
    while top.parent is not None:
        top = top.parent
    name = top.name.strip()
    return name[5:] if name.startswith(("Tỉnh ", "tỉnh ")) else name


def defaults(unit: Unit) -> dict:
    return {"organiser": _governing(unit.parent.name) if unit.parent is not None else "",
            "issuer": unit.name, "number_code": "BC", "place": _province_place(unit),
            "signer_title": DEFAULT_SIGNER_TITLE, "signer_name": ""}


def for_unit(unit_id: int) -> SimpleNamespace:
    """The unit's settings, each blank field filled with its default (``saved``: whether a row exists)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise ServiceError("unit_not_found", str(_l("This unit does not exist.")), 404)
    row = db.session.get(UnitReportSettings, unit_id)
    values = defaults(unit)
    if row is not None:
        for name in FIELDS:
            value = getattr(row, name) or ""
            if value or name == "signer_name":
                values[name] = value
    return SimpleNamespace(**values, unit_id=unit_id, saved=row is not None)


def save(unit_id: int, values: dict, actor_id: int | None) -> UnitReportSettings:
    """Store the unit's settings; a value too long is refused naming its field, nothing is written."""
    if db.session.get(Unit, unit_id) is None:
        raise ServiceError("unit_not_found", str(_l("This unit does not exist.")), 404)
    clean = {}
    for name, limit in FIELDS.items():
        value = unicodedata.normalize("NFC", str(values.get(name) or "")).strip()
        if len(value) > limit:
            raise ServiceError("too_long", str(_l("This field is too long.")), 422, name)
        clean[name] = value
    row = db.session.get(UnitReportSettings, unit_id)
    if row is None:
        row = UnitReportSettings(unit_id=unit_id)
        db.session.add(row)
    for name, value in clean.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    audit.record(actor_id, "unit.report_settings", "unit", unit_id, fields=sorted(clean))
    return row
