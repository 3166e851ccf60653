"""A blind or low-vision entrant finishes in time (issue 21, 13a), checked in Chromium on a phone.

The countdown speaks at 5 minutes and 1 minute (one polite live region, never every second), a key
reads the time from anywhere, each save is announced once, questions are headings, the focus ring
is visible (≥ 3:1) and never hidden under the sticky timer bar, the confirmation is a page dialog
that lists the unanswered questions, and the result page and "Bài thi của tôi" do not scroll
sideways at 200 % text on a 390 px phone.
"""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import axe_violations, login, screenshot
from tests.browser.seeding import seed

PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def six_minute_round(live_server):
    seed(live_server, "participants", people=[["0966500001", "Lê Văn Khiếm Thị"]])
    return seed(live_server, "open_round", title="Thi thử cho người khiếm thị", round_title="Vòng nghe đọc",
                description="Vòng thi sáu phút.", time_limit_minutes=6)


def _contrast(rgb_a, rgb_b) -> float:
    def lum(rgb):
        def ch(c):
            c = c / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (ch(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((lum(rgb_a), lum(rgb_b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(x) for x in re.findall(r"\d+", css)[:3])


def test_a_blind_entrant_hears_the_time_and_each_save_once_and_confirms_with_the_unanswered_listed(
        live_server, browser, six_minute_round):
    base = live_server["url"]
    context = browser.new_context(viewport=PHONE_390, locale="vi-VN", has_touch=True, is_mobile=True,
                                  bypass_csp=True)  # only so axe-core can be injected
    page = context.new_page()
    page.clock.install()
    login(page, base, "0966500001", "matKhau@2026")
    page.goto(f"{base}/rounds/{six_minute_round['round_id']}/start")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    attempt_id = int(page.url.rsplit("/", 1)[1])
    announce = page.locator("#quiz-announce")

    # Questions are headings (a screen reader's heading list jumps between them).
    headings = page.get_by_role("heading", level=2).filter(has_text=re.compile(r"^Câu \d+\."))
    assert headings.count() == 5
    # Only one live region speaks: the per-question states and the count are not live.
    assert page.locator(".save-state[aria-live], .quiz-count[aria-live]").count() == 0

    # One short announcement per save.
    page.locator("fieldset[data-aq]").nth(0).locator("label.option").nth(0).click()
    page.wait_for_function("() => document.querySelector('#quiz-announce').textContent === 'Đã lưu câu 1'")
    # A key reads the time from anywhere on the page.
    page.keyboard.press("Alt+Shift+T")
    page.wait_for_function("() => document.querySelector('#quiz-announce').textContent.startsWith('Thời gian còn lại:')")
    assert re.fullmatch(r"Thời gian còn lại: [56] phút \d\d giây", announce.inner_text())

    # Nothing spoken by the clock before 5 minutes; then at 5 minutes and at 1 minute.
    page.evaluate("document.querySelector('#quiz-announce').textContent = ''")
    page.clock.run_for(20_000)
    assert announce.inner_text() == ""
    page.clock.run_for(60_000)  # crosses 5:00 left
    page.wait_for_function("() => document.querySelector('#quiz-announce').textContent.startsWith('Thời gian còn lại: 4 phút')"
                           " || document.querySelector('#quiz-announce').textContent.startsWith('Thời gian còn lại: 5 phút')")
    page.evaluate("document.querySelector('#quiz-announce').textContent = ''")
    page.clock.run_for(60_000)
    assert announce.inner_text() == "", "the countdown must not speak between the warnings"
    page.clock.run_for(180_000)  # crosses 1:00 left
    page.wait_for_function("() => /Thời gian còn lại: (1 phút 00|[0-9]+) giây/.test(document.querySelector('#quiz-announce').textContent)")

    # The focus ring: ≥ 3:1 against white, 3 px.
    page.locator("fieldset[data-aq]").nth(2).locator("input").first.focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineColor, s.outlineWidth, s.outlineStyle]; }""")
    assert ring[2] != "none" and float(ring[1].rstrip("px")) >= 3
    assert _contrast(_rgb(ring[0]), (255, 255, 255)) >= 3

    # Shift+Tab never leaves the focused option under the sticky timer bar.
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        box = page.evaluate("""() => { const a = document.activeElement.getBoundingClientRect();
            const b = document.getElementById('quiz-bar').getBoundingClientRect();
            return [a.top, b.bottom, document.activeElement.closest('#quiz') !== null]; }""")
        if box[2]:
            assert box[0] >= box[1] - 1, f"focused element at {box[0]} is under the bar ending at {box[1]}"

    # The prediction's errors (the server's and the page's own) are tied to its field.
    prediction = page.locator("#prediction")
    assert "prediction-js-err" in prediction.get_attribute("aria-describedby").split()
    prediction.fill("12")
    # The confirmation is a page dialog listing the unanswered questions.
    page.locator("#quiz-submit").click()
    dialog = page.locator("#quiz-confirm")
    assert dialog.is_visible()
    missing = dialog.locator("#quiz-confirm-list li")
    assert missing.all_inner_texts() == ["Câu 2", "Câu 3", "Câu 4", "Câu 5"]
    assert axe_violations(page) == []
    screenshot(page, "blind-entrant-confirm")
    missing.nth(1).locator("a").click()  # back to question 3
    assert not dialog.is_visible()
    page.locator("#quiz-submit").click()
    page.get_by_role("button", name="Nộp bài ngay").click()
    page.wait_for_url(re.compile(rf"/attempts/{attempt_id}/result$"))

    # 200 % text on a 390 px phone: no sideways scrolling on the result page and in my attempts.
    for path in (f"/attempts/{attempt_id}/result", "/my/attempts"):
        page.goto(base + path)
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        width = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], f"{path} scrolls sideways at 200 % text: {width}"
        narrowest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.facts dd')]
            .map(d => d.getBoundingClientRect().width))""")
        assert narrowest >= 60, f"{path}: a value column {narrowest} px wide (one character per line)"
        screenshot(page, "blind-entrant-200pct-" + path.strip("/").replace("/", "-"))
    context.close()
