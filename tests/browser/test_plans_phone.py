"""Issue 23 on a 360×740 phone: the demo ward's reform focal officer logs an activity with a photo
(from the phone's camera roll, with GPS in its EXIF) and downloads the ward's quarterly report; the
.docx is read back with python-docx and its figures checked against the database."""
from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, app_script, axe_violations, layout_problems, login
from tests.plans_support import photo_with_gps

OFFICER = ("0900000005", "dauMoi@2026")
SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture()
def small_phone(browser):
    context = browser.new_context(locale="vi-VN", bypass_csp=True, viewport=SMALL_PHONE, device_scale_factor=1,
                                  is_mobile=True, has_touch=True, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def _ward_figures(live_server) -> dict:
    return app_script(live_server, """
import sqlalchemy as sa
from quizapp.plans import activities, reporting
from quizapp.plans.models import Activity, Evidence
from quizapp.units.models import Unit
unit = db.session.scalar(sa.select(Unit).where(Unit.code == "VT-P1"))
today = activities.vn_today()
q = (today.month - 1) // 3 + 1
fig = reporting.figures(unit, "quarter", today.year, q)
photo = db.session.scalar(sa.select(Evidence.stored).join(Activity).where(Activity.title == "Tuyên truyền CCHC tại chợ Phường 1"))
visual = [r for r in fig.activities if r.form.startswith("Tuyên truyền trực quan")]
result = {"unit_id": unit.id, "year": today.year, "quarter": q, "n": len(fig.activities),
          "reached": sum(r.reached for r in fig.activities), "photo": photo,
          "visual_n": len(visual), "visual_reached": sum(r.reached for r in visual)}
""")


def test_officer_logs_an_activity_with_a_photo_and_downloads_the_quarterly_report(live_server, small_phone, tmp_path):
    from docx import Document
    from PIL import Image

    page = small_phone
    base = live_server["url"]
    login(page, base, *OFFICER)
    page.goto(base + "/plans")
    expect(page.get_by_role("heading", name="Phường 1")).to_be_visible()
    page.get_by_role("link", name="Ghi nhận hoạt động").first.click()
    page.wait_for_load_state()
    assert layout_problems(page) == []
    assert axe_violations(page) == []
    photo = tmp_path / "IMG_2041.jpg"
    photo.write_bytes(photo_with_gps((2400, 1800)))
    page.get_by_label("Hình thức tuyên truyền").select_option(label="Tuyên truyền trực quan: pano, áp phích, băng rôn, kịch ngắn")
    page.get_by_label("Nội dung hoạt động").fill("Tuyên truyền CCHC tại chợ Phường 1")
    page.get_by_label("Đối tượng").select_option(label="Người dân")
    page.get_by_label("Số lượt người").fill("321")
    page.get_by_label("Ảnh hoặc biên bản (PDF)").set_input_files(str(photo))
    with page.expect_navigation():
        page.get_by_role("button", name="Lưu hoạt động").click()
    expect(page.get_by_text("Đã lưu hoạt động.")).to_be_visible()
    expect(page.get_by_text("Tuyên truyền CCHC tại chợ Phường 1")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plans-activity-list-phone.png"), full_page=True)

    figures = _ward_figures(live_server)
    stored = Image.open(io.BytesIO((__import__("pathlib").Path(live_server["env"]["JOBS_DIR"]) / "evidence" /
                                    figures["photo"]).read_bytes()))
    assert max(stored.size) <= 1600 and 0x8825 not in stored.getexif()  # shrunk, no GPS

    page.goto(f"{base}/plans/units/{figures['unit_id']}/reports/quarter/{figures['year']}/{figures['quarter']}")
    with page.expect_download() as info:
        page.locator("#download-docx").click()
    path = tmp_path / "report.docx"
    info.value.save_as(path)
    doc = Document(str(path))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = "\n".join(" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows)
    assert "PHƯỜNG 1" in cells and "THÀNH PHỐ VŨNG TÀU" in cells
    reached = f"{figures['reached']:,}".replace(",", ".")
    assert f"đã thực hiện {figures['n']} hoạt động" in text and f"{reached} lượt người" in text
    line = next(r.split(" | ") for r in cells.splitlines()
                if r.split(" | ")[1:2] == ["Tuyên truyền trực quan: pano, áp phích, băng rôn, kịch ngắn"])
    assert figures["visual_n"] >= 1 and figures["visual_reached"] >= 321
    assert line[3] == str(figures["visual_n"]) and line[5] == f"{figures['visual_reached']:,}".replace(",", ".")
