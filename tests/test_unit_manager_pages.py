"""Issue 21 item 8 (the server side; the 360×740 walk is tests/browser/test_unit_manager_phone.py):
members as cards with tap-to-call, the reset-code page's copy button and way back, the manager not
among his own non-participants, the non-participants Excel with a frozen header and a filter."""
from __future__ import annotations

import io
import re

import openpyxl

from quizapp.auth.models import Role
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401  (no ranking cache across tests)


def _world(make):
    district = make.unit("Thành phố Vũng Tàu", headcount=4)
    ward = make.unit("Phường 1", parent=district, headcount=6)
    manager = make.user(Role.UNIT_MANAGER, unit=district, full_name="Trần Quản Lý", phone="0900000031")
    member = make.user(unit=ward, full_name="Ngô Chưa Thi", phone="0911000002")
    for _ in range(5):
        make.question()
    return district, ward, manager, member


def test_members_are_cards_with_tap_to_call_and_the_reset_code_button(client, auth, make):
    district, _ward, manager, member = _world(make)
    auth.login(manager)
    html = client.get(f"/units/{district.id}/members").get_data(as_text=True)
    assert "<table" not in html  # no sideways table
    card = html.split(f'id="member-{member.id}"')[1].split("</li>")[0]
    assert 'href="tel:0911000002"' in card and f"/users/{member.id}/reset-code" in card
    assert "Cấp mã đặt lại mật khẩu" in card


def test_the_reset_code_page_has_a_copy_button_a_call_link_and_a_way_back(client, auth, make):
    district, _ward, manager, member = _world(make)
    auth.login(manager)
    token = csrf_token(client, f"/units/{district.id}/members")
    html = client.post(f"/users/{member.id}/reset-code", data={"csrf_token": token}).get_data(as_text=True)
    assert re.search(r'id="reset-code">\d{8}<', html)
    assert 'data-copy="reset-code"' in html and "js/copy.js" in html
    assert 'href="tel:0911000002"' in html
    assert f'href="/units/{district.id}/members#member-{member.id}"' in html


def test_the_manager_is_not_among_his_own_non_participants_and_the_excel_is_filterable(client, auth, make):
    district, _ward, manager, member = _world(make)
    rnd = make.round(quotas=(("TC", 0, 5),), title="Vòng 1")
    auth.login(manager)
    html = client.get(f"/units/{district.id}/dashboard").get_data(as_text=True)
    missing = html.split('<ul class="dash-people">')[1].split("</ul>")[0]
    assert "Ngô Chưa Thi" in missing and "Trần Quản Lý" not in missing
    data = client.get(f"/units/{district.id}/rounds/{rnd.id}/missing.xlsx").data
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    header_row = next(r[0].row for r in sheet.iter_rows() if r[0].value == "Họ và tên")
    assert sheet.freeze_panes == f"A{header_row + 1}"  # the header stays in view
    assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith(f"A{header_row}:")
    names = [r[0].value for r in sheet.iter_rows(min_row=header_row + 1)]
    assert names == ["Ngô Chưa Thi"]
