"""The question bank's buttons, pressed in a desktop browser (issue 20 item 18): a draft question
typed in, approved, flagged with every question citing its document, the flag cleared, retired,
restored and retired again.  Each press is checked by the message and the state the page then shows."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import flashed, login, press, vi

ORGANISER = ("0900000002", "toChuc@2026")
DOCUMENT = "77/2026/QĐ-NÚTBẤM"  # cited by this test's question only


def test_create_approve_flag_clear_retire_restore_a_question(live_server, desktop):
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)

    page.goto(base + "/admin/bank/new")
    page.get_by_label(vi("Question"), exact=True).fill(
        "Nút bấm thử: cơ quan nào tham mưu Ủy ban nhân dân tỉnh về công tác cải cách hành chính?")
    for letter, text in zip("ABCD", ("Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Khoa học và Công nghệ")):
        page.get_by_label(f"Phương án {letter}").fill(text)
    page.locator('input[name="options-0-correct"]').check()
    page.get_by_label(vi("Source document")).fill(DOCUMENT)
    page.get_by_label(vi("Status")).select_option("draft")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The question has been created."))
    question = int(re.search(r"/admin/bank/(\d+)$", page.url).group(1))

    press(page, main.get_by_role("button", name=vi("Approve"), exact=True))
    flashed(page, vi("The question has been approved."))
    expect(main.get_by_role("button", name=vi("Approve"), exact=True)).to_have_count(0)

    page.goto(base + "/admin/bank")
    main.locator("summary", has_text=vi("Flag every question that cites a document")).click()
    page.get_by_label(vi("Document number (e.g. 61/2018/NĐ-CP)")).fill(DOCUMENT)
    page.get_by_label(vi("Note for reviewers")).fill("Văn bản đã được thay thế")
    press(page, main.get_by_role("button", name=vi("Flag for review")))
    flashed(page, vi("%(n)d questions cite this document and are flagged for review.", n=1))

    page.goto(f"{base}/admin/bank/{question}")
    expect(main.locator(".flash-warning")).to_contain_text("Văn bản đã được thay thế")
    press(page, main.get_by_role("button", name=vi("Clear the flag")))
    flashed(page, vi("The review flag has been cleared."))
    expect(main.locator(".flash-warning")).to_have_count(0)

    press(page, main.get_by_role("button", name=vi("Retire"), exact=True))
    flashed(page, vi("The question has been retired."))
    press(page, main.get_by_role("button", name=vi("Restore"), exact=True))
    flashed(page, vi("The question has been restored."))
    # retired again: this test's question (its document is made up) is never drawn for another test's entrant
    press(page, main.get_by_role("button", name=vi("Retire"), exact=True))
    flashed(page, vi("The question has been retired."))
