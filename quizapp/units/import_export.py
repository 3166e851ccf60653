"""The unit spreadsheet: importing units from .xlsx or .csv (all rows or none) and exporting the tree.

Owns: the column headings (Vietnamese, with English aliases accepted), the accepted spellings of
unit kinds, the file limits (size, rows, a zip bomb refused before parsing), ``read_table``,
``import_units`` (rows matched by code; every bad row and column named; parents before
children; cycles refused) and ``export_frame`` / ``export_units``.
Must not: write anything when one row is wrong, or move a unit other than through the tree's
path rewrite (``services``).
"""
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
from quizapp.units.services import KIND_LABELS, create_unit, ordered_tree, rewrite_subtree_paths

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
_KIND_ALIASES = {
    **{k.value: k for k in UnitKind},
    **{label.lower(): k for k, label in KIND_LABELS.items()},
    "tỉnh": UnitKind.PROVINCE, "sở": UnitKind.DEPARTMENT, "huyện": UnitKind.DISTRICT,
    "xã": UnitKind.COMMUNE, "phường": UnitKind.COMMUNE, "cơ quan": UnitKind.AGENCY,
}
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20000


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
                    rewrite_subtree_paths(old, (parent.path if parent else "/") + f"{unit.id}/")
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

