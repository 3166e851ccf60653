"""Every main page on a phone (390×844) and a desktop: it fits, its controls can be
tapped, axe-core finds no serious or critical problem (on the phone; on the desktop
for one page per menu), and a screenshot of it is saved to
test-artifacts/screenshots/ for a reviewer.  The quiz page also renders
in both languages with its Vietnamese diacritics intact."""
from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import app_script, axe_violations, layout_problems, new_page, screenshot

# The demo participant's attempts at the demo's open round: one submitted, one in progress.
ATTEMPTS = """
import sqlalchemy as sa
from quizapp.attempts.answers import save_answer
from quizapp.attempts.shown import shown_questions
from quizapp.attempts.start import start_attempt
from quizapp.attempts.submit import submit_attempt
from quizapp.auth.models import User
from quizapp.contests.models import Round

user = db.session.scalar(sa.select(User).where(User.phone == "0900000004"))
rnd = db.session.scalar(sa.select(Round).where(Round.title == "Vòng thi thứ 1"))
done = start_attempt(rnd.id, user)
for q in shown_questions(done)[:12]:
    save_answer(done.id, user.id, q.id, [q.options[0][0]], 1)
submit_attempt(done.id, user.id, "5")
db.session.commit()
open_ = start_attempt(rnd.id, user)
result = {"round": rnd.id, "contest": rnd.contest_id, "slug": rnd.contest.slug, "done": done.id, "open": open_.id}
"""


@pytest.fixture(scope="module")
def demo(live_server):
    return app_script(live_server, ATTEMPTS)


PAGES = [
    # (name, who, path template)
    ("home", "anonymous", "/"),
    ("login", "anonymous", "/login"),
    ("register", "anonymous", "/register"),
    ("contests", "participant", "/contests"),
    ("contest", "participant", "/contests/{slug}"),
    ("quiz", "participant", "/attempts/{open}"),
    ("result", "participant", "/attempts/{done}/result"),
    ("leaderboard", "participant", "/rounds/{round}/leaderboard"),
    ("unit-ranking", "anonymous", "/rounds/{round}/units"),
    ("round-stats", "organiser", "/rounds/{round}/stats"),
    ("bank", "organiser", "/admin/bank"),
    ("contest-builder", "organiser", "/admin/contests/{contest}"),
    ("round-builder", "organiser", "/admin/contests/{contest}/rounds/new"),
    ("units-admin", "organiser", "/admin/units"),
]


# A page's content is the same at both sizes; what only the desktop shows is the open
# navigation bar, so axe runs there on one page per kind of menu (saves ~20 s a run).
DESKTOP_AXE = {"home", "leaderboard", "contest-builder"}


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("name, who, path", PAGES, ids=[p[0] for p in PAGES])
def test_main_page_fits_and_passes_axe(live_server, browser, signed_in, demo, viewport, name, who, path):
    page = new_page(browser, viewport, signed_in(who))
    try:
        response = page.goto(live_server["url"] + path.format(**demo))
        assert response.status == 200
        assert page.url == live_server["url"] + path.format(**demo)  # not sent elsewhere (login, quiz…)
        screenshot(page, f"{viewport}-{name}")
        assert layout_problems(page) == []
        if viewport == "phone" or name in DESKTOP_AXE:
            assert axe_violations(page) == []
    finally:
        page.context.close()


def _diacritics_intact(text: str) -> None:
    assert unicodedata.is_normalized("NFC", text)
    assert not re.search("Ã.|Æ°|á»|Ä‘", text), "mojibake"  # UTF-8 read as Latin-1


def test_quiz_page_in_vietnamese_and_english(live_server, browser, signed_in, demo):
    page = new_page(browser, "phone", signed_in("participant"))
    try:
        page.goto(f"{live_server['url']}/attempts/{demo['open']}")
        assert page.locator("html").get_attribute("lang") == "vi"
        bar = page.locator("#quiz-bar").inner_text()
        assert "Thời gian còn lại" in bar and "câu đã lưu" in bar
        first = page.locator("fieldset[data-aq] legend").first.inner_text()
        assert first.startswith("Câu 1.")
        question = first.removeprefix("Câu 1.").strip()
        assert re.search("[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", question.lower())
        assert page.get_by_role("button", name="Nộp bài").is_visible()
        _diacritics_intact(page.locator("main").inner_text())

        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url.endswith(f"/attempts/{demo['open']}")
        bar = page.locator("#quiz-bar").inner_text()
        assert "Time left" in bar and "saved answers" in bar
        first_en = page.locator("fieldset[data-aq] legend").first.inner_text()
        assert first_en == f"Question 1. {question}"  # the question itself stays as written
        assert page.get_by_role("button", name="Submit").is_visible()
        assert page.locator("fieldset[data-aq] .hint").first.inner_text() in ("Choose one answer",
                                                                             "Choose all correct answers")
        _diacritics_intact(page.locator("main").inner_text())
        screenshot(page, "phone-quiz-en")
        assert layout_problems(page) == []

        page.get_by_role("button", name="Tiếng Việt").click()
        expect(page.locator("html")).to_have_attribute("lang", "vi")
        assert page.locator("fieldset[data-aq] legend").first.inner_text() == first
    finally:
        page.context.close()
