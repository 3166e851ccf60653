"""Imports that never guess (issue 21, items 11 and 12): real Vietnamese files, one test per case.

Item 11: what was silently stored wrong is now kept as written or refused.
Item 12: what was refused without advice now imports, or the refusal names the
row/paragraph and the change to make.  Every file is built here.
"""
from __future__ import annotations

import io

import openpyxl
import pytest
import sqlalchemy as sa

from quizapp.bank import editor, exporting, importing
from quizapp.bank.formats.records import OptionRecord, QuestionRecord
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from quizapp.core.errors import ServiceError
from tests.test_bank_import import _docx

HEAD = ["Lĩnh vực", "Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Đáp án đúng"]


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Question))


def _questions(db) -> list[Question]:
    return db.session.scalars(sa.select(Question).where(Question.status != QuestionStatus.SUPERSEDED)
                              .order_by(Question.id)).all()


def _area(db, code: str) -> int:
    return db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == code))


def _xlsx(rows: list[list], extra=None) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    if extra:
        extra(book.active)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _lines(*paragraphs):
    def build(document):
        for p in paragraphs:
            if isinstance(p, tuple):
                document.add_paragraph(p[0], style=p[1])
            else:
                document.add_paragraph(p)
    return build


# --- item 11: silently wrong ---------------------------------------------------------------------------

def test_option_columns_with_a_gap_are_refused_naming_the_missing_column(app, db):
    """A, B, D with key C stored D's text as option C marked correct."""
    content = _xlsx([["Lĩnh vực", "Câu hỏi", "Phương án A", "Phương án B", "Phương án D", "Đáp án đúng"],
                     ["TTHC", "Hỏi?", "Một", "Hai", "Bốn", "C"]])
    with pytest.raises(ServiceError) as exc:
        importing.import_file(content, "khuyet.xlsx")
    assert exc.value.code == "columns_missing"
    assert "Có cột “Phương án D” nhưng không có cột “Phương án C”" in exc.value.message
    assert _count(db) == 0


def test_a_number_excel_has_rounded_is_refused_in_its_cell_not_stored_as_other_digits(app, db):
    """12345678901234567890 typed in a Number cell was stored as 12345678901234569216."""
    content = _xlsx([HEAD, ["TTHC", "Số định danh nào đúng?", 12345678901234567890.0, "Khác", "Không có", "A"]])
    report = importing.import_file(content, "so.xlsx")
    assert not report.ok and _count(db) == 0
    error = report.errors[0]
    assert (error.row, error.column) == (2, "Phương án A")
    assert "hơn 15 chữ số" in error.message and "Văn bản (Text)" in error.message


def test_question_numbering_is_dropped_from_aiken_and_word_as_text(app, db):
    text = ("Câu 1: Cơ quan nào thường trực CCHC của tỉnh?\nA. Sở Nội vụ\nB. Sở Tư pháp\nANSWER: A\n\n"
            "2. Bộ phận Một cửa đặt ở đâu?\nA) Ủy ban nhân dân\nB) Nhà văn hóa\nANSWER: A\n")
    report = importing.import_file(text.encode(), "word-luu-thanh-van-ban.txt", default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    assert [q.text for q in _questions(db)] == ["Cơ quan nào thường trực CCHC của tỉnh?", "Bộ phận Một cửa đặt ở đâu?"]


def test_gift_html_comments_never_reach_entrants(app, db):
    text = ("$CATEGORY: $course$/top/TTHC\n\n"
            "[html]Bộ phận Một cửa<!-- kiểm tra lại --> đặt ở đâu? {=Ủy ban ~Nhà văn hóa "
            "####<p>Theo Nghị định 61/2018.<!-- ghi chú nội bộ: đáp án cũ là B --></p>}\n")
    report = importing.import_file(text.encode(), "ghi-chu.gift")
    assert report.ok, report.errors
    q = _questions(db)[0]
    assert q.text == "Bộ phận Một cửa đặt ở đâu?" and q.explanation == "Theo Nghị định 61/2018."
    assert "nội bộ" not in q.explanation and "<!--" not in q.text


def test_moodle_xml_pre_keeps_its_line_ends_and_indentation(app, db):
    xml = """<?xml version="1.0"?><quiz>
  <question type="category"><category><text>$course$/top/TTHC</text></category></question>
  <question type="multichoice"><name><text>q</text></name>
    <questiontext format="html"><text><![CDATA[<p>Mẫu đơn ghi:</p><pre>Kính gửi:
    - UBND xã
    - Bộ phận Một cửa</pre>]]></text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>Đúng mẫu</text></answer><answer fraction="0"><text>Sai mẫu</text></answer>
  </question></quiz>"""
    report = importing.import_file(xml.encode(), "pre.xml")
    assert report.ok, report.errors
    assert _questions(db)[0].text == "Mẫu đơn ghi:\nKính gửi:\n    - UBND xã\n    - Bộ phận Một cửa"


def test_a_gift_id_split_over_two_comment_lines_is_refused_not_stored_as_a_comment(app, db):
    text = "// [id:TTHC-\n// 001]\n::T:: Hỏi? {=Có ~Không}\n"
    report = importing.import_file(text.encode(), "id.gift", default_area_id=_area(db, "TTHC"))
    assert not report.ok and _count(db) == 0
    assert report.errors[0].row == 3 and "trên một dòng" in report.errors[0].message


def _record(text: str, options=("Có", "Không"), explanation: str = "") -> QuestionRecord:
    return QuestionRecord(row=1, area="TTHC", text=text, explanation=explanation,
                          options=[OptionRecord(t, i == 0) for i, t in enumerate(options)])


def test_crlf_from_the_web_editor_is_one_newline_and_a_re_import_is_unchanged(app, db):
    question = editor.create_question(_record("Dòng một\r\nDòng hai?", explanation="Vì\r\nthế."), None)
    db.session.commit()
    assert question.text == "Dòng một\nDòng hai?" and question.explanation == "Vì\nthế."
    gift = exporting.export("gift")
    assert b"\r" not in gift
    report = importing.import_file(gift, "lai.gift")
    assert report.ok and (report.unchanged, report.created, report.updated) == (1, 0, 0)


@pytest.mark.parametrize("fmt, name", [("gift", "vong.gift"), ("xml", "vong.xml")])
def test_gift_and_xml_round_trips_keep_spaces_nbsp_and_a_leading_html_marker(app, db, fmt, name):
    editor.create_question(_record("Dòng một \nDòng hai có 10\xa0000 đồng?",
                                   options=("[html]<b>đậm</b> là chữ", "Khác\xa0hẳn")), None)
    db.session.commit()
    before = [(q.text, [o.text for o in q.options]) for q in _questions(db)]
    report = importing.import_file(exporting.export(fmt), name)
    assert report.ok, report.errors
    assert (report.unchanged, report.created, report.updated) == (1, 0, 0)
    assert [(q.text, [o.text for o in q.options]) for q in _questions(db)] == before


# --- item 12: refused without saying what to change ----------------------------------------------------

def test_word_with_numbering_typed_by_hand_imports(app, db):
    content = _docx(_lines("Lĩnh vực: TTHC", "1. Bộ phận Một cửa đặt ở đâu?", "A. Ủy ban nhân dân", "B. Nhà văn hóa",
                           "Đáp án: A", "2) Ai ký quyết định?", "A. Chủ tịch", "B. Văn thư", "Đáp án: A"))
    report = importing.import_file(content, "so-go-tay.docx")
    assert report.ok, report.errors
    assert [q.text for q in _questions(db)] == ["Bộ phận Một cửa đặt ở đâu?", "Ai ký quyết định?"]


def test_word_list_styles_make_questions_and_options(app, db):
    """Questions in "List Number", options in "List Number 2" (or bulleted): 15 × "at least 2 options" before."""
    content = _docx(_lines("Lĩnh vực: TTHC", ("Bộ phận Một cửa đặt ở đâu?", "List Number"),
                           ("Ủy ban nhân dân", "List Number 2"), ("Nhà văn hóa", "List Number 2"), "Đáp án: A",
                           ("Ai ký quyết định?", "List Number"), ("Chủ tịch", "List Bullet"),
                           ("Văn thư", "List Bullet"), "Đáp án: A"))
    report = importing.import_file(content, "kieu-danh-sach.docx")
    assert report.ok, report.errors
    assert [[o.text for o in q.options] for q in _questions(db)] == [["Ủy ban nhân dân", "Nhà văn hóa"],
                                                                     ["Chủ tịch", "Văn thư"]]


@pytest.mark.parametrize("fmt", ["docx", "aiken"])
def test_options_written_with_a_dash_are_options(app, db, fmt):
    lines = ["Bộ phận Một cửa đặt ở đâu?", "A- Ủy ban nhân dân", "B – Nhà văn hóa", "C- Nhà riêng"]
    if fmt == "docx":
        content, name = _docx(_lines("Lĩnh vực: TTHC", "Câu 1: " + lines[0], *lines[1:], "Đáp án: A")), "gach.docx"
    else:
        content, name = ("\n".join(lines + ["ANSWER: A"]) + "\n").encode(), "gach.txt"
    report = importing.import_file(content, name, default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    assert [o.text for o in _questions(db)[0].options] == ["Ủy ban nhân dân", "Nhà văn hóa", "Nhà riêng"]


@pytest.mark.parametrize("written, code", [
    ("Cải cách TTHC", "TTHC"),
    ("Xây dựng và phát triển Chính phủ điện tử, Chính phủ số", "CQS"),
    ("Lĩnh vực cải cách tổ chức bộ máy HCNN", "TCBM"),
])
def test_an_area_written_as_in_the_government_programme_is_that_area(app, db, written, code):
    report = importing.import_file(_xlsx([HEAD, [written, "Hỏi?", "Có", "Không", "Chưa rõ", "A"]]), "lv.xlsx")
    assert report.ok, report.errors
    assert _questions(db)[0].area.code == code


def test_an_unknown_area_lists_the_valid_codes_and_names(app, db):
    report = importing.import_file(_xlsx([HEAD, ["Cải cách kinh tế", "Hỏi?", "Có", "Không", "Chưa rõ", "A"]]), "x.xlsx")
    assert not report.ok
    message = report.errors[0].message
    assert "“Cải cách kinh tế”" in message and "TTHC (Cải cách thủ tục hành chính)" in message
    assert "CQS (Xây dựng, phát triển Chính phủ điện tử, Chính phủ số)" in message


def test_a_stray_cell_at_the_last_excel_row_is_named_not_counted_as_20000_questions(app, db):
    def stray(sheet):
        sheet.cell(row=1_048_576, column=2, value="x")
    content = _xlsx([HEAD, ["TTHC", "Hỏi?", "Có", "Không", "Chưa rõ", "A"]], stray)
    report = importing.import_file(content, "o-lac.xlsx")
    assert not report.ok and _count(db) == 0
    assert {e.row for e in report.errors} == {1_048_576}


def test_blank_rows_down_to_the_last_excel_row_are_skipped(app, db):
    def blank(sheet):
        sheet.cell(row=1_048_576, column=1, value=" ")
    report = importing.import_file(_xlsx([HEAD, ["TTHC", "Hỏi?", "Có", "Không", "Chưa rõ", "A"]], blank), "x.xlsx")
    assert report.ok, report.errors
    assert _count(db) == 1


def test_a_valid_word_file_with_a_long_paragraph_names_the_paragraph(app, db):
    content = _docx(_lines("Lĩnh vực: TTHC", "Câu 1: Bộ phận Một cửa đặt ở đâu? " + "rất dài " * 9000,
                           "A. Có", "B. Không", "Đáp án: A"))
    with pytest.raises(ServiceError) as exc:
        importing.import_file(content, "dai.docx")
    assert exc.value.code == "file_long_paragraph"
    assert "bắt đầu bằng “Câu 1: Bộ phận Một cửa đặt ở đâu? rất dài" in exc.value.message, exc.value.message
    assert "hãy rút gọn hoặc tách thành nhiều đoạn" in exc.value.message


def test_gift_true_false_with_a_tilde_in_its_feedback_is_true_false(app, db):
    report = importing.import_file("Hà Nội là thủ đô? {T#khoảng ~5 triệu dân}\n".encode(), "tf.gift",
                                   default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    assert [(o.text, o.is_correct) for o in _questions(db)[0].options] == [("Đúng", True), ("Sai", False)]


def test_an_aiken_question_over_two_lines_is_one_question(app, db):
    text = "Theo Nghị định 61/2018/NĐ-CP,\nBộ phận Một cửa đặt ở đâu?\nA. Ủy ban\nB. Nhà văn hóa\nANSWER: A\n"
    report = importing.import_file(text.encode(), "hai-dong.txt", default_area_id=_area(db, "TTHC"))
    assert report.ok, report.errors
    assert _questions(db)[0].text == "Theo Nghị định 61/2018/NĐ-CP,\nBộ phận Một cửa đặt ở đâu?"


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_two_level_heading_is_understood(app, db, fmt):
    rows = [["Lĩnh vực", "Câu hỏi", "Phương án", "", "", "Đáp án đúng"],
            ["", "", "A", "B", "C", ""],
            ["TTHC", "Bộ phận Một cửa đặt ở đâu?", "Ủy ban", "Nhà văn hóa", "Nhà riêng", "A"]]
    if fmt == "xlsx":
        content = _xlsx(rows, lambda s: s.merge_cells("C1:E1"))
    else:
        content = "\n".join(",".join(r) for r in rows).encode()
    report = importing.import_file(content, f"hai-tang.{fmt}")
    assert report.ok, report.errors
    q = _questions(db)[0]
    assert [o.text for o in q.options] == ["Ủy ban", "Nhà văn hóa", "Nhà riêng"] and q.options[0].is_correct


def test_no_area_says_which_column_or_default_to_give(app, db):
    content = _xlsx([["Câu hỏi", "Phương án A", "Phương án B", "Đáp án đúng"], ["Hỏi?", "Có", "Không", "A"]])
    report = importing.import_file(content, "khong-linh-vuc.xlsx")
    assert not report.ok
    message = report.errors[0].message
    assert (report.errors[0].row, report.errors[0].column) == (2, "Lĩnh vực")
    assert "hãy điền cột “Lĩnh vực”" in message and "chọn lĩnh vực mặc định" in message


def test_a_9_mb_attribute_is_not_echoed_whole(app, db):
    xml = ('<?xml version="1.0"?><quiz><question type="' + "x" * (9 * 2**20) + '"><name><text>q</text></name>'
           "</question></quiz>").encode()
    report = importing.import_file(xml, "thuoc-tinh.xml", default_area_id=_area(db, "TTHC"))
    assert not report.ok
    assert len(report.errors[0].message) < 300 and "xxx…" in report.errors[0].message


def test_an_empty_word_file_says_how_questions_are_written(app, db):
    content = _docx(_lines("ĐỀ THI TÌM HIỂU CẢI CÁCH HÀNH CHÍNH"))
    with pytest.raises(ServiceError) as exc:
        importing.import_file(content, "trong.docx")
    assert exc.value.code == "file_empty" and "“Câu 1:” hoặc “1.”" in exc.value.message
