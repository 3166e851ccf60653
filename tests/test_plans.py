"""Plans: the province plan and its Excel import, the unit's plan, activities from a phone with
evidence, automatic activities from rounds, completion, reminders, reports and their submission."""
from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from quizapp.core.errors import ServiceError
from tests.conftest import csrf_token
from tests.plans_support import photo_with_gps, province, tiny_pdf  # noqa: F401  (fixture)


def _forms():
    from quizapp.plans import catalogue

    return {f.code: f for f in catalogue.all_forms()}


def _log(actor, unit, day=date(2026, 2, 10), code="hoi-nghi", uploads=(), **extra):
    from quizapp.plans import activities

    values = {"held_on": day, "form_id": _forms()[code].id, "title": extra.pop("title", "Hội nghị tuyên truyền"),
              "audience": extra.pop("audience", "civil_servants"), "reached": extra.pop("reached", 40), **extra}
    return activities.create_activity(actor, unit.id, values, list(uploads))


# --- 1. the plan ------------------------------------------------------------------------------------

def test_forms_are_seeded_from_the_plan_in_both_groups(app, db):
    from quizapp.plans import catalogue
    from quizapp.plans.models import FormGroup

    forms = catalogue.all_forms()
    names = " | ".join(f.name for f in forms)
    assert len(forms) == 12
    assert {f.group for f in forms} == {FormGroup.CIVIL_SERVANTS, FormGroup.PUBLIC}
    for word in ("hội nghị", "Cuộc thi", "họp thường kỳ", "Đảng", "Niêm yết", "Cổng", "phát thanh", "pano",
                 "Zalo", "Đường dây nóng"):
        assert word in names
    assert catalogue.contests_form().code == catalogue.CONTESTS_CODE


def test_timeline_gives_the_due_date():
    from quizapp.plans.province import due_date

    assert due_date("Quý II", 2026) == date(2026, 6, 30)
    assert due_date("Quý IV/2026", 2026) == date(2026, 12, 31)
    assert due_date("Tháng 3", 2026) == date(2026, 3, 31)
    assert due_date("6 tháng đầu năm", 2026) == date(2026, 6, 30)
    assert due_date("Cả năm", 2026) == date(2026, 12, 31)
    assert due_date("15/05/2026", 2026) == date(2026, 5, 15)
    assert due_date("", 2026) is None


def _xlsx(rows):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


HEAD = ["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian thực hiện", "Kết quả dự kiến"]


def test_task_import_replaces_the_list_and_a_bad_row_refuses_the_whole_file(app, db, province):
    from quizapp.plans import province as svc

    plan = province["plan"]
    n = svc.import_tasks(plan, _xlsx([["KẾ HOẠCH"], HEAD, [1, "Hội nghị tập huấn", "Sở Nội vụ", "Các sở", "Quý II",
                                                             "02 hội nghị"],
                                      [2, "Chuyên mục CCHC trên Đài", "Đài PT-TH", "", "Cả năm", "12 chuyên mục"]]))
    db.session.commit()
    assert n == 2 and [t.name for t in plan.tasks] == ["Hội nghị tập huấn", "Chuyên mục CCHC trên Đài"]
    assert plan.tasks[0].due_on == date(2026, 6, 30) and plan.tasks[0].lead_unit == "Sở Nội vụ"
    with pytest.raises(ServiceError) as err:
        svc.import_tasks(plan, _xlsx([HEAD, [1, "Một nhiệm vụ", "", "", "Quý I", ""], [2, "", "Sở Tư pháp", "", "", ""]]))
    assert "Row 3" in err.value.message
    db.session.rollback()
    assert [t.name for t in plan.tasks] == ["Hội nghị tập huấn", "Chuyên mục CCHC trên Đài"]


def test_task_import_page_names_the_row_in_vietnamese_and_keeps_the_old_list(client, auth, db, province):
    auth.login(province["organiser"])
    plan = province["plan"]
    token = csrf_token(client, f"/admin/plans/{plan.id}")
    bad = _xlsx([HEAD, [1, "x" * 1200, "", "", "", ""]])
    resp = client.post(f"/admin/plans/{plan.id}/import", data={"csrf_token": token, "file": (io.BytesIO(bad), "kh.xlsx")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Dòng 2" in html
    db.session.expire_all()
    assert len(plan.tasks) == 2


def test_unit_plan_takes_tasks_and_counts_and_refuses_another_years_task(app, db, province):
    from quizapp.plans import province as svc
    from quizapp.plans import unit_plans

    forms = _forms()
    officer, commune = province["officer"], province["commune"]
    unit_plans.save(officer, commune.id, 2026, [province["tasks"][0].id], {str(forms["hoi-nghi"].id): "4"})
    db.session.commit()
    assert unit_plans.view(commune.id, 2026).planned[forms["hoi-nghi"].id] == 4
    other = svc.save_plan(2025, "Kế hoạch 2025", "", None, None)
    old = svc.add_task(other, {"name": "Nhiệm vụ năm 2025"})
    with pytest.raises(ServiceError) as err:
        unit_plans.save(officer, commune.id, 2026, [old.id], {})
    assert err.value.field == "tasks"
    with pytest.raises(ServiceError) as err:
        unit_plans.save(officer, commune.id, 2026, [], {str(forms["hoi-nghi"].id): "-3"})
    assert err.value.field == f"planned-{forms['hoi-nghi'].id}"


# --- 2. activities ------------------------------------------------------------------------------------

def test_activity_with_a_photo_is_saved_shrunk_and_without_gps(app, db, province):
    from PIL import Image

    from quizapp.plans import evidence

    activity = _log(province["officer"], province["commune"], uploads=[("IMG_0001.JPG", photo_with_gps())])
    db.session.commit()
    [item] = activity.evidence
    stored = evidence.path_of(item.stored).read_bytes()
    img = Image.open(io.BytesIO(stored))
    assert max(img.size) <= evidence.MAX_SIDE
    exif = img.getexif()
    assert 0x8825 not in exif and 0x010F not in exif and b"PhoneMaker" not in stored
    assert str(province["commune"].id) in item.stored  # filed per unit, under EVIDENCE_DIR


def test_bad_input_names_the_field_and_saves_nothing(app, db, province):
    from quizapp.plans.models import Activity, Evidence

    officer, commune = province["officer"], province["commune"]
    cases = [
        ({"held_on": date.today() + timedelta(days=3)}, "held_on"),
        ({"code_id": 999999}, "form_id"),
        ({"reached": "nhiều"}, "reached"),
        ({"task_id": 999999}, "task_id"),
        ({"link": "javascript:alert(1)"}, "link"),
    ]
    for extra, field in cases:
        values = {"held_on": date(2026, 2, 10), "form_id": _forms()["hoi-nghi"].id, "title": "Hội nghị",
                  "audience": "civil_servants", "reached": 3}
        if "code_id" in extra:
            values["form_id"] = extra.pop("code_id")
        values.update(extra)
        from quizapp.plans import activities

        with pytest.raises(ServiceError) as err:
            activities.create_activity(officer, commune.id, values, [("a.jpg", photo_with_gps((50, 50)))])
        assert err.value.field == field, (extra, err.value.field)
        db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) == 0


def test_a_task_the_unit_did_not_take_on_is_refused(app, db, province):
    from quizapp.plans import unit_plans

    unit_plans.save(province["officer"], province["commune"].id, 2026, [province["tasks"][0].id], {})
    _log(province["officer"], province["commune"], task_id=province["tasks"][0].id)
    with pytest.raises(ServiceError) as err:
        _log(province["officer"], province["commune"], task_id=province["tasks"][1].id)
    assert err.value.field == "task_id"


def test_phone_form_logs_an_activity_with_a_photo_and_a_pdf(client, auth, db, province):
    from quizapp.plans.models import Activity

    auth.login(province["officer"])
    commune = province["commune"]
    page = client.get(f"/plans/units/{commune.id}/activities/new")
    assert page.status_code == 200 and 'name="files"' in page.get_data(as_text=True)
    token = csrf_token(client, f"/plans/units/{commune.id}/activities/new")
    resp = client.post(f"/plans/units/{commune.id}/activities/new", data={
        "csrf_token": token, "held_on": "2026-02-10", "form_id": str(_forms()["mang-xa-hoi"].id),
        "title": "Đăng bài trên Zalo OA", "audience": "citizens", "reached": "350", "task_id": "", "link":
        "https://zalo.me/x", "files": [(io.BytesIO(photo_with_gps((800, 600))), "anh.jpg"),
                                        (io.BytesIO(tiny_pdf()), "bien-ban.pdf")]},
        content_type="multipart/form-data")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    activity = db.session.scalar(sa.select(Activity))
    assert activity.reached == 350 and sorted(e.kind for e in activity.evidence) == ["pdf", "photo"]
    photo = next(e for e in activity.evidence if e.kind == "photo")
    got = client.get(f"/plans/evidence/{photo.id}")
    assert got.status_code == 200 and got.mimetype == "image/jpeg"
    pdf = next(e for e in activity.evidence if e.kind == "pdf")
    got = client.get(f"/plans/evidence/{pdf.id}")
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]


def test_phone_form_refuses_a_fake_photo_in_vietnamese_and_saves_nothing(client, auth, db, province):
    from quizapp.plans.models import Activity

    auth.login(province["officer"])
    commune = province["commune"]
    token = csrf_token(client, f"/plans/units/{commune.id}/activities/new")
    resp = client.post(f"/plans/units/{commune.id}/activities/new", data={
        "csrf_token": token, "held_on": "2026-02-10", "form_id": str(_forms()["hoi-nghi"].id), "title": "Hội nghị",
        "audience": "civil_servants", "reached": "10", "files": [(io.BytesIO(b"<?php system($_GET['c']); ?>"), "anh.jpg")]},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "không phải là ảnh" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 0


# --- 3. automatic activities --------------------------------------------------------------------------

def test_rounds_held_in_quizapp_count_as_activities_without_typing(app, db, make, province):
    from quizapp.core.db import utcnow
    from quizapp.plans import activities, completion

    for _ in range(3):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 3),), title="Tuần 1")
    people = [make.user(unit=province["commune"]) for _ in range(3)] + [make.user(unit=province["other"])]
    for user in people:
        make.submission(rnd, user, 2, "2", start=utcnow() - timedelta(hours=3))
    today = activities.vn_today()
    auto = activities.automatic_activities([province["commune"].id], date(today.year, 1, 1), today)
    assert [(a.title, a.reached) for a in auto] == [("Tuần 1", 3)]
    comp = completion.completion(province["district"], today.year)
    contests = next(line for line in comp.forms if line.form.collects_contests)
    assert contests.done == 1 and contests.reached == 3 and comp.automatic == 1


# --- 4. completion ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("small_tree", [60, 0], ids=["per-unit-rows", "summed-in-sql"])
def test_completion_rolls_up_the_tree_and_marks_overdue_tasks(app, db, province, monkeypatch, small_tree):
    from quizapp.plans import completion, unit_plans

    monkeypatch.setattr(completion, "SMALL_TREE", small_tree)  # both ways of reading a subtree give the same

    forms = _forms()
    officer, commune, manager, district = province["officer"], province["commune"], province["manager"], province["district"]
    unit_plans.save(officer, commune.id, 2026, [t.id for t in province["tasks"]], {str(forms["hoi-nghi"].id): "4"})
    unit_plans.save(manager, district.id, 2026, [], {str(forms["hoi-nghi"].id): "2", str(forms["bao-dai"].id): "1"})
    _log(officer, commune, task_id=province["tasks"][1].id)
    _log(manager, district, day=date(2026, 5, 2))
    db.session.commit()
    comp = completion.completion(district, 2026)
    line = next(f for f in comp.forms if f.form.code == "hoi-nghi")
    assert (line.planned, line.done) == (6, 2)
    assert comp.children[0].name == "Xã Phước Hưng" and (comp.children[0].planned, comp.children[0].done) == (4, 1)
    own = completion.completion(commune, 2026)
    overdue = {t.task.name: t.overdue for t in own.tasks}
    assert overdue == {"Tổ chức hội nghị tuyên truyền CCHC": True, "Đăng tin bài trên Cổng thông tin": False}
    top = completion.completion(province["top"], 2026)
    assert (top.total_planned, top.total_done) == (7, 2)
    assert {c.name: (c.planned, c.done, c.has_plan) for c in top.children} == {
        "Huyện Long Điền": (7, 2, True), "Huyện Đất Đỏ": (0, 0, False), "Sở Nội vụ": (0, 0, False)}


def test_unit_page_shows_bars_table_and_a_reminder_for_silent_units(client, auth, db, province):
    auth.login(province["manager"])
    html = client.get(f"/plans/units/{province['district'].id}?year=2026").get_data(as_text=True)
    assert 'id="completion-bars"' in html and "<rect" in html and "Xã Phước Hưng" in html
    assert 'id="plan-reminder"' in html and "Nhắc việc" in html and "Xã Phước Hưng" in html


def test_deadlines_follow_the_due_day_of_the_periods_last_month(app):
    from quizapp.plans import completion

    assert completion.deadline("quarter", 2026, 2) == date(2026, 6, 15)
    assert completion.deadline("year", 2026, 1) == date(2026, 12, 15)
    assert completion.next_deadline(date(2026, 6, 16))[3] == date(2026, 9, 15)


# --- 5. reports ------------------------------------------------------------------------------------------

def _docx_text(data: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_unit_report_docx_is_in_the_units_name_with_typed_parts_and_figures(client, auth, db, province):
    from quizapp.plans import reporting, unit_plans

    forms = _forms()
    officer, commune = province["officer"], province["commune"]
    unit_plans.save(officer, commune.id, 2026, [province["tasks"][0].id], {str(forms["hoi-nghi"].id): "4"})
    _log(officer, commune, reached=120)
    _log(officer, commune, day=date(2026, 3, 1), code="mang-xa-hoi", audience="citizens", reached=900)
    _log(officer, commune, day=date(2026, 4, 2), reached=7)  # next quarter: not in the report
    reporting.save_narrative(officer, commune.id, "quarter", 2026, 1, {
        "situation": "Xã đã ban hành kế hoạch tuyên truyền.", "difficulties": "Thiếu kinh phí.",
        "proposals": "Đề nghị tập huấn.", "doc_number": "05/BC-UBND", "signer_title": "Chủ tịch",
        "signer_name": "Nguyễn Văn A"})
    db.session.commit()
    auth.login(officer)
    resp = client.get(f"/plans/units/{commune.id}/reports/quarter/2026/1/docx")
    assert resp.status_code == 200 and resp.mimetype.endswith("wordprocessingml.document")
    text = _docx_text(resp.data)
    assert "XÃ PHƯỚC HƯNG" in text and "HUYỆN LONG ĐIỀN" in text and "Số: 05/BC-UBND" in text
    assert "quý I năm 2026" in text and "Xã đã ban hành kế hoạch tuyên truyền." in text and "Thiếu kinh phí." in text
    assert "đã thực hiện 2 hoạt động" in text and "1.020 lượt người" in text
    assert "Hội nghị, tập huấn, tọa đàm, hội thảo chuyên đề về CCHC | 4 | 1 | 25,0 | 120" in text
    assert "NGUYỄN VĂN A" in text.upper()
    annex = client.get(f"/plans/units/{commune.id}/reports/quarter/2026/1/xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(annex.data))
    rows = list(wb["Hoạt động"].iter_rows(min_row=4, values_only=True))
    assert len(rows) == 2 and rows[1][6] == 900


def test_submit_locks_the_narrative_changes_after_are_audited_and_province_returns(client, auth, db, province):
    from quizapp.core.audit import AuditEntry
    from quizapp.plans import activities, reporting
    from quizapp.plans.models import ReportStatus

    officer, commune = province["officer"], province["commune"]
    activity = _log(officer, commune)
    db.session.commit()
    auth.login(officer)
    base = f"/plans/units/{commune.id}/reports/quarter/2026/1"
    token = csrf_token(client, base)
    assert client.post(base + "/submit", data={"csrf_token": token}).status_code == 302
    assert client.post(base + "/submit", data={"csrf_token": token}).status_code == 302  # idempotent
    rep = reporting.report_for(commune.id, "quarter", 2026, 1)
    assert rep.status == ReportStatus.SUBMITTED
    resp = client.post(base, data={"csrf_token": token, "situation": "sửa sau khi gửi"})
    assert resp.status_code == 409 and rep.situation == ""
    activities.update_activity(officer, activity.id, {"held_on": date(2026, 2, 10), "form_id": activity.form_id,
                                                      "title": "Hội nghị (sửa)", "audience": "civil_servants",
                                                      "reached": 55})
    db.session.commit()
    page = client.get(base).get_data(as_text=True)
    assert "History since submission" in page or "Lịch sử sau khi gửi" in page
    assert "Hội nghị (sửa)" in page and "reached" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "plans.change_after_submit")) == 1
    auth.logout()
    auth.login(province["organiser"])
    status = client.get("/admin/plans/reports?kind=quarter&year=2026&number=1").get_data(as_text=True)
    assert "Xã Phước Hưng" in status and "1 / 6" not in status
    token = csrf_token(client, base)
    resp = client.post(f"/admin/plans/reports/{rep.id}/return", data={"csrf_token": token, "reason": "Bổ sung số liệu"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert rep.status == ReportStatus.RETURNED and rep.return_reason == "Bổ sung số liệu"
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "plans.report_return"))


def test_consolidated_report_job_lists_units_that_have_not_reported(client, auth, db, province, app, tmp_path,
                                                                    monkeypatch):
    from quizapp.plans import reporting
    from tests.jobs_support import held_queue, only_queued_job, run_and_download

    officer, commune = province["officer"], province["commune"]
    _log(officer, commune)
    reporting.submit(officer, reporting.report_for(commune.id, "quarter", 2026, 1, create=True))
    db.session.commit()
    auth.login(province["organiser"])
    with held_queue(app, tmp_path, monkeypatch):
        token = csrf_token(client, "/admin/plans/reports")
        resp = client.post("/admin/plans/reports/consolidated/quarter/2026/1", data={"csrf_token": token})
        assert resp.status_code == 302
        job = only_queued_job(db)
        download, _page = run_and_download(client, db, job)
    with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
        names = zf.namelist()
        docx = zf.read(next(n for n in names if n.endswith(".docx")))
        annex = zf.read(next(n for n in names if n.endswith(".xlsx")))
    text = _docx_text(docx)
    assert "1/5 cơ quan, đơn vị, địa phương đã gửi báo cáo" in text
    assert "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU\nSỞ NỘI VỤ" in text  # issued by the organiser's department
    from openpyxl import load_workbook

    missing = [r[2] for r in load_workbook(io.BytesIO(annex))["Chưa báo cáo"].iter_rows(min_row=4, values_only=True)]
    assert "Xã Phước Hưng" not in missing and "Huyện Đất Đỏ" in missing and len(missing) == 4


# --- 6. evidence pack ---------------------------------------------------------------------------------------

def test_evidence_pack_is_a_zip_with_an_index_and_the_files(client, auth, db, province, app, tmp_path, monkeypatch):
    from tests.jobs_support import held_queue, only_queued_job, run_and_download

    officer, commune = province["officer"], province["commune"]
    auth.login(officer)
    with held_queue(app, tmp_path, monkeypatch):
        _log(officer, commune, uploads=[("a.jpg", photo_with_gps((400, 300))), ("bb.pdf", tiny_pdf())])
        _log(officer, commune, day=date(2026, 3, 3), title="Bài viết trên Cổng", code="cong-thong-tin")
        db.session.commit()
        token = csrf_token(client, f"/plans/units/{commune.id}/reports/quarter/2026/1")
        resp = client.post(f"/plans/units/{commune.id}/evidence-pack/quarter/2026/1", data={"csrf_token": token})
        assert resp.status_code == 302
        job = only_queued_job(db)
        download, _page = run_and_download(client, db, job)
    with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
        names = zf.namelist()
        from openpyxl import load_workbook

        index = list(load_workbook(io.BytesIO(zf.read("danh-muc-minh-chung.xlsx"))).active.iter_rows(min_row=2,
                                                                                                    values_only=True))
    assert len([n for n in names if n.endswith((".jpg", ".pdf"))]) == 2
    assert [r[4] for r in index] == ["Hội nghị tuyên truyền", "Bài viết trên Cổng"]
    assert index[0][8].count(".") == 2  # both files named in the index


# --- 8. demo data -------------------------------------------------------------------------------------------

def test_demo_load_gives_a_years_plan_activities_and_one_submitted_report(runner, db, client, auth, app, tmp_path):
    from quizapp.plans.models import Activity, Evidence, ProvincePlan, ReportStatus, UnitReport

    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    plan = db.session.scalar(sa.select(ProvincePlan))
    assert plan is not None and len(plan.tasks) == 6 and "Communication plan: Kế hoạch" in result.output
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Activity.unit_id)))) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evidence)) >= 8
    [report] = db.session.scalars(sa.select(UnitReport)).all()
    assert report.status == ReportStatus.SUBMITTED
    auth.login("0900000005", "dauMoi@2026")
    page = client.get(f"/plans/units/{report.unit_id}?year={plan.year}").get_data(as_text=True)
    assert "Phường 1" in page and 'id="completion-bars"' in page
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "Communication plan: already loaded" in again.output
