"""The unit tree: reading it (subtree, ancestry, depth-first order, select-list labels, search)
and editing it (create, move, archive, restore, merge, rename), with the labels of unit kinds.

Owns: ``Unit.path`` (the materialised path every subtree query relies on) and rewriting it when
a unit moves, ``KIND_LABELS``, and the audited single-unit edits; a merge moves the unit's
members and sub-units (past attempts keep their unit).
Must not: read or write spreadsheets (``import_export``), decide membership (``membership``,
``confirmations``) or plan several units at once (``reorg``).
The module keeps the name ``services``: a dozen modules in seven other rooms (auth, contests,
leaderboards, campaign, live, plans, audit), the tests and the benchmarks ask it about the tree, and
it owns what they use.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.units.models import Unit, UnitKind

KIND_LABELS = {
    UnitKind.PROVINCE: "Tỉnh/Thành phố",
    UnitKind.DEPARTMENT: "Sở, ban, ngành",
    UnitKind.AGENCY: "Cơ quan, đơn vị",
    UnitKind.DISTRICT: "Huyện/Thị xã/Thành phố thuộc tỉnh",
    UnitKind.COMMUNE: "Xã/Phường/Đặc khu",
    UnitKind.OTHER: "Khác",
}


# --- tree queries ------------------------------------------------------------

def subtree_ids(unit_id: int) -> list[int]:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return []
    return list(db.session.scalars(sa.select(Unit.id).where(Unit.path.startswith(unit.path))))


def is_within(unit_id: int, ancestor_id: int) -> bool:
    unit = db.session.get(Unit, unit_id)
    ancestor = db.session.get(Unit, ancestor_id)
    return bool(unit and ancestor and unit.path.startswith(ancestor.path))


def active_units() -> list[Unit]:
    return list(db.session.scalars(sa.select(Unit).where(Unit.is_active).order_by(Unit.path)))


def ordered_tree(include_archived: bool = True) -> list[Unit]:
    """All units in depth-first order (parents before children, siblings by name)."""
    stmt = sa.select(Unit)
    if not include_archived:
        stmt = stmt.where(Unit.is_active)
    units = list(db.session.scalars(stmt))
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for u in units:
        by_parent.setdefault(u.parent_id if u.parent_id in ids else None, []).append(u)
    out: list[Unit] = []

    def walk(pid):
        for u in sorted(by_parent.get(pid, []), key=lambda x: x.name):
            out.append(u)
            walk(u.id)

    walk(None)
    return out


def choice_labels() -> list[tuple[Unit, str]]:
    """(unit, label) for select lists: the name indented by depth and the parent's name."""
    units = ordered_tree(include_archived=False)
    names = {u.id: u.name for u in units}
    return [
        (u, ("— " * u.depth) + u.name + (f" ({names[u.parent_id]})" if u.parent_id in names else ""))
        for u in units
    ]


def search(q: str, limit: int = 20) -> list[Unit]:
    from quizapp.core.text import fold

    needle = fold(q)
    if not needle:
        return []
    return [u for u in active_units() if needle in fold(u.name) or needle in u.code.lower()][:limit]


# --- changes -----------------------------------------------------------------

def _set_path(unit: Unit) -> None:
    parent_path = unit.parent.path if unit.parent is not None else "/"
    unit.path = f"{parent_path}{unit.id}/"


def create_unit(code, name, parent: Unit | None = None, kind=UnitKind.OTHER, bloc=None, headcount=0) -> Unit:
    unit = Unit(code=code, name=name, parent=parent, kind=kind, bloc=bloc, headcount=headcount)
    db.session.add(unit)
    db.session.flush()
    _set_path(unit)
    return unit


def rewrite_subtree_paths(old_prefix: str, new_prefix: str) -> None:
    if old_prefix == new_prefix:
        return
    db.session.flush()
    db.session.execute(
        sa.update(Unit)
        .where(Unit.path.startswith(old_prefix))
        .values(path=sa.literal(new_prefix) + sa.func.substr(Unit.path, len(old_prefix) + 1))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def move(unit: Unit, new_parent: Unit | None, actor_id: int | None = None) -> None:
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise ServiceError("unit_cycle", str(_l("A unit cannot be moved under itself or its own sub-unit.")))
    old_path = unit.path
    unit.parent = new_parent
    new_path = (new_parent.path if new_parent else "/") + f"{unit.id}/"
    unit_id = unit.id
    rewrite_subtree_paths(old_path, new_path)
    audit.record(actor_id, "unit.move", "unit", unit_id, parent_id=new_parent.id if new_parent else None)


def archive(unit: Unit, actor_id: int | None = None) -> None:
    active_children = db.session.scalar(
        sa.select(sa.func.count()).select_from(Unit).where(Unit.parent_id == unit.id, Unit.is_active)
    )
    if active_children:
        raise ServiceError(
            "unit_has_children",
            str(_l("Move or archive its %(n)d active sub-units first.", n=active_children)),
        )
    unit.is_active = False
    audit.record(actor_id, "unit.archive", "unit", unit.id)


def restore(unit: Unit, actor_id: int | None = None) -> None:
    unit.is_active = True
    unit.merged_into_id = None
    audit.record(actor_id, "unit.restore", "unit", unit.id)


def merge(source: Unit, target: Unit, actor_id: int | None = None) -> None:
    """Merge ``source`` into ``target`` (e.g. two communes become one).

    Its members and sub-units move to the target; its headcount is added to
    the target's; the source is archived with ``merged_into`` set.  Attempts
    keep the unit they were taken under, so past results do not change.
    """
    from quizapp.auth.models import User

    if source.id == target.id or target.path.startswith(source.path):
        raise ServiceError("unit_cycle", str(_l("A unit cannot be merged into itself or its own sub-unit.")))
    if not target.is_active:
        raise ServiceError("unit_archived", str(_l("The target unit is archived.")))
    for child in list(source.children):
        move(child, target, actor_id)
    db.session.execute(sa.update(User).where(User.unit_id == source.id).values(unit_id=target.id))
    target.headcount += source.headcount
    source.is_active = False
    source.merged_into_id = target.id
    audit.record(actor_id, "unit.merge", "unit", source.id, into=target.id)


def rename(unit: Unit, name: str, actor_id: int | None = None) -> None:
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise ServiceError("unit_name_invalid", str(_l("The unit name must have 1 to 255 characters.")))
    unit.name = name
    audit.record(actor_id, "unit.rename", "unit", unit.id)

