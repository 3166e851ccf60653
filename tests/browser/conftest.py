"""Real-browser tests: Playwright driving Debian's Chromium against gunicorn on 127.0.0.1.

The server runs the real app (production-style, two sync workers) on its own
SQLite file with the demo data loaded.  Screenshots go to
``test-artifacts/screenshots/`` (git-ignored) for a reviewer to look at.
Never ``playwright install``: the browser is /usr/bin/chromium (``make browser-deps``).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# --- every state-changing request a browser sends (issue 20 item 18; see buttons.py) ------------

PRESSES: list[dict] = []  # {"method", "url", "status" (None: no response, e.g. a download), "test"}
RUN = {"test": None, "whole_suite": False, "why_not": ""}
LAST_TEST = "test_zz_buttons_pressed.py"


def _watch(context) -> None:
    """Record the POST/PUT/PATCH/DELETE requests this browser context sends, with their status."""
    from tests.browser.buttons import STATE_CHANGING

    def sent(response):
        request = response.request
        if request.method in STATE_CHANGING:
            PRESSES.append({"method": request.method, "url": request.url, "status": response.status,
                            "test": RUN["test"]})

    def failed(request):  # no response: a download, or a navigation the page left
        if request.method in STATE_CHANGING:
            PRESSES.append({"method": request.method, "url": request.url, "status": None, "test": RUN["test"]})

    context.on("response", sent)
    context.on("requestfailed", failed)


def _watch_browser(b) -> None:
    """Every context made from ``b`` (by the fixtures or by a test itself) is watched."""
    new_context, new_page = b.new_context, b.new_page

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        _watch(context)
        return context

    def watched_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        _watch(page.context)
        return page

    b.new_context, b.new_page = watched_context, watched_page


def pytest_runtest_setup(item):
    RUN["test"] = item.nodeid


def _whole_browser_suite(items, deselected: int) -> tuple[bool, str]:
    """Whether this session runs every browser test (only then can a button be called unpressed)."""
    here = Path(__file__).resolve().parent
    files = {p.name for p in here.glob("test_*.py")}
    ran = {Path(str(i.fspath)).name for i in items if Path(str(i.fspath)).resolve().parent == here}
    if files - ran:
        return False, f"not run: {', '.join(sorted(files - ran))}"
    if deselected:
        return False, f"{deselected} browser tests deselected"
    return True, ""


def pytest_deselected(items):
    RUN["deselected"] = RUN.get("deselected", 0) + sum(1 for i in items if "browser" in str(i.fspath))


@pytest.hookimpl(trylast=True)  # after -k/-m have deselected theirs
def pytest_collection_modifyitems(config, items):
    # The button check runs after every other test.
    last = [i for i in items if Path(str(i.fspath)).name == LAST_TEST]
    items[:] = [i for i in items if i not in last] + last
    RUN["whole_suite"], RUN["why_not"] = _whole_browser_suite(items, RUN.get("deselected", 0))
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append("chromium")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        skip = pytest.mark.skip(reason=f"browser tests need {', '.join(missing)} (run `make browser-deps`)")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SETUP = """
from flask_migrate import upgrade
from quizapp import create_app
from quizapp.core.db import db
from quizapp.demo import services as demo
app = create_app()
with app.app_context():
    upgrade()
    demo.load_all()
    db.session.commit()
"""


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """gunicorn serving the app with the demo data on a fresh SQLite database."""
    db_path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "wsgi.py",
        "QUIZAPP_CONFIG": "production",
        "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
        "SESSION_COOKIE_SECURE": "0",
        "PUBLIC_BASE_URL": "http://127.0.0.1",  # the port is added below, once it is known
        "DATABASE_URL": f"sqlite:///{db_path}",
        "LOGIN_RATE_LIMIT": "1000 per minute",
        "LOGIN_IP_RATE_LIMIT": "1000 per minute",
        "CAMPAIGN_INLINE_REPORT_ENTRANTS": "3",  # the campaign journey's province report goes to a job
        "CAMPAIGN_INLINE_CERTIFICATES": "8",  # test_contest_buttons: a ZIP of 10 certificates is built by a job
    })
    env.pop("REDIS_URL", None)
    jobs_dir = tmp_path_factory.mktemp("jobs")
    env.update({"JOBS_DIR": str(jobs_dir), "JOBS_SQLITE_PATH": str(jobs_dir / "queue.sqlite3")})
    bindir = Path(sys.executable).parent
    # `flask db upgrade` then `flask demo load`, in one process (the app is imported once).
    subprocess.run([sys.executable, "-c", _SETUP], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"  # links in mails, QR codes, share cards
    proc = subprocess.Popen(
        [str(bindir / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--no-control-socket", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    # The job consumer beside it, as `make run` starts it (exports and large imports run as jobs).
    worker = subprocess.Popen([str(bindir / "flask"), "jobs", "worker", "--workers", "1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:  # pragma: no cover
        proc.terminate()
        raise RuntimeError("gunicorn did not start")
    yield {"url": base, "env": env}
    proc.terminate()
    worker.terminate()
    proc.wait(timeout=10)
    worker.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        _watch_browser(b)
        yield b
        b.close()


@pytest.fixture()
def phone(browser):
    page = new_page(browser, "phone")
    yield page
    page.context.close()


@pytest.fixture()
def desktop(browser):
    page = new_page(browser, "desktop")
    yield page
    page.context.close()


def screenshot(page, name: str) -> None:
    """A full-page PNG.  Chromium resizes the view to take it, which can send the
    NEXT click on the same page astray: take it after the page's last click."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(page, base: str, phone_number: str, password: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Số điện thoại hoặc e-mail").fill(phone_number)
    page.get_by_label("Mật khẩu").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Đăng nhập").click()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in impacts
    ]


def layout_problems(page) -> list[str]:
    """Horizontal overflow and interactive controls shorter than 44 px."""
    return page.evaluate("""() => {
      const problems = [];
      const doc = document.documentElement;
      if (doc.scrollWidth > doc.clientWidth + 1) problems.push(`page overflows: ${doc.scrollWidth} > ${doc.clientWidth}`);
      const sel = 'a.button, button, input:not([type=hidden]), select, textarea, summary';
      for (const el of document.querySelectorAll(sel)) {
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (r.width === 0 || style.visibility === 'hidden' || style.display === 'none') continue;
        if (el.type === 'checkbox' || el.type === 'radio') continue;  // their label is the target
        if (r.height < 44) problems.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${(el.innerText || el.name || '').trim().slice(0, 30)}" is ${Math.round(r.height)}px tall`);
      }
      return problems;
    }""")


_APP_PRELUDE = """
import json, sys
from quizapp import create_app
app = create_app()
with app.app_context():
    from quizapp.core.db import db
    result = None
    exec(compile(sys.stdin.read(), "<app_script>", "exec"))
    db.session.commit()
    print(json.dumps(result))
"""


def app_script(live_server, source: str):
    """Run ``source`` inside an app context against the live server's database and commit.

    The source sets ``result``; its JSON comes back.  This seeds what the UI has
    no way to make quickly (a round of a few seconds), through the app's own code.
    """
    for _try in range(3):
        done = subprocess.run([sys.executable, "-c", _APP_PRELUDE], input=source, text=True, cwd=ROOT,
                              env=live_server["env"], capture_output=True)
        # Every browser test shares the live server's SQLite file with the server and its job consumer.
        # A seed that read before one of them committed cannot then write: SQLite refuses at once with
        # "database is locked" (SQLITE_BUSY_SNAPSHOT in WAL mode, which busy_timeout does not wait
        # for; see core.db.sqlite_write_conflict).  The seed is rolled back whole, so it is run again.
        if done.returncode == 0 or "database is locked" not in done.stderr:
            break
    if done.returncode:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def vn_time(minutes: int = 0) -> str:
    """A ``datetime-local`` value (Vietnam time) ``minutes`` from now."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    return (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")


ACCOUNTS = {"participant": ("0900000004", "duThi@2026"), "organiser": ("0900000002", "toChuc@2026")}


@pytest.fixture(scope="session")
def signed_in(live_server, browser):
    """``signed_in(who)``: the cookies of a demo account, logged in once per run."""
    states: dict[str, dict] = {}

    def state(who: str) -> dict | None:
        if who == "anonymous":
            return None
        if who not in states:
            context = browser.new_context(locale="vi-VN")
            login(context.new_page(), live_server["url"], *ACCOUNTS[who])
            states[who] = context.storage_state()
            context.close()
        return states[who]

    return state


def new_page(browser, viewport: str, storage_state=None):
    """A page in a fresh context at the phone's or the desktop's size (close its context after)."""
    options = dict(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True) if viewport == "phone" \
        else dict(viewport=DESKTOP)
    context = browser.new_context(locale="vi-VN", bypass_csp=True,  # only so axe-core can be injected
                                  storage_state=storage_state, **options)
    return context.new_page()


def vi(msgid: str, **values) -> str:
    """What the Vietnamese pages show for ``msgid`` (the merged catalogue the app serves)."""
    import gettext

    mo = ROOT / "quizapp" / "translations" / "vi" / "LC_MESSAGES" / "messages.mo"
    text = gettext.GNUTranslations(mo.open("rb")).gettext(msgid)
    return text % values if values else text


def press(page, button, expect_navigation: bool = True) -> None:
    """Click a real button as a user does: when its form asks first (the page's data-confirm
    dialog), answer yes in the dialog; wait for the page the press leads to."""
    from playwright.sync_api import expect

    button.scroll_into_view_if_needed()
    if button.evaluate("b => !!(b.form && b.form.hasAttribute('data-confirm'))"):
        button.click()
        dialog = page.locator("dialog.confirm-dialog")
        expect(dialog).to_be_visible()
        yes = dialog.locator("button").first
        if expect_navigation:
            with page.expect_navigation():
                yes.click()
        else:
            yes.click()
    elif expect_navigation:
        with page.expect_navigation():
            button.click()
    else:
        button.click()


def flashed(page, text: str) -> None:
    """The page's flash message says ``text``."""
    from playwright.sync_api import expect

    expect(page.locator(".flash").filter(has_text=text).first).to_be_visible()
