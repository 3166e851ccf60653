"""The organiser's live operations view on a phone: readable, refreshing by itself, axe clean."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import axe_violations, layout_problems, new_page, screenshot


def test_live_operations_on_a_phone(live_server, browser, signed_in):
    page = new_page(browser, "phone", signed_in("organiser"))
    try:
        page.goto(live_server["url"] + "/ops")
        expect(page.locator("h1")).to_have_text("Theo dõi trực tiếp")
        main = page.locator("main").inner_text()
        assert "Thí sinh đang thao tác" in main and "Việc chạy nền đang chờ" in main
        for developer_word in ("4xx", "5xx", "503", "p95", "PROMETHEUS_MULTIPROC_DIR"):  # issue 21 item 9
            assert developer_word not in main, developer_word
        first = page.locator("#ops-as-of").inner_text()
        expect(page.locator("#ops-as-of")).not_to_have_text(first, timeout=25_000)  # refreshed by ops.js
        assert layout_problems(page) == []
        assert axe_violations(page) == []
        screenshot(page, "phone-live-operations")
    finally:
        page.context.close()
