"""The organiser's unit pages, every button pressed in a desktop browser (issue 20 item 18): a unit
created, edited, moved under another, a third merged into it, archived and restored, and a unit list
imported from a CSV file.  Each press is checked by what the page then shows."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import app_script, flashed, login, press, vi

ORGANISER = ("0900000002", "toChuc@2026")


def _create(page, base: str, code: str, name: str, kind: str = "department") -> int:
    page.goto(base + "/admin/units/new")
    page.get_by_label(vi("Unit code")).fill(code)
    page.get_by_label(vi("Unit name")).fill(name)
    page.get_by_label(vi("Parent unit")).select_option(label="Tỉnh Bà Rịa – Vũng Tàu")  # not a second root
    page.get_by_label(vi("Kind")).select_option(kind)
    page.get_by_label(vi("Headcount")).fill("10")
    press(page, page.locator("main").get_by_role("button", name=vi("Save")))
    flashed(page, vi("The unit has been created."))
    expect(page.locator("h1")).to_contain_text(name)
    return int(re.search(r"/admin/units/(\d+)$", page.url).group(1))


def test_create_edit_move_merge_archive_restore_and_import_units(live_server, desktop, tmp_path):
    page, base = desktop, live_server["url"]
    login(page, base, *ORGANISER)
    parent = _create(page, base, "BTN-A", "Sở Thử Nút")
    child = _create(page, base, "BTN-B", "Phòng Thử Nút")

    main = page.locator("main")
    main.get_by_label(vi("Headcount")).fill("42")
    press(page, main.locator("form").first.get_by_role("button", name=vi("Save")))
    flashed(page, vi("The unit has been saved."))
    expect(main.get_by_label(vi("Headcount"))).to_have_value("42")

    page.locator('select[name="move-parent_id"]').select_option(str(parent))
    press(page, main.get_by_role("button", name=vi("Move"), exact=True))
    flashed(page, vi("The unit has been moved."))
    assert app_script(live_server, f"from quizapp.units.models import Unit\n"
                                   f"result = db.session.get(Unit, {child}).parent_id") == parent

    third = _create(page, base, "BTN-C", "Tổ Thử Nút")
    page.locator('select[name="merge-target_id"]').select_option(str(child))
    press(page, main.get_by_role("button", name=vi("Merge"), exact=True))
    expect(main.locator("h1")).to_contain_text("Tổ Thử Nút")  # first what moves, then the confirmation
    press(page, main.get_by_role("button", name="Xác nhận thay đổi"))
    flashed(page, vi("The unit has been merged."))
    page.goto(f"{base}/admin/units/{third}")
    expect(main.locator(".flash-info")).to_contain_text("Phòng Thử Nút")  # "Merged into …", archived

    page.goto(f"{base}/admin/units/{child}")
    press(page, main.get_by_role("button", name=vi("Archive"), exact=True))
    flashed(page, vi("The unit has been archived."))
    expect(main.locator(".flash-info")).to_contain_text(vi("This unit is archived."))
    press(page, main.get_by_role("button", name=vi("Restore"), exact=True))
    flashed(page, vi("The unit has been restored."))
    expect(main.get_by_text(vi("This unit is archived."))).to_have_count(0)

    csv = tmp_path / "don-vi.csv"
    csv.write_text("Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại,Khối,Biên chế\n"
                   "BTN-D,Trung tâm Thử Nút,BTN-A,agency,,12\n", encoding="utf-8")
    page.goto(base + "/admin/units")
    page.get_by_label(vi("Unit file (.xlsx or .csv)")).set_input_files(str(csv))
    press(page, main.get_by_role("button", name=vi("Import")))
    expect(main.locator(".flash-success")).to_contain_text(vi("Import complete: %(c)d created, %(u)d updated.", c=1, u=0))
    page.goto(base + "/admin/units?q=trung+tam+thu+nut")
    expect(main).to_contain_text("Trung tâm Thử Nút")
