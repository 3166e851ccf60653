"""Issue 12, walked on a 360×740 touch phone: what a commune official and a unit manager do.

Each test keeps a screenshot under test-artifacts/screenshots/phone-*.png and runs axe-core
(no serious or critical violation).  The taps are counted where the issue asks for them:
from a Zalo link (the contest's URL) to a result, and from the unit manager's login to
his list of people who have not taken part.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import app_script, axe_violations, layout_problems, screenshot

SMALL_PHONE = {"width": 360, "height": 740}
PASSWORD = "matKhau@2026"

SEED = f"""
import sqlalchemy as sa
from quizapp.contests.models import Contest, Round
from quizapp.core.db import utcnow
from tests.browser import seeding

seeding.participants([["0977000001", "Hoàng Văn Zalo"], ["0977000002", "Đỗ Thị Chưa Thi"],
                      ["0977000003", "Vũ Văn Hết Hạn"], ["0977000004", "Lý Thị Lưới"],
                      ["0977000005", "Mai Thị Xếp Hạng"]], password="{PASSWORD}", born="1974-03-02")
paged = seeding.open_round("Thi thử từng câu một", "Vòng thi từng câu", "Mỗi trang một câu hỏi.",
                           one_page=False, days_open=2)
now = utcnow()
demo = db.session.scalar(sa.select(Contest).where(Contest.slug != paged["slug"]).order_by(Contest.id))
demo_round = db.session.scalar(sa.select(Round).where(Round.contest_id == demo.id, Round.opens_at <= now,
                                                      Round.closes_at > now))
result = {{"demo_slug": demo.slug, "demo_round": demo_round.id, "paged_round": paged["round_id"]}}
"""


@pytest.fixture(scope="module")
def world(live_server):
    return app_script(live_server, SEED)


@pytest.fixture()
def small_phone(browser):
    contexts = []

    def open_page(storage_state=None):
        context = browser.new_context(locale="vi-VN", bypass_csp=True, storage_state=storage_state,
                                      viewport=SMALL_PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for c in contexts:
        c.close()


class Taps:
    """Counts what a person does with a finger: each tap (a field, a button, a link, an answer)."""

    def __init__(self, page):
        self.page, self.n = page, 0

    def tap(self, locator):
        self.n += 1
        locator.click()

    def type_into(self, locator, text: str):
        self.tap(locator)  # tapping the field; typing itself is not counted
        locator.fill(text)


def login_taps(taps: Taps, login: str, password: str = PASSWORD) -> None:
    page = taps.page
    taps.type_into(page.get_by_label("Số điện thoại hoặc e-mail"), login)
    taps.type_into(page.get_by_label("Mật khẩu"), password)
    with page.expect_navigation():
        taps.tap(page.get_by_role("button", name="Đăng nhập"))


def log_in(page, base: str, login: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("Số điện thoại hoặc e-mail").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()


def start_round(page, base: str, round_id: int) -> int:
    """From the round's start page into a new attempt; returns its id."""
    page.goto(f"{base}/rounds/{round_id}/start")
    page.get_by_role("button", name="Bắt đầu làm bài").click()
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def assert_accessible(page, name: str) -> None:
    screenshot(page, f"phone-{name}")
    assert axe_violations(page) == [], name
    assert layout_problems(page) == [], name


def page_weight(page) -> dict:
    """Bytes transferred for the document and every resource, and the JS among them."""
    return page.evaluate("""() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const res = performance.getEntriesByType('resource');
      const js = res.filter(r => r.initiatorType === 'script' || r.name.endsWith('.js'));
      return {
        total: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0),
        document: nav.transferSize,
        js_transferred: js.reduce((s, r) => s + r.transferSize, 0),
        js_bytes: js.reduce((s, r) => s + r.decodedBodySize, 0),
        files: res.map(r => [r.name.replace(location.origin, ''), r.transferSize]),
      };
    }""")


def test_home_page_leads_with_the_open_round_before_and_after_login(live_server, small_phone, world):
    """Item 4: the open round, its countdown and one big "Vào thi" fit in the first screen."""
    base = live_server["url"]
    page = small_phone()
    page.goto(base + "/")
    lead = page.locator(".round-lead").first
    expect(page.locator("h1").first).to_have_text("Đang diễn ra")
    button = lead.get_by_role("link", name="Vào thi")
    box = button.bounding_box()
    assert box["y"] + box["height"] <= SMALL_PHONE["height"] and box["height"] >= 56
    assert "Đóng sau" in lead.locator("[data-countdown]").inner_text()
    assert_accessible(page, "home-anonymous")
    button.click()  # not logged in: the login page, then straight back to the round
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Số điện thoại hoặc e-mail").fill("0977000004")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(re.compile(r"/rounds/\d+/start$"))
    page.goto(base + "/")
    expect(page.locator(".round-lead").first.get_by_role("link", name="Vào thi")).to_be_visible()
    assert_accessible(page, "home-logged-in")


def test_zalo_link_to_result_and_my_attempts(live_server, small_phone, world):
    """Items 4, 3 and the tap count: the Zalo link is the contest's public URL."""
    base = live_server["url"]
    page = small_phone()
    taps = Taps(page)
    page.goto(f"{base}/contests/{world['demo_slug']}")  # tapping the link in Zalo opens this
    taps.tap(page.get_by_role("link", name="Vào thi").first)
    login_taps(taps, "0977000001")
    taps.tap(page.get_by_role("button", name="Bắt đầu làm bài"))
    page.wait_for_url(re.compile(r"/attempts/\d+$"))
    before_answers = taps.n
    questions = page.locator("fieldset[data-aq]")
    n_questions = questions.count()
    for i in range(n_questions):
        taps.tap(questions.nth(i).locator("label.option").first)
    expect(page.locator("#quiz-answered")).to_have_text(str(n_questions), timeout=10000)
    prediction = page.get_by_label(re.compile("Câu dự đoán"))
    if prediction.count():
        taps.type_into(prediction, "12")
    taps.tap(page.get_by_role("button", name="Nộp bài", exact=True))
    taps.tap(page.get_by_role("button", name="Nộp bài ngay"))  # the page's own confirmation
    page.wait_for_url(re.compile(r"/attempts/\d+/result$"))
    expect(page.locator(".result-score")).to_be_visible()
    fixed = taps.n - n_questions
    print(f"\nTAPS Zalo link → result: {taps.n} ({fixed} + {n_questions} answers; "
          f"{before_answers} to the first question)")
    assert fixed <= 9

    # --- item 3: "Bài thi của tôi" from the menu: the attempt with score, time and place
    page.locator(".nav-menu summary").click()
    page.get_by_role("link", name="Bài thi của tôi").click()
    item = page.locator(".history-item").first
    expect(item).to_contain_text(world_round_title(live_server, world["demo_round"]))
    assert re.search(r"\d+/\d+", item.locator(".history-score").inner_text())
    expect(item).to_contain_text("Thời gian làm bài")
    # The demo round has a prediction question: its places are published when it is finalised (issue 20.4).
    expect(item.locator(".history-place")).to_have_count(0)
    assert_accessible(page, "my-attempts")


def world_round_title(live_server, round_id: int) -> str:
    return app_script(live_server, f"""
from quizapp.contests.models import Round
result = db.session.get(Round, {round_id}).title
""")


def test_quiz_grid_next_unanswered_and_submit_only_at_the_end(live_server, small_phone, world):
    """Item 13: one question per page; the grid shows what is answered; submit at the end."""
    base = live_server["url"]
    page = small_phone()
    log_in(page, base, "0977000004")
    start_round(page, base, world['paged_round'])
    submit = page.locator("#quiz-submit-section")
    questions = page.locator("fieldset[data-aq]")
    assert questions.count() == 5
    expect(questions.nth(0)).to_be_visible()
    expect(submit).to_be_hidden()  # the submit button and the prediction only at the end
    expect(page.get_by_label(re.compile("Câu dự đoán"))).to_be_hidden()
    cells = page.locator(".qg-cell")
    assert cells.count() == 5 and page.locator(".qg-cell.qg-answered").count() == 0

    questions.nth(0).locator("label.option").first.click()
    expect(cells.nth(0)).to_have_class(re.compile("qg-answered"))
    expect(cells.nth(0)).to_contain_text("đã trả lời")
    page.get_by_role("link", name=re.compile("^3")).click()  # jump through the grid
    expect(questions.nth(2)).to_be_visible()
    questions.nth(2).locator("label.option").first.click()
    next_unanswered = page.get_by_role("button", name="Câu chưa trả lời tiếp theo")
    next_unanswered.click()
    expect(questions.nth(3)).to_be_visible()  # after question 3: question 4
    questions.nth(3).locator("label.option").first.click()
    next_unanswered.click()
    expect(questions.nth(4)).to_be_visible()
    questions.nth(4).locator("label.option").first.click()
    next_unanswered.click()
    expect(questions.nth(1)).to_be_visible()  # wraps round to the one left out
    expect(submit).to_be_hidden()
    questions.nth(1).locator("label.option").first.click()
    expect(page.locator("#quiz-answered")).to_have_text("5", timeout=10000)
    next_unanswered.click()  # nothing left: to the submit page
    expect(page.locator("#quiz-grid-note")).to_have_text("Bạn đã trả lời tất cả các câu hỏi.")
    expect(submit).to_be_visible()
    expect(page.get_by_label(re.compile("Câu dự đoán"))).to_be_visible()
    for i in range(5):
        expect(questions.nth(i)).to_be_hidden()
    page.get_by_role("button", name="Câu trước").click()
    expect(questions.nth(4)).to_be_visible()
    page.get_by_role("link", name="Đến phần nộp bài").click()  # the grid's way to the end
    expect(submit).to_be_visible()
    assert_accessible(page, "quiz-grid-submit-page")


def test_session_expiry_during_the_quiz_keeps_and_resends_the_answers(live_server, small_phone, world):
    """Item 7: the login expires mid-quiz; the entrant is told, logs in in a new tab, the queue goes."""
    base = live_server["url"]
    page = small_phone()
    log_in(page, base, "0977000003")
    attempt_id = start_round(page, base, world['demo_round'])
    questions = page.locator("fieldset[data-aq]")
    questions.nth(0).locator("label.option").first.click()
    expect(questions.nth(0).locator(".save-state")).to_have_attribute("data-state", "saved")
    expect(page.locator("#quiz-answered")).to_have_text("1")

    page.context.clear_cookies()  # the session expires
    questions.nth(1).locator("label.option").nth(1).click()
    questions.nth(2).locator("label.option").nth(2).click()
    notice = page.locator("#quiz-auth")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Phiên đăng nhập đã hết hạn")
    expect(questions.nth(1).locator(".save-state")).to_have_attribute("data-state", "unsaved")
    expect(page.locator("#quiz-answered")).to_have_text("1")  # never counted as saved
    expect(page.locator("#quiz-pending")).to_have_text("(2 câu chưa lưu)")
    page.wait_for_timeout(1500)
    expect(page.locator("#quiz-answered")).to_have_text("1")
    screenshot(page, "phone-quiz-session-expired")
    assert axe_violations(page) == []

    with page.context.expect_page() as new_tab:
        notice.get_by_role("link", name="Đăng nhập lại (mở thẻ mới)").click()
    tab = new_tab.value
    tab.get_by_label("Số điện thoại hoặc e-mail").fill("0977000003")
    tab.get_by_label("Mật khẩu").fill(PASSWORD)
    tab.get_by_role("button", name="Đăng nhập").click()
    tab.wait_for_url(re.compile(rf"/attempts/{attempt_id}$"))
    tab.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the entrant comes back to the tab
    for i in (1, 2):
        expect(questions.nth(i).locator(".save-state")).to_have_attribute("data-state", "saved", timeout=10000)
    expect(page.locator("#quiz-answered")).to_have_text("3")
    expect(notice).to_be_hidden()
    expect(page.locator("#quiz-pending")).to_be_hidden()
    api = page.request.get(f"{base}/api/v1/attempts/{attempt_id}").json()["attempt"]
    assert sum(1 for q in api["questions"] if q["selected"]) == 3


def test_quiz_page_weight_within_budget(live_server, browser, world):
    """Item 14: a cold load of the quiz page (20 questions): ≤ 150 KB transferred, JS ≤ 40 KB."""
    base = live_server["url"]
    context = browser.new_context(locale="vi-VN", viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, base, "0977000002")
        start_round(page, base, world['demo_round'])
        quiz_url = page.url
        state = context.storage_state()
    finally:
        context.close()
    cold = browser.new_context(locale="vi-VN", viewport=SMALL_PHONE, is_mobile=True, has_touch=True,
                               storage_state=state)
    try:
        page = cold.new_page()
        page.goto(quiz_url, wait_until="load")
        assert page.locator("fieldset[data-aq]").count() == 20
        weight = page_weight(page)
        print(f"\nQUIZ PAGE WEIGHT (cold cache, 20 questions): {weight['total']} B transferred "
              f"(document {weight['document']} B), JS {weight['js_bytes']} B "
              f"({weight['js_transferred']} B transferred); files: {weight['files']}")
        assert weight["total"] <= 150 * 1024
        assert weight["js_bytes"] <= 40 * 1024 and weight["js_transferred"] <= 40 * 1024
    finally:
        cold.close()


def test_unit_manager_reaches_his_non_participants_in_one_tap(live_server, small_phone, world):
    """Item 1 and the tap count: login → the unit's people who have not taken part."""
    base = live_server["url"]
    page = small_phone()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page.goto(base + "/login")
    taps = Taps(page)
    login_taps(taps, "0900000003", "quanLy@2026")
    after_login = taps.n
    taps.tap(page.get_by_role("link", name="Đơn vị của tôi: ai chưa thi"))
    missing = page.locator(".dash-people")
    expect(missing).to_contain_text("Đỗ Thị Chưa Thi")
    print(f"\nTAPS unit manager login → non-participants: {taps.n - after_login} after the login "
          f"button ({taps.n} counting the two fields and the button)")
    assert taps.n - after_login <= 3
    reminder = page.locator("#dash-reminder")
    assert "/contests/" in reminder.input_value() and "chưa tham gia" in reminder.input_value()
    page.get_by_role("button", name="Sao chép tin nhắc").click()
    expect(page.locator("#dash-reminder-status")).to_have_text("Đã sao chép: hãy dán vào nhóm Zalo.")
    expect(page.get_by_role("link", name="Tải danh sách (Excel)")).to_be_visible()
    expect(page.locator(".dash-contest").first).to_contain_text("Tỷ lệ tham gia bình quân")
    with page.expect_download() as download:
        page.get_by_role("link", name="Tải danh sách (Excel)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert_accessible(page, "unit-dashboard")

    # ...and through the menu: two taps.
    page.goto(base + "/")
    page.locator(".nav-menu summary").click()
    page.get_by_role("link", name="Đơn vị của tôi", exact=True).click()
    expect(page.locator(".dash-people")).to_be_visible()


RANKED = """
import sqlalchemy as sa
from quizapp.auth.models import User
from quizapp.units.models import Unit
from tests.browser import seeding

round_id = ROUND_ID
from quizapp.contests.models import PredictionMode, Round
# The ranking is shown live only without a prediction question (issue 20, item 4).
db.session.execute(sa.update(Round).where(Round.id == round_id).values(prediction_mode=PredictionMode.OFF))
units = list(db.session.scalars(sa.select(Unit.id).where(Unit.is_active).order_by(Unit.id).limit(12)))
for i in range(55):  # 1 to 5 right answers: everybody above the viewer (0)
    u = seeding.add_participant(f"09780{i:05d}", f"Thí sinh {i:02d}", units[i % 12], password=None)
    seeding.sit(round_id, u, right=1 + i % 5, clock="3")
me = db.session.scalar(sa.select(User).where(User.phone == "0977000005"))
seeding.sit(round_id, me, right=0, clock="3")  # no answer: the last place
result = {"unit": db.session.get(Unit, me.unit_id).name}
"""


def test_rankings_on_a_phone_cards_pinned_own_row_around_me_and_my_unit(live_server, small_phone, world):
    """Item 2: two-line rows, own row highlighted and pinned, 'around me'; the unit ranking readable."""
    base = live_server["url"]
    mine = app_script(live_server, RANKED.replace("ROUND_ID", str(world["paged_round"])))
    page = small_phone()
    log_in(page, base, "0977000005")
    page.goto(f"{base}/rounds/{world['paged_round']}/leaderboard")
    first = page.locator(".lb-people tbody tr").first
    boxes = {c: first.locator(f"td.c-{c}").bounding_box() for c in ("rank", "name", "unit", "score", "time")}
    assert all(b["x"] + b["width"] <= SMALL_PHONE["width"] for b in boxes.values())  # nothing off-screen
    assert boxes["unit"]["y"] > boxes["name"]["y"] and boxes["time"]["y"] > boxes["score"]["y"]  # two lines
    # two lines plus the small third line (prediction, attempts): ~110 px; font metrics vary by a pixel
    # between runs (110.6 px seen), a fourth line would add ~25 px
    assert first.bounding_box()["height"] < 125
    pinned = page.locator(".lb-mine")
    expect(pinned).to_contain_text("Mai Thị Xếp Hạng")
    print("\nMINE:", pinned.inner_text(), "| pages:", page.locator(".lb-pager").all_inner_texts())
    page.mouse.wheel(0, 3000)
    page.wait_for_timeout(300)
    assert abs(pinned.bounding_box()["y"]) < 2  # stays at the top while scrolling
    page.get_by_role("link", name="Xem những người quanh vị trí của tôi").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(page.locator("#lb-around-me tr.lb-me")).to_contain_text("Mai Thị Xếp Hạng")
    assert_accessible(page, "ranking")

    page.goto(f"{base}/rounds/{world['paged_round']}/units")
    own = page.locator(".lb-units tr.lb-me")
    expect(own).to_contain_text(mine["unit"])
    expect(own).to_contain_text("(đơn vị của bạn)")
    rate = own.locator("td.c-rate")
    box = rate.bounding_box()
    assert rate.is_visible() and box["x"] + box["width"] <= SMALL_PHONE["width"]
    expect(page.locator(".lb-mine")).to_contain_text("tỷ lệ tham gia")
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"\nUNIT RANKING at 360 px: {page.locator('.lb-units tbody tr').count()} rows, {height} px tall")
    assert_accessible(page, "unit-ranking")


def test_statistics_charts_readable_on_a_phone_and_not_huge_on_a_desktop(live_server, small_phone, browser, world,
                                                                          signed_in):
    """Item 9: SVG histogram and bars, dd/mm/yyyy, a table beside each chart."""
    base = live_server["url"]
    page = small_phone(signed_in("organiser"))
    page.goto(f"{base}/rounds/{world['paged_round']}/stats")
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll('svg.lb-chart text'))
        .map(t => t.getBoundingClientRect().height)""")
    assert sizes and min(sizes) >= 11.5, sizes
    assert page.locator("svg#chart-scores, figure svg[aria-labelledby='chart-scores-title']").count() == 1
    assert page.locator(".chart-pair").count() == 3 and page.locator(".chart-pair table").count() == 3
    days = page.locator(".chart-pair").first.locator("tbody td").first.inner_text()
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", days), days
    assert_accessible(page, "round-stats")
    desktop = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900},
                                  storage_state=signed_in("organiser"))
    try:
        wide = desktop.new_page()
        wide.goto(f"{base}/rounds/{world['paged_round']}/stats")
        big = wide.evaluate("""() => Array.from(document.querySelectorAll('svg.lb-chart text'))
            .map(t => t.getBoundingClientRect().height)""")
        assert max(big) <= 26, big
        screenshot(wide, "desktop-round-stats")
    finally:
        desktop.close()


REORG_UNITS = """
import sqlalchemy as sa
from quizapp.units import services as units
from quizapp.units.models import Unit, UnitKind
district = db.session.scalar(sa.select(Unit).where(Unit.kind == UnitKind.DISTRICT).order_by(Unit.id))
a = units.create_unit("THU-A", "Xã Thử An", district, UnitKind.COMMUNE, None, 12)
b = units.create_unit("THU-B", "Xã Thử Bình", district, UnitKind.COMMUNE, None, 8)
result = {"a": a.id, "b": b.id, "district": district.id}
"""


def test_reorganisation_preview_and_confirmation_then_the_audit_sentence(live_server, small_phone, world, signed_in):
    """Items 10 and 12: merge two communes into a new one on a phone; the audit log says so."""
    base = live_server["url"]
    ids = app_script(live_server, REORG_UNITS)
    page = small_phone(signed_in("organiser"))
    page.goto(base + "/admin/units/reorganise")
    page.get_by_label("Các đơn vị sáp nhập").select_option([str(ids["a"]), str(ids["b"])])
    page.get_by_label("Mã đơn vị mới").fill("THU-AB")
    page.get_by_label("Tên đơn vị mới").fill("Xã Thử An Bình")
    page.get_by_label("Đơn vị cấp trên").select_option(str(ids["district"]))
    page.get_by_role("button", name="Xem trước việc sáp nhập").click()
    expect(page.locator(".reorg-totals")).to_have_text(
        "Tổng cộng chuyển 0 thành viên, 0 đơn vị trực thuộc và biên chế 20.")
    expect(page.locator(".reorg-moves li")).to_have_count(2)
    assert_accessible(page, "reorg-merge-preview")
    page.get_by_role("button", name="Xác nhận thay đổi").click()
    expect(page.get_by_role("status")).to_contain_text("Đã sáp nhập các đơn vị vào Xã Thử An Bình")

    page.goto(base + "/admin/units/reorganise")
    page.get_by_label("Cấp cần giải thể").select_option("district")
    page.get_by_role("button", name="Xem trước việc giải thể").click()
    expect(page.locator(".reorg-moves li").first).to_contain_text("→")
    assert page.locator(".reorg-moves li").count() >= 8  # the province's districts, each with its communes
    assert_accessible(page, "reorg-dissolve-preview")  # previewed only: the demo tree stays

    admin = small_phone()
    log_in(admin, base, "0900000001", "quanTri@2026")
    admin.goto(base + "/admin/audit")
    sentence = admin.locator(".audit-entry", has_text="Xã Thử An Bình").first
    expect(sentence).to_contain_text("đã sáp nhập Xã Thử An, Xã Thử Bình thành đơn vị mới Xã Thử An Bình")
    expect(sentence.get_by_role("link", name="Xã Thử An Bình")).to_have_attribute("href", re.compile(r"/admin/units/\d+"))
    assert_accessible(admin, "audit-log")
