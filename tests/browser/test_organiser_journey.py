"""An organiser's contest, as they live it in Chromium on a desktop.

Import a question bank from Excel (a bad file first: its row errors are shown
and nothing is imported; then a good one), build a contest with a round and a
quota, publish it, watch an entrant's result arrive on the leaderboard and the
statistics, and export the results to Excel.
"""
from __future__ import annotations

import re

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot, vn_time

CONTEST = "Hội thi cải cách hành chính khối xã, phường 2026"
ROUND = "Vòng sơ khảo"
HEADINGS = ["Mã câu hỏi", "Lĩnh vực", "Mức độ", "Nhiều đáp án đúng", "Câu hỏi", "Phương án A", "Phương án B",
            "Phương án C", "Phương án D", "Đáp án đúng", "Giải thích", "Nguồn", "Ngày tham chiếu"]


def question_file(path, rows) -> str:
    """An .xlsx in the importer's template layout: the headings, then one list per question."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Câu hỏi"
    ws.append(HEADINGS)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return str(path)


BAD_ROWS = [
    ["E2E-001", "TC", 1, "Không", "Cơ quan nào chủ trì Kế hoạch cải cách hành chính của tỉnh?",
     "Sở Nội vụ", "Sở Tư pháp", "Văn phòng UBND tỉnh", "Sở Tài chính", "", "", "", ""],  # no correct option
    ["E2E-002", "Không có lĩnh vực này", 2, "Không", "Chỉ số PAR INDEX đo lường điều gì?",
     "Kết quả cải cách hành chính", "Tăng trưởng kinh tế", "Dân số", "Ngân sách", "A", "", "", ""],  # unknown area
    ["E2E-003", "TTHC", 1, "Không", "Bộ phận Một cửa cấp xã tiếp nhận hồ sơ của ai?",
     "Tổ chức, cá nhân", "Chỉ doanh nghiệp", "Chỉ cán bộ", "Không ai", "A", "", "", ""],  # fine on its own
]
GOOD_ROWS = [
    ["E2E-001", "TC", 1, "Không", "Cơ quan nào chủ trì Kế hoạch cải cách hành chính của tỉnh?",
     "Sở Nội vụ", "Sở Tư pháp", "Văn phòng UBND tỉnh", "Sở Tài chính", "A", "", "", ""],
    ["E2E-002", "TC", 2, "Không", "Chỉ số PAR INDEX đo lường điều gì?",
     "Kết quả cải cách hành chính", "Tăng trưởng kinh tế", "Dân số", "Ngân sách", "A", "", "", ""],
    ["E2E-003", "TTHC", 1, "Không", "Bộ phận Một cửa cấp xã tiếp nhận hồ sơ của ai?",
     "Tổ chức, cá nhân", "Chỉ doanh nghiệp", "Chỉ cán bộ", "Không ai", "A", "", "", ""],
]


def import_file(page, base, path):
    page.goto(base + "/admin/bank/import")
    page.get_by_label(re.compile(r"^Tệp câu hỏi")).set_input_files(path)
    with page.expect_navigation():
        page.get_by_role("button", name="Nhập dữ liệu").click()


def sit_the_round(browser, base):
    """The demo entrant takes the organiser's new round on a phone and submits it."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN")
    page = context.new_page()
    try:
        login(page, base, "0900000004", "duThi@2026")
        page.goto(base + "/contests")
        page.get_by_role("link", name=CONTEST).click()
        page.get_by_role("link", name="Vào thi").click()
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        page.wait_for_url(re.compile(r"/attempts/\d+$"))
        questions = page.locator("fieldset[data-aq]")
        assert questions.count() == 3
        for i in range(3):
            questions.nth(i).locator("label.option").first.click()
        for i in range(3):
            page.wait_for_function("el => el.dataset.state === 'saved'",
                                   arg=questions.nth(i).locator(".save-state").element_handle())
        page.get_by_label(re.compile("Câu dự đoán")).fill("1")
        page.get_by_role("button", name="Nộp bài", exact=True).click()
        page.get_by_role("button", name="Nộp bài ngay").click()  # the page's own confirmation
        page.wait_for_url(re.compile(r"/result$"))
        return page.locator(".result-score").inner_text()
    finally:
        context.close()


def reload_until(page, text: str, tries: int = 12) -> None:
    """Leaderboards are cached for a few seconds: reload until ``text`` appears."""
    for _ in range(tries):
        if text in page.locator("main").inner_text():
            return
        page.wait_for_timeout(500)
        page.reload()
    assert text in page.locator("main").inner_text()


def test_import_build_publish_watch_and_export(live_server, browser, desktop, tmp_path):
    base = live_server["url"]
    page = desktop
    login(page, base, "0900000002", "toChuc@2026")

    # --- a bad file: each faulty row is named with its problem, nothing is imported
    import_file(page, base, question_file(tmp_path / "cau-hoi-loi.xlsx", BAD_ROWS))
    main = page.locator("main")
    assert "Tệp có 2 lỗi; không có dữ liệu nào được nhập." in main.inner_text()
    errors = [[c.strip() for c in row] for row in
              (r.locator("td").all_inner_texts() for r in main.locator("table tbody tr").all())]
    assert [e[0] for e in errors] == ["2", "3"]
    assert errors[0][1] == "Đáp án đúng"
    assert errors[1][1] == "Lĩnh vực" and "Không có lĩnh vực này" in errors[1][2]
    screenshot(page, "desktop-bank-import-errors")
    page.goto(base + "/admin/bank?q=PAR+INDEX")
    assert "Chỉ số PAR INDEX" not in page.locator("main").inner_text()

    # --- the corrected file goes in whole
    import_file(page, base, question_file(tmp_path / "cau-hoi.xlsx", GOOD_ROWS))
    assert "Đã nhập xong: 3 câu hỏi mới, 0 phiên bản mới, 0 câu không đổi." in page.locator("main").inner_text()
    page.goto(base + "/admin/bank?q=par+index")  # found without diacritics too
    assert "Chỉ số PAR INDEX đo lường điều gì?" in page.locator("main").inner_text()

    # --- builds a contest with one round and a quota, and publishes it
    page.goto(base + "/admin/contests")
    page.get_by_role("link", name="Tạo cuộc thi").click()
    page.get_by_label("Tiêu đề").fill(CONTEST)
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("h1")).to_have_text(CONTEST)
    page.get_by_role("link", name="Thêm vòng thi").click()
    page.get_by_label("Tên vòng thi").fill(ROUND)
    page.get_by_label("Giờ mở (giờ Việt Nam)").fill(vn_time(-2))
    page.get_by_label("Giờ đóng (giờ Việt Nam)").fill(vn_time(3 * 24 * 60))
    assert page.locator("#quota-total").inner_text() == "20"  # the usual 20 questions, pre-filled
    for box in page.locator("input.quota-input").all():
        box.fill("")
    page.get_by_label("Cải cách thể chế – Bất kỳ", exact=True).fill("2")
    page.get_by_label("Cải cách thủ tục hành chính – Bất kỳ", exact=True).fill("1")
    assert page.locator("#quota-total").inner_text() == "3"
    page.get_by_label("Thời gian làm bài mỗi lượt (phút)").fill("10")
    page.get_by_label("Số lượt thi tối đa mỗi người").fill("2")
    page.get_by_role("button", name="Lưu").click()
    rounds = page.locator(".round-admin")
    expect(rounds).to_have_count(1)
    assert "Cải cách thể chế (Bất kỳ): 2; Cải cách thủ tục hành chính (Bất kỳ): 1" in rounds.inner_text()
    assert "10 phút" in rounds.inner_text()
    page.get_by_role("button", name="Công bố").click()
    page.get_by_role("dialog").get_by_role("button", name="Công bố").click()  # the page asks first (issue 21)
    expect(page.locator("main .facts").first).to_contain_text("Đã công bố")
    screenshot(page, "desktop-contest-manage")

    # --- watches the entries arrive
    page.get_by_role("link", name="Kết quả và xếp hạng").click()
    expect(page.locator(".lb-table")).to_contain_text("Chưa có kết quả.")
    score = sit_the_round(browser, base)
    reload_until(page, "Lê Văn Dự Thi")
    row = page.locator(".lb-table tbody tr").first
    assert row.locator("td").nth(1).inner_text() == "Lê Văn Dự Thi"
    assert row.locator("td").nth(2).inner_text() == "Phường 1"
    assert row.locator("td").nth(3).inner_text() == score
    page.get_by_role("link", name="Thống kê", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Thống kê")
    facts = page.locator("main dl.facts").inner_text()
    assert re.search(r"Số người dự thi\s+1\b", facts) and re.search(r"Lượt thi đã nộp\s+1\b", facts), facts
    screenshot(page, "desktop-round-stats-after")

    # --- exports the results to Excel
    page.get_by_role("link", name="Cá nhân").click()
    expect(page.locator("h1")).to_contain_text("Xếp hạng cá nhân")
    page.get_by_role("button", name="Tải về Excel (.xlsx)").click()
    # the export runs as a job: its page shows the progress, then the download link
    expect(page.locator("h1")).to_have_text("Xuất kết quả")
    link = page.get_by_role("link", name=re.compile(r"^Tải về ket-qua-.*\.xlsx$"))
    expect(link).to_be_visible(timeout=30_000)
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    ws = load_workbook(path, read_only=True).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    # Not published yet (a prediction round still open): the organisers' copy says so (issue 20.4).
    assert rows[0][0] == f"MẬT — CHƯA CÔNG BỐ — Kết quả cá nhân — {CONTEST} — {ROUND}"
    assert rows[2][:10] == ["STT", "Hạng", "Họ và tên", "Đơn vị", "Điểm", "Điểm tối đa", "Thời gian làm bài",
                            "Dự đoán", "Thời điểm nộp bài", "Lượt thi"]
    got, of = (int(x) for x in score.split("/"))
    assert rows[3][:6] == [1, 1, "Lê Văn Dự Thi", "Phường 1", got, of]  # numbers, not "x/y" text
    assert rows[3][7] is None and rows[3][9] == 1  # the prediction stays secret until the round is finalised
    assert len(rows) == 4
    screenshot(page, "desktop-export-job-done")


def test_contest_units_are_found_without_diacritics_and_a_hidden_choice_is_kept(live_server, desktop):
    """The unit list of the contest form is long (every department, district and commune): a filter
    box narrows it, and a unit chosen before the filter changed stays chosen and is saved."""
    base = live_server["url"]
    page = desktop
    login(page, base, "0900000002", "toChuc@2026")
    page.goto(base + "/admin/contests")
    page.get_by_role("link", name="Tạo cuộc thi").click()
    page.get_by_label("Tiêu đề").fill("Cuộc thi của Sở Nội vụ")
    page.get_by_label("Mọi người dùng đã đăng ký đều được dự thi").uncheck()
    units = page.locator("#unit_ids")
    total = units.locator("option").count()
    page.get_by_label("Tìm đơn vị").fill("so noi vu")
    visible = units.locator("option:not([hidden])").all_inner_texts()
    assert len(visible) == 1 and "Sở Nội vụ" in visible[0] and total > 40
    units.select_option(label=visible[0])
    expect(page.locator("[data-selected-count]")).to_have_text("Đã chọn: 1 đơn vị")
    page.get_by_label("Tìm đơn vị").fill("phuoc trung")
    shown = units.locator("option:not([hidden])").all_inner_texts()
    assert len(shown) == 1 and "Phường Phước Trung" in shown[0]
    assert units.evaluate("s => Array.from(s.selectedOptions, o => o.text)") == visible  # hidden, still chosen
    page.get_by_role("button", name="Lưu").click()
    expect(page.locator("h1")).to_have_text("Cuộc thi của Sở Nội vụ")
    assert "Đơn vị: Sở Nội vụ." in page.locator("main").inner_text()
