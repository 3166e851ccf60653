"""Rules of the unit tree: paths, import/export, merge, move, archive, search."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core import audit
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.core.uploads import check_xlsx
from quizapp.units.models import Unit, UnitKind

# Column headings of the unit spreadsheet: Vietnamese (what we export) and
# English aliases accepted on import.
COLUMNS = {
    "code": ("Mã đơn vị", "code"),
    "name": ("Tên đơn vị", "name"),
    "parent_code": ("Mã đơn vị cấp trên", "parent_code"),
    "kind": ("Loại", "kind"),
    "bloc": ("Khối", "bloc"),
    "headcount": ("Biên chế", "headcount"),
}
KIND_LABELS = {
    UnitKind.PROVINCE: "Tỉnh/Thành phố",
    UnitKind.DEPARTMENT: "Sở, ban, ngành",
    UnitKind.AGENCY: "Cơ quan, đơn vị",
    UnitKind.DISTRICT: "Huyện/Thị xã/Thành phố thuộc tỉnh",
    UnitKind.COMMUNE: "Xã/Phường/Đặc khu",
    UnitKind.OTHER: "Khác",
}
_KIND_ALIASES = {
    **{k.value: k for k in UnitKind},
    **{label.lower(): k for k, label in KIND_LABELS.items()},
    "tỉnh": UnitKind.PROVINCE, "sở": UnitKind.DEPARTMENT, "huyện": UnitKind.DISTRICT,
    "xã": UnitKind.COMMUNE, "phường": UnitKind.COMMUNE, "cơ quan": UnitKind.AGENCY,
}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000


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


def _rewrite_subtree_paths(old_prefix: str, new_prefix: str) -> None:
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
    _rewrite_subtree_paths(old_path, new_path)
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


# --- import / export -----------------------------------------------------------

@dataclass
class RowError:
    row: int  # spreadsheet row number (heading = row 1)
    column: str
    message: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def read_table(content: bytes, filename: str) -> pd.DataFrame:
    """Read an uploaded .xlsx or .csv into a frame of strings, or raise ServiceError."""
    if len(content) > MAX_FILE_BYTES:
        raise ServiceError("file_too_large", str(_l("The file is larger than 5 MB.")), 413)
    name = (filename or "").lower()
    try:
        if name.endswith(".xlsx"):
            check_xlsx(content, MAX_ROWS + 1)  # a zip bomb or a sheet of millions of cells: refused before parsing
            frame = pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl")
        elif name.endswith(".csv"):
            try:
                text = content.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ServiceError("file_encoding", str(_l("The CSV file must be saved as UTF-8.")))
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        else:
            raise ServiceError("file_type", str(_l("Only .xlsx and .csv files are accepted.")))
    except ServiceError:
        raise
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .xlsx or .csv file?")))
    if len(frame) > MAX_ROWS:
        raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d rows.", n=MAX_ROWS)))
    return frame.fillna("")


def _column_map(frame: pd.DataFrame) -> dict[str, str]:
    headings = {str(c).strip().lower(): c for c in frame.columns}
    found = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in headings:
                found[key] = headings[alias.lower()]
                break
    missing = [COLUMNS[k][0] for k in ("code", "name") if k not in found]
    if missing:
        raise ServiceError("columns_missing", str(_l("Missing columns: %(cols)s", cols=", ".join(missing))))
    return found


def import_units(content: bytes, filename: str, actor_id: int | None = None) -> ImportReport:
    """Create or update units from a spreadsheet; all rows or none.

    Rows are matched to existing units by code.  Nothing is written unless
    every row is valid; the report names each bad row and column.
    """
    frame = read_table(content, filename)
    cols = _column_map(frame)
    report = ImportReport()
    rows: list[dict] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(frame.to_dict("records")):
        rownum = i + 2

        def cell(key):
            return str(record.get(cols[key], "")).strip() if key in cols else ""

        code, name, parent_code = cell("code"), cell("name"), cell("parent_code")
        kind_raw, bloc, head_raw = cell("kind"), cell("bloc"), cell("headcount")
        if not code:
            report.errors.append(RowError(rownum, COLUMNS["code"][0], str(_l("The unit code is missing."))))
            continue
        if len(code) > 32:
            report.errors.append(RowError(rownum, COLUMNS["code"][0], str(_l("The unit code is longer than 32 characters."))))
        if code in seen:
            report.errors.append(RowError(rownum, COLUMNS["code"][0], str(_l("Duplicate code %(code)s (already on row %(row)d).", code=code, row=seen[code]))))
            continue
        seen[code] = rownum
        if not name:
            report.errors.append(RowError(rownum, COLUMNS["name"][0], str(_l("The unit name is missing."))))
        elif len(name) > 255:
            report.errors.append(RowError(rownum, COLUMNS["name"][0], str(_l("The unit name is longer than 255 characters."))))
        if name.startswith(("=", "+", "@")) or code.startswith(("=", "+", "@")):
            report.errors.append(RowError(rownum, COLUMNS["name"][0], str(_l("A cell must not contain a spreadsheet formula."))))
        kind = UnitKind.OTHER
        if kind_raw:
            kind = _KIND_ALIASES.get(kind_raw.lower())
            if kind is None:
                report.errors.append(RowError(rownum, COLUMNS["kind"][0], str(_l("Unknown unit kind “%(kind)s”.", kind=kind_raw))))
        headcount = 0
        if head_raw:
            try:
                as_float = float(head_raw.replace(",", "."))
                if as_float != int(as_float):
                    raise ValueError
                headcount = int(as_float)
            except ValueError:
                report.errors.append(RowError(rownum, COLUMNS["headcount"][0], str(_l("The headcount must be a whole number."))))
            else:
                if headcount < 0:
                    report.errors.append(RowError(rownum, COLUMNS["headcount"][0], str(_l("The headcount cannot be negative."))))
        if len(bloc) > 64:
            report.errors.append(RowError(rownum, COLUMNS["bloc"][0], str(_l("The bloc is longer than 64 characters."))))
        rows.append(dict(row=rownum, code=code, name=name, parent_code=parent_code or None,
                         kind=kind, bloc=bloc or None, headcount=headcount))

    existing = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    # Parent graph after the import: file rows override the database.
    parent_of = {code: (u.parent.code if u.parent else None) for code, u in existing.items()}
    for r in rows:
        parent_of[r["code"]] = r["parent_code"]
    for r in rows:
        pc = r["parent_code"]
        if pc and pc not in parent_of:
            report.errors.append(RowError(r["row"], COLUMNS["parent_code"][0], str(_l("Unknown parent unit code %(code)s.", code=pc))))
        elif pc == r["code"]:
            report.errors.append(RowError(r["row"], COLUMNS["parent_code"][0], str(_l("A unit cannot be its own parent."))))
        else:
            seen_codes, cur = {r["code"]}, pc
            while cur:
                if cur in seen_codes:
                    report.errors.append(RowError(r["row"], COLUMNS["parent_code"][0], str(_l("The parent codes form a cycle."))))
                    break
                seen_codes.add(cur)
                cur = parent_of.get(cur)
    if report.errors:
        report.errors.sort(key=lambda e: e.row)
        return report

    # Write: parents before children.
    by_code = dict(existing)
    pending = list(rows)
    while pending:
        progressed = []
        for r in pending:
            pc = r["parent_code"]
            if pc and pc not in by_code:
                continue
            parent = by_code.get(pc) if pc else None
            unit = by_code.get(r["code"])
            if unit is None:
                unit = create_unit(r["code"], r["name"], parent, r["kind"], r["bloc"], r["headcount"])
                by_code[unit.code] = unit
                report.created += 1
            else:
                changed = (unit.name, unit.kind, unit.bloc, unit.headcount, unit.parent_id) != (
                    r["name"], r["kind"], r["bloc"], r["headcount"], parent.id if parent else None)
                unit.name, unit.kind, unit.bloc, unit.headcount = r["name"], r["kind"], r["bloc"], r["headcount"]
                if unit.parent_id != (parent.id if parent else None):
                    old = unit.path
                    unit.parent = parent
                    db.session.flush()
                    _rewrite_subtree_paths(old, (parent.path if parent else "/") + f"{unit.id}/")
                    by_code = {u.code: u for u in db.session.scalars(sa.select(Unit))}
                report.updated += int(changed)
            progressed.append(r)
        pending = [r for r in pending if r not in progressed]
        if not progressed:  # pragma: no cover - cycles are rejected above
            raise ServiceError("unit_cycle", str(_l("The parent codes form a cycle.")))
    db.session.flush()
    audit.record(actor_id, "unit.import", "unit", None, created=report.created, updated=report.updated)
    return report


def export_frame() -> pd.DataFrame:
    rows = []
    units = ordered_tree()
    codes = {u.id: u.code for u in units}
    for u in units:
        rows.append({
            COLUMNS["code"][0]: u.code,
            COLUMNS["name"][0]: u.name,
            COLUMNS["parent_code"][0]: codes.get(u.parent_id, ""),
            COLUMNS["kind"][0]: KIND_LABELS[u.kind],
            COLUMNS["bloc"][0]: u.bloc or "",
            COLUMNS["headcount"][0]: u.headcount,
            "Trạng thái": "Đang hoạt động" if u.is_active else "Lưu trữ",
        })
    return pd.DataFrame(rows, columns=[c[0] for c in COLUMNS.values()] + ["Trạng thái"])


def export_units(fmt: str = "xlsx") -> bytes:
    from quizapp.core.spreadsheet import frame_to_csv, frame_to_xlsx

    frame = export_frame()
    if fmt == "csv":
        return frame_to_csv(frame)
    return frame_to_xlsx(frame, sheet_name="Đơn vị")


# --- confirmed membership --------------------------------------------------------
#
# Anyone may register into any unit; only members a unit manager (or, for units no
# manager covers, an organiser) has confirmed count toward the unit's participation
# and unit prizes (see leaderboards.unit_ranking.compute_unit_ranking).

@dataclass(frozen=True)
class Member:
    user_id: int
    full_name: str
    unit_id: int
    unit_name: str
    confirmed: bool
    registered_at: object  # datetime (UTC)


def _members_stmt(unit_ids):
    from quizapp.auth.models import User

    return (sa.select(User.id, User.full_name, User.unit_id, Unit.name, User.unit_confirmed, User.created_at)
            .join(Unit, Unit.id == User.unit_id)
            .where(User.unit_id.in_(unit_ids), User.is_active_account)
            .order_by(User.unit_confirmed, Unit.name, User.full_name, User.id))


def members_by_confirmation(unit_id: int, subtree: bool = True) -> dict[str, list[Member]]:
    """The active members of a unit (and its sub-units): ``{"confirmed": [...], "unconfirmed": [...]}``.
    Only confirmed members count toward participation; the unit dashboard shows both."""
    ids = subtree_ids(unit_id) if subtree else [unit_id]
    out: dict[str, list[Member]] = {"confirmed": [], "unconfirmed": []}
    for row in db.session.execute(_members_stmt(ids)):
        out["confirmed" if row[4] else "unconfirmed"].append(Member(*row))
    return out


def managed_unit_ids() -> set[int]:
    """Units covered by an active unit manager (his unit and its sub-units)."""
    from quizapp.auth.models import Role, User

    paths = db.session.scalars(
        sa.select(Unit.path).join(User, User.unit_id == Unit.id)
        .where(User.role == Role.UNIT_MANAGER, User.is_active_account)).all()
    if not paths:
        return set()
    return set(db.session.scalars(sa.select(Unit.id).where(sa.or_(*[Unit.path.startswith(p) for p in set(paths)]))))


def may_confirm(actor, user) -> bool:
    """Organisers confirm anyone; a unit manager the people of his unit and its sub-units
    (not himself)."""
    from quizapp.auth.models import Role

    if actor.has_role(Role.ORGANISER):
        return True
    return bool(actor.role == Role.UNIT_MANAGER and actor.unit_id and user.unit_id and user.id != actor.id
                and is_within(user.unit_id, actor.unit_id))


def confirmation_queue(actor, everything: bool = False, limit: int = 500) -> list[Member]:
    """Unconfirmed members the actor should confirm: a unit manager's own subtree; an
    organiser's units that no manager covers (``everything``: all units)."""
    from quizapp.auth.models import Role, User

    if actor.has_role(Role.ORGANISER):
        stmt = (sa.select(User.id, User.full_name, User.unit_id, Unit.name, User.unit_confirmed, User.created_at)
                .join(Unit, Unit.id == User.unit_id)
                .where(User.is_active_account, sa.not_(User.unit_confirmed))
                .order_by(Unit.name, User.full_name, User.id))
        if not everything:
            managed = managed_unit_ids()
            if managed:
                stmt = stmt.where(User.unit_id.not_in(managed))
    elif actor.role == Role.UNIT_MANAGER and actor.unit_id:
        stmt = _members_stmt(subtree_ids(actor.unit_id)).where(sa.not_(User.unit_confirmed), User.id != actor.id)
    else:
        return []
    from quizapp.units.models import MembershipConfirmation, MembershipDecision

    refused = sa.select(MembershipConfirmation.user_id).where(
        MembershipConfirmation.decision == MembershipDecision.REJECTED)  # “Từ chối”: out of the queue
    return [Member(*row) for row in db.session.execute(stmt.where(User.id.not_in(refused)).limit(limit))]


def confirm_members(actor, user_ids: list[int], address: str = "") -> int:
    """Confirm these members (those the actor may confirm; others are skipped); audited with the
    address (``confirmations.confirm``)."""
    from quizapp.units import confirmations

    return confirmations.confirm(actor, user_ids, address)


@dataclass(frozen=True)
class HeadcountFlag:
    unit_id: int
    name: str
    headcount: int
    confirmed: int
    registered: int


def units_over_headcount() -> list[HeadcountFlag]:
    """Units with more registered members than their headcount (organisers check these:
    fake sign-ups or a headcount to correct)."""
    from quizapp.auth.models import User

    confirmed = sa.func.sum(sa.case((User.unit_confirmed, 1), else_=0))
    rows = db.session.execute(
        sa.select(Unit.id, Unit.name, Unit.headcount, confirmed, sa.func.count(User.id))
        .join(User, User.unit_id == Unit.id).where(User.is_active_account, Unit.is_active)
        .group_by(Unit.id, Unit.name, Unit.headcount)
        .having(sa.func.count(User.id) > Unit.headcount).order_by(Unit.name))
    return [HeadcountFlag(r[0], r[1], r[2], int(r[3] or 0), int(r[4])) for r in rows]
# --- reorganisation with a preview (several units into a new one, dissolving a level) ----

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
