"""Export to xlsx/CSV/GIFT, and export → import round-trips exactly."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp.bank import editor
from quizapp.bank import exporting
from quizapp.bank import importing
from quizapp.bank.formats.records import OptionRecord, QuestionRecord
from quizapp.bank.models import ImportBatch, Option, Question, QuestionStatus

SAMPLE_YAML = Path(__file__).parent / "data" / "bank_sample.yaml"

TRICKY = [
    # (text, options, correct indexes, multiple, extra)
    ("-5 điểm có phải điểm trừ?", ["-5", "+5", "=5", "@5"], (0,), False, {}),
    ("=SUM(A1:A3) là công thức?", ["'=Có", "''Không", "'Trích dẫn", "Hai dòng\nthứ hai"], (1, 2), True, {}),
    ("'Một cửa' là gì?", ["Bộ phận tiếp nhận, trả kết quả", "Phòng \"một cửa\"; liên thông"], (0,), True,
     {"explanation": "Dòng 1\nDòng 2, có dấu phẩy", "source": "+ Nghị định 61/2018/NĐ-CP", "exclusion_group": "mot-cua"}),
    ("Câu hỏi có mã?", ["Có", "Không"], (0,), False,
     {"external_id": "CV-07", "reference_date": date(2019, 11, 25), "area": "CV", "difficulty": 3,
      "exclusion_group": "mot-cua"}),
    ("  NA  ", ["None", "null"], (1,), False, {"area": "KH"}),
]


def build_bank(db):
    assert importing.import_path(SAMPLE_YAML).ok
    for text, options, correct, multiple, extra in TRICKY:
        record = QuestionRecord(row=0, area=extra.pop("area", "TTHC"), difficulty=extra.pop("difficulty", 2),
                                multiple=multiple, text=text,
                                options=[OptionRecord(t, i in correct) for i, t in enumerate(options)], **extra)
        editor.create_question(record, None, QuestionStatus.APPROVED)
    db.session.commit()


def wipe(db):
    db.session.execute(sa.delete(Option))
    db.session.execute(sa.delete(Question))
    db.session.execute(sa.delete(ImportBatch))
    db.session.commit()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_spreadsheet_export_then_import_round_trips_exactly(app, db, fmt):
    build_bank(db)
    before = exporting.export_rows()
    assert len(before) == 8
    data = exporting.export(fmt)

    # Into the same bank: everything is recognised as unchanged.
    report = importing.import_file(data, f"xuat.{fmt}")
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 8)

    # Into an empty bank: the very same questions come back.
    wipe(db)
    report = importing.import_file(data, f"xuat.{fmt}")
    assert report.ok, report.errors
    db.session.commit()
    assert report.created == 8
    assert exporting.export_rows() == before


@pytest.mark.parametrize("fmt", ["gift", "xml"])
def test_gift_and_moodle_xml_export_then_import_round_trips_every_field(app, db, fmt):
    build_bank(db)
    before = exporting.export_rows()
    assert any(r["source"] for r in before) and any(r["reference_date"] for r in before)
    assert sum(r["exclusion_group"] == "mot-cua" for r in before) == 2
    data = exporting.export(fmt)
    # Into the same bank: nothing is new (source and reference date came back too).
    report = importing.import_file(data, f"xuat.{fmt}")
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 8)
    db.session.rollback()
    # Into an empty bank: the same questions.
    wipe(db)
    report = importing.import_file(data, f"xuat.{fmt}")
    assert report.ok, report.errors
    db.session.commit()
    assert sorted(exporting.export_rows(), key=repr) == sorted(before, key=repr)


def test_export_formats_look_right(app, db):
    build_bank(db)
    gift = exporting.export("gift").decode()
    assert "$CATEGORY: $course$/top/TTHC" in gift and "// [id:TTHC-001] [tag:muc-do-1]" in gift
    assert "\\=SUM(A1\\:A3) là công thức?" in gift
    csv = exporting.export("csv").decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("Mã câu hỏi,Lĩnh vực,Mức độ,Nhiều đáp án đúng,Câu hỏi,Phương án A")
    assert "'-5 điểm" in csv and "'=SUM" in csv


def test_export_leaves_out_retired_and_old_versions(app, db):
    build_bank(db)
    retired = db.session.scalar(sa.select(Question).where(Question.external_id == "CV-07"))
    editor.retire(retired)
    db.session.commit()
    assert "CV-07" not in {r["external_id"] for r in exporting.export_rows()}


@pytest.mark.parametrize("suffix", ["xlsx", "xml"])
def test_cli_export(app, db, runner, tmp_path, suffix):
    build_bank(db)
    out = tmp_path / f"bank.{suffix}"
    result = runner.invoke(args=["bank", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert importing.import_file(out.read_bytes(), out.name).unchanged == 8


def test_moodle_xml_export_is_what_moodle_reads(client, db, make, auth):
    from xml.etree import ElementTree

    from quizapp.auth.models import Role

    build_bank(db)
    auth.login(make.user(role=Role.ORGANISER))
    resp = client.get("/admin/bank/export.xml")
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    quiz = ElementTree.fromstring(resp.data)
    categories = [q.findtext("category/text") for q in quiz if q.get("type") == "category"]
    assert "$course$/top/TTHC" in categories
    questions = [q for q in quiz if q.get("type") == "multichoice"]
    assert len(questions) == 8
    one = next(q for q in questions if q.findtext("idnumber") == "TTHC-001")
    assert one.findtext("single") == "true" and [a.get("fraction") for a in one.findall("answer")] == ["100", "0", "0"]
    assert one.findtext("tags/tag/text") == "muc-do-1"
