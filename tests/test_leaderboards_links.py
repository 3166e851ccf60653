"""The round results can be reached by following links: from the entrant's result,
the contest's public page and the organiser's contest page (found missing by the
browser journeys: the leaderboards were only reachable by typing their address)."""
from __future__ import annotations

from datetime import timedelta

from quizapp.auth.models import Role
from quizapp.contests.models import ResultsVisibility
from quizapp.core.db import utcnow
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture


def _world(make):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 3),))
    entrant = make.user(full_name="Nguyễn Thị Lan")
    attempt = make.submission(rnd, entrant, 2, "1", start=utcnow() - timedelta(minutes=30))
    return rnd, entrant, attempt


def test_result_page_links_to_the_round_ranking(make, client, auth):
    rnd, entrant, attempt = _world(make)
    auth.login(entrant)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f'href="/rounds/{rnd.id}/leaderboard"' in page
    assert "Xem bảng xếp hạng" in page


def test_result_page_has_no_ranking_link_when_results_are_for_organisers(make, client, auth, db):
    rnd, entrant, attempt = _world(make)
    rnd.contest.results_visibility = ResultsVisibility.ORGANISERS
    db.session.commit()
    auth.login(entrant)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"/rounds/{rnd.id}/leaderboard" not in page


def test_contest_page_links_to_started_rounds_results_only(make, client, db):
    rnd, _entrant, _attempt = _world(make)
    later = make.round(contest=rnd.contest, number=99, title="Tuần sau", opens_at=utcnow() + timedelta(days=8),
                       closes_at=utcnow() + timedelta(days=15), quotas=(("TC", 0, 3),))
    page = client.get(f"/contests/{rnd.contest.slug}").get_data(as_text=True)
    assert f'href="/rounds/{rnd.id}/leaderboard"' in page
    assert "Kết quả và xếp hạng" in page
    assert f"/rounds/{later.id}/leaderboard" not in page  # not open yet: nothing to show
    rnd.contest.results_visibility = ResultsVisibility.ORGANISERS
    db.session.commit()
    assert f"/rounds/{rnd.id}/leaderboard" not in client.get(f"/contests/{rnd.contest.slug}").get_data(as_text=True)


def test_organiser_contest_page_links_to_each_rounds_results(make, client, auth):
    rnd, _entrant, _attempt = _world(make)
    auth.login(make.user(role=Role.ORGANISER))
    page = client.get(f"/admin/contests/{rnd.contest.id}").get_data(as_text=True)
    assert f'href="/rounds/{rnd.id}/leaderboard"' in page
    assert client.get(f"/rounds/{rnd.id}/leaderboard").status_code == 200
