"""Issue 21 (items 5, 6 and 9), in Chromium on a 360×740 phone: the organiser publishes a contest and its
winners through a page-styled confirmation, marks the prizes and marks them again (the tiers stay in
the box; a revocation needs a reason and /verify then says so), taps the certificate ZIP link, and
reads /ops in organisers' words; no changed page scrolls sideways or hides a table's right columns;
the winner's home page tells her she won.  Screenshots go to test-artifacts/screenshots/phone-organiser-*."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, login, screenshot

SEED = """
from datetime import timedelta
import sqlalchemy as sa
from quizapp.auth.models import EntrantCategory, User
from quizapp.contests import contests
from quizapp.contests import quotas
from quizapp.contests import rounds
from quizapp.contests.models import RoundQuota
from quizapp.core.db import utcnow
from tests.browser import seeding

made = seeding.open_round("Cuộc thi tìm hiểu CCHC trên điện thoại", "Vòng thi thứ nhất")
people = [("0933000001", "Nguyễn Thị Thu Trang", 5), ("0933000002", "Trần Minh Khoa", 4),
          ("0933000003", "Lê Hoàng Yến", 3)]
for phone, name, right in people:
    user = seeding.add_participant(phone, name)
    db.session.flush()
    seeding.sit(made["round_id"], user, right=right, wrong_rest=True)
    db.session.commit()
# A draft contest with a round, one entrant group drawing its own questions, to publish from the phone.
now = utcnow()
areas = {a.code: a.id for a in quotas.reform_areas()}
draft = contests.create_contest(contests.ContestData(title="Cuộc thi nháp trên điện thoại"), None)
rnd = rounds.add_round(draft, rounds.RoundData(
    title="Vòng một", opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8),
    quotas=[quotas.QuotaItem(areas["TC"], 0, 3)]), None)
rnd.quotas.append(RoundQuota(area_id=areas["TTHC"], difficulty=0, count=2, entrant_group=EntrantCategory.STUDENT.value))
result = {**made, "draft": draft.id, "draft_round": rnd.id}
"""

OVERFLOW = """() => {
  const doc = document.documentElement, out = [];
  if (doc.scrollWidth > doc.clientWidth + 1) out.push(`page ${doc.scrollWidth} > ${doc.clientWidth}`);
  for (const w of document.querySelectorAll('.table-wrap')) {
    if (w.scrollWidth > w.clientWidth + 1) out.push(`table hides columns: ${w.scrollWidth} > ${w.clientWidth}`);
  }
  return out;
}"""


def no_overflow(page) -> None:
    assert page.evaluate(OVERFLOW) == [], page.url


def test_organiser_on_a_phone(live_server, browser):
    base = live_server["url"]
    seeded = app_script(live_server, SEED)
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    try:
        login(page, base, "0900000002", "toChuc@2026")

        # The draft contest: entrant groups by name, publishing asks in the page's own dialog.
        page.goto(f"{base}/admin/contests/{seeded['draft']}")
        no_overflow(page)
        main = page.locator("main").inner_text()
        assert "[student]" not in main and "Riêng Học sinh, sinh viên:" in main
        page.get_by_role("button", name="Công bố", exact=True).tap()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Công bố “Cuộc thi nháp trên điện thoại”?")
        screenshot(page, "phone-organiser-publish-confirmation")
        dialog.get_by_role("button", name="Chưa").tap()
        expect(dialog).to_be_hidden()
        status = page.locator("dl.facts dd").first
        expect(status).to_have_text("Nháp")  # nothing happened
        page.get_by_role("button", name="Công bố", exact=True).tap()
        dialog.get_by_role("button", name="Công bố").tap()
        expect(page.locator(".flash-success")).to_be_visible()
        expect(status).to_contain_text("Đã công bố")

        # The quota grid: every difficulty level on screen, as cards.
        page.goto(f"{base}/admin/contests/{seeded['draft']}/rounds/{seeded['draft_round']}/edit")
        no_overflow(page)
        expect(page.locator(".quota-grid td[data-label]").first).to_be_visible()
        screenshot(page, "phone-organiser-quota-grid")

        # The contest form: touch wording, a decimal comma.
        page.goto(f"{base}/admin/contests/{seeded['draft']}/edit")
        no_overflow(page)
        expect(page.locator(".hint-touch").first).to_be_visible()
        expect(page.locator(".hint-fine").first).to_be_hidden()
        rate = page.get_by_label("Tỷ lệ tham gia tối thiểu để xét giải tập thể (%)")
        rate.fill("12,5")
        with page.expect_navigation():
            page.get_by_role("button", name="Lưu").tap()
        expect(page.locator("main")).to_contain_text("12,5")  # the contest page says "12,5%"
        page.goto(f"{base}/admin/contests/{seeded['draft']}/edit")
        expect(rate).to_have_value("12,5")

        # The campaign page: fits the screen; prizes marked, the tiers stay in the box.
        page.goto(f"{base}/admin/contests/{seeded['contest_id']}/campaign")
        no_overflow(page)
        page.get_by_label("Bảng xếp hạng").select_option(label="Vòng thi thứ nhất")
        tiers = page.get_by_label(re.compile("Các giải, mỗi dòng"))
        tiers.fill("Giải Nhất: 1\nGiải Nhì: 1")
        page.get_by_role("button", name="Xét giải").tap()
        expect(page.locator(".flash-success")).to_contain_text("Đã xét 2 giải")
        expect(tiers).to_have_value("Giải Nhất: 1\nGiải Nhì: 1")
        expect(page.locator("#certificates h2")).to_contain_text("Cuộc thi tìm hiểu CCHC trên điện thoại")
        no_overflow(page)
        awards = page.locator("table.awards")
        expect(awards).to_contain_text("Nguyễn Thị Thu Trang")
        second_code = awards.locator("tr", has_text="Trần Minh Khoa").locator("a", has_text=re.compile("-")).inner_text()

        # Publishing the winners asks first.
        page.get_by_role("button", name="Công bố danh sách đoạt giải").tap()
        dialog = page.get_by_role("dialog")
        expect(dialog).to_contain_text("Công bố danh sách đoạt giải của “Cuộc thi tìm hiểu CCHC trên điện thoại”?")
        dialog.get_by_role("button", name="Công bố").tap()
        expect(page.locator(".flash-success")).to_contain_text("Đã công bố")

        # A tap on the ZIP link downloads the ZIP (nothing lies on top of it).
        zip_link = page.get_by_role("link", name="Tải tất cả giấy chứng nhận (ZIP)")
        zip_link.scroll_into_view_if_needed()
        with page.expect_download() as info:
            zip_link.tap()
        assert info.value.suggested_filename.endswith(".zip")
        screenshot(page, "phone-organiser-campaign")

        # Marking again with other prizes: refused without a reason, then the Nhì certificate is revoked.
        page.get_by_label("Bảng xếp hạng").select_option(label="Vòng thi thứ nhất")
        tiers.fill("Giải Nhất: 1\nGiải Ba: 1")
        page.get_by_role("button", name="Xét giải").tap()
        expect(page.locator("main")).to_contain_text("Hãy ghi lý do thu hồi")
        page.get_by_label(re.compile("Lý do, nếu xét lại")).fill("Hội đồng điều chỉnh cơ cấu giải")
        page.get_by_role("button", name="Xét giải").tap()
        expect(page.locator(".flash-success")).to_contain_text("1 giữ nguyên như đã cấp, 1 thu hồi")
        expect(page.locator("table.awards tr.revoked")).to_contain_text("Đã thu hồi")
        page.goto(f"{base}/verify/{second_code}")
        expect(page.locator(".verify-revoked")).to_contain_text("đã bị thu hồi ngày")
        no_overflow(page)
        screenshot(page, "phone-organiser-verify-revoked")

        # /ops in organisers' words, decimal commas, no sideways scrolling.
        page.goto(f"{base}/ops")
        no_overflow(page)
        main = page.locator("main").inner_text()
        for developer_word in ("4xx", "5xx", "503", "p95", "PROMETHEUS_MULTIPROC_DIR"):
            assert developer_word not in main, developer_word
        assert not re.search(r"\d\.\d", main), "a dot decimal on /ops"
        screenshot(page, "phone-organiser-ops")

        # The round's statistics: nothing squeezed out of view.
        page.goto(f"{base}/rounds/{seeded['round_id']}/stats")
        no_overflow(page)
        screenshot(page, "phone-organiser-stats")
    finally:
        context.close()

    # The winner, on her phone: the home page tells her she won.
    winner = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                 locale="vi-VN")
    page = winner.new_page()
    try:
        login(page, base, "0933000001", "matKhau@2026")
        page.goto(base + "/")
        won = page.locator(".prize-won")
        expect(won).to_contain_text("Chúc mừng bạn đã đoạt giải!")
        expect(won).to_contain_text("Giải Nhất – Vòng thi thứ nhất, Cuộc thi tìm hiểu CCHC trên điện thoại")
        no_overflow(page)
        screenshot(page, "phone-winner-home")
    finally:
        winner.close()
