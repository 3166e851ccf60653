"""The admin's account pages and the organiser's contest-wide and unit-ranking exports, pressed in a
desktop browser (issue 20 item 18).  (The round ranking's export is pressed by
test_organiser_journey.py.)"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, flashed, login, press, vi
from tests.browser.seeding import seed

ADMIN = ("0900000001", "quanTri@2026")
ORGANISER = ("0900000002", "toChuc@2026")


def test_admin_searches_and_edits_an_account(live_server, desktop):
    seed(live_server, "participants", people=[["0989300001", "Hoàng Thị Tài Khoản"]])
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ADMIN)

    page.goto(base + "/admin/users")
    page.get_by_label(vi("Search by name, phone or e-mail")).fill("0989300001")
    press(page, main.get_by_role("button", name=vi("Search")))
    row = main.get_by_role("row", name=re.compile("Hoàng Thị Tài Khoản"))
    expect(row).to_have_count(1)
    expect(main.get_by_role("row")).to_have_count(2)  # the heading and the one account found

    row.get_by_role("link", name=vi("Edit")).click()
    page.get_by_label(vi("Full name")).fill("Hoàng Thị Tài Khoản Đã Sửa")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The account has been saved."))
    page.get_by_label(vi("Search by name, phone or e-mail")).fill("0989300001")
    press(page, main.get_by_role("button", name=vi("Search")))
    expect(main.get_by_role("row", name=re.compile("Hoàng Thị Tài Khoản Đã Sửa"))).to_have_count(1)


def _job_done(page) -> None:
    """The export's job page: its download link appears when the worker is done."""
    expect(page.get_by_role("link", name=re.compile(r"\.(xlsx|csv)$"))).to_be_visible(timeout=60_000)


def test_contest_and_unit_ranking_exports(live_server, desktop):
    made = seed(live_server, "open_round", title="Cuộc thi xuất kết quả", round_title="Vòng xuất", prediction=False)
    app_script(live_server, f"""
from quizapp.auth.models import User
from tests.browser import seeding
for uid in seeding.participants([["0989300002", "Vũ Văn Xuất"]]).values():
    seeding.sit({made['round_id']}, db.session.get(User, uid), right=2)
""")
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)

    page.goto(f"{base}/contests/{made['contest_id']}/leaderboard")
    expect(main).to_contain_text("Vũ Văn Xuất")
    press(page, main.get_by_role("button", name=vi("Download Excel (.xlsx)")))
    _job_done(page)

    page.goto(f"{base}/rounds/{made['round_id']}/units")
    press(page, main.get_by_role("button", name=vi("Download CSV")))
    _job_done(page)
