"""The main pages in a real browser: phone layout, accessibility, both languages."""
from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, layout_problems, login, screenshot

PUBLIC_PAGES = [("home", "/"), ("login", "/login"), ("register", "/register")]
ORGANISER_PAGES = [("units", "/admin/units")]


@pytest.mark.parametrize("name, path", PUBLIC_PAGES)
def test_public_pages_fit_a_phone_and_pass_axe(live_server, phone, name, path):
    phone.goto(live_server["url"] + path)
    screenshot(phone, f"phone-{name}")
    assert layout_problems(phone) == []
    assert axe_violations(phone) == []


@pytest.mark.parametrize("name, path", PUBLIC_PAGES)
def test_public_pages_on_desktop(live_server, desktop, name, path):
    desktop.goto(live_server["url"] + path)
    screenshot(desktop, f"desktop-{name}")
    assert axe_violations(desktop) == []


@pytest.mark.parametrize("name, path", ORGANISER_PAGES)
def test_organiser_pages_fit_a_phone(live_server, phone, name, path):
    login(phone, live_server["url"], "0900000002", "toChuc@2026")
    phone.goto(live_server["url"] + path)
    screenshot(phone, f"phone-{name}")
    assert layout_problems(phone) == []
    assert axe_violations(phone) == []


def test_vietnamese_and_english_both_render(live_server, desktop):
    desktop.goto(live_server["url"] + "/")
    assert desktop.locator("h1").inner_text() == "Thi trực tuyến tìm hiểu về cải cách hành chính"
    assert desktop.locator("html").get_attribute("lang") == "vi"
    desktop.get_by_role("button", name="English").click()
    desktop.wait_for_load_state()
    assert desktop.locator("h1").inner_text() == "Online contests on administrative reform"
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
