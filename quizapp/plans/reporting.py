"""The periodic report of a unit (quarter, 6 months, year) and the province's consolidated one.

The narrative parts (situation, evaluation, difficulties, proposals) are typed by the unit in the
app; every figure is read from the records when the document is built.  The .docx follows the
plan's sections in the NĐ 30/2020 layout (``campaign.document.DocxWriter``), in the unit's own
name; the .xlsx annex lists every activity and the units that have not submitted.  A unit submits
its report; the province sees who has and can return one for correction (audited)."""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core.audit import record
from quizapp.campaign.document import DocxWriter
from quizapp.campaign.reports import Period
from quizapp.core.db import db, utcnow
from quizapp.core.spreadsheet import safe_cell
from quizapp.plans import activities, completion
from quizapp.plans.catalogue import GROUP_LABELS
from quizapp.plans.models import (Activity, Audience, CommunicationForm, Evidence, ReportChange, ReportKind,
                                  ReportStatus, UnitReport)
from quizapp.plans.scope import check_read, check_write, is_province, refuse
from quizapp.units.models import Unit

NARRATIVE = ("situation", "evaluation", "difficulties", "proposals")
NARRATIVE_MAX = 20_000
AUDIENCE_LABELS = {Audience.CIVIL_SERVANTS: "Cán bộ, công chức, viên chức", Audience.CITIZENS: "Người dân",
                   Audience.BUSINESSES: "Doanh nghiệp"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_period(kind: str, year, number) -> tuple[ReportKind, int, int]:
    try:
        kind = ReportKind(kind)
        year, number = int(year), int(number)
    except (ValueError, TypeError):
        raise refuse("report_period", _l("Choose a quarter, six months or a year."), 404)
    limit = {ReportKind.QUARTER: 4, ReportKind.HALF: 2, ReportKind.YEAR: 1}[kind]
    if not 2000 <= year <= 2100 or not 1 <= number <= limit:
        raise refuse("report_period", _l("Choose a quarter, six months or a year."), 404)
    return kind, year, number


def report_for(unit_id: int, kind, year, number, create: bool = False) -> UnitReport | None:
    kind, year, number = check_period(kind, year, number)
    found = db.session.scalar(sa.select(UnitReport).where(UnitReport.unit_id == unit_id, UnitReport.year == year,
                                                          UnitReport.kind == kind, UnitReport.number == number))
    if found is None and create:
        found = UnitReport(unit_id=unit_id, year=year, kind=kind, number=number, status=ReportStatus.DRAFT)
        db.session.add(found)
        db.session.flush()
    return found


def save_narrative(actor, unit_id: int, kind, year, number, values: dict) -> UnitReport:
    """Save the typed parts; a submitted report is locked until the province returns it."""
    check_write(actor, unit_id)
    report = report_for(unit_id, kind, year, number, create=True)
    if report.status == ReportStatus.SUBMITTED:
        raise refuse("report_locked", _l("The report has been submitted: ask the province to return it before "
                                         "changing it."), 409)
    for key in NARRATIVE:
        text = (values.get(key) or "").strip()
        if len(text) > NARRATIVE_MAX:
            raise refuse("report_too_long", _l("A part of the report has at most %(n)d characters.", n=NARRATIVE_MAX),
                         field=key)
        setattr(report, key, text)
    for key, limit in (("doc_number", 40), ("signer_title", 120), ("signer_name", 120)):
        setattr(report, key, " ".join((values.get(key) or "").split())[:limit])
    return report


def submit(actor, report: UnitReport) -> UnitReport:
    check_write(actor, report.unit_id)
    if report.status == ReportStatus.SUBMITTED:
        return report  # idempotent: a second press changes nothing
    report.status, report.submitted_at, report.submitted_by_id = ReportStatus.SUBMITTED, utcnow(), actor.id
    record(actor.id, "plans.report_submit", "plan_report", report.id, unit_id=report.unit_id)
    db.session.add(ReportChange(report_id=report.id, actor_id=actor.id, action="report.submit", summary=""))
    return report


def return_report(actor, report_id: int, reason: str) -> UnitReport:
    """The province returns a submitted report for correction (audited; shown on the report's page)."""
    if not is_province(actor):
        raise refuse("forbidden", _l("Only the province returns a report."), 403)
    report = db.session.get(UnitReport, report_id)
    if report is None:
        raise refuse("report_not_found", _l("This report does not exist."), 404)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 1000:
        raise refuse("return_reason", _l("Say what must be corrected (at most 1000 characters)."), field="reason")
    if report.status != ReportStatus.SUBMITTED:
        raise refuse("report_not_submitted", _l("Only a submitted report can be returned."), 409)
    report.status, report.returned_at, report.return_reason = ReportStatus.RETURNED, utcnow(), reason
    record(actor.id, "plans.report_return", "plan_report", report.id, unit_id=report.unit_id)
    db.session.add(ReportChange(report_id=report.id, actor_id=actor.id, action="report.return", summary=reason[:500]))
    return report


@dataclass
class StatusLine:
    unit_id: int
    code: str
    name: str
    depth: int
    status: ReportStatus | None
    submitted_at: datetime | None
    report_id: int | None


def submission_status(root: Unit, kind, year, number) -> list[StatusLine]:
    """Every active unit of the subtree with its report's status for the period (None: not started)."""
    kind, year, number = check_period(kind, year, number)
    reports = {r.unit_id: r for r in db.session.execute(
        sa.select(UnitReport.unit_id, UnitReport.status, UnitReport.submitted_at, UnitReport.id)
        .where(UnitReport.year == year, UnitReport.kind == kind, UnitReport.number == number))}
    base = root.path.count("/")
    lines = []
    for u in db.session.execute(sa.select(Unit.id, Unit.code, Unit.name, Unit.path).where(
            Unit.path.startswith(root.path), Unit.is_active.is_(True)).order_by(Unit.path)):
        r = reports.get(u.id)
        lines.append(StatusLine(u.id, u.code, u.name, u.path.count("/") - base, r.status if r else None,
                                r.submitted_at if r else None, r.id if r else None))
    return lines


# --- the figures and the documents ------------------------------------------------------------------

@dataclass
class ReportFigures:
    unit: Unit
    period: Period
    report: UnitReport | None
    completion: completion.Completion
    activities: list  # Activity rows (unit and sub-units) of the period
    automatic: list  # AutoActivity per round and per live event (the subtree's people and teams together)
    per_audience: dict
    status: list[StatusLine]
    consolidated: bool
    unit_names: dict
    kind: ReportKind
    year: int
    number: int
    issuer: Unit | None = None  # the consolidated report: the organiser's department (Sở Nội vụ)


def figures(unit: Unit, kind, year, number, consolidated: bool = False, progress=None) -> ReportFigures:
    kind, year, number = check_period(kind, year, number)
    progress = progress or (lambda done, total: None)
    period = completion.period(kind, year, number)
    progress(1, 5)
    comp = completion.completion(unit, year, period.start, period.end)
    progress(2, 5)
    ids = list(db.session.scalars(sa.select(Unit.id).where(Unit.path.startswith(unit.path))))
    rows = db.session.execute(
        sa.select(Activity.id, Activity.unit_id, Activity.held_on, Activity.title, Activity.audience,
                  Activity.reached, Activity.link, CommunicationForm.name.label("form"),
                  sa.func.count(Evidence.id).label("files"))
        .join(CommunicationForm, CommunicationForm.id == Activity.form_id)
        .outerjoin(Evidence, Evidence.activity_id == Activity.id)
        .where(Activity.unit_id.in_(ids), Activity.held_on >= period.start, Activity.held_on <= period.end)
        .group_by(Activity.id, CommunicationForm.name).order_by(Activity.held_on, Activity.id)).all()
    progress(3, 5)
    per_audience = {a: [0, 0] for a in Audience}
    for r in rows:
        per_audience[Audience(r.audience)][0] += 1
        per_audience[Audience(r.audience)][1] += r.reached
    auto = activities.automatic_activities(ids, period.start, period.end)
    status = submission_status(unit, kind, year, number)
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    progress(4, 5)
    return ReportFigures(unit, period, report_for(unit.id, kind, year, number), comp, rows, auto, per_audience,
                         status, consolidated, names, kind, year, number)


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")


def live_results(auto) -> list[str]:
    """A live event's results for the unit's teams: "Đội X: hạng 2 (75 điểm)", or "chưa công bố"."""
    from quizapp.live.records import result_text

    if len(auto.teams) == 1:
        return [result_text(auto.teams[0])]
    return [f"{t.team}: {result_text(t)}" for t in auto.teams]


def build_docx(fig: ReportFigures, path: Path) -> None:
    from quizapp.campaign import print_settings

    unit, period, report = fig.unit, fig.period, fig.report
    w = DocxWriter()
    para, table = w.para, w.table
    settings = print_settings.default_settings()
    if fig.consolidated:
        organiser, issuer = settings["organiser"], (fig.issuer or unit).name
    else:
        parent = db.session.get(Unit, unit.parent_id) if unit.parent_id else None
        organiser, issuer = (parent.name if parent is not None else settings["organiser"]), unit.name
    number = (report.doc_number if report and report.doc_number else "      /BC")
    w.header(organiser, issuer, number, settings["place"], utcnow())
    para("BÁO CÁO", bold=True, align=w.center, space_after=0)
    para(f"Kết quả thực hiện công tác tuyên truyền cải cách hành chính {period.label}", bold=True, align=w.center,
         space_after=0)
    if fig.consolidated:
        para(f"(Tổng hợp {unit.name} và các cơ quan, đơn vị, địa phương)", italic=True, align=w.center,
             space_after=12)
    else:
        para("–––––––––", align=w.center, space_after=12)
    comp = fig.completion

    def narrative(text: str, fallback: str) -> None:
        parts = [p.strip() for p in (text or "").splitlines() if p.strip()]
        for p in parts or [fallback]:
            para(p, align=w.justify, italic=not parts)

    para("I. TÌNH HÌNH TRIỂN KHAI", bold=True)
    narrative(report.situation if report else "", "(Đơn vị chưa nhập nội dung phần này.)")
    total = len(fig.activities)
    reached = sum(r.reached for r in fig.activities)
    rounds = [a for a in fig.automatic if a.kind == activities.ROUND]
    live = [a for a in fig.automatic if a.kind == activities.LIVE]
    para(f"Trong kỳ báo cáo ({period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}), đã thực hiện {_n(total)} hoạt động "
         f"tuyên truyền cải cách hành chính với {_n(reached)} lượt người được tuyên truyền; "
         f"{_n(len(rounds))} vòng thi trực tuyến về CCHC có người của đơn vị tham gia; "
         f"{_n(len(live))} hội thi trực tiếp về CCHC có đội của đơn vị tham gia.", align=w.justify)
    para("II. KẾT QUẢ THỰC HIỆN THEO HÌNH THỨC TUYÊN TRUYỀN", bold=True)
    para(f"Kế hoạch năm {comp.year}: {_n(comp.total_planned)} hoạt động; đã thực hiện trong kỳ: {_n(comp.total_done)}.",
         align=w.justify)
    for group, label in GROUP_LABELS.items():
        lines = [f for f in comp.forms if f.form.group == group]
        if not lines:
            continue
        para(label, italic=True, space_after=2)
        table(["TT", "Hình thức tuyên truyền", "Kế hoạch năm", "Đã thực hiện", "Tỷ lệ (%)", "Lượt người"],
              [[i, f.form.name, _n(f.planned), _n(f.done), _pct(f.pct), _n(f.reached)]
               for i, f in enumerate(lines, start=1)], [10, 70, 20, 20, 20, 25])
    para("Theo đối tượng tuyên truyền:", italic=True, space_after=2)
    table(["TT", "Đối tượng", "Số hoạt động", "Lượt người"],
          [[i, AUDIENCE_LABELS[a], _n(v[0]), _n(v[1])] for i, (a, v) in enumerate(fig.per_audience.items(), start=1)],
          [10, 85, 35, 35])
    if comp.tasks:
        para("Thực hiện các nhiệm vụ của Kế hoạch tỉnh:", italic=True, space_after=2)
        table(["TT", "Nhiệm vụ", "Thời gian", "Số hoạt động", "Tình trạng"],
              [[i, t.task.name, t.task.timeline, _n(t.done), "Quá hạn, chưa thực hiện" if t.overdue else
                ("Đã thực hiện" if t.done else "Đang thực hiện")] for i, t in enumerate(comp.tasks, start=1)],
              [10, 75, 25, 20, 35])
    para("III. TỔ CHỨC CUỘC THI VÀ KẾT QUẢ THAM GIA", bold=True)
    if rounds:
        table(["TT", "Vòng thi", "Ngày bắt đầu", "Số người tham gia"],
              [[i, f"{a.title} ({a.contest})", f"{a.held_on:%d/%m/%Y}", _n(a.reached)]
               for i, a in enumerate(rounds, start=1)], [10, 90, 30, 35])
    else:
        para("Trong kỳ không có vòng thi trực tuyến nào có người của đơn vị tham gia.", italic=True)
    if live:
        who = "các cơ quan, đơn vị, địa phương" if fig.consolidated else "đơn vị"
        para(f"Hội thi trực tiếp: trong kỳ, {who} có đội tham gia {_n(len(live))} hội thi "
             f"với {_n(sum(a.reached for a in live))} lượt thành viên dự thi.", align=w.justify)
        table(["TT", "Hội thi", "Ngày", "Địa điểm", "Đội của đơn vị", "Kết quả"],
              [[i, a.title, f"{a.held_on:%d/%m/%Y}", a.venue or "–",
                "; ".join(f"{t.team} ({_n(t.members)} thành viên)" for t in a.teams),
                "; ".join(live_results(a))] for i, a in enumerate(live, start=1)], [10, 45, 22, 28, 35, 25])
    else:
        para("Trong kỳ không có hội thi trực tiếp nào có đội của đơn vị tham gia.", italic=True)
    if fig.consolidated:
        submitted = [s for s in fig.status if s.status == ReportStatus.SUBMITTED]
        missing = [s for s in fig.status if s.status != ReportStatus.SUBMITTED]
        para(f"Tình hình báo cáo: {_n(len(submitted))}/{_n(len(fig.status))} cơ quan, đơn vị, địa phương đã gửi báo cáo; "
             f"{_n(len(missing))} đơn vị chưa gửi (danh sách tại Phụ lục).", align=w.justify)
        if comp.children:
            table(["TT", "Đơn vị", "Kế hoạch", "Đã thực hiện", "Tỷ lệ (%)"],
                  [[i, c.name, _n(c.planned), _n(c.done), _pct(c.pct)] for i, c in enumerate(comp.children, start=1)],
                  [10, 85, 25, 25, 20])
    para("IV. ĐÁNH GIÁ CHUNG", bold=True)
    narrative(report.evaluation if report else "", "(Đơn vị chưa nhập nội dung phần này.)")
    para("V. KHÓ KHĂN, VƯỚNG MẮC", bold=True)
    narrative(report.difficulties if report else "", "(Không có.)")
    para("VI. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
    narrative(report.proposals if report else "", "(Không có.)")
    para("Danh sách hoạt động chi tiết tại Phụ lục (tệp Excel kèm theo).", italic=True)
    recipients = ["- UBND tỉnh (để báo cáo);", "- Bộ Nội vụ (để báo cáo);"] if fig.consolidated else \
        ["- Sở Nội vụ (để tổng hợp);"]
    w.signature(recipients + ["- Lưu: VT."], (report.signer_title if report else "") or "Thủ trưởng cơ quan",
                report.signer_name if report else "")
    w.doc.core_properties.title = f"Báo cáo tuyên truyền CCHC {period.label} – {unit.name}"
    w.doc.save(str(path))


def build_xlsx(fig: ReportFigures, path: Path) -> None:
    import xlsxwriter

    # constant_memory: rows go to disk as they are written (a province's year is 175,000 rows).
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "border": 1, "text_wrap": True, "font_name": "Times New Roman"})
    title = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 13})
    label = f"Phụ lục – {fig.period.label} – {fig.unit.name}"

    def sheet(name, heads, rows, widths):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, label, title)
        for c, (h, width) in enumerate(zip(heads, widths)):
            ws.set_column(c, c, width)
            ws.write_string(2, c, h, head)
        write_string, write_number = ws.write_string, ws.write_number  # typed writes: no sniffing per cell
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row):
                if isinstance(value, str):
                    if value:
                        write_string(r, c, safe_cell(value))
                elif value is not None:
                    write_number(r, c, value)

    sheet("Hoạt động", ["TT", "Ngày", "Đơn vị", "Hình thức", "Nội dung", "Đối tượng", "Lượt người", "Số tệp minh chứng",
                        "Liên kết"],
          ((i, f"{r.held_on:%d/%m/%Y}", fig.unit_names.get(r.unit_id, ""), r.form, r.title,
            AUDIENCE_LABELS[Audience(r.audience)], r.reached, r.files, r.link or "")
           for i, r in enumerate(fig.activities, start=1)), [6, 12, 35, 40, 50, 22, 12, 10, 40])
    rounds = [a for a in fig.automatic if a.kind == activities.ROUND]
    sheet("Cuộc thi", ["TT", "Vòng thi", "Cuộc thi", "Ngày bắt đầu", "Số người tham gia"],
          ((i, a.title, a.contest, f"{a.held_on:%d/%m/%Y}", a.reached) for i, a in enumerate(rounds, start=1)),
          [6, 40, 40, 14, 14])
    teams = [(a, t) for a in fig.automatic if a.kind == activities.LIVE for t in a.teams]
    sheet("Hội thi", ["TT", "Hội thi", "Ngày", "Địa điểm", "Đơn vị", "Đội", "Số thành viên", "Xếp hạng", "Điểm"],
          ((i, a.title, f"{a.held_on:%d/%m/%Y}", a.venue, fig.unit_names.get(t.unit_id, ""), t.team, t.members,
            t.place if t.place is not None else "chưa công bố", t.points if t.place is not None else None)
           for i, (a, t) in enumerate(teams, start=1)), [6, 40, 12, 30, 35, 35, 12, 14, 10])
    status = fig.status
    sheet("Chưa báo cáo", ["TT", "Mã", "Đơn vị", "Tình trạng"],
          ((i, s.code, s.name, "Bị trả lại" if s.status == ReportStatus.RETURNED else
            ("Đang soạn" if s.status == ReportStatus.DRAFT else "Chưa lập"))
           for i, s in enumerate((s for s in status if s.status != ReportStatus.SUBMITTED), start=1)), [6, 14, 50, 16])
    wb.close()


def build_files(fig: ReportFigures, output_dir: Path) -> tuple[Path, Path]:
    output_dir.mkdir(parents=True, exist_ok=True)
    period = fig.period
    stem = f"bao-cao-tuyen-truyen-cchc-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{fig.unit.code}".replace("/", "-")
    docx_path, xlsx_path = output_dir / f"{stem}.docx", output_dir / f"{stem}-phu-luc.xlsx"
    build_docx(fig, docx_path.with_suffix(".part"))
    os.replace(docx_path.with_suffix(".part"), docx_path)
    build_xlsx(fig, xlsx_path.with_suffix(".xpart"))
    os.replace(xlsx_path.with_suffix(".xpart"), xlsx_path)
    return docx_path, xlsx_path


def run_report_job(params: dict, progress, output_dir) -> dict:
    """The job: a unit's (or the province's consolidated) report and its annex in one ZIP.
    params: unit_id, kind, year, number, consolidated, requester_id."""
    from quizapp.auth.models import User

    unit = db.session.get(Unit, params["unit_id"])
    if unit is None:
        raise refuse("unit_not_found", _l("This unit does not exist."), 404)
    actor = db.session.get(User, params.get("requester_id")) if params.get("requester_id") else None
    check_read(actor, unit.id)
    fig = figures(unit, params["kind"], params["year"], params["number"], bool(params.get("consolidated")), progress)
    if fig.consolidated and actor is not None and actor.unit_id:
        fig.issuer = db.session.get(Unit, actor.unit_id)
    out = Path(output_dir)
    docx_path, xlsx_path = build_files(fig, out)
    zip_path = docx_path.with_suffix(".zip")
    with zipfile.ZipFile(zip_path.with_suffix(".zpart"), "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(docx_path, docx_path.name)
        zf.write(xlsx_path, xlsx_path.name)
    os.replace(zip_path.with_suffix(".zpart"), zip_path)
    docx_path.unlink()
    xlsx_path.unlink()
    progress(5, 5)
    return {"path": str(zip_path), "filename": zip_path.name, "mimetype": "application/zip",
            "message": f"{len(fig.activities)} hoạt động"}


# --- the evidence pack ---------------------------------------------------------------------------

def run_evidence_pack(params: dict, progress, output_dir) -> dict:
    """A ZIP of a unit's activities for a period: an index (.xlsx) and every evidence file, in one
    folder per activity (what the unit attaches to its yearly CCHC self-assessment).
    params: unit_id, kind, year, number, requester_id."""
    import xlsxwriter

    from quizapp.auth.models import User
    from quizapp.plans import evidence as files

    unit = db.session.get(Unit, params["unit_id"])
    if unit is None:
        raise refuse("unit_not_found", _l("This unit does not exist."), 404)
    actor = db.session.get(User, params.get("requester_id")) if params.get("requester_id") else None
    check_read(actor, unit.id)
    kind, year, number = check_period(params["kind"], params["year"], params["number"])
    period = completion.period(kind, year, number)
    ids = list(db.session.scalars(sa.select(Unit.id).where(Unit.path.startswith(unit.path))))
    rows = activities.activities_of(ids, period.start, period.end)
    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / f"minh-chung-{unit.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.zip".replace("/", "-")
    index_path = out / "index.xlsx"
    wb = xlsxwriter.Workbook(str(index_path), {"constant_memory": True})
    ws = wb.add_worksheet("Danh mục")
    heads = ["TT", "Ngày", "Đơn vị", "Hình thức", "Nội dung", "Đối tượng", "Lượt người", "Liên kết", "Tệp minh chứng"]
    for c, h in enumerate(heads):
        ws.write(0, c, h)
    total = max(len(rows), 1)
    missing = 0
    with zipfile.ZipFile(zip_path.with_suffix(".zpart"), "w", compression=zipfile.ZIP_STORED) as zf:
        for i, a in enumerate(rows, start=1):
            folder = f"{i:04d}-{a.held_on:%Y%m%d}"
            names_in_zip = []
            for e in a.evidence:
                path = files.path_of(e.stored)
                if not path.exists():
                    missing += 1
                    continue
                arcname = f"{folder}/{e.id}-{e.filename}"
                zf.write(path, arcname)  # photos and PDFs are compressed already: stored, not deflated
                names_in_zip.append(arcname)
            for c, value in enumerate([i, f"{a.held_on:%d/%m/%Y}", names.get(a.unit_id, ""), a.form.name, a.title,
                                       AUDIENCE_LABELS[a.audience], a.reached, a.link or "", "; ".join(names_in_zip)]):
                ws.write(i, c, safe_cell(value) if isinstance(value, str) else value)
            progress(i, total)
        wb.close()
        zf.write(index_path, "danh-muc-minh-chung.xlsx")
    os.replace(zip_path.with_suffix(".zpart"), zip_path)
    index_path.unlink()
    message = f"{len(rows)} hoạt động" + (f"; {missing} tệp không còn trên ổ đĩa" if missing else "")
    return {"path": str(zip_path), "filename": zip_path.name, "mimetype": "application/zip", "message": message}


def subtree_size(unit: Unit) -> int:
    """Units the report covers (the view builds small ones in the request, large ones as a job)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.path.startswith(unit.path)))
               or 0)
