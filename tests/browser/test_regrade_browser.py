"""Re-grading in Chromium (issue 20, item 5): an organiser corrects a key, previews whose score and
place change, applies the re-grade (a job), and the entrant sees the change in "Bài thi của tôi"."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, axe_violations, login, screenshot
from tests.browser.seeding import DEMO_PARTICIPANT, seed

CORRECT = """
import uuid
import sqlalchemy as sa
from quizapp.attempts.models import AttemptQuestion
from quizapp.auth.models import User
from quizapp.bank.models import Option, Question, QuestionStatus
from tests.browser import seeding

rid = %d
user = db.session.scalar(sa.select(User).where(User.phone == seeding.DEMO_PARTICIPANT))
attempt_id = seeding.sit(rid, user, right=5, wrong_rest=True)
db.session.commit()
qid = db.session.scalar(sa.select(AttemptQuestion.question_id).where(AttemptQuestion.attempt_id == attempt_id)
                        .order_by(AttemptQuestion.position))
old = db.session.get(Question, qid)
# The bank's editor: a new version whose key is another option.
new = Question(lineage=old.lineage, version=old.version + 1, area_id=old.area_id, difficulty=old.difficulty,
               multiple=False, status=QuestionStatus.APPROVED, text=old.text, explanation=old.explanation,
               source=old.source, content_hash=uuid.uuid4().hex, external_id=old.external_id)
key = next(o.position for o in old.options if o.is_correct)
other = next(o.position for o in old.options if not o.is_correct)
for o in sorted(old.options, key=lambda o: o.position):
    new.options.append(Option(position=o.position, text=o.text, is_correct=o.position == other))
old.status = QuestionStatus.SUPERSEDED
db.session.add(new)
db.session.commit()
result = {"question_id": new.id}
"""


def test_an_organiser_previews_and_applies_a_regrade_and_the_entrant_sees_it(live_server, browser):
    base = live_server["url"]
    seeded = seed(live_server, "open_round", title="Cuộc thi chấm lại", round_title="Tuần chấm lại")
    fixed = app_script(live_server, CORRECT % seeded["round_id"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    try:
        login(page, base, "0900000002", "toChuc@2026")
        page.goto(f"{base}/admin/contests/{seeded['contest_id']}")
        page.get_by_role("link", name="Chấm lại").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Chấm lại")
        page.get_by_label("Câu hỏi", exact=True).select_option(str(fixed["question_id"]))
        page.get_by_label("Chấm lại theo đáp án đã sửa").check()
        page.get_by_role("button", name="Xem trước thay đổi").click()
        row = page.locator("tr.regrade-change").filter(has_text="Lê Văn Dự Thi")
        expect(row).to_contain_text("5/5")
        expect(row).to_contain_text("4/5")
        assert not axe_violations(page)
        screenshot(page, "regrade-preview")
        page.get_by_role("button", name="Áp dụng chấm lại").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        expect(page.locator("#job-state")).to_contain_text("Đã xong", timeout=60_000)
        screenshot(page, "regrade-job")
    finally:
        context.close()
    # The entrant's history shows the change.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        login(page, base, DEMO_PARTICIPANT, "duThi@2026")
        page.goto(f"{base}/my/attempts")
        item = page.locator(".history-item").filter(has_text="Tuần chấm lại")
        expect(item.locator(".history-score")).to_have_text("4/5")
        expect(item.locator(".history-regrade")).to_contain_text("5/5 → 4/5")
        screenshot(page, "regrade-history")
    finally:
        context.close()
