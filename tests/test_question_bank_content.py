"""The shipped question bank (question_bank/): enough true, sourced, dated questions, all importable."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from quizapp.bank import services as bank
from quizapp.bank.models import Question, QuestionStatus
from quizapp.core.text import fold

BANK = Path(__file__).resolve().parent.parent / "question_bank"
REFORM_AREAS = ("TC", "TTHC", "TCBM", "CV", "TCC", "CQS")
BANNED = ("tat ca cac dap an", "tat ca deu dung", "khong dap an nao", "ca a va b", "ca hai dap an",
          "dap an a", "dap an b", "phuong an a", "phuong an b", "tat ca cac phuong an tren")
# A source names a document (number/year, a dated law, plan or programme) or the report it was checked in.
DOCUMENT = re.compile(r"\d+/\d{4}|\d+/[A-ZĐ]+|ngày \d|Hiến pháp|Luật|Kế hoạch|Nghị quyết|Quyết định|Kết luận|"
                      r"Chương trình|\(theo [^)]+\)|^Báo ", re.I)


def _questions():
    out = []
    for path in sorted(BANK.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for q in data["questions"]:
            out.append((data["area"], path.name, q))
    return out


QUESTIONS = _questions()


def test_counts_per_area_and_difficulty():
    per_area = Counter(area for area, _, _ in QUESTIONS)
    assert sum(per_area[a] for a in REFORM_AREAS) >= 240
    for area in REFORM_AREAS:
        assert per_area[area] >= 40, area
        difficulties = Counter(q["difficulty"] for a, _, q in QUESTIONS if a == area)
        assert set(difficulties) == {1, 2, 3}, area
        assert min(difficulties.values()) >= per_area[area] // 5, (area, difficulties)
    assert per_area["KH"] >= 10  # the provincial communication plan itself


@pytest.mark.parametrize("area, filename, q", QUESTIONS, ids=[q["external_id"] for _, _, q in QUESTIONS])
def test_every_question_is_well_formed(area, filename, q):
    assert q["external_id"].startswith(area + "-")
    assert len(q["options"]) == 4
    correct = [o for o in q["options"] if o.get("correct")]
    if q["multiple"]:
        assert 2 <= len(correct) <= 3
        assert "chọn tất cả" in q["text"].lower()
    else:
        assert len(correct) == 1
    assert len({fold(o["text"]) for o in q["options"]}) == 4
    text = fold(q["text"] + " " + " ".join(o["text"] for o in q["options"]))
    assert not any(b in text for b in BANNED), q["external_id"]
    assert q.get("explanation", "").strip()
    assert DOCUMENT.search(q.get("source", "")), q["source"]
    assert isinstance(q["reference_date"], date) and date(1945, 9, 2) <= q["reference_date"] <= date(2026, 12, 31)


def test_no_duplicate_ids_or_near_duplicate_questions():
    ids = [q["external_id"] for _, _, q in QUESTIONS]
    assert len(ids) == len(set(ids))
    texts = Counter(re.sub(r"[^a-z0-9 ]", "", fold(q["text"])) for _, _, q in QUESTIONS)
    assert [t for t, n in texts.items() if n > 1] == []


def test_the_whole_bank_imports_through_the_importer_and_is_idempotent(app, db):
    report = bank.import_path(BANK)
    assert report.ok, report.errors[:5]
    assert report.created == len(QUESTIONS)
    approved = db.session.scalar(sa.select(sa.func.count()).select_from(Question)
                                 .where(Question.status == QuestionStatus.APPROVED))
    assert approved == len(QUESTIONS)
    again = bank.import_path(BANK)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, len(QUESTIONS))
