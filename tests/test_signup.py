"""Issue 21 items 7 and 10 (server side): the register → login step keeps the round she came
for and answers the same whatever was registered before; dates typed day first; the reset pages
never claim a mail was sent when none can be."""
from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa
from docx import Document
from flask import g

from quizapp.auth.models import Role, User
from quizapp.core.forms import VnDateField
from tests.conftest import csrf_token

ROUND_START = "/rounds/7/start"


def _token(client, path):
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    return csrf_token(client, path)


def _register(client, unit, path="/register", **over):
    data = {"full_name": "Nguyễn Thị Mới", "phone": "0912000111", "unit_id": str(unit.id),
            "category": "civil_servant", "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1",
            "csrf_token": _token(client, path)}
    data.update(over)
    return client.post(path, data=data)


def _user(db, phone):
    return db.session.scalar(sa.select(User).where(User.phone == phone))


def test_name_phone_unit_and_password_are_enough_to_register(client, db, make):
    unit = make.unit()
    resp = _register(client, unit)
    assert resp.status_code == 302
    user = _user(db, "0912000111")
    assert user is not None and user.date_of_birth is None and user.position is None
    assert user.unit_id == unit.id and not user.unit_confirmed


def test_register_carries_the_round_to_the_login_page_the_same_for_a_taken_number(app, client, db, make):
    unit = make.unit()
    make.user(phone="0912000222", unit=unit)
    new = _register(client, unit, path=f"/register?next={ROUND_START}")
    taken_client = app.test_client()
    taken = _register(taken_client, unit, path=f"/register?next={ROUND_START}", phone="0912 000 222")
    assert new.status_code == taken.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"] == "/login?next=/rounds/7/start"
    g.pop("_login_user", None)
    pages = [re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", c.get(r.headers["Location"]).get_data(as_text=True))
             for c, r in ((client, new), (taken_client, taken))]
    assert pages[0] == pages[1]  # no enumeration: the phone is filled in by the browser, not the server
    text = pages[0]
    assert "Đăng ký đã được ghi nhận" in text and "người quản lý đơn vị sẽ xác nhận" in text
    assert "vẫn dự thi được" in text and "từ trước" not in text
    # ...and the login then follows it.
    login = client.post("/login?next=" + ROUND_START, data={
        "login": "0912000111", "password": "mat-khau-moi-1", "csrf_token": _token(client, "/login")})
    assert login.status_code == 302 and login.headers["Location"] == ROUND_START


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_only_same_site_paths_are_carried(client, make, target):
    unit = make.unit()
    resp = _register(client, unit, path="/register?next=" + target)
    assert resp.status_code == 302 and resp.headers["Location"] == "/login"
    page = client.get("/register?next=" + target).get_data(as_text=True)
    assert not re.search(r'href="[^"]*evil', page) and 'href="/login"' in page


def test_login_page_links_to_register_with_the_round(client):
    page = client.get("/login?next=" + ROUND_START).get_data(as_text=True)
    assert 'href="/register?next=/rounds/7/start"' in page


@pytest.mark.parametrize("typed", ["03/02/1970", "3/2/1970", "03-02-1970", "03.02.1970", "03021970", "1970-02-03"])
def test_dates_are_read_day_first(typed):
    assert VnDateField.parse(typed) == date(1970, 2, 3)


def test_a_date_of_birth_typed_day_first_is_stored_and_a_bad_one_named_in_vietnamese(client, db, make):
    unit = make.unit()
    bad = _register(client, unit, date_of_birth="31/02/1990")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and _user(db, "0912000111") is None
    assert "31/02/1990 không phải là một ngày có thật" in html
    assert 'value="31/02/1990"' in html  # what she typed comes back
    worse = _register(client, unit, date_of_birth="1990/13/45").get_data(as_text=True)
    assert "Nhập ngày theo dạng ngày/tháng/năm, ví dụ 03/02/1970." in worse
    assert _register(client, unit, date_of_birth="04/03/1985").status_code == 302
    assert _user(db, "0912000111").date_of_birth == date(1985, 3, 4)


def test_the_date_input_is_text_with_pattern_and_numeric_keypad(client):
    html = client.get("/register").get_data(as_text=True)
    tag = re.search(r'<input[^>]*id="date_of_birth"[^>]*>', html).group(0)
    assert 'type="text"' in tag and 'inputmode="numeric"' in tag and 'placeholder="dd/mm/yyyy"' in tag
    assert 'pattern="' in tag and 'autocomplete="bday"' in tag


def test_forgot_password_without_a_mail_server_never_says_sent(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    make.user(email="hoa@example.vn")
    page = client.get("/password/forgot").get_data(as_text=True)
    assert "hãy nhờ người quản lý đơn vị" in page
    resp = client.post("/password/forgot", data={"email": "hoa@example.vn",
                                                 "csrf_token": _token(client, "/password/forgot")})
    assert resp.status_code == 302 and resp.headers["Location"] == "/password/code"
    shown = client.get("/password/code").get_data(as_text=True)
    assert "đã được gửi" not in shown and "máy chủ gửi thư" in shown


def test_forgot_password_with_a_mail_server_says_sent(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    from quizapp.auth import tasks
    monkeypatch.setattr(tasks, "password_reset_mail", lambda email: None)
    resp = client.post("/password/forgot", data={"email": "x@example.vn",
                                                 "csrf_token": _token(client, "/password/forgot")})
    assert resp.headers["Location"] == "/login"
    assert "đã được gửi" in client.get("/login").get_data(as_text=True)


def test_favicon_is_served(client):
    ico = client.get("/favicon.ico")
    assert ico.status_code == 200 and ico.data[:4] == b"\x00\x00\x01\x00"
    page = client.get("/login").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    png = client.get(href)
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_reports_custom_dates_are_typed_day_first(client, auth, make):
    unit = make.unit()
    auth.login(make.user(role=Role.UNIT_MANAGER, unit=unit))
    form = client.get("/reports").get_data(as_text=True)
    tag = re.search(r'<input id="r-start"[^>]*>', form).group(0)
    assert 'type="text"' in tag and 'inputmode="numeric"' in tag and 'placeholder="dd/mm/yyyy"' in tag
    base = f"/reports?kind=custom&unit_id={unit.id}&fmt=docx"
    ok = client.get(base + "&start=01/01/2026&end=31/03/2026")
    assert ok.status_code == 200 and ok.mimetype.endswith("wordprocessingml.document")
    text = "\n".join(p.text for p in Document(io.BytesIO(ok.data)).paragraphs)
    assert "từ ngày 01/01/2026 đến ngày 31/03/2026" in text
    bad = client.get(base + "&start=31/02/2026&end=31/03/2026")
    assert bad.status_code == 422 and "31/02/2026 không phải là một ngày có thật" in bad.get_data(as_text=True)


def test_a_rounds_times_are_typed_day_first_in_vietnam_time(client, db, make, auth):
    from quizapp.contests.models import Contest, Round
    from tests.test_contests_views import post_form, round_form_data

    auth.login(make.user(role=Role.ORGANISER))
    assert post_form(client, "/admin/contests/new", {
        "title": "Ngày giờ kiểu Việt", "open_to_all": "y", "ranking_order": "score,prediction,duration,submitted_at",
        "aggregate": "sum", "unit_ranking_order": "participation,average", "min_participation_rate": "0",
        "results_visibility": "public"}).status_code == 302
    contest = db.session.scalar(sa.select(Contest))
    make.questions(3, "TC")
    path = f"/admin/contests/{contest.id}/rounds/new"
    html = client.get(path).get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="opens_at"[^>]*>', html).group(0)
    assert 'type="text"' in tag and 'placeholder="dd/mm/yyyy hh:mm"' in tag and 'inputmode="numeric"' in tag
    bad = post_form(client, path, round_form_data(make, opens="31/02/2030 08:00", closes="08/03/2030 23h59"))
    assert bad.status_code == 422 and "31/02/2030 không phải là một ngày có thật" in bad.get_data(as_text=True)
    late = post_form(client, path, round_form_data(make, opens="02/03/2030 25:00", closes="08/03/2030 23:59"))
    assert late.status_code == 422 and "25:00 không phải là giờ trong ngày" in late.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0
    ok = post_form(client, path, round_form_data(make, opens="02/03/2030 08:00", closes="08/03/2030 23h59"))
    assert ok.status_code == 302
    rnd = db.session.scalar(sa.select(Round))
    assert rnd.opens_at.isoformat() == "2030-03-02T01:00:00+00:00"  # 08:00 in Vietnam = 01:00 UTC
    assert rnd.closes_at.isoformat() == "2030-03-08T16:59:00+00:00"
    edit = client.get(f"/admin/contests/{contest.id}/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert re.search(r'name="opens_at"[^>]*value="02/03/2030 08:00"', edit)
