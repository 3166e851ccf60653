"""Question bank import: every format, all-or-nothing with row errors, versions, idempotence."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from quizapp.bank import importing
from quizapp.bank.models import ImportBatch, Option, Question, QuestionStatus, ReformArea
from quizapp.core.errors import ServiceError

DATA = Path(__file__).parent / "data"
SAMPLE_YAML = DATA / "bank_sample.yaml"


def count(db, model=Question, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def current(db, external_id: str) -> Question:
    return db.session.scalar(sa.select(Question).where(
        Question.external_id == external_id, Question.status != QuestionStatus.SUPERSEDED))


def good_row(n: int = 1, **overrides) -> dict:
    row = {
        "Mã câu hỏi": f"X-{n}",
        "Lĩnh vực": "TTHC",
        "Mức độ": 2,
        "Câu hỏi": f"Câu hỏi thử số {n} về cải cách hành chính?",
        "Phương án A": f"Đáp án đúng {n}",
        "Phương án B": f"Đáp án sai {n}",
        "Phương án C": f"Một đáp án sai khác {n}",
        "Đáp án đúng": "A",
        "Giải thích": "Vì đó là quy định.",
        "Nguồn": "Nghị định 45/2020/NĐ-CP",
        "Ngày tham chiếu": "2020-05-22",
    }
    row.update(overrides)
    return row


def sheet(rows: list[dict], fmt: str = "xlsx") -> bytes:
    frame = pd.DataFrame(rows)
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    return buf.getvalue()


def import_sheet(rows, fmt="xlsx", **kw):
    return importing.import_file(sheet(rows, fmt), f"cau-hoi.{fmt}", **kw)


# --- each format -------------------------------------------------------------------------

def test_yaml_file_imports_as_approved_questions_with_options_in_order(app, db):
    report = importing.import_path(SAMPLE_YAML)
    assert report.ok and (report.created, report.updated, report.unchanged) == (3, 0, 0)
    db.session.commit()
    q = current(db, "TTHC-001")
    assert q.status == QuestionStatus.APPROVED and q.version == 1
    assert q.area.code == "TTHC" and q.difficulty == 1 and q.multiple is False
    assert [o.text for o in q.options] == ["Nghị định 45/2020/NĐ-CP", "Nghị định 61/2018/NĐ-CP", "Nghị định 42/2022/NĐ-CP"]
    assert [o.is_correct for o in q.options] == [True, False, False]
    assert q.reference_date == date(2020, 5, 22)
    assert q.search_text.startswith("nghi dinh nao quy dinh")
    assert current(db, "TTHC-002").multiple is True
    assert current(db, "TTHC-003").explanation is None


def test_importing_the_same_file_twice_changes_nothing(app, db):
    assert importing.import_path(SAMPLE_YAML).created == 3
    db.session.commit()
    before = db.session.execute(sa.select(Question.id, Question.content_hash, Question.status, Question.updated_at)).all()
    report = importing.import_path(SAMPLE_YAML)
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert db.session.execute(sa.select(Question.id, Question.content_hash, Question.status, Question.updated_at)).all() == before
    assert count(db, Option) == 8


def test_a_folder_is_one_all_or_nothing_import_and_errors_name_the_file(app, db, tmp_path):
    (tmp_path / "a.yaml").write_bytes(SAMPLE_YAML.read_bytes())
    (tmp_path / "b.yaml").write_text(
        "area: CV\nquestions:\n  - external_id: CV-1\n    text: Hỏi?\n    options:\n      - text: Một\n      - text: Hai\n",
        encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a bank file", encoding="utf-8")
    report = importing.import_path(tmp_path)
    assert not report.ok and count(db) == 0
    assert [(e.file, e.row, e.column) for e in report.errors] == [("b.yaml", 3, "Đáp án đúng")]
    assert "Không có phương án nào được đánh dấu đúng" in report.errors[0].message

    (tmp_path / "b.yaml").write_text((tmp_path / "b.yaml").read_text(encoding="utf-8").replace(
        "text: Một", "text: Một\n        correct: true"), encoding="utf-8")
    report = importing.import_path(tmp_path)
    assert report.ok and report.created == 4
    assert db.session.scalar(sa.select(ImportBatch.filename)) == "a.yaml, b.yaml"


def test_yaml_syntax_error_is_reported_with_its_line(app, db):
    with pytest.raises(ServiceError) as exc:
        importing.import_file(b"area: TTHC\nquestions:\n  - text: [unclosed\n", "x.yaml")
    assert exc.value.code == "file_corrupt" and "dòng" in exc.value.message


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_spreadsheet_import(app, db, fmt):
    rows = [good_row(1), good_row(2, **{"Đáp án đúng": "A, C", "Phương án D": "", "Ngày tham chiếu": "22/05/2020"})]
    report = import_sheet(rows, fmt, status=QuestionStatus.DRAFT)
    assert report.ok, report.errors
    assert report.created == 2
    q1, q2 = current(db, "X-1"), current(db, "X-2")
    assert q1.status == QuestionStatus.DRAFT and q1.difficulty == 2 and not q1.multiple
    assert q2.multiple and [o.is_correct for o in q2.options] == [True, False, True]
    assert q2.reference_date == date(2020, 5, 22) and len(q2.options) == 3


def test_excel_date_cells_and_area_names_are_understood(app, db):
    rows = [good_row(1, **{"Ngày tham chiếu": pd.Timestamp("2021-03-04"), "Lĩnh vực": "Cải cách chế độ công vụ"})]
    report = import_sheet(rows)
    assert report.ok, report.errors
    q = current(db, "X-1")
    assert q.reference_date == date(2021, 3, 4) and q.area.code == "CV"


GIFT = """// Câu hỏi mẫu: dòng chú thích bị bỏ qua
$CATEGORY: $course$/top/Thủ tục hành chính

// [id:TTHC-1] [tag:muc-do-2]
::TTHC-1::Nghị định nào quy định thực hiện thủ tục hành chính trên môi trường điện tử?{
 =Nghị định 45/2020/NĐ-CP#Đúng
 ~Nghị định 61/2018/NĐ-CP
 ~Nghị định 42/2022/NĐ-CP
 ####Nghị định 45/2020/NĐ-CP quy định việc này.
}

::DVCTT::Theo Nghị định 42/2022/NĐ-CP, dịch vụ công trực tuyến gồm những mức nào?{
 ~%50%Toàn trình
 ~%50%Một phần
 ~%-100%Mức độ 4
}

$CATEGORY: $course$/top/CQS

Tỷ lệ 100\\% hồ sơ? Ký tự thoát: \\{a\\} \\= \\~ \\# a\\:b{
 =Đúng là \\{x\\}
 ~Sai
}

Cổng Dịch vụ công quốc gia có địa chỉ dichvucong.gov.vn.{T}
"""


def test_gift_import_reads_moodle_syntax(app, db):
    report = importing.import_file(GIFT.encode(), "ngan-hang.gift")
    assert report.ok, report.errors
    assert report.created == 4
    q = current(db, "TTHC-1")
    assert q.area.code == "TTHC" and q.difficulty == 2 and q.multiple is False
    assert q.text == "Nghị định nào quy định thực hiện thủ tục hành chính trên môi trường điện tử?"
    assert [o.text for o in q.options][0] == "Nghị định 45/2020/NĐ-CP"  # feedback after # dropped
    assert q.explanation == "Nghị định 45/2020/NĐ-CP quy định việc này."
    multi = db.session.scalar(sa.select(Question).where(Question.text.startswith("Theo Nghị định 42")))
    assert multi.multiple is True and [o.is_correct for o in multi.options] == [True, True, False]
    assert [o.weight for o in multi.options] == [0.5, 0.5, -1.0]
    escaped = db.session.scalar(sa.select(Question).where(Question.text.startswith("Tỷ lệ")))
    assert escaped.area.code == "CQS"
    assert escaped.text == "Tỷ lệ 100\\% hồ sơ? Ký tự thoát: {a} = ~ # a:b"
    assert escaped.options[0].text == "Đúng là {x}"
    tf = db.session.scalar(sa.select(Question).where(Question.text.startswith("Cổng")))
    assert [(o.text, o.is_correct) for o in tf.options] == [("Đúng", True), ("Sai", False)]


@pytest.mark.parametrize("block, reason", [
    ("Viết cảm nghĩ về cải cách hành chính.{}", "tự luận"),
    ("Năm ban hành Nghị quyết 76?{#2021}", "dạng số"),
    ("Ghép cặp {=Một -> 1 =Hai -> 2 =Ba -> 3}", "ghép cặp"),
    ("Cơ quan thường trực CCHC là?{=Sở Nội vụ =Nội vụ}", "trả lời ngắn"),
    ("Bộ phận {=Một cửa ~Hai cửa} tiếp nhận hồ sơ.", "điền từ"),
    ("Đây chỉ là một đoạn mô tả, không có đáp án.", "mô tả"),
])
def test_gift_question_types_the_app_cannot_hold_are_reported_with_their_line(app, db, block, reason):
    text = "// đầu tệp\n\nCâu đúng?{=A ~B}\n\n\n" + block + "\n"
    report = importing.import_file(text.encode(), "x.txt", default_area_id=_area(db, "TC"))
    assert not report.ok and count(db) == 0
    assert [e.row for e in report.errors] == [6]
    assert reason in report.errors[0].message


def test_gift_several_equals_signs_mean_several_correct_on_a_single_answer_question(app, db):
    report = importing.import_file("Hỏi?{=A =B ~C}".encode(), "x.gift", default_area_id=_area(db, "TC"))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Đáp án đúng")]
    assert "chỉ có một đáp án" in report.errors[0].message


def test_gift_unknown_category_is_an_unknown_area(app, db):
    report = importing.import_file("$CATEGORY: $course$/top/Thể thao\n\nHỏi?{=A ~B}".encode(), "x.gift")
    assert [(e.row, e.column) for e in report.errors] == [(3, "Lĩnh vực")]
    assert "Thể thao" in report.errors[0].message


AIKEN = """Cơ quan nào là cơ quan thường trực công tác cải cách hành chính của tỉnh?
A) Sở Nội vụ
B) Sở Tư pháp
C) Sở Tài chính
D. Văn phòng UBND tỉnh
ANSWER: A

Nghị quyết 76/NQ-CP ban hành năm nào?
A) 2021
B) 2020
ANSWER: A
"""


def test_aiken_import_uses_the_chosen_area_and_difficulty(app, db):
    report = importing.import_file(AIKEN.encode(), "cau-hoi.txt", default_area_id=_area(db, "KH"), default_difficulty=3)
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.area.code for q in qs] == ["KH", "KH"] and {q.difficulty for q in qs} == {3}
    assert [o.text for o in qs[0].options] == ["Sở Nội vụ", "Sở Tư pháp", "Sở Tài chính", "Văn phòng UBND tỉnh"]
    assert [o.is_correct for o in qs[1].options] == [True, False]


@pytest.mark.parametrize("text, line, reason", [
    ("Hỏi một?\nA) X\nB) Y\n\nHỏi hai?\nA) X\nB) Y\nANSWER: A\n", 1, "ANSWER"),
    ("A) X\nB) Y\nANSWER: A\n", 1, "trước"),
    ("Hỏi?\nA) Chỉ một\nANSWER: A\n", 1, "ít nhất 2"),
    ("Hỏi?\nA) X\nB) Y\nANSWER: E\n", 1, "“E”"),
])
def test_aiken_errors(app, db, text, line, reason):
    report = importing.import_file(text.encode(), "x.aiken", default_area_id=_area(db, "TC"))
    assert not report.ok and count(db) == 0
    assert report.errors[0].row == line and reason in report.errors[0].message


def _area(db, code: str) -> int:
    return db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == code))


# --- bad rows: one test per class -----------------------------------------------------------

LONG = "x" * 1001


@pytest.mark.parametrize("overrides, column, fragment", [
    ({"Đáp án đúng": ""}, "Đáp án đúng", "Không có phương án nào được đánh dấu đúng"),
    ({"Đáp án đúng": "A, B", "Nhiều đáp án đúng": "Không"}, "Đáp án đúng", "chỉ có một đáp án"),
    ({"Phương án C": "đáp án ĐÚNG 3"}, "Phương án C", "trùng với phương án A"),
    ({"Phương án B": "", "Phương án C": ""}, "Phương án B", "ít nhất 2 phương án"),
    ({"Lĩnh vực": "Thể thao"}, "Lĩnh vực", "Không có lĩnh vực cải cách “Thể thao”: hãy ghi một trong các mã hoặc tên sau: TC (Cải cách thể chế)"),
    ({"Câu hỏi": "   "}, "Câu hỏi", "trống"),
    ({"Câu hỏi": LONG}, "Câu hỏi", "1000 ký tự"),
    ({"Phương án B": "y" * 501}, "Phương án B", "500 ký tự"),
    ({"Câu hỏi": "=HYPERLINK(\"http://x\")"}, "Câu hỏi", "công thức"),
    ({"Phương án B": "+1"}, "Phương án B", "công thức"),
    ({"Giải thích": "@SUM(A1)"}, "Giải thích", "công thức"),
    ({"Mức độ": 5}, "Mức độ", "1, 2 hoặc 3"),
    ({"Ngày tham chiếu": "hôm qua"}, "Ngày tham chiếu", "không phải ngày"),
    ({"Đáp án đúng": "E"}, "Đáp án đúng", "“E”"),
    ({"Phương án B": "", "Phương án C": "C"}, "Phương án B", "trống"),
    ({"Mã câu hỏi": "X-1"}, "Mã câu hỏi", "đã dùng ở dòng 2"),
    ({"Mã câu hỏi": "", "Câu hỏi": "Câu hỏi thử số 1 về CẢI CÁCH hành chính?"}, "Câu hỏi", "dòng 2"),
])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_bad_row_imports_nothing_and_is_named(app, db, overrides, column, fragment, fmt):
    rows = [good_row(1), good_row(2), good_row(3, **overrides)]
    report = import_sheet(rows, fmt)
    assert not report.ok
    assert count(db) == 0 and count(db, ImportBatch) == 0
    assert (report.errors[0].row, report.errors[0].column) == (4, column)
    assert fragment in report.errors[0].message, report.errors[0].message


def test_every_bad_row_is_reported_not_only_the_first(app, db):
    rows = [good_row(1, **{"Đáp án đúng": ""}), good_row(2), good_row(3, **{"Lĩnh vực": "??"})]
    report = import_sheet(rows, "csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "Đáp án đúng"), (4, "Lĩnh vực")]


def test_text_formats_get_the_same_validation(app, db):
    text = "Hỏi?{=Một ~một ~Hai}"
    report = importing.import_file(text.encode(), "x.gift", default_area_id=_area(db, "TC"))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Phương án B")]


def test_an_apostrophe_protects_text_that_starts_like_a_formula(app, db):
    report = import_sheet([good_row(1, **{"Phương án B": "'-5 điểm", "Câu hỏi": "'=Đúng hay sai?"})])
    assert report.ok, report.errors
    q = current(db, "X-1")
    assert q.text == "=Đúng hay sai?" and q.options[1].text == "-5 điểm"


def _cp1258(text: str) -> bytes:
    """Windows-1258, the legacy Vietnamese code page (what old Excel saves as CSV)."""
    return text.encode("cp1258", errors="replace")


# --- bad files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("content, name, code", [
    (b"%PDF-1.4", "cau-hoi.pdf", "file_type"),
    (b"PK\x03\x04 this is not really a zip", "cau-hoi.xlsx", "file_corrupt"),
    (b"just text", "cau-hoi.xlsx", "file_corrupt"),
    (_cp1258("Lĩnh vực,Câu hỏi\nTTHC,Câu hỏi?"), "cau-hoi.csv", "file_encoding"),
    ("Hỏi?{=Đúng ~Sai}".encode("utf-16"), "cau-hoi.gift", "file_encoding"),
    (_cp1258("Hỏi?\nA) Có\nB) Không\nANSWER: A"), "cau-hoi.txt", "file_encoding"),
    (b"area: TTHC\nquestions: []\n", "cau-hoi.yaml", "file_empty"),
    (b"Cau hoi,Phuong an A\nx,y\n", "cau-hoi.csv", "columns_missing"),
])
def test_bad_files_are_refused_with_a_clear_message(app, db, content, name, code):
    with pytest.raises(ServiceError) as exc:
        importing.import_file(content, name)
    assert exc.value.code == code
    assert count(db) == 0


def test_an_oversized_file_is_refused(app, db, monkeypatch):
    from quizapp.bank import formats

    monkeypatch.setattr(formats, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ServiceError) as exc:
        import_sheet([good_row(i) for i in range(1, 30)], "csv")
    assert exc.value.code == "file_too_large" and exc.value.status == 413


# --- versions -------------------------------------------------------------------------------

def test_a_changed_question_becomes_a_new_version(app, db):
    import_sheet([good_row(1), good_row(2)])
    db.session.commit()
    old = current(db, "X-1")
    report = import_sheet([good_row(1, **{"Giải thích": "Giải thích mới."}), good_row(2)])
    db.session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    new = current(db, "X-1")
    assert new.id != old.id and new.lineage == old.lineage and new.version == 2
    assert new.explanation == "Giải thích mới."
    db.session.refresh(old)
    assert old.status == QuestionStatus.SUPERSEDED and old.explanation == "Vì đó là quy định."


def test_without_an_external_id_a_question_is_matched_by_its_text_within_the_area(app, db):
    import_sheet([good_row(1, **{"Mã câu hỏi": ""})])
    db.session.commit()
    # Same text typed without diacritics differences? No: same text, different options.
    report = import_sheet([good_row(1, **{"Mã câu hỏi": "", "Phương án C": "Phương án mới"})])
    db.session.commit()
    assert (report.created, report.updated) == (0, 1)
    # The same text in another area is another question.
    report = import_sheet([good_row(1, **{"Mã câu hỏi": "", "Lĩnh vực": "CV"})])
    assert report.created == 1


def test_a_question_used_in_an_attempt_is_never_altered(app, db, make):
    import_sheet([good_row(1)])
    db.session.commit()
    used = current(db, "X-1")
    attempt = make.attempt_on(used)
    seen = (used.text, [(o.id, o.text, o.is_correct) for o in used.options])
    import_sheet([good_row(1, **{"Câu hỏi": "Nội dung đã sửa?", "Đáp án đúng": "B"})])
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(Question, used.id)
    assert (old.text, [(o.id, o.text, o.is_correct) for o in old.options]) == seen
    assert old.status == QuestionStatus.SUPERSEDED
    assert attempt.questions[0].question_id == old.id
    assert current(db, "X-1").text == "Nội dung đã sửa?"


def test_import_is_audited_and_recorded_as_a_batch(app, db, make):
    from quizapp.core.audit import AuditEntry

    user = make.user()
    report = importing.import_path(SAMPLE_YAML, actor_id=user.id)
    db.session.commit()
    batch = db.session.get(ImportBatch, report.batch_id)
    assert (batch.created, batch.imported_by_id, batch.filename) == (3, user.id, "bank_sample.yaml")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "bank.import"))
    assert entry.actor_id == user.id and entry.details["created"] == 3


# --- the command line ---------------------------------------------------------------------------

def test_cli_imports_a_folder_and_shows_progress(app, db, runner, tmp_path):
    (tmp_path / "tthc.yaml").write_bytes(SAMPLE_YAML.read_bytes())
    result = runner.invoke(args=["bank", "import", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "3 câu hỏi mới" in result.output
    assert "Ghi vào ngân hàng" in result.output  # the progress bar's label (on stderr)
    assert count(db, Question, Question.status == QuestionStatus.APPROVED) == 3


def test_cli_reports_row_errors_and_imports_nothing(app, db, runner, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(sheet([good_row(1), good_row(2, **{"Đáp án đúng": ""})], "csv"))
    result = runner.invoke(args=["bank", "import", str(path), "--status", "draft"])
    assert result.exit_code == 1
    assert "x.csv: dòng 3, Đáp án đúng: Không có phương án nào" in result.output
    assert count(db) == 0


def test_cli_aiken_with_area_option(app, db, runner, tmp_path):
    path = tmp_path / "x.txt"
    path.write_text(AIKEN, encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--area", "CV", "--difficulty", "2"])
    assert result.exit_code == 0, result.output
    assert count(db, Question, Question.area_id == _area(db, "CV"), Question.difficulty == 2) == 2


# --- Word (.docx) -------------------------------------------------------------------------------

def _docx(build) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _paragraphs(document, lines):
    for line in lines:
        if isinstance(line, tuple):  # (text, bold) runs of one paragraph
            paragraph = document.add_paragraph()
            for text, bold in line:
                paragraph.add_run(text).bold = bold
        else:
            document.add_paragraph(line)


def test_word_file_in_the_organisers_layout_imports(app, db):
    data = _docx(lambda d: _paragraphs(d, [
        "BỘ CÂU HỎI THI TÌM HIỂU CẢI CÁCH HÀNH CHÍNH NĂM 2026",
        "Lĩnh vực: TTHC",
        "Câu 1: Nghị định nào quy định việc thực hiện thủ tục hành chính",
        "trên môi trường điện tử?",
        "A. Nghị định 45/2020/NĐ-CP",
        "B. Nghị định 61/2018/NĐ-CP",
        "C. Nghị định 42/2022/NĐ-CP",
        "D. Nghị định 107/2021/NĐ-CP",
        "Đáp án: A",
        "Mức độ: 2",
        "Nguồn: Nghị định 45/2020/NĐ-CP ngày 08/4/2020",
        "Ngày tham chiếu: 22/05/2020",
        "",
        "Câu 2. Dịch vụ công trực tuyến gồm những mức nào?",
        "A. Toàn trình\tB. Một phần\tC. Mức độ 4",
        "Đáp án đúng: A, B",
        "Câu 3: Cơ quan nào là cơ quan thường trực công tác cải cách hành chính của tỉnh?",
        (("A. ", True), ("Sở Nội vụ", True)),
        (("B. Sở Tư pháp", False),),
        (("C. Văn phòng ", False), ("UBND", False), (" tỉnh", False)),
        "Câu 4: Năm nào Chính phủ ban hành Nghị quyết 76/NQ-CP?",
        (("a) 2019    ", False), ("b) 2021", True), ("    c) 2023", False)),
    ]))
    report = importing.import_file(data, "de-thi.docx", default_area_id=_area(db, "CV"))
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.area.code for q in qs] == ["TTHC"] * 4
    q1, q2, q3, q4 = qs
    assert q1.text == "Nghị định nào quy định việc thực hiện thủ tục hành chính\ntrên môi trường điện tử?"
    assert [o.is_correct for o in q1.options] == [True, False, False, False] and q1.difficulty == 2
    assert q1.source == "Nghị định 45/2020/NĐ-CP ngày 08/4/2020" and q1.reference_date == date(2020, 5, 22)
    assert [(o.text, o.is_correct) for o in q2.options] == [("Toàn trình", True), ("Một phần", True), ("Mức độ 4", False)]
    assert q2.multiple
    assert [(o.text, o.is_correct) for o in q3.options] == [
        ("Sở Nội vụ", True), ("Sở Tư pháp", False), ("Văn phòng UBND tỉnh", False)]
    assert [(o.text, o.is_correct) for o in q4.options] == [("2019", False), ("2021", True), ("2023", False)]


def test_word_numbered_lists_and_underlined_answers(app, db):
    from docx.oxml import parse_xml

    ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def build(document):
        numbering = document.part.numbering_part.element
        numbering.append(parse_xml(
            f'<w:abstractNum {ns} w:abstractNumId="90"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="Câu %1:"/></w:lvl><w:lvl w:ilvl="1"><w:numFmt w:val="upperLetter"/>'
            '<w:lvlText w:val="%2."/></w:lvl></w:abstractNum>'))
        numbering.append(parse_xml(f'<w:num {ns} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

        def item(text, level, underline=False):
            paragraph = document.add_paragraph()
            paragraph._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr {ns}><w:ilvl w:val="{level}"/><w:numId w:val="90"/></w:numPr>'))
            paragraph.add_run(text).underline = underline

        item("Bộ phận Một cửa cấp tỉnh đặt ở đâu?", 0)
        item("Văn phòng UBND tỉnh", 1)
        item("Trung tâm Phục vụ hành chính công", 1, underline=True)
        item("Sở Nội vụ", 1)
        item("Thủ tục hành chính được công bố ở đâu?", 0)
        item("Cơ sở dữ liệu quốc gia về thủ tục hành chính", 1, underline=True)
        item("Báo Nhân dân", 1)

    report = importing.import_file(_docx(build), "danh-so.docx", default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [q.text for q in qs] == ["Bộ phận Một cửa cấp tỉnh đặt ở đâu?", "Thủ tục hành chính được công bố ở đâu?"]
    assert [o.is_correct for o in qs[0].options] == [False, True, False]
    assert [o.is_correct for o in qs[1].options] == [True, False]


def test_word_table_with_vietnamese_headings_imports(app, db):
    def build(document):
        document.add_paragraph("Bảng câu hỏi")
        rows = [["STT", "Câu hỏi", "A", "B", "C", "D", "Đáp án"],
                ["1", "Bộ phận Một cửa cấp xã thuộc cơ quan nào?", "UBND cấp xã", "Công an xã", "Đảng ủy", "Hội đồng nhân dân", "A"],
                ["2", "Dịch vụ công trực tuyến toàn trình là gì?", "Thực hiện trọn vẹn trên môi trường mạng",
                 "Nộp hồ sơ giấy", "Gọi điện thoại", "Gửi thư", "a"]]
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                table.cell(r, c).text = value

    report = importing.import_file(_docx(build), "bang.docx", default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [len(q.options) for q in qs] == [4, 4] and all(q.options[0].is_correct for q in qs)


@pytest.mark.parametrize("lines, row, fragment", [
    (["Câu 1: Hỏi?", "A. Có", "B. Không"], 1, "in đậm"),
    (["Câu 1: Hỏi?", "A. Có", "B. Không", "Đáp án: E"], 1, "“E”"),
    (["Câu 1: Hỏi?", "A. Có", "B. Không", "Đáp án: A", "Một đoạn lạc chỗ"], 5, "không phải câu hỏi"),
    (["Câu 1: Hỏi?", "A. Có", "Đáp án: A"], 1, "ít nhất 2"),
])
def test_word_file_errors_name_the_paragraph_and_import_nothing(app, db, lines, row, fragment):
    report = importing.import_file(_docx(lambda d: _paragraphs(d, ["Câu 0: Đúng?", "A. Có", "B. Không", "Đáp án: A"] + lines)),
                              "x.docx", default_area_id=_area(db, "TC"))
    assert not report.ok and count(db) == 0
    assert report.errors[0].row == row + 4 and fragment in report.errors[0].message, report.errors


def test_word_template_downloads_and_imports_as_it_is(client, db, make, auth):
    from quizapp.auth.models import Role

    auth.login(make.user(role=Role.ORGANISER))
    resp = client.get("/admin/bank/template.docx")
    assert resp.status_code == 200 and "mau-nhap-cau-hoi.docx" in resp.headers["Content-Disposition"]
    report = importing.import_file(resp.data, "mau-nhap-cau-hoi.docx")
    assert report.ok, report.errors
    assert report.created == 3
    q = current(db, "TTHC-001")
    assert q.reference_date == date(2020, 5, 22) and q.source.startswith("Nghị định 45/2020")
    assert count(db, Question, Question.multiple.is_(True)) == 1


# --- Excel as organisers send it ----------------------------------------------------------------

def _typed_workbook() -> bytes:
    """A sheet as an organiser builds it: a title row, STT, and option cells typed as date, %, money."""
    import openpyxl
    from datetime import datetime

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Hướng dẫn"
    notes.append(["Điền câu hỏi ở trang tính thứ hai."])
    ws = book.create_sheet("Câu hỏi")
    ws.append(["NGÂN HÀNG CÂU HỎI CẢI CÁCH HÀNH CHÍNH"])
    ws.append([])
    ws.append(["STT", "Lĩnh vực", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án", "Ngày tham chiếu"])
    ws.append([1, "TTHC", "Nghị định 45/2020/NĐ-CP có hiệu lực từ ngày nào?",
               datetime(2020, 5, 22), datetime(2020, 4, 8), datetime(2021, 1, 1), "A", datetime(2020, 5, 22)])
    ws.append([2, "TCC", "Tỷ lệ chi thường xuyên tối đa được giữ lại là bao nhiêu?", 0.5, 0.125, 1, "b", None])
    ws.append([3, "TCC", "Mức phí cấp bản sao là bao nhiêu?", 1500000, 20000.5, 3, "C", None])
    for cell, fmt in (("D4", "dd/mm/yyyy"), ("E4", "d/m/yyyy"), ("F4", "yyyy-mm-dd"), ("H4", "mm/dd/yyyy"),
                      ("D5", "0%"), ("E5", "0.0%"), ("F5", "0%"),
                      ("D6", "#,##0"), ("E6", '#,##0.00 "đ"'), ("F6", "General")):
        ws[cell].number_format = fmt
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_typed_excel_cells_are_imported_as_the_organiser_saw_them(app, db):
    report = importing.import_file(_typed_workbook(), "ngan-hang.xlsx")
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [[o.text for o in q.options] for q in qs] == [
        ["22/05/2020", "8/4/2020", "2021-01-01"],
        ["50%", "12,5%", "100%"],
        ["1.500.000", "20.000,50 đ", "3"],
    ]
    assert qs[0].reference_date == date(2020, 5, 22)  # a date cell is a date whatever its format
    assert [o.is_correct for o in qs[1].options] == [False, True, False]


def test_rows_are_numbered_as_in_the_sheet_below_title_rows(app, db):
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["DANH SÁCH CÂU HỎI"])
    ws.append(list(good_row(1)))
    ws.append(list(good_row(1).values()))
    ws.append(list(good_row(2, **{"Đáp án đúng": "②"}).values()))
    ws.append(list(good_row(3, **{"Đáp án đúng": "9" * 5000}).values()))
    buf = io.BytesIO()
    book.save(buf)
    report = importing.import_file(buf.getvalue(), "x.xlsx")
    assert {(e.row, e.column) for e in report.errors} == {(4, "Đáp án đúng"), (5, "Đáp án đúng")}
    assert "“②”" in report.errors[0].message
    assert all(len(e.message) < 200 for e in report.errors)
    assert count(db) == 0


@pytest.mark.parametrize("headings, fragment", [
    (["STT", "Nội dung hỏi", "Phương án A", "Phương án B", "Đáp án"], "đổi tên cột “Nội dung hỏi” thành “Câu hỏi”"),
    (["STT", "Câu hỏi", "Phương án 1", "Phương án B", "Đáp án"], "đổi tên cột “Phương án 1” thành “Phương án A”"),
    (["STT", "Câu hỏi", "Phương án A", "Phương án B"], "thêm cột “Đáp án đúng”"),
])
def test_a_heading_organisers_misspell_is_named_with_what_to_rename(app, db, headings, fragment):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Tiêu đề bảng"])
    book.active.append(headings)
    book.active.append(["1", "Hỏi?", "Có", "Không", "A"])
    buf = io.BytesIO()
    book.save(buf)
    with pytest.raises(ServiceError) as exc:
        importing.import_file(buf.getvalue(), "x.xlsx")
    assert exc.value.code == "columns_missing" and "dòng 2" in exc.value.message
    assert fragment in exc.value.message, exc.value.message


@pytest.mark.parametrize("encoding, delimiter", [("utf-8", ";"), ("utf-8-sig", ";"), ("utf-16", "\t"), ("utf-8", "\t")])
def test_csv_with_semicolons_or_excel_unicode_text_and_a_title_row(app, db, encoding, delimiter):
    rows = [good_row(1, **{"Câu hỏi": "Theo Nghị định 45, 61 và 42, ai tiếp nhận hồ sơ?"}), good_row(2)]
    text = "Ngân hàng câu hỏi\n" + pd.DataFrame(rows).to_csv(index=False, sep=delimiter)
    report = importing.import_file(text.encode(encoding), "cau-hoi.csv")
    assert report.ok, report.errors
    assert current(db, "X-1").text == "Theo Nghị định 45, 61 và 42, ai tiếp nhận hồ sơ?"


# --- Aiken as people write it, format by content -----------------------------------------------------

def test_aiken_as_people_write_it(app, db):
    text = "\n".join([
        "Những mức nào là dịch vụ công trực tuyến?", "A) Toàn trình", "B) Một phần", "C) Mức độ 4", "ANSWER: A, B", "",
        "Hai mức nào đúng?", "A. Một", "B. Hai", "C. Ba", "ANSWER: AC", "",
        "Tập hợp {1, 2} có mấy phần tử?", "a) Một", "b) Hai", "Answer: B", "",
        "Ai tiếp nhận hồ sơ?", "a) Bộ phận Một cửa", "b) Văn thư", "ANSWER : A", "",
        "Cơ quan thường trực CCHC của tỉnh?", "A. Sở Nội vụ", "B. Sở Tư pháp", "Đáp án: A",
    ])
    report = importing.import_file(text.encode(), "aiken.txt", default_area_id=_area(db, "TC"))
    assert report.ok, report.errors
    qs = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [[o.is_correct for o in q.options] for q in qs] == [
        [True, True, False], [True, False, True], [False, True], [True, False], [True, False]]
    assert [q.multiple for q in qs] == [True, True, False, False, False]
    assert qs[2].text == "Tập hợp {1, 2} có mấy phần tử?"


# --- what a GIFT/Moodle corpus showed ----------------------------------------------------------------

def test_gift_per_answer_format_markers_are_not_option_text(app, db):
    text = ("Màu nào?{\n ~[plain]xanh\n =[html]<b>đỏ</b>\n ~[markdown]vàng\n}\n\n"
            "[html]Is 3 < 5 and 7 > 6?{=<i>Yes</i> ~No}\n")
    report = importing.import_file(text.encode(), "x.gift", default_area_id=_area(db, "TC"))
    assert report.ok, report.errors
    q1, q2 = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
    assert [o.text for o in q1.options] == ["xanh", "đỏ", "vàng"]
    assert q2.text == "Is 3 < 5 and 7 > 6?" and [o.text for o in q2.options] == ["Yes", "No"]


def test_gift_partial_credit_in_a_single_answer_question_is_refused_naming_the_option(app, db):
    report = importing.import_file("Hỏi?{=Đúng ~%50%Gần đúng ~Sai}".encode(), "x.gift", default_area_id=_area(db, "TC"))
    assert [(e.row, e.column) for e in report.errors] == [(1, "Phương án B")]
    assert "50%" in report.errors[0].message and count(db) == 0


def test_gift_moodle_categories_map_to_areas_or_fall_back_to_the_chosen_area(app, db, runner, tmp_path):
    text = ("$CATEGORY: $course$/top/Default for CCHC/Thủ tục\n\nHỏi một?{=A ~B}\n\n"
            "$CATEGORY: $course$/top/Chương 2\n\nHỏi hai?{=A ~B}\n")
    report = importing.import_file(text.encode(), "x.gift")
    assert [e.row for e in report.errors] == [3, 7] and "Thủ tục" in report.errors[0].message
    report = importing.import_file(text.encode(), "x.gift", category_map={"Thủ tục": "TTHC", "Chương 2": "CV"})
    assert report.ok, report.errors
    assert [q.area.code for q in db.session.scalars(sa.select(Question).order_by(Question.id))] == ["TTHC", "CV"]
    db.session.rollback()
    path = tmp_path / "x.gift"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["bank", "import", str(path), "--category", "Thủ tục=TTHC", "--area", "KH"])
    assert result.exit_code == 0, result.output
    assert [q.area.code for q in db.session.scalars(sa.select(Question).order_by(Question.id))] == ["TTHC", "KH"]


def test_import_form_takes_a_category_map(client, db, make, auth):
    from tests.test_bank_editor import csrf_token
    from quizapp.auth.models import Role

    auth.login(make.user(role=Role.ORGANISER))
    data = {"csrf_token": csrf_token(client, "/admin/bank/import"), "status": "approved", "default_area_id": 0,
            "default_difficulty": 1, "category_map": "Chương 2 = CV",
            "file": (io.BytesIO("$CATEGORY: $course$/top/Chương 2\n\nHỏi?{=A ~B}\n".encode()), "x.gift")}
    resp = client.post("/admin/bank/import", data=data, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(Question)).area.code == "CV"


# --- Moodle XML -----------------------------------------------------------------------------------

MOODLE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/Thủ tục hành chính</text></category></question>
  <question type="multichoice">
    <name><text>TTHC-9</text></name>
    <questiontext format="html"><text><![CDATA[<p>Nghị định nào quy định <b>một cửa</b>?</p>]]></text></questiontext>
    <generalfeedback format="html"><text>Nghị định 61/2018/NĐ-CP.</text></generalfeedback>
    <single>true</single>
    <answer fraction="100" format="html"><text>Nghị định 61/2018/NĐ-CP</text><feedback><text>Đúng</text></feedback></answer>
    <answer fraction="0" format="html"><text>Nghị định 45/2020/NĐ-CP</text></answer>
    <idnumber>TTHC-9</idnumber>
    <tags><tag><text>muc-do-3</text></tag></tags>
  </question>
  <question type="multichoice">
    <name><text>Nhiều đáp án</text></name>
    <questiontext format="plain_text"><text>Mức nào là dịch vụ công trực tuyến?</text></questiontext>
    <single>false</single>
    <answer fraction="50"><text>Toàn trình</text></answer>
    <answer fraction="50"><text>Một phần</text></answer>
    <answer fraction="-100"><text>Mức độ 4</text></answer>
  </question>
  <question type="truefalse">
    <questiontext format="html"><text>Cổng Dịch vụ công quốc gia là dichvucong.gov.vn.</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
</quiz>
"""


def test_moodle_xml_multichoice_and_truefalse_import(app, db):
    report = importing.import_file(MOODLE_XML.encode(), "moodle.xml")
    assert report.ok, report.errors
    q = current(db, "TTHC-9")
    assert q.area.code == "TTHC" and q.difficulty == 3 and q.text == "Nghị định nào quy định một cửa?"
    assert q.explanation == "Nghị định 61/2018/NĐ-CP." and [o.is_correct for o in q.options] == [True, False]
    multi = db.session.scalar(sa.select(Question).where(Question.text.startswith("Mức nào")))
    assert multi.multiple and [o.is_correct for o in multi.options] == [True, True, False]
    tf = db.session.scalar(sa.select(Question).where(Question.text.startswith("Cổng")))
    assert [(o.text, o.is_correct) for o in tf.options] == [("Đúng", True), ("Sai", False)]


def test_moodle_xml_other_types_are_reported_as_unsupported_with_their_line(app, db):
    text = MOODLE_XML.replace('<question type="truefalse">', '<question type="shortanswer">')
    report = importing.import_file(text.encode(), "moodle.xml")
    assert not report.ok and count(db) == 0
    line = text[:text.index('"shortanswer"')].count("\n") + 1
    assert [(e.row, e.column) for e in report.errors] == [(line, "")]
    assert "shortanswer" in report.errors[0].message


@pytest.mark.parametrize("content", [
    b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><quiz>&b;</quiz>',
    b'<?xml version="1.0"?><!DOCTYPE quiz SYSTEM "file:///etc/passwd"><quiz/>',
    b"<quiz>" + b"<a>" * 1000 + b"</a>" * 1000 + b"</quiz>",
    b"<quiz><question",
])
def test_moodle_xml_with_entities_doctype_or_deep_nesting_is_refused(app, db, content):
    with pytest.raises(ServiceError) as exc:
        importing.import_file(content, "x.xml")
    assert exc.value.code == "file_corrupt" and count(db) == 0


