"""The unit manager on a 360×740 phone (issue 21 item 8) and accountable confirmation pressed by
hand (issue 20 item 8): members as cards with their actions in reach, the reset-code page with a
copy button and a way back, tap-to-call numbers; "Xác nhận" / "Từ chối" in the queue and the
organiser's review ("Chấp nhận" / "Gạch bỏ") clicked in a real browser."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, app_script, axe_violations, layout_problems, login
from tests.browser.seeding import seed
from tests.browser.test_accounts_phone import MANAGER, shot, small_phone  # noqa: F401  (the 360×740 phone)

ORGANISER = ("0900000002", "toChuc@2026")


def _signups(live_server, people: list[tuple[str, str]], round_id: int | None = None) -> dict:
    """Self-registered (unconfirmed) members of the demo unit VT-P1; with ``round_id`` each has sat it."""
    return app_script(live_server, f"""
import sqlalchemy as sa
from datetime import date
from quizapp.auth.models import User
from quizapp.units.models import Unit
from tests.browser import seeding
unit = db.session.scalar(sa.select(Unit).where(Unit.code == "VT-P1"))
result = {{}}
for phone, name in {people!r}:
    user = seeding.add_participant(phone, name, unit.id)
    user.unit_confirmed = False
    user.position = "Công chức văn phòng"
    db.session.flush()
    if {round_id!r}:
        seeding.sit({round_id!r}, user, 2)
    result[phone] = user.id
""")


def test_members_as_cards_reset_code_copy_and_back_on_a_360_phone(live_server, small_phone):
    base = live_server["url"]
    _signups(live_server, [("0955100001", "Nguyễn Thị Thẻ Thành Viên Có Tên Rất Dài Để Thử Xuống Dòng")])
    page = small_phone
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    login(page, base, *MANAGER)
    # Taps from the manager's home page to a member's reset code: counted as a person makes them.
    taps = 0
    page.goto(base + "/")
    page.get_by_role("link", name="Đơn vị của tôi").first.click()
    taps += 1
    page.get_by_role("link", name="Thành viên", exact=True).click()
    taps += 1
    card = page.locator(".member-card", has_text="Nguyễn Thị Thẻ Thành Viên")
    expect(card).to_be_visible()
    button = card.get_by_role("button", name="Cấp mã đặt lại mật khẩu")
    # the button is on screen without scrolling sideways: inside the 360 px viewport
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    call = card.locator("a[href^='tel:']")
    expect(call).to_have_attribute("href", "tel:0955100001")
    shot(page, "phone360-unit-members-cards")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    button.click()
    taps += 1
    code = page.locator("#reset-code").inner_text()
    assert re.fullmatch(r"\d{8}", code)
    page.get_by_role("button", name="Chép mã").click()
    expect(page.locator("#reset-code-status")).to_contain_text("Đã chép mã")
    assert page.evaluate("navigator.clipboard.readText()") == code
    expect(page.locator("a[href='tel:0955100001']")).to_be_visible()
    shot(page, "phone360-reset-code-copy-and-back")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    page.get_by_role("link", name="Quay lại danh sách thành viên").click()
    expect(page.locator(".member-card", has_text="Nguyễn Thị Thẻ Thành Viên")).to_be_visible()
    assert "/members" in page.url
    assert taps == 3  # home → "Đơn vị của tôi" → "Thành viên" → "Cấp mã đặt lại mật khẩu"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS.parent / "tap-count-unit-manager-reset-code.txt").write_text(
        f"unit manager home -> reset code for a member: {taps} taps\n", encoding="utf-8")


def test_confirm_refuse_and_review_by_clicking(live_server, browser, small_phone):
    base = live_server["url"]
    rnd = seed(live_server, "open_round", title="Cuộc thi xác nhận", round_title="Vòng xác nhận")
    ids = _signups(live_server, [("0955200001", "Phan Thật Sự"), ("0955200002", "Phan Bịa Đặt"),
                                 ("0955200003", "Phan Cũng Thật")], rnd["round_id"])
    page = small_phone
    login(page, base, *MANAGER)
    page.goto(base + "/units/confirm")
    fake = page.locator(".queue-row", has_text="Phan Bịa Đặt")
    expect(fake).to_contain_text("1980")  # birth year, position, last phone digits tell people apart
    expect(fake).to_contain_text("…002")
    shot(page, "phone360-confirm-with-identities")
    assert axe_violations(page) == []
    fake.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Từ chối những người đã chọn").click()
    expect(page.get_by_role("status").first).to_contain_text("Đã từ chối 1")
    expect(page.locator(".queue-row", has_text="Phan Bịa Đặt")).to_have_count(0)
    for name in ("Phan Thật Sự", "Phan Cũng Thật"):
        page.locator(".queue-row", has_text=name).locator("input[type=checkbox]").check()
    page.get_by_role("button", name="Xác nhận những người đã chọn").click()
    expect(page.get_by_role("status").first).to_contain_text("Đã xác nhận 2")

    # The organiser sees the unit flagged (confirmed while the round was open) and reviews it.
    context = browser.new_context(locale="vi-VN", bypass_csp=True, viewport={"width": 1280, "height": 900})
    organiser = context.new_page()
    login(organiser, base, *ORGANISER)
    organiser.goto(base + f"/rounds/{rnd['round_id']}/units")
    flags = organiser.locator(".confirmation-flags")
    expect(flags).to_contain_text("Phường 1")
    flags.get_by_role("link").first.click()
    expect(organiser.locator("h1")).to_contain_text("Phường 1")
    expect(organiser.locator(".queue-row")).to_have_count(2)
    organiser.locator(".queue-row", has_text="Phan Thật Sự").locator("input[type=checkbox]").uncheck()
    organiser.get_by_role("button", name="Gạch bỏ các xác nhận đã chọn").click()  # Phan Cũng Thật
    expect(organiser.get_by_role("status").first).to_contain_text("Đã gạch bỏ 1")
    organiser.get_by_role("button", name="Chấp nhận các xác nhận đã chọn").click()  # Phan Thật Sự
    expect(organiser.get_by_role("status").first).to_contain_text("Đã chấp nhận 1")
    expect(organiser.locator(".queue-row")).to_have_count(0)
    shot(organiser, "desktop-review-confirmations-done")
    assert axe_violations(organiser) == []
    context.close()
    state = app_script(live_server, f"""
import sqlalchemy as sa
from quizapp.auth.models import User
result = {{str(u.id): u.unit_confirmed for u in db.session.scalars(sa.select(User).where(User.id.in_({list(ids.values())!r})))}}
""")
    assert state == {str(ids["0955200001"]): True, str(ids["0955200002"]): False, str(ids["0955200003"]): False}
