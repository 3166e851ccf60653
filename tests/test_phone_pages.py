"""Issue 12 (the people's side): unit dashboard, my attempts, the home page's open rounds."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl

from quizapp.auth.models import Role
from quizapp.contests.models import PredictionMode, ReviewPolicy
from quizapp.core.db import utcnow
from tests.leaderboards_support import live  # noqa: F401  (no ranking cache across tests)


def _round(make, **fields):
    for _ in range(5):
        make.question()
    return make.round(quotas=(("TC", 0, 5),), **fields)


def _world(make):
    district = make.unit("Huyện Đất Đỏ", headcount=4)
    commune = make.unit("Xã Phước Hội", parent=district, headcount=6)
    manager = make.user(Role.UNIT_MANAGER, unit=district, full_name="Trần Quản Lý")
    took = make.user(unit=commune, full_name="Lê Đã Thi", phone="0911000001")
    missing = make.user(unit=commune, full_name="Ngô Chưa Thi", phone="0911000002")
    outsider = make.user(unit=make.unit("Sở Nội vụ"), full_name="Người Ngoài")
    return district, commune, manager, took, missing, outsider


def test_unit_dashboard_lists_non_participants_rates_reminder_and_export(client, auth, db, make):
    district, commune, manager, took, missing, outsider = _world(make)
    rnd = _round(make, title="Vòng 1")
    make.submission(rnd, took, 3, "1")
    make.submission(rnd, outsider, 5, "1")
    auth.login(manager)
    home = client.get("/").get_data(as_text=True)
    assert f"/units/{district.id}/dashboard" in home  # one tap from the home page (and the menu)
    html = client.get(f"/units/{district.id}/dashboard").get_data(as_text=True)
    missing_part = html.split('<ul class="dash-people">')[1].split("</ul>")[0]
    # the manager is not one of his own non-participants (issue 21 item 8)
    assert "Ngô Chưa Thi" in missing_part and "Trần Quản Lý" not in missing_part
    assert "Lê Đã Thi" not in missing_part and "Người Ngoài" not in html
    assert "10,0" in html  # 1 entrant of a headcount of 4 + 6 → 10.0%
    reminder = html.split('id="dash-reminder"')[1].split("</textarea>")[0]
    assert "Vòng 1" in reminder and f"/contests/{rnd.contest.slug}" in reminder and "1 đồng chí" in reminder
    xlsx = client.get(f"/units/{district.id}/rounds/{rnd.id}/missing.xlsx")
    assert xlsx.status_code == 200
    rows = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(xlsx.data)).active.iter_rows()]
    names = [r[0] for r in rows]
    assert "Ngô Chưa Thi" in names and "Lê Đã Thi" not in names and "Trần Quản Lý" not in names
    assert client.get(f"/units/{district.id}/rounds/{rnd.id}/missing.csv").data.decode("utf-8-sig").count("\n") == 2


def test_unit_dashboard_is_scoped_to_the_managers_unit(client, auth, make):
    district, commune, manager, *_ = _world(make)
    other = make.unit("Huyện khác")
    auth.login(manager)
    assert client.get(f"/units/{commune.id}/dashboard").status_code == 200
    assert client.get(f"/units/{other.id}/dashboard").status_code == 403
    auth.logout()
    auth.login(make.user(unit=district))
    assert client.get(f"/units/{district.id}/dashboard").status_code == 403


def test_my_attempts_lists_score_time_place_and_review(client, auth, db, make):
    me = make.user(full_name="Phạm Thu")
    rival = make.user()
    # Rounds without a prediction: places are live (issue 20, item 4).
    shown = _round(make, title="Vòng A", review_policy=ReviewPolicy.AFTER_ATTEMPT, prediction_mode=PredictionMode.OFF)
    later = _round(make, title="Vòng B", review_policy=ReviewPolicy.AFTER_CLOSE)
    make.submission(shown, rival, 5, "1")
    make.submission(shown, me, 4, "1")
    make.submission(later, me, 2, "1")
    auth.login(me)
    html = client.get("/my/attempts").get_data(as_text=True)
    assert html.index("Vòng B") < html.index("Vòng A")  # newest first... both submitted an hour ago
    a_part = html.split("Vòng A")[1]
    assert "4/5" in a_part and '<dd class="history-place">2</dd>' in a_part and "Kết quả và đáp án" in a_part
    b_part = html.split("Vòng B")[1].split("Vòng A")[0]
    assert "2/5" in b_part and "Đáp án sẽ được công bố sau khi vòng thi kết thúc" in b_part


def test_home_page_leads_with_the_open_round_and_tells_when_a_review_opens(client, auth, db, make):
    me = make.user()
    rnd = _round(make, title="Vòng đang mở", review_policy=ReviewPolicy.AFTER_CLOSE)
    make.submission(rnd, me, 3, "1")
    html = client.get("/").get_data(as_text=True)
    lead = html.split('class="open-rounds"')[1].split("</section>")[0]
    assert "Vòng đang mở" in lead and f'href="/rounds/{rnd.id}/start">Vào thi</a>' in lead
    assert 'data-countdown' in lead
    assert html.index("open-rounds") < html.index('class="hero"')
    auth.login(me)
    assert "đã được công bố" not in client.get("/").get_data(as_text=True)
    rnd.opens_at = utcnow() - timedelta(days=3)
    rnd.closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Đáp án của Vòng đang mở" in html and "/result" in html


def test_a_visitor_from_a_zalo_link_sees_vao_thi_on_the_contest_page(client, make):
    rnd = _round(make, title="Vòng Zalo")
    html = client.get(f"/contests/{rnd.contest.slug}").get_data(as_text=True)
    assert f'href="/rounds/{rnd.id}/start">Vào thi</a>' in html
    start = client.get(f"/rounds/{rnd.id}/start")
    assert start.status_code == 302 and "/login?next=" in start.headers["Location"]


def test_audit_log_reads_as_vietnamese_sentences_with_links(client, auth, db, make):
    from quizapp.core import audit
    from quizapp.units import services as units

    organiser = make.user(Role.ORGANISER, full_name="Bùi Tổ Chức")
    a, b = make.unit("Xã An"), make.unit("Xã Bình")
    units.merge(a, b, organiser.id)
    contest = make.contest("Cuộc thi CCHC 2026", actor=organiser)
    audit.record(organiser.id, "contest.update", "contest", contest.id, fields=["rules", "title"])
    audit.record(organiser.id, "something.new", "contest", contest.id)
    db.session.commit()
    auth.login(make.user(Role.ADMIN))
    html = client.get("/admin/audit").get_data(as_text=True)
    sentences = html.split('class="audit-list"')[1].split("</ol>")[0]
    assert (f'<strong>Bùi Tổ Chức</strong> đã sáp nhập đơn vị <a href="/admin/units/{a.id}">Xã An</a> vào '
            f'<a href="/admin/units/{b.id}">Xã Bình</a>.') in sentences
    assert (f'đã thay đổi thể lệ, tên của cuộc thi <a href="/admin/contests/{contest.id}">Cuộc thi CCHC 2026</a>'
            in sentences)
    assert "đã tạo cuộc thi" in sentences
    assert "unit.merge" not in sentences.replace('data-action="unit.merge"', "")
    assert "fields:" not in sentences and "unit #" not in sentences
    assert "đã thực hiện thao tác “something.new”" in sentences  # an action not taught yet still reads
    assert '<option value="unit.merge">Sáp nhập đơn vị</option>' in html


def test_ranking_offers_the_page_around_me_and_marks_my_unit(client, auth, db, make, monkeypatch):
    from quizapp.leaderboards import boards

    monkeypatch.setattr(boards, "PAGE_SIZE", 2)
    unit = make.unit("Phường Một")
    rnd = _round(make, title="Vòng xếp hạng", prediction_mode=PredictionMode.OFF)  # live results (issue 20.4)
    for score in (5, 4, 3):
        make.submission(rnd, make.user(), score, "1")
    me = make.user(unit=unit, full_name="Tôi Ở Cuối")
    make.submission(rnd, me, 1, "1")
    auth.login(me)
    html = client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    mine = html.split('class="card lb-mine"')[1].split("</section>")[0]
    assert "Tôi Ở Cuối" in mine and f"/rounds/{rnd.id}/leaderboard?page=2#lb-around-me" in mine
    assert 'class="num c-score"' in mine and 'class="num c-time"' in mine
    page2 = client.get(f"/rounds/{rnd.id}/leaderboard?page=2").get_data(as_text=True)
    assert "Xem những người quanh vị trí của tôi" not in page2  # already there
    assert '<tr class="lb-me">' in page2.split('id="lb-around-me"')[1]
    units = client.get(f"/rounds/{rnd.id}/units").get_data(as_text=True)
    my_unit = units.split('aria-labelledby="lb-my-unit-title"')[1].split("</section>")[0]
    assert "Phường Một" in my_unit and "tỷ lệ tham gia 10,00%" in my_unit and "1/10 người" in my_unit
    assert "(đơn vị của bạn)" in units.split('class="lb-table lb-units"')[1]


def test_statistics_draw_a_score_histogram_and_vietnamese_dates(client, auth, db, make):
    from quizapp.leaderboards import charts
    from quizapp.leaderboards.views import _vn_date

    hist = charts.columns([(str(s), c, str(c)) for s, c in enumerate([0, 1, 3, 0, 2, 5] + [0] * 15)])
    assert len(hist.columns) == 21 and hist.width == 300
    labels = [c.label for c in hist.columns]
    assert labels[0] == "0" and labels[-1] == "20" and labels[1] == ""  # every other label at phone width
    tallest = max(hist.columns, key=lambda c: c.height)
    assert tallest.label_x == hist.columns[5].label_x and tallest.y < hist.baseline
    assert _vn_date("2026-12-04") == "04/12/2026"
    rnd = _round(make, title="Vòng thống kê")
    make.submission(rnd, make.user(), 3, "1")
    auth.login(make.user(Role.ORGANISER))
    html = client.get(f"/rounds/{rnd.id}/stats").get_data(as_text=True)
    assert html.count('class="chart-pair"') == 3
    assert re.search(r"<td>\d{2}/\d{2}/\d{4}</td>", html) and not re.search(r"<td>\d{4}-\d{2}-\d{2}</td>", html)
    scores = html.split('id="chart-scores-title"')[1].split("</svg>")[0]
    assert scores.count("<rect") == 6 and 'text-anchor="middle"' in scores


def test_unit_dashboard_shows_confirmed_and_waiting_members(client, auth, db, make):
    district, commune, manager, took, missing, outsider = _world(make)
    newcomer = make.user(unit=commune, full_name="Phan Mới Đăng Ký")
    newcomer.unit_confirmed = False
    db.session.commit()
    auth.login(manager)
    html = client.get(f"/units/{district.id}/dashboard").get_data(as_text=True)
    waiting = html.split('dash-unconfirmed">')[1].split("</ul>")[0]
    assert "Phan Mới Đăng Ký" in waiting and "Ngô Chưa Thi" not in waiting
    assert "chờ xác nhận: 1" in html and "/units/confirm" in html


def test_unit_dashboard_counts_confirmed_members_like_the_unit_ranking(client, auth, db, make):
    """A self-registered member the unit has not confirmed does not raise its participation, on the
    manager's dashboard as in the public unit ranking (the same figure in both places), nor become
    the unit's best entrant."""
    from quizapp.leaderboards.unit_ranking import unit_ranking

    district, commune, manager, took, missing, outsider = _world(make)
    newcomer = make.user(unit=commune, full_name="Phan Mới Đăng Ký")
    newcomer.unit_confirmed = False
    db.session.commit()
    rnd = _round(make, title="Vòng 1")
    make.submission(rnd, took, 3, "1")
    make.submission(rnd, newcomer, 5, "1")
    auth.login(manager)
    html = client.get(f"/units/{district.id}/dashboard").get_data(as_text=True)
    assert "10,0" in html and "20,0" not in html  # 1 confirmed entrant of a headcount of 10
    row = next(r for r in unit_ranking(rnd.id, subtree=True).rows if r.unit_id == district.id)
    assert row.entrants == 1 and row.rate_text.replace(",", ".").startswith("10")
    # the unit's best entrant is its best confirmed member, not the higher-scoring newcomer
    assert row.best_name == "Lê Đã Thi"
