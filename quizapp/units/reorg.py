"""Reorganisation with a preview: several units into a new one, or a whole level dissolved.

Owns: ``ReorgPlan`` / ``UnitMove`` (what each disappearing unit hands over: members, sub-units,
headcount), the previews ``plan_merge_into_new`` / ``plan_merge_into`` / ``plan_dissolve_level``
(nothing written, every problem listed) and carrying them out (``merge_into_new``,
``dissolve_level``) unit by unit through ``services.merge``.
Must not: write anything when the preview has an error, or change past attempts' units.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit, UnitKind
from quizapp.units.services import KIND_LABELS, create_unit, merge

@dataclass
class UnitMove:
    """What one disappearing unit hands over."""

    unit: Unit
    target: str  # the name of the unit that receives it
    members: int
    sub_units: list[str]
    headcount: int


@dataclass
class ReorgPlan:
    moves: list[UnitMove] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_unit: dict | None = None  # code, name, parent (name), kind (label) of the unit to create

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.moves)

    @property
    def members(self) -> int:
        return sum(m.members for m in self.moves)

    @property
    def headcount(self) -> int:
        return sum(m.headcount for m in self.moves)

    @property
    def sub_units(self) -> int:
        return sum(len(m.sub_units) for m in self.moves)


def _move_of(unit: Unit, target_name: str) -> UnitMove:
    from quizapp.auth.models import User

    members = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.unit_id == unit.id)) or 0
    children = [c.name for c in unit.children if c.is_active]
    return UnitMove(unit, target_name, int(members), children, unit.headcount)


def plan_merge_into_new(source_ids: list[int], code: str, name: str, parent_id: int | None,
                        kind: UnitKind) -> ReorgPlan:
    """Preview: several units become one new unit (nothing is written)."""
    plan = ReorgPlan()
    code, name = (code or "").strip(), (name or "").strip()
    sources = [u for u in (db.session.get(Unit, i) for i in dict.fromkeys(source_ids)) if u is not None]
    parent = db.session.get(Unit, parent_id) if parent_id else None
    if len(sources) < 2:
        plan.errors.append(str(_l("Choose at least two units to merge.")))
    if any(not u.is_active for u in sources):
        plan.errors.append(str(_l("An archived unit cannot be merged.")))
    if not code or len(code) > 32:
        plan.errors.append(str(_l("New unit code: 1 to 32 characters.")))
    elif db.session.scalar(sa.select(Unit.id).where(Unit.code == code)):
        plan.errors.append(str(_l("New unit code: %(code)s is already used.", code=code)))
    if not name or len(name) > 255:
        plan.errors.append(str(_l("New unit name: 1 to 255 characters.")))
    if parent is not None and any(parent.path.startswith(u.path) for u in sources):
        plan.errors.append(str(_l("The new unit cannot be placed under one of the units being merged.")))
    if parent is not None and not parent.is_active:
        plan.errors.append(str(_l("The target unit is archived.")))
    plan.new_unit = {"code": code, "name": name, "parent": parent.name if parent else "", "kind": KIND_LABELS[kind]}
    plan.moves = [_move_of(u, name) for u in sources]
    return plan


def plan_merge_into(source: Unit, target: Unit | None) -> ReorgPlan:
    """Preview of ``merge(source, target)``."""
    plan = ReorgPlan()
    if target is None:
        plan.errors.append(str(_l("Choose a valid unit to merge into.")))
        return plan
    if source.id == target.id or target.path.startswith(source.path):
        plan.errors.append(str(_l("A unit cannot be merged into itself or its own sub-unit.")))
    if not target.is_active:
        plan.errors.append(str(_l("The target unit is archived.")))
    plan.moves = [_move_of(source, target.name)]
    return plan


def merge_into_new(source_ids: list[int], code: str, name: str, parent_id: int | None, kind: UnitKind,
                   actor_id: int | None = None) -> Unit:
    """Several units become one new unit: members, sub-units and headcounts move to it, the
    old units are archived (``merged_into`` the new one); past attempts keep their unit."""
    plan = plan_merge_into_new(source_ids, code, name, parent_id, kind)
    if not plan.ok:
        raise ServiceError("reorg_invalid", " ".join(plan.errors))
    parent = db.session.get(Unit, parent_id) if parent_id else None
    new = create_unit(code.strip(), name.strip(), parent, kind, plan.moves[0].unit.bloc, 0)
    for move_ in plan.moves:
        merge(db.session.get(Unit, move_.unit.id), db.session.get(Unit, new.id), actor_id)
    audit.record(actor_id, "unit.merge_new", "unit", new.id, sources=[m.unit.id for m in plan.moves])
    return db.session.get(Unit, new.id)


def plan_dissolve_level(kind: UnitKind) -> ReorgPlan:
    """Preview: every active unit of ``kind`` (e.g. the districts) disappears; its sub-units,
    members and headcount go to its parent."""
    plan = ReorgPlan()
    units_ = list(db.session.scalars(sa.select(Unit).where(Unit.kind == kind, Unit.is_active).order_by(Unit.path)))
    if not units_:
        plan.errors.append(str(_l("No active unit of this kind.")))
    for u in units_:
        if u.parent is None:
            plan.errors.append(str(_l("%(name)s has no parent unit to take over its members.", name=u.name)))
        elif u.parent.kind == kind:
            plan.errors.append(str(_l("%(name)s sits under a unit of the same kind.", name=u.name)))
    plan.moves = [_move_of(u, u.parent.name if u.parent else "") for u in units_]
    return plan


def dissolve_level(kind: UnitKind, actor_id: int | None = None) -> int:
    """Dissolve every active unit of ``kind`` into its parent; returns how many."""
    plan = plan_dissolve_level(kind)
    if not plan.ok:
        raise ServiceError("reorg_invalid", " ".join(plan.errors))
    ids = [m.unit.id for m in plan.moves]
    for unit_id in ids:
        unit = db.session.get(Unit, unit_id)
        merge(unit, db.session.get(Unit, unit.parent_id), actor_id)
    audit.record(actor_id, "unit.dissolve_level", "unit", None, kind=kind.value, units=ids)
    return len(ids)
