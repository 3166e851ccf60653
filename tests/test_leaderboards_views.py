"""Who sees what on the results pages, exports, charts, and hostile names kept inert."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from quizapp.auth.models import Role
from quizapp.contests.models import ContestStatus, PredictionMode, ResultsVisibility
from quizapp.core.db import utcnow
from quizapp.leaderboards import ranking
from tests.conftest import csrf_token
from tests.leaderboards_support import export_via_job
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture

XSS_NAME = '<script>alert("x")</script>Nguyễn Văn A'
XSS_UNIT = '<img src=x onerror=alert(1)>Sở Nội vụ'




@pytest.fixture()
def world(make, db):
    """A published round with three entrants in a small unit tree."""
    for _ in range(4):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 4),))
    province = make.unit("Tỉnh Hải Dương", headcount=5)
    dept = make.unit(XSS_UNIT, parent=province, headcount=4, bloc="Sở")
    other = make.unit("Huyện Khác", headcount=3, bloc="Huyện")
    start = utcnow() - timedelta(hours=2)
    star = make.user(full_name=XSS_NAME, unit=dept, phone="0911222333", email="a@example.vn",
                     national_id="012345678901")
    second = make.user(full_name="Trần Thị B", unit=province, phone="0911222444")
    far = make.user(full_name="Lê Văn C", unit=other, phone="0911222555")
    absent = make.user(full_name="Phạm Chưa Thi", unit=dept, phone="0911222666")
    make.submission(rnd, star, 4, "3", start=start)
    make.submission(rnd, second, 3, "1", start=start)
    make.submission(rnd, far, 1, "1", start=start)
    manager = make.user(role=Role.UNIT_MANAGER, unit=province, full_name="Quản lý")
    rnd.prediction_mode = PredictionMode.OFF  # results shown live (issue 20, item 4); predictions kept
    db.session.commit()
    return dict(round=rnd, contest=rnd.contest, province=province, dept=dept, other=other, star=star,
                second=second, far=far, absent=absent, manager=manager,
                organiser=make.user(role=Role.ORGANISER), participant=far)


PRIVATE = ("0911222333", "a@example.vn", "012345678901", "1990")


def public_pages(w):
    r, c = w["round"].id, w["contest"].id
    return [f"/rounds/{r}/leaderboard", f"/contests/{c}/leaderboard", f"/rounds/{r}/units",
            f"/rounds/{r}/units?subtree=1", f"/rounds/{r}/stats"]


def set_visibility(db, contest, visibility, status=ContestStatus.PUBLISHED):
    contest.results_visibility = visibility
    contest.status = status
    db.session.commit()


def test_public_results_show_names_units_and_scores_but_no_personal_data(client, world):
    for path in public_pages(world):
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        for secret in PRIVATE:
            assert secret not in html, (path, secret)
    html = client.get(public_pages(world)[0]).get_data(as_text=True)
    assert "Trần Thị B" in html and "Lê Văn C" in html and "Tỉnh Hải Dương" in html


def test_hostile_names_are_inert_in_every_page(client, world):
    for path in public_pages(world):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
    html = client.get(public_pages(world)[0]).get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("who, expected", [(None, 302), ("participant", 200), ("organiser", 200)])
def test_logged_in_only_results(client, auth, db, world, who, expected):
    set_visibility(db, world["contest"], ResultsVisibility.LOGGED_IN)
    if who:
        auth.login(world[who])
    for path in public_pages(world):
        resp = client.get(path)
        assert resp.status_code == expected, path
        if expected == 302:
            assert "/login" in resp.headers["Location"]


@pytest.mark.parametrize("who, expected", [(None, 302), ("participant", 403), ("manager", 403), ("organiser", 200)])
def test_organisers_only_results(client, auth, db, world, who, expected):
    set_visibility(db, world["contest"], ResultsVisibility.ORGANISERS)
    if who:
        auth.login(world[who])
    for path in public_pages(world):
        assert client.get(path).status_code == expected, path


def test_draft_contest_results_do_not_exist_for_the_public(client, auth, db, world):
    set_visibility(db, world["contest"], ResultsVisibility.PUBLIC, ContestStatus.DRAFT)
    assert client.get(public_pages(world)[0]).status_code == 404
    auth.login(world["organiser"])
    assert client.get(public_pages(world)[0]).status_code == 200


def test_a_participant_sees_their_own_place_highlighted(client, auth, world):
    auth.login(world["far"])
    html = client.get(f"/rounds/{world['round'].id}/leaderboard").get_data(as_text=True)
    assert "Vị trí của bạn" in html and 'class="lb-me"' in html


def test_filters_on_the_page(client, world):
    r = world["round"].id
    html = client.get(f"/rounds/{r}/leaderboard?unit={world['province'].id}").get_data(as_text=True)
    assert "Trần Thị B" in html and "Lê Văn C" not in html  # province subtree: the star and B
    assert client.get(f"/rounds/{r}/leaderboard?category=bogus").status_code == 400
    assert client.get(f"/rounds/{r}/leaderboard?unit=999999").status_code == 404
    assert client.get("/rounds/999999/leaderboard").status_code == 404


def test_unit_manager_sees_every_person_of_their_subtree_including_absentees(client, auth, world):
    auth.login(world["manager"])
    path = f"/units/{world['province'].id}/rounds/{world['round'].id}/people"
    html = client.get(path).get_data(as_text=True)
    assert "Phạm Chưa Thi" in html and "0911222666" in html  # not taken part: can be reminded
    assert "Trần Thị B" in html and "Lê Văn C" not in html
    assert client.get(f"/units/{world['other'].id}/rounds/{world['round'].id}/people").status_code == 403


def test_people_page_is_for_unit_managers_and_organisers(client, auth, world):
    path = f"/units/{world['province'].id}/rounds/{world['round'].id}/people"
    assert client.get(path).status_code == 302
    auth.login(world["far"])
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login(world["organiser"])
    assert client.get(f"/units/{world['other'].id}/rounds/{world['round'].id}/people").status_code == 200


def _sheet(content):
    ws = load_workbook(io.BytesIO(content)).active
    return [[c for c in row] for row in ws.iter_rows(values_only=True)]


_export = export_via_job


@pytest.mark.parametrize("who, expected", [(None, 302), ("participant", 403), ("manager", 403), ("organiser", 303)])
def test_exports_are_for_organisers(client, auth, world, who, expected):
    if who:
        auth.login(world[who])
    r = world["round"].id
    for path in (f"/rounds/{r}/export.xlsx", f"/rounds/{r}/export.csv", f"/rounds/{r}/units/export.xlsx",
                 f"/contests/{world['contest'].id}/export.xlsx"):
        assert client.post(path, data={"csrf_token": csrf_token(client)}).status_code == expected, path
        assert client.get(path).status_code == 405  # starting a job changes state: POST with CSRF only


def test_round_export_in_the_jury_layout(client, auth, db, world):
    world["second"].full_name = "=HYPERLINK(\"http://evil\")"
    world["round"].prediction_mode = PredictionMode.PERFECT_COUNT
    db.session.commit()
    auth.login(world["organiser"])
    rows = _sheet(_export(client, f"/rounds/{world['round'].id}/export.xlsx"))
    assert rows[3][7] is None  # predictions are secret until the round is finalised (issue 11.1)
    ranking.finalize_round(world["round"])
    db.session.commit()
    content = _export(client, f"/rounds/{world['round'].id}/export.xlsx")
    rows = _sheet(content)
    assert world["contest"].title in rows[0][0] and world["round"].title in rows[0][0]
    assert rows[2] == ["STT", "Hạng", "Họ và tên", "Đơn vị", "Điểm", "Điểm tối đa", "Thời gian làm bài", "Dự đoán",
                       "Thời điểm nộp bài", "Lượt thi"]
    # numbers as numbers, the time taken as an Excel duration, the submission as a date-time
    assert rows[3][:6] == [1, 1, XSS_NAME, XSS_UNIT, 4, 4] and rows[3][7] == 3 and rows[3][9] == 1
    assert rows[3][6] == timedelta(minutes=1)
    assert isinstance(rows[3][8], datetime)
    assert rows[4][2] == "'=HYPERLINK(\"http://evil\")"  # never runs as a formula
    flat = " ".join(str(c) for row in rows for c in row)
    assert not any(secret in flat for secret in PRIVATE[:3])
    text = _export(client, f"/rounds/{world['round'].id}/export.csv").decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][2] == "Họ và tên" and table[2][2].startswith("'=") and table[1][6] == "1:00,000"


def test_jury_sheet_formats_frozen_heading_autofilter_and_widths(client, auth, world):
    auth.login(world["organiser"])
    ws = load_workbook(io.BytesIO(_export(client, f"/rounds/{world['round'].id}/export.xlsx"))).active
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:J6"
    assert ws["G4"].number_format == "[m]:ss.000" and ws["I4"].number_format == "dd/mm/yyyy hh:mm:ss"
    assert ws["E4"].number_format == "0" and ws["E4"].data_type == "n"
    assert ws.column_dimensions["C"].width > 20


def test_personal_columns_only_in_the_organisers_jury_export_and_audited(client, auth, db, world):
    from quizapp.core.audit import AuditEntry

    auth.login(world["organiser"])
    rows = _sheet(_export(client, f"/rounds/{world['round'].id}/export.xlsx", personal="1"))
    assert rows[2][-4:] == ["Số điện thoại", "Ngày sinh", "Số CCCD", "Chức vụ"]
    star = next(r for r in rows[3:] if r[2] == XSS_NAME)
    assert star[-4] == "0911222333" and star[-3] == datetime(1990, 1, 1) and star[-2] == "012345678901"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "results.export_personal")).one()
    assert entry.actor_id == world["organiser"].id and entry.object_id == str(world["round"].id)
    assert "0911222333" not in str(entry.details)
    # the ordinary export has no personal columns, and is not logged as one
    rows = _sheet(_export(client, f"/contests/{world['contest'].id}/export.xlsx"))
    assert "Số điện thoại" not in rows[2]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "results.export_personal")) == 1


def test_unit_and_contest_exports(client, auth, world):
    auth.login(world["organiser"])
    rows = _sheet(_export(client, f"/rounds/{world['round'].id}/units/export.xlsx", subtree="1"))
    assert rows[2][:4] == ["STT", "Hạng", "Mã đơn vị", "Tên đơn vị"]
    province = next(r for r in rows[3:] if r[3] == "Tỉnh Hải Dương")
    assert province[6] == 2  # the star (sub-unit) and B (directly)
    assert round(province[8], 2) == 22.22  # participation in percent (2 of 9), a number
    rows = _sheet(_export(client, f"/contests/{world['contest'].id}/export.xlsx"))
    assert rows[2][4] == "Tổng điểm" and rows[3][2] == XSS_NAME and rows[3][4] == 4


def test_charts_are_inline_svg_with_their_numbers_in_tables_and_no_inline_style(client, world):
    for path in (f"/rounds/{world['round'].id}/stats", f"/rounds/{world['round'].id}/units"):
        html = client.get(path).get_data(as_text=True)
        assert "<svg" in html and "<table" in html and 'class="lb-chart-bar"' in html
        assert "style=" not in html and "<script>" not in html.split("</main>")[0]
    stats = client.get(f"/rounds/{world['round'].id}/stats").get_data(as_text=True)
    assert "Phân bố điểm" in stats or "Score distribution" in stats


def test_birth_dates_are_never_shown(client, auth, world):
    assert world["star"].date_of_birth == date(1990, 1, 1)
    auth.login(world["manager"])
    html = client.get(f"/units/{world['province'].id}/rounds/{world['round'].id}/people").get_data(as_text=True)
    assert "1990" not in html
