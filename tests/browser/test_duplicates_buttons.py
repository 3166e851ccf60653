"""Issue 20 item 2: the admins' duplicates queue, pressed in a real browser.  "Gộp vào #N" and
"Khóa #N" did nothing in a browser (an empty hidden `action` field was posted before the pressed
button's value, which a test posting the form by hand never sent).  "Gộp" now shows what moves
(results only) before the merge, and the look-alike's e-mail never reaches the kept account."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import app_script, login, new_page

ADMIN = ("0900000001", "quanTri@2026")


def _seed(live_server) -> dict:
    return app_script(live_server, """
import datetime
import sqlalchemy as sa
from quizapp.auth import accounts
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.units.models import Unit
unit = db.session.scalar(sa.select(Unit).where(Unit.code == "VT-P1"))
def person(name, phone, email=None):
    u = User(full_name=name, phone=phone, email=email, role=Role.PARTICIPANT, unit_id=unit.id,
             category=EntrantCategory.CIVIL_SERVANT, date_of_birth=datetime.date(1987, 3, 4),
             password_hash=accounts.hash_password("matKhau@2026"))
    db.session.add(u)
    db.session.flush()
    return u.id
result = {"keep": person("Lò Văn Gộp", "0977000101"), "dup": person("Lò Văn Gộp", "0977000102", "mao@evil.example"),
          "a": person("Hà Thị Khóa", "0977000103"), "b": person("Hà Thị Khóa", "0977000104")}
""")


def _state(live_server, ids: dict) -> dict:
    return app_script(live_server, f"""
from quizapp.auth.models import User
result = {{k: [db.session.get(User, v).is_active_account, db.session.get(User, v).email] for k, v in {ids!r}.items()}}
""")


def test_merge_and_disable_buttons_work_when_clicked(live_server, browser):
    ids = _seed(live_server)
    page = new_page(browser, "desktop")
    try:
        base = live_server["url"]
        login(page, base, *ADMIN)
        page.goto(base + "/admin/users/duplicates")
        merge = page.locator("form", has=page.locator(f'input[name="other_id"][value="{ids["dup"]}"]')) \
            .get_by_role("button", name=f"Gộp vào #{ids['keep']}")
        with page.expect_navigation():
            merge.click()
        # the confirmation says what moves and what does not; nothing has happened yet
        expect(page.locator("h1")).to_contain_text(f"Gộp #{ids['dup']} vào #{ids['keep']}")
        expect(page.locator("#merge-moves")).to_contain_text("Không có lượt thi")
        expect(page.locator("#merge-stays")).to_contain_text("e-mail")
        assert _state(live_server, ids)["dup"][0] is True
        with page.expect_navigation():
            page.get_by_role("button", name="Gộp: chuyển các kết quả này").click()
        expect(page.locator(".flash, [role=alert], [role=status]").first).to_contain_text("Đã gộp tài khoản")

        disable = page.locator("form", has=page.locator(f'input[name="other_id"][value="{ids["b"]}"]')) \
            .get_by_role("button", name=f"Khóa #{ids['b']}")
        with page.expect_navigation():
            disable.click()
        expect(page.locator(".flash, [role=alert], [role=status]").first).to_contain_text("đã bị khóa")
        state = _state(live_server, ids)
        assert state["dup"] == [False, "mao@evil.example"]  # disabled; its e-mail stayed with it
        assert state["keep"] == [True, None]  # the kept account did not receive the look-alike's e-mail
        assert state["b"][0] is False and state["a"][0] is True
    finally:
        page.context.close()
