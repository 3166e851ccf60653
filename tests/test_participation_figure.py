"""Issue 21 items 1 and 2, issue 20 item 14: one participation figure on the dashboard, the unit
ranking and the periodic report; reports that count opened rounds only, in the unit's own name."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from quizapp.auth.models import Role
from quizapp.contests.models import ContestStatus, PredictionMode
from quizapp.core.db import utcnow
from quizapp.units.models import UnitKind
from tests.leaderboards_support import live  # noqa: F401  (no ranking cache across tests)


def _city(make, db):
    """A city whose members all sit in its wards (the Vũng Tàu case): headcount 2 + 8 + 10 = 20."""
    province = make.unit("Tỉnh Bà Rịa – Vũng Tàu", code="BRVT", kind=UnitKind.PROVINCE, headcount=0)
    city = make.unit("Thành phố Vũng Tàu", parent=province, code="TPVT", headcount=2)
    ward1 = make.unit("Phường 1", parent=city, code="P1", headcount=8)
    ward2 = make.unit("Phường 2", parent=city, code="P2", headcount=10)
    other = make.unit("Sở Nội vụ", parent=province, code="SNV", headcount=4)
    manager = make.user(Role.UNIT_MANAGER, unit=city, full_name="Quản Lý Thành Phố")
    for _ in range(5):
        make.question()
    contest = make.contest("Cuộc thi CCHC 2026", published=True)
    contest.min_participation_rate = 30
    db.session.commit()
    # No prediction: its results are published while open (issue 20 item 4), as these pages show them.
    rnd = make.round(quotas=(("TC", 0, 5),), contest=contest, title="Tuần 1", number=1,
                     prediction_mode=PredictionMode.OFF)
    members = [make.user(unit=ward1, full_name=f"Phường Một {i}") for i in range(2)] + \
              [make.user(unit=ward2, full_name="Phường Hai 0")]
    for m in members:
        make.submission(rnd, m, 3, None, start=utcnow() - timedelta(hours=2))
    newcomer = make.user(unit=ward2, full_name="Chưa Xác Nhận")
    newcomer.unit_confirmed = False
    db.session.commit()
    make.submission(rnd, newcomer, 5, None, start=utcnow() - timedelta(hours=2))
    make.submission(rnd, make.user(unit=other, full_name="Người Sở"), 4, None, start=utcnow() - timedelta(hours=2))
    return {"province": province, "city": city, "other": other, "manager": manager, "contest": contest,
            "round": rnd}


def _pct(text: str) -> str:
    return text.replace(",", ".")


def test_dashboard_ranking_and_report_give_one_figure_for_a_unit_whose_members_sit_in_its_sub_units(
        client, auth, make, db, tmp_path):
    """3 confirmed entrants of a headcount of 20 = 15 %: the dashboard, the unit ranking as it opens
    and the periodic report all say 15 (the unconfirmed newcomer does not count anywhere)."""
    from docx import Document

    from quizapp.campaign import reports

    w = _city(make, db)
    auth.login(w["manager"])
    dashboard = client.get(f"/units/{w['city'].id}/dashboard").get_data(as_text=True)
    ranking = client.get(f"/rounds/{w['round'].id}/units").get_data(as_text=True)  # no view chosen
    today = utcnow().date()
    params = reports.report_params("custom", start=today - timedelta(days=3), end=today + timedelta(days=1),
                                   unit_id=w["city"].id)
    doc = Document(reports.run_periodic_report(params, lambda d, t: None, tmp_path)["path"])
    report_rows = {r.cells[1].text.strip(): [c.text for c in r.cells] for r in doc.tables[1].rows[1:]}

    dash_figures = re.findall(r"(\d+,\d+)%", dashboard)
    assert "15,00" in dash_figures  # the round's and the contest's figure
    assert not any(f in dash_figures for f in ("0,00", "20,00"))
    city_row = ranking.split("Thành phố Vũng Tàu", 1)[1].split("</tr>", 1)[0]
    assert "15,00" in city_row
    assert _pct(report_rows["Thành phố Vũng Tàu"][4]) == "15.0"
    assert report_rows["Thành phố Vũng Tàu"][3] == "3"  # confirmed entries only


def test_the_ranking_opens_on_the_view_with_sub_units_and_the_other_view_stays_reachable(client, make, db):
    w = _city(make, db)
    default = client.get(f"/rounds/{w['round'].id}/units").get_data(as_text=True)
    assert re.search(r'<option value="1"\s+selected', default)
    direct = client.get(f"/rounds/{w['round'].id}/units?subtree=0").get_data(as_text=True)
    assert re.search(r'<option value="0"\s+selected', direct)


def test_dashboard_shows_the_units_rank_and_the_gap_to_the_prize_floor(client, auth, make, db):
    from quizapp.leaderboards import participation

    w = _city(make, db)
    standing = participation.standing(w["round"].id, w["city"].id)
    # the floor is 30 % of 20 = 6 confirmed entrants; the city has 3
    assert (standing.participation.entrants, standing.participation.headcount) == (3, 20)
    assert standing.missing == 3 and standing.rank is None and standing.note == "below_minimum"
    auth.login(w["manager"])
    html = client.get(f"/units/{w['city'].id}/dashboard").get_data(as_text=True)
    section = html.split('class="card dash-standing"')[1].split("</section>")[0]
    assert "3" in section.split('class="dash-gap"')[1] and "30" in section
    # once enough of its members take part, the rank is shown and the gap is gone
    rnd = w["round"]
    ward = next(u for u in w["city"].children if u.name == "Phường 2")
    for i in range(3):
        make.submission(rnd, make.user(unit=ward, full_name=f"Thêm {i}"), 2, None, start=utcnow() - timedelta(hours=1))
    standing = participation.standing(rnd.id, w["city"].id)
    assert standing.missing == 0 and standing.rank is not None
    html = client.get(f"/units/{w['city'].id}/dashboard").get_data(as_text=True)
    assert re.search(r'class="dash-rank">[^<]*\b%d\b' % standing.rank, html)


def test_a_round_that_has_not_opened_by_the_report_date_does_not_lower_the_average(make, db):
    """One round ran (3 of 20 = 15 %), a second opens next week inside the same period."""
    from quizapp.campaign import reports

    w = _city(make, db)
    make.round(quotas=(("TC", 0, 5),), contest=w["contest"], title="Tuần 2", number=2,
               opens_at=utcnow() + timedelta(days=7), closes_at=utcnow() + timedelta(days=14))
    today = utcnow().date()
    period = reports.Period(today - timedelta(days=3), today + timedelta(days=20), "thử")
    data = reports.compute_report(w["province"].id, period)
    city = next(u for u in data.units if u.name == "Thành phố Vũng Tàu")
    assert city.rounds == 1 and city.rate == pytest.approx(15.0)
    assert data.rounds_not_open == 1 and len(data.rounds) == 1


def test_the_report_summary_counts_the_same_confirmed_members_as_the_unit_table(make, db):
    from quizapp.campaign import reports

    w = _city(make, db)
    today = utcnow().date()
    data = reports.compute_report(w["city"].id, reports.Period(today - timedelta(days=3), today, "thử"))
    top = next(u for u in data.units if u.unit_id == w["city"].id)
    assert data.entrants == top.entrants == 3 and data.people == 3  # the newcomer is in neither
    assert sum(n for _, n in data.bands) == 3
    assert "Chưa Xác Nhận" not in [p["name"] for p in data.top_people]


def test_a_unit_managers_report_carries_the_units_own_name_number_and_signer(client, auth, make, db, tmp_path):
    from docx import Document

    from quizapp.campaign import reports
    from quizapp.units import report_settings

    w = _city(make, db)
    today = utcnow().date()

    def header(issuer_unit_id):
        params = reports.report_params("custom", start=today - timedelta(days=3), end=today,
                                       unit_id=w["city"].id, issuer_unit_id=issuer_unit_id)
        doc = Document(reports.run_periodic_report(params, lambda d, t: None, tmp_path)["path"])
        return doc.tables[0].rows[0].cells[0].text, doc.tables[-1].rows[0].cells[1].text

    left, sign = header(w["city"].id)  # defaults: the city under the province's people's committee
    assert "THÀNH PHỐ VŨNG TÀU" in left and "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU" in left
    assert "BAN TỔ CHỨC" not in left and "/BC" in left and "BC-BTC" not in left
    assert "THỦ TRƯỞNG ĐƠN VỊ" in sign
    report_settings.save(w["city"].id, {"organiser": "Ủy ban nhân dân tỉnh Bà Rịa – Vũng Tàu",
                                        "issuer": "Ủy ban nhân dân thành phố Vũng Tàu", "number_code": "BC-UBND",
                                        "signer_title": "Chủ tịch", "signer_name": "Nguyễn Văn Ký"}, None)
    db.session.commit()
    left, sign = header(w["city"].id)
    assert "ỦY BAN NHÂN DÂN THÀNH PHỐ VŨNG TÀU" in left and "/BC-UBND" in left
    assert "CHỦ TỊCH" in sign and "Nguyễn Văn Ký" in sign
    left, _sign = header(None)  # an organiser's report stays the board's
    assert "BAN TỔ CHỨC" in left

    # the manager's form says whose name it carries and warns while the signer is blank
    auth.login(w["manager"])
    html = client.get("/reports").get_data(as_text=True)
    assert "Ủy ban nhân dân thành phố Vũng Tàu" in html and 'id="report-signer-warning"' not in html
    report_settings.save(w["city"].id, {"signer_name": ""}, None)
    db.session.commit()
    html = client.get("/reports").get_data(as_text=True)
    assert 'id="report-signer-warning"' in html


def test_unit_report_settings_page_saves_and_refuses_too_long_values(client, auth, make, db):
    from quizapp.units import report_settings

    w = _city(make, db)
    auth.login(w["manager"])
    url = f"/units/{w['city'].id}/report-settings"
    page = client.get(url)
    assert page.status_code == 200 and "Thủ trưởng đơn vị" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    ok = client.post(url, data={"csrf_token": token, "signer_name": "Lê Văn Ký", "number_code": "BC-UBND"})
    assert ok.status_code == 302 and report_settings.for_unit(w["city"].id).signer_name == "Lê Văn Ký"
    bad = client.post(url, data={"csrf_token": token, "signer_name": "x" * 121})
    assert bad.status_code == 422 and report_settings.for_unit(w["city"].id).signer_name == "Lê Văn Ký"
    # not his unit: refused
    assert client.get(f"/units/{w['other'].id}/report-settings").status_code == 403


def test_unit_managers_do_not_see_draft_contests_in_the_report_form(client, auth, make, db):
    """Issue 20 item 14."""
    w = _city(make, db)
    draft = make.contest("Cuộc thi nháp bí mật", published=False)
    assert draft.status == ContestStatus.DRAFT
    auth.login(w["manager"])
    html = client.get("/reports").get_data(as_text=True)
    assert "Cuộc thi CCHC 2026" in html and "Cuộc thi nháp bí mật" not in html
    today = utcnow().date()
    forged = client.get("/reports", query_string={
        "kind": "custom", "start": (today - timedelta(days=3)).isoformat(), "end": today.isoformat(),
        "unit_id": w["city"].id, "contest_id": draft.id})
    assert forged.status_code == 404
