"""Small browser checks of the public pages (the main pages' layout and axe checks are in test_main_pages.py)."""
from __future__ import annotations

from tests.browser.conftest import screenshot


def test_vietnamese_and_english_both_render(live_server, desktop):
    desktop.goto(live_server["url"] + "/")
    assert desktop.locator("h1").inner_text() == "Đang diễn ra"  # the home page leads with the open rounds
    assert desktop.locator(".hero h2").inner_text() == "Thi trực tuyến tìm hiểu về cải cách hành chính"
    assert desktop.locator("html").get_attribute("lang") == "vi"
    desktop.get_by_role("button", name="English").click()
    desktop.wait_for_load_state()
    assert desktop.locator("h1").inner_text() == "Open now"
    assert desktop.locator(".hero h2").inner_text() == "Online contests on administrative reform"
    assert desktop.locator("html").get_attribute("lang") == "en"
    screenshot(desktop, "desktop-home-en")
    desktop.get_by_role("button", name="Tiếng Việt").click()
    assert "Đăng ký" in desktop.locator("main").inner_text()


def test_register_finds_a_unit_without_diacritics(live_server, phone):
    phone.goto(live_server["url"] + "/register")
    phone.get_by_label("Tìm đơn vị của bạn").fill("phuoc trung")
    options = phone.locator("#unit_id option").all_inner_texts()
    assert any("Phường Phước Trung" in o for o in options)
    assert not any("Sở Nội vụ" in o for o in options)
