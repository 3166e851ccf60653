"""Accounts on a 360×740 phone (issue 12, items 5 and 6; issue 11, item 7): registration
errors summed up at the top with the focus on them and the fields kept; "Quên mật khẩu?" by
e-mail link and, for a phone-only member, with a one-time code from the unit manager; the
unit manager's confirmation queue with bulk confirm."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, app_script, axe_violations, layout_problems, login

SMALL_PHONE = {"width": 360, "height": 740}
MANAGER = ("0900000003", "quanLy@2026")


@pytest.fixture()
def small_phone(browser):
    context = browser.new_context(locale="vi-VN", bypass_csp=True, viewport=SMALL_PHONE, device_scale_factor=1,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def new_member(live_server, phone: str, email: str | None = None, name: str = "Đỗ Văn Quên") -> dict:
    """A self-registered (unconfirmed) member of the demo unit VT-P1; with ``email``, a reset token."""
    return app_script(live_server, f"""
import sqlalchemy as sa
from quizapp.auth import accounts, recovery
from quizapp.auth.models import EntrantCategory
from quizapp.units.models import Unit
unit = db.session.scalar(sa.select(Unit).where(Unit.code == "VT-P1"))
user = accounts.register(accounts.Registration(
    full_name={name!r}, date_of_birth=None, phone={phone!r}, email={email!r}, national_id=None,
    unit_id=unit.id, position=None, category=EntrantCategory.CIVIL_SERVANT, password="matKhauCu@2026"))
db.session.flush()
result = {{"id": user.id, "token": recovery.make_reset_token(user) if {email!r} else None}}
""")


def test_registration_errors_are_summed_up_at_the_top(live_server, small_phone):
    page = small_phone
    page.goto(live_server["url"] + "/register")
    page.get_by_label("Họ và tên").fill("Phạm Thị Lụa")
    page.get_by_label("Ngày sinh").fill("1970-02-03")
    page.get_by_label("Số điện thoại", exact=True).fill("12345")
    page.get_by_label("Tìm đơn vị của bạn").fill("phuoc trung")
    page.get_by_label("Mật khẩu", exact=True).fill("matKhau@2026")
    page.get_by_label("Nhập lại mật khẩu").fill("matKhau@2027")
    page.get_by_role("button", name="Đăng ký").click()
    page.wait_for_load_state()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    box = summary.bounding_box()
    assert box["y"] < SMALL_PHONE["height"]  # in view without scrolling: at the top of the form
    # One link per failing field; tapping it takes the focus to the field.
    expect(summary.get_by_role("link", name=re.compile("Nhập lại mật khẩu"))).to_be_visible()
    expect(summary.get_by_role("link", name=re.compile("Số điện thoại"))).to_be_visible()
    # The filled fields are kept (passwords are never sent back).
    expect(page.get_by_label("Họ và tên")).to_have_value("Phạm Thị Lụa")
    expect(page.get_by_label("Ngày sinh")).to_have_value("1970-02-03")
    assert "Phường Phước Trung" in page.get_by_label("Đơn vị", exact=True).locator("option:checked").inner_text()
    shot(page, "phone360-register-errors")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    summary.get_by_role("link", name=re.compile("Nhập lại mật khẩu")).click()
    expect(page.get_by_label("Nhập lại mật khẩu")).to_be_focused()


def test_service_side_errors_are_summed_up_too(live_server, small_phone):
    page = small_phone
    page.goto(live_server["url"] + "/register")
    page.get_by_label("Họ và tên").fill("Phạm Thị Lụa")
    page.get_by_label("Ngày sinh").fill("1970-02-03")
    page.get_by_label("Số điện thoại", exact=True).fill("12345")
    page.get_by_label("Tìm đơn vị của bạn").fill("phuoc trung")
    page.get_by_label("Mật khẩu", exact=True).fill("matKhau@2026")
    page.get_by_label("Nhập lại mật khẩu").fill("matKhau@2026")
    page.get_by_role("button", name="Đăng ký").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name=re.compile("Số điện thoại"))).to_be_visible()
    expect(page.get_by_label("Số điện thoại", exact=True)).to_have_value("12345")


def test_forgot_password_by_email_link_on_a_phone(live_server, small_phone):
    member = new_member(live_server, "0955000001", "quen@example.vn")
    page = small_phone
    base = live_server["url"]
    page.goto(base + "/login")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("E-mail").fill("quen@example.vn")
    shot(page, "phone360-forgot-password")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    page.get_by_role("button", name="Gửi liên kết cho tôi").click()
    expect(page.get_by_role("status")).to_contain_text("Nếu có tài khoản dùng địa chỉ e-mail này")
    # The link the e-mail carries (tests/test_accounts_recovery.py sends it through SMTP).
    link = f"{base}/password/reset/{member['token']}"
    page.goto(link)
    page.get_by_label("Mật khẩu mới", exact=True).fill("matKhauMoi@2026")
    page.get_by_label("Nhập lại mật khẩu mới").fill("matKhauMoi@2026")
    shot(page, "phone360-reset-password")
    assert axe_violations(page) == []
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    expect(page.get_by_role("status")).to_contain_text("Mật khẩu đã được đổi")
    login(page, base, "quen@example.vn", "matKhauMoi@2026")
    assert page.url.rstrip("/") == base
    page.goto(link)  # used: refused
    expect(page.get_by_role("alert")).to_contain_text("không còn dùng được")


def test_unit_manager_confirms_and_gives_a_reset_code_on_a_phone(live_server, browser, small_phone):
    member = new_member(live_server, "0955000002", name="Vũ Thị Chỉ Có Số")
    base = live_server["url"]
    manager = small_phone
    login(manager, base, *MANAGER)
    # The confirmation queue: one page, tick, confirm.
    manager.goto(base + "/units/confirm")
    row = manager.locator(".queue-row", has_text="Vũ Thị Chỉ Có Số")
    expect(row).to_be_visible()
    shot(manager, "phone360-confirm-members")
    assert axe_violations(manager) == []
    assert layout_problems(manager) == []
    manager.get_by_label("Chọn tất cả", exact=False).check()
    manager.get_by_role("button", name="Xác nhận những người đã chọn").click()
    expect(manager.get_by_role("status").first).to_contain_text("Đã xác nhận")
    # A one-time code for the phone-only member, from the members page.
    manager.goto(base + "/")
    manager.locator("details.nav-menu summary").click()
    manager.locator("details.nav-menu").get_by_role("link", name="Đơn vị của tôi").click()
    manager.get_by_role("link", name="Thành viên", exact=True).click()
    person = manager.locator(".member-card", has_text="Vũ Thị Chỉ Có Số")
    expect(person).to_contain_text("đã xác nhận")
    person.get_by_role("button", name="Cấp mã đặt lại mật khẩu").click()
    code = manager.locator("#reset-code").inner_text()
    assert re.fullmatch(r"\d{8}", code)
    shot(manager, "phone360-reset-code-issued")
    assert axe_violations(manager) == []

    context = browser.new_context(locale="vi-VN", bypass_csp=True, viewport=SMALL_PHONE, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto(base + "/password/forgot")
    page.get_by_role("link", name="Đặt mật khẩu mới bằng mã").click()
    page.get_by_label("Số điện thoại hoặc e-mail").fill("0955 000 002")
    page.get_by_label("Mã do người quản lý đơn vị cấp").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("matKhauMoi@2026")
    page.get_by_label("Nhập lại mật khẩu mới").fill("matKhauMoi@2026")
    shot(page, "phone360-reset-with-code")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    expect(page.get_by_role("status")).to_contain_text("Mật khẩu đã được đổi")
    login(page, base, "0955000002", "matKhauMoi@2026")
    assert page.url.rstrip("/") == base
    context.close()
    assert member["id"]
