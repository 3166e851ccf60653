"""Issue 21 items 7 and 10, walked on a 360×740 touch phone: a new entrant from the Zalo share
link (/c/<code>) to her first question, with the taps counted; dates typed day first whatever the
browser's locale; the rules link on the start page; the reset-code keypad; the reset page without
a mail server; the phone hint; the favicon; the failed login tied to and focused on its field."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import app_script
from tests.browser.test_phone_journeys import SMALL_PHONE, Taps, assert_accessible, small_phone  # noqa: F401

PASSWORD = "matKhau@2026"
RULES = "Mỗi người thi tối đa một lượt; kết quả xếp theo số câu đúng."

SEED = f"""
import sqlalchemy as sa
from quizapp.campaign import links as campaign
from quizapp.contests.models import Contest
from tests.browser import seeding

made = seeding.open_round("Tìm hiểu CCHC qua Zalo", "Tuần 1", "Cuộc thi trực tuyến về cải cách hành chính.")
db.session.execute(sa.update(Contest).where(Contest.id == made["contest_id"]).values(rules={RULES!r}))
seeding.participants([["0966100001", "Trần Văn Đã Có"]], password={PASSWORD!r})
result = {{**made, "code": campaign.short_code(made["contest_id"])}}
"""


@pytest.fixture(scope="module")
def world(live_server):
    return app_script(live_server, SEED)


def test_share_link_to_first_question_for_a_new_entrant(live_server, small_phone, world):
    """Item 7: register from the share link, back to the round with the phone filled in: ≤ 14 taps."""
    base = live_server["url"]
    page = small_phone()
    taps = Taps(page)
    page.goto(f"{base}/c/{world['code']}")  # tapping the link in Zalo opens this
    expect(page).to_have_url(re.compile(rf"/contests/{world['slug']}"))
    assert_accessible(page, "signup-contest-anonymous")
    taps.tap(page.locator("main").get_by_role("link", name="Đăng ký", exact=True))
    expect(page).to_have_url(re.compile(rf"/register\?next=/rounds/{world['round_id']}/start$"))
    assert_accessible(page, "signup-register")

    before = taps.n
    taps.type_into(page.get_by_label("Họ và tên"), "Lê Thị Mới Đến")
    taps.type_into(page.get_by_label("Số điện thoại", exact=True), "0966 200 001")
    taps.type_into(page.get_by_label("Tìm đơn vị của bạn"), "phuoc trung")  # picks the only match
    assert "Phường Phước Trung" in page.get_by_label("Đơn vị", exact=True).locator("option:checked").inner_text()
    taps.type_into(page.get_by_label("Mật khẩu", exact=True), PASSWORD)
    taps.type_into(page.get_by_label("Nhập lại mật khẩu"), PASSWORD)
    fields = taps.n - before
    with page.expect_navigation():
        taps.tap(page.get_by_role("button", name="Đăng ký"))

    # The login page: what happens next, her phone filled in, the password focused, the round kept.
    expect(page).to_have_url(re.compile(rf"/login\?next=/rounds/{world['round_id']}/start$"))
    message = page.get_by_role("status")
    expect(message).to_contain_text("Đăng ký đã được ghi nhận. Hãy đăng nhập ngay bằng số điện thoại và mật khẩu")
    expect(message).to_contain_text("người quản lý đơn vị sẽ xác nhận")
    expect(message).to_contain_text("trong lúc chờ bạn vẫn dự thi được")
    expect(message).not_to_contain_text("từ trước")
    expect(page.get_by_label("Số điện thoại hoặc e-mail")).to_have_value("0966 200 001")
    expect(page.get_by_label("Mật khẩu")).to_be_focused()
    assert_accessible(page, "signup-login-prefilled")
    taps.type_into(page.get_by_label("Mật khẩu"), PASSWORD)  # counted as a tap, not as one of her fields
    with page.expect_navigation():
        taps.tap(page.get_by_role("button", name="Đăng nhập"))

    expect(page).to_have_url(re.compile(rf"/rounds/{world['round_id']}/start$"))
    taps.tap(page.get_by_role("button", name="Bắt đầu làm bài"))
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    expect(page.locator("fieldset[data-aq]").first).to_be_visible()
    print(f"\nTAPS Zalo link → first question (new entrant): {taps.n - fields} taps + {fields} fields")
    assert taps.n - fields <= 14


def test_the_contest_page_from_a_share_link_offers_both_doors_to_the_open_round(live_server, small_phone, world):
    base = live_server["url"]
    page = small_phone()
    page.goto(f"{base}/c/{world['code']}")
    main = page.locator("main")
    start = f"/rounds/{world['round_id']}/start"
    expect(main.get_by_role("link", name="Đăng ký", exact=True)).to_have_attribute("href", f"/register?next={start}")
    expect(main.get_by_role("link", name="Đăng nhập", exact=True)).to_have_attribute("href", f"/login?next={start}")
    page.get_by_role("link", name="Đăng nhập", exact=True).last.click()
    page.get_by_role("link", name="Đăng ký", exact=True).last.click()  # "Chưa có tài khoản? Đăng ký"
    expect(page).to_have_url(re.compile(rf"/register\?next={start}$"))


def test_dates_are_typed_day_first_whatever_the_browser_locale(live_server, browser, request):
    """Item 10: an en-US phone types 03/02/1970 and gets 3 February, not March 2; a bad date is named."""
    base = live_server["url"]
    context = browser.new_context(locale="en-US", bypass_csp=True, viewport=SMALL_PHONE, is_mobile=True,
                                  has_touch=True)
    request.addfinalizer(context.close)
    page = context.new_page()
    page.goto(base + "/register")
    dob = page.locator("#date_of_birth")
    assert dob.get_attribute("type") == "text" and dob.get_attribute("inputmode") == "numeric"
    assert dob.get_attribute("placeholder") == "dd/mm/yyyy" and dob.get_attribute("pattern")
    page.get_by_label("Họ và tên").fill("Ngô Thị Ngày Sinh")
    page.get_by_label("Số điện thoại", exact=True).fill("0966200002")
    page.get_by_label("Tìm đơn vị của bạn").fill("phuoc trung")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    dob.fill("31/02/1990")
    page.get_by_role("button", name="Đăng ký").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name=re.compile("Ngày sinh"))
    expect(link).to_contain_text("31/02/1990 không phải là một ngày có thật")
    link.click()
    expect(dob).to_be_focused()
    expect(dob).to_have_value("31/02/1990")
    expect(dob).to_have_accessible_description(re.compile("31/02/1990 không phải là một ngày có thật"))
    assert_accessible(page, "signup-date-error")
    dob.fill("03/02/1970")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng ký").click()
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(base + "/account")
    expect(page.locator("main")).to_contain_text("03/02/1970")


def test_rules_link_on_the_start_page(live_server, small_phone, world):
    base = live_server["url"]
    page = small_phone()
    page.goto(f"{base}/login?next=/rounds/{world['round_id']}/start")
    page.get_by_label("Số điện thoại hoặc e-mail").fill("0966100001")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(rf"/rounds/{world['round_id']}/start$"))
    page.get_by_role("link", name="Xem thể lệ cuộc thi").click()
    expect(page).to_have_url(re.compile(rf"/contests/{world['slug']}#rules$"))
    rules = page.locator("#rules")
    expect(rules).to_contain_text(RULES)
    expect(rules).to_be_in_viewport()


def test_reset_code_field_opens_the_numeric_keypad(live_server, small_phone):
    page = small_phone()
    page.goto(live_server["url"] + "/password/code")
    code = page.get_by_label("Mã do người quản lý đơn vị cấp")
    expect(code).to_have_attribute("inputmode", "numeric")
    expect(code).to_have_attribute("autocomplete", "one-time-code")


def test_without_a_mail_server_the_reset_page_points_to_the_unit_manager(live_server, small_phone):
    """The browser tests' server has no MAIL_SERVER: nothing may be said to have been sent."""
    page = small_phone()
    page.goto(live_server["url"] + "/password/forgot")
    expect(page.locator("#no-mail")).to_contain_text("hãy nhờ người quản lý đơn vị")
    page.get_by_label("E-mail").fill("ai.do@example.vn")
    page.get_by_role("button", name="Gửi liên kết cho tôi").click()
    expect(page).to_have_url(re.compile(r"/password/code$"))
    status = page.get_by_role("status")
    expect(status).to_contain_text("trang thi chưa có máy chủ gửi thư")
    expect(status).not_to_contain_text("đã được gửi")
    assert_accessible(page, "signup-reset-no-mail")


def test_phone_hint_says_the_format_and_that_it_is_her_login(live_server, small_phone):
    page = small_phone()
    page.goto(live_server["url"] + "/register")
    phone = page.get_by_label("Số điện thoại", exact=True)
    expect(phone).to_have_attribute("type", "tel")
    expect(phone).to_have_accessible_description(
        "10 chữ số, bắt đầu bằng số 0, ví dụ 0912345678. Bạn dùng số này để đăng nhập.")
    snapshot = page.locator("main form").aria_snapshot()
    assert 'textbox "Số điện thoại"' in snapshot


def test_favicon_linked_and_served_without_a_404(live_server, small_phone):
    page = small_phone()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(live_server["url"] + "/")
    href = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(live_server["url"] + href).headers["content-type"] == "image/png"
    ico = page.request.get(live_server["url"] + "/favicon.ico")
    assert ico.status == 200 and ico.headers["content-type"] in ("image/vnd.microsoft.icon", "image/x-icon")
    assert missing == []


def test_failed_login_message_is_tied_to_and_focused_on_its_field(live_server, small_phone):
    page = small_phone()
    page.goto(live_server["url"] + "/login")
    page.get_by_label("Số điện thoại hoặc e-mail").fill("0966100001")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    password = page.get_by_label("Mật khẩu")
    expect(password).to_be_focused()
    message = "Sai số điện thoại / e-mail hoặc mật khẩu."
    expect(password).to_have_accessible_description(message)
    expect(page.get_by_label("Số điện thoại hoặc e-mail")).to_have_accessible_description(message)
    expect(password).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "signup-login-failed")
