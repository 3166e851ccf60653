"""Organiser and entrant flows through the contest pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.core.audit import AuditEntry
from quizapp.auth.models import Role
from quizapp.contests.clock import epoch_ms
from quizapp.contests.models import Contest, ContestStatus, Grant, Round
from quizapp.core.db import utcnow
from tests.conftest import csrf_token

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture()
def organiser(make, auth):
    user = make.user(role=Role.ORGANISER)
    auth.login(user)
    return user


def _token(client, path):
    return csrf_token(client, path)


def post_form(client, path, data):
    return client.post(path, data={"csrf_token": _token(client, path)} | data)


def round_form_data(make, opens="2030-03-02T00:00", closes="2030-03-08T23:59", **kw):
    tc = make.area("TC").id
    data = {
        "title": "Tuần 1", "opens_at": opens, "closes_at": closes, "time_limit_minutes": "20",
        "attempts_allowed": "3", "counted_attempt": "best", "shuffle_questions": "y", "shuffle_options": "y",
        "layout": "one_page", "prediction_mode": "perfect_count", "review_policy": "after_close",
        f"q_{tc}_0": "2",
    }
    data.update(kw)
    return data


def test_an_organiser_creates_a_contest_adds_a_round_publishes_and_grants(client, db, make, organiser):
    # the form carries a CSRF token and the defaults
    page = client.get("/admin/contests/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert re.search(r'<option selected value="score,prediction,duration,submitted_at">', html)
    assert re.search(r'<input checked[^>]*name="open_to_all"', html)

    resp = post_form(client, "/admin/contests/new", {
        "title": "Tìm hiểu CCHC 2030", "description": "Mô tả", "rules": "Thể lệ",
        "open_to_all": "y", "ranking_order": "score,prediction,duration,submitted_at", "aggregate": "sum",
        "unit_ranking_order": "participation,average", "min_participation_rate": "50",
        "results_visibility": "public", "blocs": "Sở ngành, Huyện",
    })
    assert resp.status_code == 302
    contest = db.session.scalar(sa.select(Contest))
    assert contest.title == "Tìm hiểu CCHC 2030" and contest.blocs == "Sở ngành,Huyện"
    assert contest.min_participation_rate == 50

    # the round form proposes 20 questions and the defaults
    new_round = f"/admin/contests/{contest.id}/rounds/new"
    html = client.get(new_round).get_data(as_text=True)
    assert 'name="csrf_token"' in html
    assert re.search(r'name="time_limit_minutes"[^>]*value="20"', html)
    assert re.search(r'name="attempts_allowed"[^>]*value="3"', html)
    assert re.search(r'<option selected value="after_close">', html)
    proposed = sum(int(v) for v in re.findall(r'name="q_\d+_0"[^>]*value="(\d+)"', html))
    assert proposed == 20

    make.questions(3, "TC")
    resp = post_form(client, new_round, round_form_data(make))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    rnd = db.session.scalar(sa.select(Round))
    # entered in Vietnam time, stored in UTC
    assert rnd.opens_at.isoformat() == "2030-03-01T17:00:00+00:00"
    assert [(q.difficulty, q.count) for q in rnd.quotas] == [(0, 2)]

    resp = post_form(client, f"/admin/contests/{contest.id}/publish", {})
    assert resp.status_code == 302
    db.session.refresh(contest)
    assert contest.status == ContestStatus.PUBLISHED

    entrant = make.user(full_name="Phạm Văn Cường", phone="0987654321")
    grants = f"/admin/contests/{contest.id}/rounds/{rnd.id}/grants"
    found = post_form(client, grants, {"action": "search", "q": "0987 654 321"}).get_data(as_text=True)
    assert "Phạm Văn Cường" in found and "0987654321" not in found  # phone masked
    resp = post_form(client, grants + f"?user_id={entrant.id}",
                     {"user_id": str(entrant.id), "extra_minutes": "10", "extra_attempts": "1", "reason": "Mất điện"})
    assert resp.status_code == 302
    grant = db.session.scalar(sa.select(Grant))
    assert (grant.user_id, grant.extra_minutes, grant.extra_attempts, grant.reason) == (entrant.id, 10, 1, "Mất điện")
    listing = client.get(grants).get_data(as_text=True)
    assert "Mất điện" in listing and "Phạm Văn Cường" in listing

    logged = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"contest.create", "round.create", "contest.publish", "grant.create"} <= logged


def test_a_grant_without_a_reason_is_refused_with_the_field_named(client, db, make, organiser):
    contest = make.contest(published=True)
    rnd = make.built_round(contest)
    entrant = make.user()
    path = f"/admin/contests/{contest.id}/rounds/{rnd.id}/grants?user_id={entrant.id}"
    resp = post_form(client, path, {"user_id": str(entrant.id), "extra_minutes": "5", "extra_attempts": "0",
                                    "reason": ""})
    assert resp.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 0


def test_the_round_form_shows_a_vietnamese_error_for_an_unfillable_quota(client, db, make, organiser):
    contest = make.contest()
    resp = post_form(client, f"/admin/contests/{contest.id}/rounds/new", round_form_data(make))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Số câu hỏi theo lĩnh vực" in html and "Cải cách thể chế" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_the_round_form_refuses_closing_before_opening(client, db, make, organiser):
    make.questions(2)
    contest = make.contest()
    resp = post_form(client, f"/admin/contests/{contest.id}/rounds/new",
                     round_form_data(make, opens="2030-03-02T00:00", closes="2030-03-01T00:00"))
    assert resp.status_code == 422
    assert "Giờ đóng" in resp.get_data(as_text=True)


def test_a_round_with_attempts_refuses_a_shorter_time_limit_on_the_page(client, db, make, organiser):
    contest = make.contest(published=True)
    rnd = make.built_round(contest)
    make.attempt(rnd, make.user())
    path = f"/admin/contests/{contest.id}/rounds/{rnd.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert "đã có lượt thi" in html
    data = dict(re.findall(r'<input[^>]*name="(q_\d+_\d)"[^>]*value="(\d+)"', html))
    resp = post_form(client, path, round_form_data(make, opens=None, closes=None, time_limit_minutes="10") | data | {
        "opens_at": re.search(r'name="opens_at"[^>]*value="([^"]+)"', html).group(1),
        "closes_at": re.search(r'name="closes_at"[^>]*value="([^"]+)"', html).group(1),
        "title": rnd.title})
    assert resp.status_code == 409
    db.session.refresh(rnd)
    assert rnd.time_limit_seconds == 20 * 60


def test_publishing_without_rounds_shows_why(client, db, make, organiser):
    contest = make.contest()
    resp = post_form(client, f"/admin/contests/{contest.id}/publish", {})
    assert resp.status_code == 422
    assert "ít nhất một vòng" in resp.get_data(as_text=True)
    db.session.refresh(contest)
    assert contest.status == ContestStatus.DRAFT


def test_deleting_a_draft_contest(client, db, make, organiser):
    contest = make.contest()
    resp = post_form(client, f"/admin/contests/{contest.id}/delete", {})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == 0
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "contest.delete"))


def test_posts_without_a_csrf_token_are_refused(client, db, make, organiser):
    contest = make.contest()
    resp = client.post(f"/admin/contests/{contest.id}/delete", data={})
    assert resp.status_code == 400
    assert db.session.get(Contest, contest.id) is not None


@pytest.mark.parametrize("path", [
    "/admin/contests", "/admin/contests/new", "/admin/contests/{cid}", "/admin/contests/{cid}/edit",
    "/admin/contests/{cid}/rounds/new", "/admin/contests/{cid}/rounds/{rid}/edit",
    "/admin/contests/{cid}/rounds/{rid}/grants", "/admin/audit",
])
def test_participants_cannot_open_organiser_pages(client, db, make, auth, path):
    contest = make.contest()
    rnd = make.built_round(contest)
    auth.login(make.user(role=Role.UNIT_MANAGER))
    assert client.get(path.format(cid=contest.id, rid=rnd.id)).status_code == 403


def test_participants_cannot_post_organiser_actions(client, db, make, auth):
    contest = make.contest()
    make.built_round(contest)
    auth.login(make.user())
    token = csrf_token(client)
    for action in ("publish", "delete"):
        assert client.post(f"/admin/contests/{contest.id}/{action}", data={"csrf_token": token}).status_code == 403
    db.session.refresh(contest)
    assert contest.status == ContestStatus.DRAFT


def test_organisers_cannot_open_the_audit_log_but_admins_can(client, db, make, auth):
    organiser = make.user(role=Role.ORGANISER)
    make.contest("Một", actor=organiser)
    make.contest("Hai", actor=organiser)
    auth.login(organiser)
    assert client.get("/admin/audit").status_code == 403
    auth.logout()
    auth.login(make.user(role=Role.ADMIN))
    html = client.get("/admin/audit?action=contest.create").get_data(as_text=True)
    assert html.count("đã tạo cuộc thi") == 2
    assert "Nhật ký" in html


def test_the_audit_log_is_newest_first_and_paginated(client, db, make, auth):
    from quizapp.core import audit

    for i in range(60):
        audit.record(None, "test.action", "thing", i)
    audit.record(None, "other.action", "thing", 999)
    db.session.commit()
    auth.login(make.user(role=Role.ADMIN))
    first = client.get("/admin/audit?action=test.action").get_data(as_text=True)
    assert first.count('data-action="test.action"') == 50 and 'data-action="other.action"' not in first
    ids = re.findall(r"<strong>#(\d+)</strong>", first)
    assert ids[0] == "59"
    second = client.get("/admin/audit?action=test.action&page=2").get_data(as_text=True)
    assert second.count('data-action="test.action"') == 10


# --- public pages --------------------------------------------------------------

def test_xss_in_contest_texts_is_rendered_inert(client, db, make, organiser):
    contest = make.contest(XSS, published=True, description=XSS, rules=XSS)
    make.built_round(contest, title=XSS)
    for path in (f"/contests/{contest.slug}", "/contests", f"/admin/contests/{contest.id}", "/admin/contests", "/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_visitors_see_published_contests_and_a_prompt_to_log_in(client, db, make):
    published = make.contest("Cuộc thi đã công bố", published=True)
    make.contest("Bản nháp bí mật")
    html = client.get("/contests").get_data(as_text=True)
    assert "Cuộc thi đã công bố" in html and "Bản nháp bí mật" not in html
    assert "Đăng nhập" in html
    assert client.get(f"/contests/{published.slug}").status_code == 200


def test_drafts_are_hidden_from_entrants_but_previewable_by_organisers(client, db, make, auth):
    draft = make.contest("Nháp")
    assert client.get(f"/contests/{draft.slug}").status_code == 404
    auth.login(make.user())
    assert client.get(f"/contests/{draft.slug}").status_code == 404
    auth.logout()
    auth.login(make.user(role=Role.ORGANISER))
    assert client.get(f"/contests/{draft.slug}").status_code == 200


def test_participants_see_only_contests_they_may_enter(client, db, make, auth):
    dept = make.unit("Sở Nội vụ")
    make.contest("Dành cho mọi người", published=True)
    make.contest("Chỉ Sở Nội vụ", published=True, open_to_all=False, unit_ids=[dept.id])
    auth.login(make.user())
    html = client.get("/contests").get_data(as_text=True)
    assert "Dành cho mọi người" in html and "Chỉ Sở Nội vụ" not in html


def test_the_contest_page_shows_rounds_in_vietnam_time_with_a_server_time_countdown(client, db, make):
    contest = make.contest(published=True, rules="Mỗi người thi tối đa 3 lượt.")
    rnd = make.built_round(contest, opens_in_hours=50, hours=24)
    html = client.get(f"/contests/{contest.slug}").get_data(as_text=True)
    assert "Mỗi người thi tối đa 3 lượt." in html
    assert "Sắp diễn ra" in html
    local = rnd.opens_at + timedelta(hours=7)
    assert local.strftime("%d/%m/%Y %H:%M") in html
    server_now = int(re.search(r'data-server-now="(\d+)"', html).group(1))
    assert abs(server_now - epoch_ms(utcnow())) < 60_000
    assert f'data-target="{epoch_ms(rnd.opens_at)}"' in html
    assert "2 ngày 2 giờ" in html  # server-rendered text, before any script runs
    assert "js/contests.js" in html


def test_open_rounds_show_the_start_button_and_upcoming_ones_do_not(client, db, make, auth):
    contest = make.contest(published=True)
    open_round = make.built_round(contest, opens_in_hours=-1, hours=24)
    make.built_round(contest, opens_in_hours=48, hours=24)
    auth.login(make.user())
    html = client.get(f"/contests/{contest.slug}").get_data(as_text=True)
    assert html.count("Vào thi") == 1
    assert f'href="/rounds/{open_round.id}/start"' in html


def test_the_home_page_lists_open_and_upcoming_rounds(client, db, make, auth):
    contest = make.contest("Cuộc thi mùa xuân", published=True)
    make.built_round(contest, opens_in_hours=-1, hours=24, title="Tuần đang mở")
    make.built_round(contest, opens_in_hours=48, hours=24, title="Tuần sắp tới")
    make.built_round(make.contest("Nháp"), opens_in_hours=-1, title="Tuần nháp")
    html = client.get("/").get_data(as_text=True)
    assert "Tuần đang mở" in html and "Tuần sắp tới" in html and "Tuần nháp" not in html
    # the open round under "Đang diễn ra", the upcoming one under "Sắp diễn ra"
    assert html.index("Đang diễn ra") < html.index("Tuần đang mở") < html.index("Sắp diễn ra") < html.index("Tuần sắp tới")


def test_an_organiser_edits_a_contest_from_its_prefilled_form(client, db, make, organiser):
    dept = make.unit("Sở Nội vụ")
    contest = make.contest("Tên cũ", open_to_all=False, unit_ids=[dept.id], categories=["citizen"],
                           ranking_order="prediction,submitted_at")
    path = f"/admin/contests/{contest.id}/edit"
    html = client.get(path).get_data(as_text=True)
    assert 'value="Tên cũ"' in html
    assert re.search(rf'<option selected value="{dept.id}">', html)
    assert re.search(r'<option selected value="prediction,submitted_at">', html)
    assert re.search(r'<input checked[^>]*value="citizen"', html)
    resp = post_form(client, path, {
        "title": "Tên mới", "unit_ids": str(dept.id), "categories": "citizen",
        "ranking_order": "score,duration,submitted_at", "aggregate": "best",
        "unit_ranking_order": "average,participation", "min_participation_rate": "0",
        "results_visibility": "logged_in",
    })
    assert resp.status_code == 302
    db.session.refresh(contest)
    assert (contest.title, contest.open_to_all, contest.ranking_order) == ("Tên mới", False, "score,duration,submitted_at")
    assert contest.aggregate.value == "best" and contest.results_visibility.value == "logged_in"


def test_changing_the_ranking_rules_of_a_contest_under_way_is_refused_beside_the_field(client, db, make, organiser):
    make.questions(6, "TC")
    contest = make.contest("Đang thi", published=True)
    make.attempt(make.built_round(contest, opens_in_hours=-1, hours=48), make.user())
    resp = post_form(client, f"/admin/contests/{contest.id}/edit", {
        "title": "Đang thi", "open_to_all": "y", "ranking_order": "score,duration,submitted_at",
        "aggregate": "sum", "unit_ranking_order": "participation,average", "min_participation_rate": "0",
        "results_visibility": "public",
    })
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Cuộc thi đã có lượt thi nên không thể thay đổi các thiết lập sau: thứ tự xếp hạng cá nhân." in html
    db.session.refresh(contest)
    assert contest.ranking_order == "score,prediction,duration,submitted_at"


def test_a_contest_form_without_eligibility_names_the_field(client, db, make, organiser):
    resp = post_form(client, "/admin/contests/new", {
        "title": "Không ai được thi", "ranking_order": "score,prediction,duration,submitted_at",
        "aggregate": "sum", "unit_ranking_order": "participation,average", "min_participation_rate": "0",
        "results_visibility": "public",
    })
    assert resp.status_code == 422
    assert "Đối tượng được dự thi" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == 0


def test_rounds_are_edited_and_deleted_from_the_manage_page(client, db, make, organiser):
    contest = make.contest()
    rnd = make.built_round(contest, opens_in_hours=24, hours=24)
    manage = client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert rnd.title in manage and "Xóa vòng thi" in manage
    path = f"/admin/contests/{contest.id}/rounds/{rnd.id}/edit"
    html = client.get(path).get_data(as_text=True)
    form = round_form_data(make, title="Tuần khai mạc", time_limit_minutes="30", layout="paged")
    form.update({
        "opens_at": re.search(r'name="opens_at"[^>]*value="([^"]+)"', html).group(1),
        "closes_at": re.search(r'name="closes_at"[^>]*value="([^"]+)"', html).group(1),
    })
    del form["shuffle_options"]
    assert post_form(client, path, form).status_code == 302
    db.session.refresh(rnd)
    assert (rnd.title, rnd.time_limit_seconds, rnd.one_page, rnd.shuffle_options) == ("Tuần khai mạc", 1800, False, False)
    assert post_form(client, f"/admin/contests/{contest.id}/rounds/{rnd.id}/delete", {}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0
    other = make.contest("Khác")
    assert client.get(f"/admin/contests/{other.id}/rounds/{rnd.id}/edit").status_code == 404


def test_an_archived_contest_is_read_only(client, db, make, organiser):
    contest = make.contest(published=True)
    make.built_round(contest)
    assert post_form(client, f"/admin/contests/{contest.id}/archive", {}).status_code == 302
    html = client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "Đã lưu trữ" in html and "Sửa thiết lập" not in html
    resp = post_form(client, f"/admin/contests/{contest.id}/unpublish", {})
    assert resp.status_code == 409
    assert client.get(f"/contests/{contest.slug}").status_code == 200


def test_open_and_closed_rounds_link_to_their_results(client, make):
    contest = make.contest(published=True)
    open_round = make.built_round(contest, opens_in_hours=-1, hours=24)
    upcoming = make.built_round(contest, opens_in_hours=48, hours=24)
    html = client.get(f"/contests/{contest.slug}").get_data(as_text=True)
    assert f'href="/rounds/{open_round.id}/leaderboard"' in html and "Kết quả và xếp hạng" in html
    assert f'href="/rounds/{open_round.id}/stats"' in html
    assert f'/rounds/{upcoming.id}/leaderboard' not in html
    assert client.get(f"/rounds/{open_round.id}/leaderboard").status_code == 200


def test_manage_page_writes_the_minimum_participation_rate_the_vietnamese_way(make, client, organiser):
    from decimal import Decimal

    contest = make.contest(min_participation_rate=Decimal("12.50"))
    page = client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "tỷ lệ tham gia tối thiểu 12,5%" in page
    assert "12.50" not in page
