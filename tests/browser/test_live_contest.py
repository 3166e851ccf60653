"""A short live contest in Chromium, every role in its own browser context: the presenter screen
(1920×1080, driven by the keyboard), the MC console, two judges, three team devices (two phones, a
tablet) and an audience phone.  A team device reloads mid-question and keeps its answer; another
loses the network as it answers and its answer arrives once when the network is back; the presenter
reloads and shows the same state.  The server is gunicorn with the gevent worker class, two
processes sharing Redis pub/sub (as docs/live.md deploys the stream), on the demo data.
Screenshots go to test-artifacts/screenshots/live-*.png; each screen is checked with axe."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, PHONE, _SETUP, _free_port, axe_violations, login, screenshot

ROOT = Path(__file__).resolve().parents[2]
PRESENTER = {"width": 1920, "height": 1080}
TABLET = {"width": 800, "height": 1280}
ORGANISER = ("0900000002", "toChuc@2026")
JUDGES = [("0900000011", "giamKhao@2026"), ("0900000012", "giamKhao@2026")]
EVENT = "Hội thi tìm hiểu về cải cách hành chính tỉnh năm 2026 (demo)"


def _redis_up() -> bool:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/7", socket_connect_timeout=1).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    """gunicorn -k gevent -w 2 (the stream's deployment) on the demo data; Redis pub/sub between the two."""
    db_path = tmp_path_factory.mktemp("hall") / "hall.sqlite3"
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "wsgi.py", "QUIZAPP_CONFIG": "production", "SESSION_COOKIE_SECURE": "0",
        "SECRET_KEY": "browser-test-secret-key-0123456789abcdef", "DATABASE_URL": f"sqlite:///{db_path}",
        "LOGIN_RATE_LIMIT": "1000 per minute", "LOGIN_IP_RATE_LIMIT": "1000 per minute",
        "LIVE_HEARTBEAT_SECONDS": "5",
    })
    env.pop("REDIS_URL", None)
    port = _free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"  # production refuses to start without it (issue 20 item 1)
    if _redis_up():
        env.update({"LIVE_REDIS_URL": "redis://127.0.0.1:6379/7", "LIVE_REDIS_PREFIX": f"livetest{port}:"})
    jobs_dir = tmp_path_factory.mktemp("hall-jobs")
    env.update({"JOBS_DIR": str(jobs_dir), "JOBS_SQLITE_PATH": str(jobs_dir / "queue.sqlite3")})
    subprocess.run([sys.executable, "-c", _SETUP], cwd=ROOT, env=env, check=True, capture_output=True)
    bindir = Path(sys.executable).parent
    proc = subprocess.Popen(
        [str(bindir / "gunicorn"), "-k", "gevent", "--workers", "2", "--worker-connections", "200", "--graceful-timeout", "3",
         "--bind", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:  # pragma: no cover
        proc.terminate()
        raise RuntimeError("gunicorn (gevent) did not start")
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:  # pragma: no cover
        proc.kill()


def _context(browser, viewport):
    ctx = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", bypass_csp=True)
    ctx.set_default_timeout(15000)
    return ctx.new_page()


def _clean(page, name):
    problems = axe_violations(page)
    assert problems == [], f"{name}: {problems}"


def _version(page) -> int:
    return int(page.locator("[data-live]").get_attribute("data-version") or 0)


def _press(presenter, key, expect_change=True):
    before = _version(presenter)
    presenter.keyboard.press(key)
    if expect_change:
        presenter.wait_for_function(f"() => Number(document.querySelector('[data-live]').dataset.version) > {before}")


def test_a_short_live_contest_with_every_role(browser, hall):
    base = hall
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    mc = _context(browser, PHONE)
    login(mc, base, *ORGANISER)
    mc.goto(base + "/live/events")
    mc.get_by_role("link", name=EVENT).click()
    event_url = mc.url
    event_id = int(re.search(r"/live/events/(\d+)", event_url).group(1))
    mc.get_by_role("button", name="Bắt đầu hội thi").click()
    expect(mc.get_by_role("heading", name=re.compile("Bảng điều khiển của MC"))).to_be_visible()

    presenter = _context(browser, PRESENTER)
    login(presenter, base, *ORGANISER)
    presenter.goto(f"{base}/live/events/{event_id}/presenter")
    expect(presenter.locator("[data-stage]")).to_contain_text("Sở Nội vụ")  # the lobby lists the teams
    _clean(presenter, "presenter lobby")

    teams = []
    for code, viewport in (("DOISNV", PHONE), ("DOISTP", PHONE), ("DOIVTA", TABLET)):
        page = _context(browser, viewport)
        page.goto(base + "/live/team")
        page.get_by_label("Mã").fill(code.lower())
        page.get_by_role("button", name="Vào đội").click()
        expect(page.locator("[data-stage]")).to_be_visible()
        teams.append(page)
    snv, stp, vta = teams
    expect(snv.get_by_role("heading", level=1)).to_have_text("Sở Nội vụ")
    audience = _context(browser, PHONE)
    audience.goto(base + "/live/a/KHANGIA")
    expect(audience.locator("[data-stage]")).to_contain_text("Sở Tư pháp")
    # The phone's ticket, shown big at all times: the MC names a winner by it.
    expect(audience.locator(".live-ticket")).to_have_text(re.compile(r"Phiếu số \d{4}"))
    ticket = audience.locator(".live-ticket strong").inner_text()

    # Space: the knowledge part's title card, then its first question.
    _press(presenter, "Space")
    expect(presenter.locator("[data-stage]")).to_contain_text("Khởi động")
    _press(presenter, "Space")
    expect(presenter.locator(".live-countdown")).to_be_visible()
    question = presenter.locator(".live-qtext").inner_text()
    expect(snv.locator(".live-qtext")).to_have_text(question)
    assert presenter.locator(".live-right").count() == 0  # no key on the projector before the reveal
    snv.locator(".live-option").first.click()
    expect(snv.locator("[data-feedback]")).to_contain_text("Đã gửi: A")
    # Team Sở Tư pháp's phone reloads mid-question, then answers; Sở Nội vụ's reloads after answering.
    stp.reload()
    expect(stp.locator(".live-qtext")).to_have_text(question)
    stp.locator(".live-option").nth(1).click()
    expect(stp.locator("[data-feedback]")).to_contain_text("Đã gửi: B")
    # Team Vũng Tàu's tablet loses the hall's Wi-Fi as it presses: the answer waits on the tablet, is sent
    # again with the same id when the network is back, and is counted once.  (Every answer goes in before
    # the slower checks below: the question is open for 20 s.)
    vta.context.set_offline(True)
    last = vta.locator(".live-option").last
    label = last.locator(".live-label").inner_text()
    last.click()
    expect(vta.locator("[data-feedback]")).to_contain_text("Đang gửi lại")
    expect(presenter.locator(".live-chip.live-done")).to_have_count(2)
    vta.context.set_offline(False)
    expect(vta.locator("[data-feedback]")).to_contain_text(f"Đã gửi: {label}")
    expect(presenter.locator(".live-chip.live-done")).to_have_count(3)
    snv.reload()
    expect(snv.locator("[data-feedback]")).to_contain_text("Đã gửi")
    expect(snv.locator(".live-option").first).to_be_disabled()
    screenshot(snv, "live-team-device-answered")
    _clean(snv, "team device")
    # The presenter's laptop reloads: the same question, the same answered teams.
    presenter.reload()
    expect(presenter.locator(".live-qtext")).to_have_text(question)
    expect(presenter.locator(".live-chip.live-done")).to_have_count(3)
    screenshot(presenter, "live-presenter-question")
    _clean(presenter, "presenter question")
    _press(presenter, "r")  # close and reveal
    expect(presenter.locator(".live-right")).to_have_count(1)
    expect(snv.locator(".live-option.live-right")).to_have_count(1)
    screenshot(presenter, "live-presenter-revealed")
    _press(presenter, "s")
    expect(presenter.locator(".live-table")).to_be_visible()
    scores = presenter.locator(".live-table tbody tr")
    expect(scores).to_have_count(4)

    # On through the knowledge part to the buzzer part (space = next, closing and revealing each).
    for _ in range(30):
        if "Tăng tốc" in presenter.locator("[data-partline]").inner_text() and presenter.locator(".live-countdown").count():
            break
        _press(presenter, "Space")
    expect(snv.locator(".live-buzz")).to_be_enabled()
    stp.locator(".live-buzz").click()
    expect(stp.locator("[data-feedback]")).to_contain_text("thứ 1")
    snv.locator(".live-buzz").click()
    expect(snv.locator("[data-feedback]")).to_contain_text("thứ 2")
    screenshot(stp, "live-team-buzzer")
    mc.bring_to_front()
    expect(mc.locator(".live-holder")).to_contain_text("Sở Tư pháp")
    mc.get_by_role("button", name="Sai – Sở Tư pháp").click()
    expect(mc.locator(".live-holder")).to_contain_text("Sở Nội vụ")
    screenshot(mc, "live-mc-buzzer")
    _clean(mc, "MC console")
    mc.get_by_role("button", name="Đúng – Sở Nội vụ").click()
    expect(presenter.locator(".live-buzzlist")).to_contain_text("Đúng")

    # On to the judged skit: two judges score both teams from their phones.
    for _ in range(30):
        if presenter.locator("[data-live]").get_attribute("data-phase") == "judging":
            break
        _press(presenter, "Space")
    expect(presenter.locator("[data-stage]")).to_contain_text("Đang trình diễn")
    for n, (phone, password) in enumerate(JUDGES):
        judge = _context(browser, PHONE)
        login(judge, base, phone, password)
        judge.goto(f"{base}/live/events/{event_id}/judge")
        for team, sheet in (("Sở Nội vụ", ("5", "3", "2") if n == 0 else ("4", "2", "1")),
                            ("Sở Tư pháp", ("3", "2", "2"))):
            form = judge.locator("details", has_text=team)
            if form.get_attribute("open") is None:
                form.locator("summary").click()
            for i, value in enumerate(sheet):
                form.locator("input[type=number]").nth(i).fill(value)
            form.get_by_role("button", name=f"Lưu điểm chấm cho đội {team}").click()
            expect(judge.locator(".flash-success")).to_contain_text(team)
        if n == 0:
            screenshot(judge, "live-judge-console")
            _clean(judge, "judge console")
        judge.context.close()

    # The audience question: the phone answers, the teams wait.
    for _ in range(30):
        if "khán giả" in presenter.locator("[data-partline]").inner_text() and presenter.locator(".live-countdown").count():
            break
        _press(presenter, "Space")
    expect(snv.locator("[data-stage]")).to_contain_text("dành cho khán giả")
    expect(audience.locator(".live-ticket strong")).to_have_text(ticket)  # still there, question on screen
    # The phone answers right (the MC console shows the key before the reveal: no luck involved).
    expect(mc.locator(".live-qtext")).to_have_text(presenter.locator(".live-qtext").inner_text())
    right = mc.locator(".live-opt.live-right .live-label").inner_text()
    audience.locator(".live-option", has=audience.locator(".live-label", has_text=re.compile(f"^{right}$"))).click()
    expect(audience.locator("[data-feedback]")).to_contain_text("Đã gửi")
    expect(presenter.locator(".live-winners")).to_have_count(0)  # no winners before the reveal
    screenshot(audience, "live-audience-phone")
    _clean(audience, "audience phone")
    _press(presenter, "r")
    expect(presenter.locator("[data-stage]")).to_contain_text("câu trả lời của khán giả")
    # The first right answer wins an audience prize: its ticket on the projector, the MC console and the phone.
    expect(presenter.locator(".live-winners")).to_contain_text("Giải khán giả – phiếu số")
    expect(presenter.locator(".live-winners li")).to_have_text([ticket])
    expect(mc.locator(".live-winners li")).to_have_text([ticket])
    expect(audience.locator("[data-prize-won]")).to_have_text(f"Bạn đoạt giải khán giả – phiếu số {ticket}")
    screenshot(presenter, "live-presenter-audience-prize")
    screenshot(audience, "live-audience-prize-won")
    _clean(presenter, "presenter audience prizes")
    _clean(audience, "audience phone prize won")

    # The MC finishes; the projector shows the podium, the teams their place.
    mc.once("dialog", lambda d: d.accept())
    mc.get_by_role("button", name="Kết thúc hội thi").click()
    expect(presenter.locator(".live-podium")).to_be_visible()
    expect(snv.locator("[data-own-score]")).to_contain_text("hạng 1")
    screenshot(presenter, "live-presenter-podium")
    mc.goto(f"{base}/live/events/{event_id}/results")
    expect(mc.get_by_role("heading", name="Phiếu chấm của giám khảo")).to_be_visible()
    sheets = mc.locator("section", has=mc.get_by_role("heading", name="Phiếu chấm của giám khảo"))
    expect(sheets.locator("table")).to_contain_text("Giám khảo Trương Minh Đức")
    expect(mc.locator(".live-log")).to_contain_text("đã chấm câu trả lời giành quyền của đội Sở Tư pháp là sai")
    expect(mc.locator("table.live-audience-prizes tbody tr").first).to_contain_text(ticket)
    with mc.expect_download() as dl:
        mc.get_by_role("link", name="Tải kết quả (Excel)").click()
    assert dl.value.suggested_filename == f"hoi-thi-{event_id}.xlsx"
    screenshot(mc, "live-results")
    _clean(mc, "results")

    # Certificates: only from the published results; one taken back with a reason, /verify says so.
    mc.get_by_role("button", name="Cấp giấy chứng nhận và tải về (ZIP)").click()
    expect(mc.locator(".flash-error")).to_contain_text("hãy công bố kết quả chung cuộc trước")
    mc.get_by_role("button", name="Công bố kết quả trên trang khán giả").click()
    mc.get_by_role("button", name="Cấp giấy chứng nhận và tải về (ZIP)").click()
    expect(mc).to_have_url(re.compile(r"/jobs/\d+$"))
    mc.goto(f"{base}/live/events/{event_id}/results#certificates")
    rows = mc.locator("table.live-certificates tbody tr")
    # The demo's four teams and their three members each, then the skit's own prize ("Tiểu phẩm hay nhất",
    # judged 8.5 for Sở Nội vụ against 7): its team and its three members.
    expect(rows).to_have_count(4 + 12 + 4)
    expect(mc.locator("table.live-part-prizes")).to_contain_text("Sở Nội vụ")
    expect(rows.last).to_contain_text("giải Tiểu phẩm hay nhất")
    first = rows.first
    revoked_code = first.locator("a[href^='/verify/']").inner_text()
    first.locator("summary").click()
    first.get_by_label("Lý do thu hồi").fill("Cấp nhầm, sẽ cấp lại")
    first.get_by_role("button", name="Thu hồi giấy chứng nhận").click()
    expect(mc.locator(".flash-success")).to_contain_text(revoked_code)
    expect(mc.locator(".live-log")).to_contain_text("đã thu hồi giấy chứng nhận")
    genuine_code = rows.first.locator("a[href^='/verify/']").inner_text()
    screenshot(mc, "live-certificates")
    _clean(mc, "results with certificates")
    verify = _context(browser, PHONE)
    verify.goto(f"{base}/verify/{revoked_code}")
    expect(verify.locator(".verify-revoked [role=alert]")).to_contain_text("đã bị thu hồi")
    verify.goto(f"{base}/verify/{genuine_code}")
    expect(verify.locator(".verify-ok [role=status]")).to_contain_text("Giấy chứng nhận này là thật.")
    expect(verify.locator(".verify-event")).to_have_text(EVENT)
    screenshot(verify, "live-verify")
    _clean(verify, "verify page")
    assert verify.goto(f"{base}/verify/{genuine_code[:-1]}{'A' if genuine_code[-1] != 'A' else 'B'}").status == 404
    for page in (presenter, snv, stp, vta, audience, mc, verify):
        page.context.close()
