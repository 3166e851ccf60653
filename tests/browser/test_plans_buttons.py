"""The communication plan's buttons (issue 23), pressed in a real browser (issue 20 item 18): the
unit manager on a phone (report settings, the unit's plan, an activity edited, its photo removed,
the activity deleted; a quarterly report saved, submitted and its evidence pack built) and the
organiser on a desktop (the report returned, the province's consolidated report, a province plan
with its tasks added, deleted and imported, a form of communication added and retired)."""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, flashed, login, new_page, press, vi
from tests.plans_support import photo_with_gps

MANAGER = ("0900000003", "quanLy@2026")  # Thành phố Vũng Tàu (VT)
ORGANISER = ("0900000002", "toChuc@2026")


def _vt(live_server) -> dict:
    return app_script(live_server, """
import sqlalchemy as sa
from quizapp.plans import activities
from quizapp.units.models import Unit
today = activities.vn_today()
result = {"unit": db.session.scalar(sa.select(Unit.id).where(Unit.code == "VT")), "year": today.year,
          "quarter": (today.month - 1) // 3 + 1}
""")


def test_manager_on_a_phone_settings_plan_activity_and_its_photo(live_server, phone, tmp_path):
    vt = _vt(live_server)
    page, base = phone, live_server["url"]
    main = page.locator("main")
    login(page, base, *MANAGER)

    page.goto(f"{base}/units/{vt['unit']}/report-settings")
    page.get_by_label("Họ tên người ký").fill("Trần Thị Quản Lý")
    press(page, main.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The unit's report settings are saved."))
    expect(page.get_by_label("Họ tên người ký")).to_have_value("Trần Thị Quản Lý")

    page.goto(f"{base}/plans/units/{vt['unit']}/plan/{vt['year']}")
    page.get_by_label("Bài viết trên Cổng/Trang thông tin điện tử").fill("15")
    press(page, main.get_by_role("button", name="Lưu kế hoạch của đơn vị"))
    flashed(page, vi("The unit's plan has been saved."))
    page.goto(f"{base}/plans/units/{vt['unit']}/plan/{vt['year']}")
    expect(page.get_by_label("Bài viết trên Cổng/Trang thông tin điện tử")).to_have_value("15")

    page.goto(f"{base}/plans/units/{vt['unit']}/activities/new")
    photo = tmp_path / "IMG_3001.jpg"
    photo.write_bytes(photo_with_gps((1200, 900)))
    page.get_by_label("Hình thức tuyên truyền").select_option(label="Mạng xã hội (Zalo, Facebook, YouTube…)")
    page.get_by_label("Nội dung hoạt động").fill("Đăng tin CCHC trên Zalo của thành phố")
    page.get_by_label("Số lượt người").fill("150")
    page.get_by_label("Ảnh hoặc biên bản (PDF)").set_input_files(str(photo))
    press(page, main.get_by_role("button", name="Lưu hoạt động"))
    flashed(page, vi("The activity has been saved."))

    main.get_by_role("link", name="Đăng tin CCHC trên Zalo của thành phố").click()
    page.get_by_label("Số lượt người").fill("180")
    press(page, main.get_by_role("button", name="Lưu hoạt động"))
    flashed(page, vi("The activity has been saved."))
    expect(main.locator("li", has_text="Đăng tin CCHC trên Zalo")).to_contain_text(vi("%(n)d people", n=180))

    main.get_by_role("link", name="Đăng tin CCHC trên Zalo của thành phố").click()
    press(page, main.get_by_role("button", name=vi("Remove"), exact=True))
    flashed(page, vi("The file has been removed."))
    expect(main).not_to_contain_text("IMG_3001.jpg")
    press(page, main.get_by_role("button", name=vi("Delete the activity")))
    flashed(page, vi("The activity has been deleted."))
    expect(main.get_by_role("link", name="Đăng tin CCHC trên Zalo của thành phố")).to_have_count(0)


def test_quarterly_report_saved_submitted_packed_returned_and_consolidated(live_server, browser, phone):
    vt = _vt(live_server)
    base = live_server["url"]
    report = f"{base}/plans/units/{vt['unit']}/reports/quarter/{vt['year']}/{vt['quarter']}"
    page = phone
    main = page.locator("main")
    login(page, base, *MANAGER)
    page.goto(report)
    page.get_by_label(vi("I. Situation")).fill("Thành phố đã triển khai đầy đủ kế hoạch tuyên truyền.")
    press(page, main.get_by_role("button", name=vi("Save the report")))
    flashed(page, vi("The report has been saved."))
    expect(page.get_by_label(vi("I. Situation"))).to_have_value("Thành phố đã triển khai đầy đủ kế hoạch tuyên truyền.")
    press(page, main.get_by_role("button", name=vi("Submit the report")))
    flashed(page, vi("The report has been submitted to the province."))
    press(page, main.get_by_role("button", name=vi("Build the evidence pack (ZIP)")))
    expect(page.get_by_role("link", name=re.compile(r"\.zip$"))).to_be_visible(timeout=60_000)

    desk = new_page(browser, "desktop")
    try:
        main = desk.locator("main")
        login(desk, base, *ORGANISER)
        desk.goto(report)
        desk.get_by_label(vi("What must be corrected")).fill("Bổ sung số liệu tháng 12.")
        press(desk, main.get_by_role("button", name=vi("Return for correction")))
        flashed(desk, vi("The report has been returned for correction."))
        expect(main).to_contain_text("Bổ sung số liệu tháng 12.")

        desk.goto(f"{base}/admin/plans/reports")
        press(desk, main.get_by_role("button", name="Lập báo cáo tổng hợp của tỉnh"))
        expect(desk.get_by_role("link", name=re.compile(r"\.(zip|docx)$")).first).to_be_visible(timeout=60_000)
    finally:
        desk.context.close()


def _tasks_xlsx(path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời gian thực hiện", "Kết quả dự kiến"])
    ws.append([1, "Hội nghị tập huấn CCHC năm 2027", "Sở Nội vụ", "Các sở", "Quý II", "02 hội nghị"])
    ws.append([2, "Chuyên mục CCHC trên Đài năm 2027", "Đài PT-TH", "", "Cả năm", "12 chuyên mục"])
    out = io.BytesIO()
    wb.save(out)
    path.write_bytes(out.getvalue())


def test_organiser_province_plan_tasks_and_forms(live_server, desktop, tmp_path):
    page, base = desktop, live_server["url"]
    main = page.locator("main")
    login(page, base, *ORGANISER)

    page.goto(base + "/admin/plans")
    page.get_by_label(vi("Year")).fill("2027")
    page.get_by_label(vi("Title")).fill("Kế hoạch tuyên truyền CCHC năm 2027")
    press(page, main.get_by_role("button", name=vi("Save the plan")))
    flashed(page, vi("The plan has been saved."))
    page.get_by_label(vi("Number (e.g. 46/KH-UBND)")).fill("12/KH-UBND")
    press(page, main.get_by_role("button", name=vi("Save the plan")))
    flashed(page, vi("The plan has been saved."))
    expect(page.get_by_label(vi("Number (e.g. 46/KH-UBND)"))).to_have_value("12/KH-UBND")

    page.get_by_label(vi("Task"), exact=True).fill("Nhiệm vụ thêm nhầm")
    page.get_by_label(vi("Timeline (e.g. Quý II, Cả năm, 30/06/2026)")).fill("Quý III")
    press(page, main.get_by_role("button", name=vi("Add the task")))
    flashed(page, vi("The task has been added."))
    row = main.locator("tr, li").filter(has_text="Nhiệm vụ thêm nhầm").last
    press(page, row.get_by_role("button", name=vi("Delete"), exact=True))
    flashed(page, vi("The task has been deleted."))
    expect(main).not_to_contain_text("Nhiệm vụ thêm nhầm")

    sheet = tmp_path / "nhiem-vu.xlsx"
    _tasks_xlsx(sheet)
    page.get_by_label(vi("Task list (.xlsx)")).set_input_files(str(sheet))
    press(page, main.get_by_role("button", name=vi("Import (replaces the task list)")))
    flashed(page, vi("%(n)d tasks imported.", n=2))
    expect(main).to_contain_text("Chuyên mục CCHC trên Đài năm 2027")

    page.goto(base + "/admin/plans/forms")
    page.get_by_label(vi("Name of the form")).fill("Tuyên truyền qua loa phát thanh thôn, tổ dân phố")
    press(page, main.get_by_role("button", name=vi("Add the form")))
    flashed(page, vi("The form has been added."))
    item = main.locator("li").filter(has_text="Tuyên truyền qua loa phát thanh thôn, tổ dân phố")
    press(page, item.get_by_role("button", name=vi("Stop using")))
    expect(item).to_contain_text(vi("not in use"))
    expect(item.get_by_role("button", name=vi("Use again"))).to_be_visible()
