"""The contest builder's, the campaign page's and the practice settings' buttons, pressed in a
desktop browser (issue 20 item 18).  Each press is checked by the message and what the page then
shows; a button whose form asks first is confirmed in the page's dialog."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, flashed, login, press, vi, vn_time
from tests.browser.seeding import seed

ORGANISER = ("0900000002", "toChuc@2026")


def _round(page, title: str):
    return page.locator("article.round-admin").filter(has_text=title)


def test_edit_grant_unpublish_rounds_archive_and_delete_contests(live_server, desktop):
    made = seed(live_server, "open_round", title="Cuộc thi nút bấm của Ban Tổ chức", round_title="Vòng nút bấm",
                prediction=False)
    seed(live_server, "participants", people=[["0989100001", "Đinh Văn Ngoại Lệ"]])
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)
    manage = f"{base}/admin/contests/{made['contest_id']}"

    page.goto(manage)
    main.get_by_role("link", name=vi("Edit settings")).click()
    page.get_by_label(vi("Description")).fill("Mô tả đã sửa bằng nút Lưu.")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The contest has been saved."))

    _round(page, "Vòng nút bấm").get_by_role("link", name=vi("Edit round")).click()
    page.get_by_label(vi("Round title")).fill("Vòng nút bấm đã sửa")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The round has been saved."))
    expect(_round(page, "Vòng nút bấm đã sửa")).to_have_count(1)

    _round(page, "Vòng nút bấm đã sửa").get_by_role("link", name=vi("Individual exceptions")).click()
    page.get_by_label("Số điện thoại, e-mail hoặc họ tên").fill("0989100001")
    press(page, main.get_by_role("button", name=vi("Search")))
    main.get_by_role("row", name=re.compile("Đinh Văn Ngoại Lệ")).get_by_role("link", name=vi("Choose")).click()
    page.get_by_label(vi("Extra minutes")).fill("5")
    page.get_by_label(vi("Reason (required)")).fill("Mất điện lúc đang thi")
    press(page, main.get_by_role("button", name=vi("Grant"), exact=True))
    flashed(page, vi("The exception has been granted."))
    expect(main.get_by_role("row", name=re.compile("Đinh Văn Ngoại Lệ.*Mất điện"))).to_be_visible()

    page.goto(manage)
    press(page, main.get_by_role("button", name=vi("Back to draft")))
    flashed(page, vi("The contest is a draft again."))

    main.get_by_role("link", name=vi("Add a round")).click()
    page.get_by_label(vi("Round title")).fill("Vòng thừa sẽ xóa")
    page.get_by_label("Giờ mở (giờ Việt Nam)").fill(vn_time(60 * 24))
    page.get_by_label("Giờ đóng (giờ Việt Nam)").fill(vn_time(60 * 48))
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The round has been added."))
    press(page, _round(page, "Vòng thừa sẽ xóa").get_by_role("button", name=vi("Delete round")))
    flashed(page, vi("The round has been deleted."))
    expect(_round(page, "Vòng thừa sẽ xóa")).to_have_count(0)

    # published again, then archived (the page asks first)
    main.get_by_role("button", name=vi("Publish"), exact=True).click()
    with page.expect_navigation():
        page.get_by_role("dialog").get_by_role("button", name=vi("Publish")).click()
    flashed(page, vi("The contest has been published."))
    press(page, main.get_by_role("button", name=vi("Archive"), exact=True))
    flashed(page, vi("The contest has been archived."))
    expect(main.get_by_role("link", name=vi("Add a round"))).to_have_count(0)

    # a draft made by mistake is deleted (the page asks first)
    page.goto(base + "/admin/contests/new")
    page.get_by_label(vi("Title")).fill("Cuộc thi tạo nhầm")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The contest has been created. Now add its rounds."))
    press(page, main.get_by_role("button", name=vi("Delete"), exact=True))
    flashed(page, vi("The contest has been deleted."))
    expect(main).not_to_contain_text("Cuộc thi tạo nhầm")


SITTERS = [[f"09892000{i:02d}", f"Người Hoàn Thành {i}"] for i in range(1, 10)]


def test_campaign_settings_finishers_background_zip_and_revoke(live_server, desktop):
    made = seed(live_server, "open_round", title="Cuộc thi cấp giấy chứng nhận", round_title="Vòng duy nhất",
                prediction=False)
    app_script(live_server, f"""
from quizapp.auth.models import User
from tests.browser import seeding
for phone, uid in seeding.participants({SITTERS!r}).items():
    seeding.sit({made['round_id']}, db.session.get(User, uid), right=3 if phone.endswith("01") else 1)
""")
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)
    campaign = f"{base}/admin/contests/{made['contest_id']}/campaign"
    page.goto(campaign)

    page.get_by_label(vi("Name of the signer")).fill("Nguyễn Văn Ký")
    press(page, main.get_by_role("button", name=vi("Save the print settings")))
    flashed(page, vi("The print settings have been saved."))
    expect(page.get_by_label(vi("Name of the signer"))).to_have_value("Nguyễn Văn Ký")

    press(page, main.get_by_role("button", name=vi("Give every finisher a certificate")))
    flashed(page, vi("%(n)d certificates of completion have been issued.", n=9))

    page.get_by_label(re.compile("Các giải, mỗi dòng")).fill("Giải Nhất: 1")
    press(page, main.get_by_role("button", name="Xét giải"))
    awards = main.locator("table.awards")
    expect(awards).to_contain_text("Người Hoàn Thành 1")

    # ten certificates, above the server's CAMPAIGN_INLINE_CERTIFICATES (8): the ZIP is a job
    press(page, main.get_by_role("button", name=vi("Build every certificate (ZIP) in the background")))
    expect(page.locator("h1")).not_to_contain_text("Truyền thông")
    expect(page.get_by_role("link", name=re.compile(r"\.zip$"))).to_be_visible(timeout=60_000)

    page.goto(campaign)
    row = awards.get_by_role("row", name=re.compile("Người Hoàn Thành 1"))
    row.locator("summary", has_text=vi("Revoke")).click()
    row.get_by_label(vi("Reason for revoking")).fill("Vi phạm thể lệ")
    press(page, row.get_by_role("button", name=vi("Revoke the certificate")))
    revoked = vi("The certificate %(code)s has been revoked.", code="CODE")
    expect(page.locator(".flash-success")).to_contain_text(re.compile(re.escape(revoked).replace("CODE", r"\S+")))
    expect(awards.get_by_role("row", name=re.compile("Người Hoàn Thành 1"))).to_contain_text("Vi phạm thể lệ")


def test_practice_settings_and_study_set(live_server, desktop):
    code = app_script(live_server, """
import sqlalchemy as sa
from quizapp.bank.models import Question, QuestionStatus
result = db.session.scalar(sa.select(Question.external_id).where(
    Question.for_practice.is_(False), Question.status == QuestionStatus.APPROVED,
    Question.external_id.is_not(None)).order_by(Question.id.desc()).limit(1))
""")
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)
    page.goto(base + "/practice")
    anonymous = page.get_by_label(vi("Visitors without an account may practise too"))
    was = anonymous.is_checked()
    anonymous.set_checked(not was)
    settings = main.locator("form[action$='/practice/settings']")
    press(page, settings.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The practice settings have been saved."))
    expect(page.get_by_label(vi("Visitors without an account may practise too"))).to_be_checked(checked=not was)
    page.get_by_label(vi("Visitors without an account may practise too")).set_checked(was)  # as it was
    press(page, settings.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The practice settings have been saved."))

    page.get_by_label(vi("Question codes")).fill(code)
    press(page, main.get_by_role("button", name=vi("Add to the study set")))
    flashed(page, vi("The study set has been updated (%(n)d questions changed).", n=1))
    expect(main).to_contain_text(code)
    page.get_by_label(vi("Question codes")).fill(code)
    press(page, main.get_by_role("button", name=vi("Remove from the study set")))
    flashed(page, vi("The study set has been updated (%(n)d questions changed).", n=1))
