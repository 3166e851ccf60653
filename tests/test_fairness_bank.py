"""Issue 11 item 6 (bank side): the exclusion group travels through every format,
the editor and the exports, and a bad value is refused with the column named."""
from __future__ import annotations

import io

import pandas as pd
import pytest
import sqlalchemy as sa

from quizapp.auth.models import Role
from quizapp.bank import exporting
from quizapp.bank import importing
from quizapp.bank.models import Question, QuestionStatus, ReformArea
from tests.conftest import csrf_token

YAML = """
area: TCBM
questions:
  - external_id: TCBM-037
    text: "Theo Nghị định, tỉnh có tối đa bao nhiêu sở?"
    exclusion_group: TCBM-037
    options:
      - {text: "14", correct: true}
      - {text: "20"}
  - external_id: TCBM-038
    text: "Tỉnh được tổ chức 14 sở: quy định ở văn bản nào?"
    exclusion_group: TCBM-037
    options:
      - {text: "Nghị định 107/2020/NĐ-CP", correct: true}
      - {text: "Luật Cán bộ, công chức"}
  - external_id: TCBM-039
    text: "Câu hỏi không thuộc nhóm nào?"
    options:
      - {text: "Đúng", correct: true}
      - {text: "Sai"}
"""


def groups(db) -> dict[str, str | None]:
    return dict(db.session.execute(sa.select(Question.external_id, Question.exclusion_group)
                                   .where(Question.status != QuestionStatus.SUPERSEDED)).all())


def test_yaml_key_is_stored_and_spreadsheet_exports_round_trip(app, db):
    assert importing.import_file(YAML.encode(), "tcbm.yaml").ok
    db.session.commit()
    assert groups(db) == {"TCBM-037": "TCBM-037", "TCBM-038": "TCBM-037", "TCBM-039": None}
    for fmt in ("xlsx", "csv"):
        data = exporting.export(fmt)
        frame = pd.read_excel(io.BytesIO(data)) if fmt == "xlsx" else pd.read_csv(io.BytesIO(data))
        assert "Nhóm loại trừ" in frame.columns
        report = importing.import_file(data, f"xuat.{fmt}")
        assert report.ok and (report.created, report.updated, report.unchanged) == (0, 0, 3), report
    # Changing a group is a change of the question (a new version), like any other field.
    data = exporting.export("csv").decode("utf-8-sig").replace("TCBM-037\n", "\n", 1)
    report = importing.import_file(data.encode("utf-8-sig"), "sua.csv")
    assert report.ok and report.updated == 1
    db.session.commit()
    assert sorted(g or "" for g in groups(db).values()) == ["", "", "TCBM-037"]


def test_the_english_column_name_and_a_bad_value(app, db):
    head = "Mã câu hỏi,Lĩnh vực,Câu hỏi,Phương án A,Phương án B,Đáp án đúng,exclusion_group\n"
    ok = head + "X-1,TCBM,Câu một?,Có,Không,A,nhom-1\nX-2,TCBM,Câu hai?,Có,Không,A,nhom-1\n"
    assert importing.import_file(ok.encode(), "a.csv").ok
    db.session.commit()
    assert groups(db) == {"X-1": "nhom-1", "X-2": "nhom-1"}
    bad = head + "X-3,TCBM,Câu ba?,Có,Không,A,nhóm có dấu cách\n"
    report = importing.import_file(bad.encode(), "b.csv")
    assert not report.ok
    (error,) = report.errors
    assert error.row == 2 and error.column == "Nhóm loại trừ" and "không có dấu cách" in error.message


def test_the_editor_sets_and_shows_the_group(client, db, make, auth):
    auth.login(make.user(role=Role.ORGANISER))
    area = db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == "TCBM"))
    resp = client.post("/admin/bank/new", data={
        "csrf_token": csrf_token(client, "/admin/bank/new"), "area_id": area, "difficulty": 1,
        "text": "Câu hỏi có nhóm?", "options-0-text": "Có", "options-0-correct": "y", "options-1-text": "Không",
        "exclusion_group": "TCBM-037", "status": "approved"})
    assert resp.status_code == 302
    q = db.session.scalar(sa.select(Question))
    assert q.exclusion_group == "TCBM-037"
    assert 'value="TCBM-037"' in client.get(f"/admin/bank/{q.id}/edit").get_data(as_text=True)
    assert "TCBM-037" in client.get(f"/admin/bank/{q.id}").get_data(as_text=True)
