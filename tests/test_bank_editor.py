"""The organiser's question bank editor: list, search, create, versions, retire, flags, XSS."""
from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.core.audit import AuditEntry
from quizapp.auth.models import Role
from quizapp.bank import editor
from quizapp.bank import importing
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from tests.conftest import csrf_token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture()
def organiser(make, auth):
    user = make.user(role=Role.ORGANISER)
    auth.login(user)
    return user


def area_id(db, code):
    return db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == code))


def actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def form_data(client, db, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/admin/bank/new"),
        "area_id": area_id(db, "TTHC"), "difficulty": 2,
        "text": "Cơ quan nào chủ trì cải cách thủ tục hành chính?",
        "options-0-text": "Văn phòng UBND tỉnh", "options-0-correct": "y",
        "options-1-text": "Sở Tư pháp", "options-2-text": "Sở Tài chính",
        "explanation": "", "source": "Nghị định 63/2010/NĐ-CP", "reference_date": "2010-06-08",
        "external_id": "", "status": "approved",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- access ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/admin/bank", "/admin/bank/new", "/admin/bank/dashboard",
                                  "/admin/bank/template.xlsx", "/admin/bank/export.csv", "/admin/bank/import"])
def test_only_organisers_open_the_bank(client, make, auth, path):
    assert client.get(path).status_code == 302  # to the login page
    auth.login(make.user(role=Role.UNIT_MANAGER))
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login(make.user(role=Role.ORGANISER))
    assert client.get(path).status_code == 200


# --- list, search, filters ------------------------------------------------------------------

def test_search_ignores_vietnamese_diacritics(client, make, organiser):
    make.bank_question("Cải cách hành chính là gì?")
    make.bank_question("Dịch vụ công trực tuyến là gì?")
    html = client.get("/admin/bank?q=cai cach").get_data(as_text=True)
    assert "Cải cách hành chính là gì?" in html and "Dịch vụ công trực tuyến" not in html
    html = client.get("/admin/bank?q=CẢI CÁCH").get_data(as_text=True)
    assert "Cải cách hành chính là gì?" in html


def test_filters(app, db, make, organiser, client):
    a = make.bank_question("Câu một?", area="TTHC", difficulty=1, source="Nghị định 61/2018/NĐ-CP",
                      reference_date=date(2018, 4, 23))
    b = make.bank_question("Câu hai?", area="CV", difficulty=3, source="Luật Cán bộ, công chức",
                      reference_date=date(2019, 11, 25))
    c = make.bank_question("Câu ba?", area="TTHC", difficulty=1, status="draft")
    make.attempt_on(b)

    def listed(**f):
        return {q.text for q in db.session.scalars(editor.list_select(editor.ListFilters(**f)))}

    assert listed(area_id=area_id(db, "CV")) == {"Câu hai?"}
    assert listed(difficulty=1) == {"Câu một?", "Câu ba?"}
    assert listed(status="draft") == {"Câu ba?"}
    assert listed(source="61/2018") == {"Câu một?"}
    assert listed(date_from=date(2019, 1, 1)) == {"Câu hai?"}
    assert listed(date_to=date(2019, 1, 1)) == {"Câu một?"}
    assert listed(used="used") == {"Câu hai?"}
    assert listed(used="unused") == {"Câu một?", "Câu ba?"}
    html = client.get(f"/admin/bank?area_id={area_id(db, 'TTHC')}&status=draft").get_data(as_text=True)
    assert "Câu ba?" in html and "Câu một?" not in html
    assert a.id and c.id


def test_the_list_is_paginated(client, make, organiser):
    for i in range(55):
        make.bank_question(f"Câu hỏi phân trang {i:02d}?", external_id=f"P-{i:02d}")
    first = client.get("/admin/bank").get_data(as_text=True)
    second = client.get("/admin/bank?page=2").get_data(as_text=True)
    assert "P-00" in first and "P-54" not in first
    assert "P-54" in second and "P-00" not in second
    assert "Trang 2 / 2" in second


# --- create, edit (versions), retire, restore -------------------------------------------------

def test_create_a_question(client, db, organiser):
    resp = client.post("/admin/bank/new", data=form_data(client, db))
    assert resp.status_code == 302
    q = db.session.scalar(sa.select(Question))
    assert q.status == QuestionStatus.APPROVED and q.created_by_id == organiser.id
    assert [(o.text, o.is_correct) for o in q.options] == [
        ("Văn phòng UBND tỉnh", True), ("Sở Tư pháp", False), ("Sở Tài chính", False)]
    assert q.reference_date == date(2010, 6, 8)
    assert actions(db) == ["bank.create"]


def test_an_invalid_question_is_refused_by_the_shared_validator(client, db, organiser):
    resp = client.post("/admin/bank/new", data=form_data(client, db, **{"options-0-correct": None}))
    assert resp.status_code == 422
    assert "Không có phương án nào được đánh dấu đúng" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_edit_creates_a_new_version_and_leaves_the_used_one_alone(client, db, make, organiser):
    q = make.bank_question("Câu hỏi gốc?", options=["Một", "Hai"], correct=(0,))
    make.attempt_on(q)
    data = form_data(client, db, text="Câu hỏi đã sửa?", **{
        "options-0-text": "Một", "options-1-text": "Hai", "options-2-text": "Ba",
        "options-0-correct": None, "options-1-correct": "y"})
    resp = client.post(f"/admin/bank/{q.id}/edit", data=data)
    assert resp.status_code == 302
    db.session.expire_all()
    old = db.session.get(Question, q.id)
    new = db.session.scalar(sa.select(Question).where(Question.lineage == q.lineage, Question.version == 2))
    assert old.status == QuestionStatus.SUPERSEDED
    assert old.text == "Câu hỏi gốc?" and [o.is_correct for o in old.options] == [True, False]
    assert new.text == "Câu hỏi đã sửa?" and [o.is_correct for o in new.options] == [False, True, False]
    assert new.status == QuestionStatus.APPROVED
    assert resp.headers["Location"].endswith(f"/admin/bank/{new.id}")
    assert "bank.edit" in actions(db)
    # An old version cannot be edited.
    assert client.post(f"/admin/bank/{q.id}/edit", data=data).status_code == 409


def test_edit_form_is_prefilled_with_the_question(client, make, organiser):
    q = make.bank_question("Câu hỏi để sửa?", options=["Đáp án X", "Đáp án Y"], correct=(1,))
    html = client.get(f"/admin/bank/{q.id}/edit").get_data(as_text=True)
    assert "Câu hỏi để sửa?" in html and "Đáp án Y" in html


def test_retire_restore_approve(client, db, make, organiser):
    q = make.bank_question(status="draft")

    def post(action):
        return client.post(f"/admin/bank/{q.id}/{action}", data={"csrf_token": csrf_token(client, f"/admin/bank/{q.id}")})

    assert post("approve").status_code == 302
    db.session.refresh(q)
    assert q.status == QuestionStatus.APPROVED
    post("retire")
    db.session.refresh(q)
    assert q.status == QuestionStatus.RETIRED
    post("restore")
    db.session.refresh(q)
    assert q.status == QuestionStatus.APPROVED
    assert actions(db)[-3:] == ["bank.approve", "bank.retire", "bank.restore"]
    # Restoring an approved question is refused and changes nothing.
    resp = post("restore")
    assert resp.status_code == 302
    db.session.refresh(q)
    assert q.status == QuestionStatus.APPROVED


def test_preview_shows_options_in_order_without_correct_marks(client, make, organiser):
    q = make.bank_question("Câu hỏi xem trước?", options=["Thứ nhất", "Thứ hai", "Thứ ba"], correct=(2,))
    html = client.get(f"/admin/bank/{q.id}/preview").get_data(as_text=True)
    assert html.index("Thứ nhất") < html.index("Thứ hai") < html.index("Thứ ba")
    assert "correct" not in html.lower() and "(đúng)" not in html
    detail = client.get(f"/admin/bank/{q.id}").get_data(as_text=True)
    assert "(đúng)" in detail  # the organiser's own page does show the key


# --- dashboard -------------------------------------------------------------------------------

def test_approved_counts_per_area_and_difficulty(client, db, make, organiser):
    make.bank_question(area="TTHC", difficulty=1)
    make.bank_question(area="TTHC", difficulty=1)
    make.bank_question(area="TTHC", difficulty=3)
    make.bank_question(area="CV", difficulty=2, status="draft")
    retired = make.bank_question(area="CV", difficulty=2)
    editor.retire(retired)
    counts = editor.approved_counts()
    assert counts == {(area_id(db, "TTHC"), 1): 2, (area_id(db, "TTHC"), 3): 1}
    html = client.get("/admin/bank/dashboard").get_data(as_text=True)
    assert "Cải cách thủ tục hành chính" in html and ">2</a>" in html


# --- review flags ------------------------------------------------------------------------------

def test_flag_every_question_citing_a_document(client, db, make, organiser):
    a = make.bank_question("Một cửa?", source="Nghị định 61/2018/NĐ-CP ngày 23/4/2018")
    b = make.bank_question("Liên thông?", source="Nghị định số 61/2018/nđ-cp")
    c = make.bank_question("Điện tử?", source="Nghị định 45/2020/NĐ-CP")
    resp = client.post("/admin/bank/flag", data={"csrf_token": csrf_token(client, "/admin/bank"),
                                                  "document": "61/2018/NĐ-CP", "note": ""})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Question, x.id).needs_review for x in (a, b, c)] == [True, True, False]
    assert "61/2018/NĐ-CP" in db.session.get(Question, a.id).review_note
    html = client.get("/admin/bank?flagged=y").get_data(as_text=True)
    assert "Một cửa?" in html and "Điện tử?" not in html
    client.post(f"/admin/bank/{a.id}/unflag", data={"csrf_token": csrf_token(client, f"/admin/bank/{a.id}")})
    db.session.expire_all()
    assert db.session.get(Question, a.id).needs_review is False
    assert actions(db)[-2:] == ["bank.flag", "bank.unflag"]


# --- upload and template -------------------------------------------------------------------------

def test_upload_reports_row_errors_and_imports_nothing(client, db, organiser):
    from tests.test_bank_import import good_row, sheet

    content = sheet([good_row(1), good_row(2, **{"Lĩnh vực": "XYZ"})])
    resp = client.post("/admin/bank/import", data={
        "csrf_token": csrf_token(client, "/admin/bank/import"), "status": "approved", "default_area_id": 0,
        "default_difficulty": 1, "file": (io.BytesIO(content), "cau-hoi.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "<td>3</td><td>Lĩnh vực</td>" in html and "Không có lĩnh vực cải cách" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


def test_upload_imports_as_draft_when_chosen(client, db, organiser):
    from tests.test_bank_import import good_row, sheet

    content = sheet([good_row(1)], "csv")
    resp = client.post("/admin/bank/import", data={
        "csrf_token": csrf_token(client, "/admin/bank/import"), "status": "draft", "default_area_id": 0,
        "default_difficulty": 1, "file": (io.BytesIO(content), "cau-hoi.csv")},
        content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "1 câu hỏi mới" in resp.get_data(as_text=True)
    q = db.session.scalar(sa.select(Question))
    assert q.status == QuestionStatus.DRAFT and q.created_by_id == organiser.id
    assert actions(db) == ["bank.import"]


def test_upload_of_a_wrong_file_type_is_refused(client, db, organiser):
    resp = client.post("/admin/bank/import", data={
        "csrf_token": csrf_token(client, "/admin/bank/import"), "status": "approved", "default_area_id": 0,
        "default_difficulty": 1, "file": (io.BytesIO(b"%PDF"), "cau-hoi.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "Chỉ nhận tệp .xlsx" in resp.get_data(as_text=True)


def test_template_has_vietnamese_headings_one_example_row_and_imports_cleanly(client, db, organiser):
    import openpyxl

    resp = client.get("/admin/bank/template.xlsx")
    assert resp.status_code == 200 and "mau-nhap-cau-hoi.xlsx" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert len(wb.worksheets) == 1 and wb.active.sheet_state == "visible"
    ws = wb.active
    assert not ws.merged_cells.ranges
    headings = [c.value for c in ws[1]]
    assert headings[:5] == ["Mã câu hỏi", "Lĩnh vực", "Mức độ", "Nhiều đáp án đúng", "Câu hỏi"]
    assert "Phương án A" in headings and "Đáp án đúng" in headings and "Ngày tham chiếu" in headings
    assert ws.max_row == 2
    report = importing.import_file(resp.data, "mau.xlsx")
    assert report.ok and report.created == 1


# --- nothing in the bank runs script ------------------------------------------------------------------

def test_xss_payloads_are_escaped_on_every_page(client, db, make, organiser):
    q = make.bank_question(XSS + " câu hỏi?", options=[XSS + " A", "B " + XSS], correct=(0,),
                      source=XSS, explanation=XSS)
    for path in ("/admin/bank", f"/admin/bank/{q.id}", f"/admin/bank/{q.id}/preview", f"/admin/bank/{q.id}/edit",
                 "/admin/bank?q=script"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert" in html, path


def test_exports_are_downloads_and_safe_against_formulas(client, db, make, organiser):
    make.bank_question("=HYPERLINK(\"http://evil\",\"bấm\")", options=["+cmd|' /C calc'!A0", "@SUM(1)"],
                  correct=(0,), source=XSS)
    for fmt in ("xlsx", "csv", "gift"):
        resp = client.get(f"/admin/bank/export.{fmt}")
        assert resp.status_code == 200
        assert resp.headers["Content-Disposition"].startswith("attachment")
        assert "html" not in resp.mimetype
    csv = client.get("/admin/bank/export.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK" in csv and "'+cmd" in csv and "'@SUM" in csv
    assert "\n=" not in csv and ",=" not in csv and ",+" not in csv and ",@" not in csv
