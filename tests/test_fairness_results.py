"""Issue 11 items 1 and 5: what results pages show, and to whom.

1. The prediction's true figure, anyone's prediction and distance, and any
   ranking ordered by them stay secret until the round has closed (+ grace) and
   been finalised; organisers see the live figure in their own views, marked
   confidential.
5. One visibility rule for every view of results: a unit manager's people page
   obeys "results for organisers only" like the leaderboard.
"""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.leaderboards_support import export_via_job as _export

from quizapp.auth.models import Role
from quizapp.contests.models import PredictionMode, ResultsVisibility
from quizapp.core.db import utcnow
from quizapp.leaderboards import ranking
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture


@pytest.fixture()
def race(make, db):
    """Two perfect papers: "exact" predicted the live figure (2) but was slower."""
    for _ in range(4):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 4),))
    start = utcnow() - timedelta(hours=2)
    exact = make.user(full_name="Người Đoán Đúng")
    fast = make.user(full_name="Người Nhanh Tay")
    make.submission(rnd, exact, 4, "2", start=start, seconds=300)
    make.submission(rnd, fast, 4, "987654", start=start, seconds=30)
    return dict(round=rnd, exact=exact, fast=fast, organiser=make.user(role=Role.ORGANISER))


def _close_and_finalise(db, rnd):
    rnd.closes_at = utcnow() - timedelta(minutes=5)
    ranking.finalize_round(rnd)
    db.session.commit()


def test_open_round_pages_never_show_the_truth_or_predictions_and_rank_by_score_and_time(client, auth, db, race):
    rnd = race["round"]
    # The public sees no result of the open round at all (issue 20, item 4: test_results_release.py) ...
    for path in (f"/rounds/{rnd.id}/leaderboard", f"/rounds/{rnd.id}/stats", f"/contests/{rnd.contest_id}/leaderboard"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="lb-not-published"' in page and "Người Nhanh Tay" not in page and "987654" not in page
    # ... and the organisers' live view ranks by score, then time, without the truth.
    auth.login(race["organiser"])
    board = client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    assert board.index("Người Nhanh Tay") < board.index("Người Đoán Đúng")  # score, then time
    assert "987654" not in board and "±" not in board
    assert 'id="lb-prediction-pending"' in board  # says how it ranks for now
    contest = client.get(f"/contests/{rnd.contest_id}/leaderboard").get_data(as_text=True)
    assert contest.index("Người Nhanh Tay") < contest.index("Người Đoán Đúng")
    auth.logout()
    # Logged-in entrants, the JSON of the attempt's result and the organiser's exports: no truth either.
    auth.login(race["exact"])
    assert "987654" not in client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    auth.logout()
    auth.login(race["organiser"])
    text = _export(client, f"/rounds/{rnd.id}/export.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][7] == "Dự đoán" and [r[7] for r in rows[1:]] == ["", ""] and "987654" not in text
    # What is cached (ranking snapshot, statistics) holds no truth either.
    from quizapp.leaderboards import round_stats, snapshots

    assert snapshots.round_snapshot(rnd.id).truth is None and round_stats.round_stats(rnd.id).truth is None


def test_organisers_see_the_live_figure_marked_confidential(client, auth, race):
    rnd = race["round"]
    auth.login(race["organiser"])
    board = client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    assert 'id="lb-confidential"' in board and "987654" not in board
    confidential = board.split('id="lb-confidential"')[1].split("</p>")[0]
    assert confidential.rstrip().endswith("2")
    assert 'id="stats-confidential"' in client.get(f"/rounds/{rnd.id}/stats").get_data(as_text=True)


def test_once_finalised_the_prediction_breaks_the_tie_and_is_shown(client, db, race):
    rnd = race["round"]
    _close_and_finalise(db, rnd)
    board = client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    assert board.index("Người Đoán Đúng") < board.index("Người Nhanh Tay")
    assert "987654" in board and 'id="lb-prediction-pending"' not in board
    assert 'id="lb-confidential"' not in board


# --- item 5 ----------------------------------------------------------------------------

@pytest.fixture()
def unit_world(make, db):
    for _ in range(4):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 4),), prediction_mode=PredictionMode.OFF)  # live results
    unit = make.unit("Xã Một", headcount=5)
    member = make.user(full_name="Nguyễn Thành Viên", unit=unit)
    make.submission(rnd, member, 3, "1", start=utcnow() - timedelta(hours=1), seconds=75)
    manager = make.user(role=Role.UNIT_MANAGER, unit=unit, full_name="Quản lý Xã")
    return dict(round=rnd, unit=unit, member=member, manager=manager)


def test_people_page_obeys_results_for_organisers_only(client, auth, db, unit_world):
    rnd, unit = unit_world["round"], unit_world["unit"]
    rnd.contest.results_visibility = ResultsVisibility.ORGANISERS
    db.session.commit()
    auth.login(unit_world["manager"])
    assert client.get(f"/rounds/{rnd.id}/leaderboard").status_code == 403
    resp = client.get(f"/units/{unit.id}/rounds/{rnd.id}/people")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Nguyễn Thành Viên" in html  # who took part: still there
    assert "3/4" not in html and "1:15" not in html and 'id="people-results-hidden"' in html
    # Public results: the same page shows the score.
    rnd.contest.results_visibility = ResultsVisibility.PUBLIC
    db.session.commit()
    html = client.get(f"/units/{unit.id}/rounds/{rnd.id}/people").get_data(as_text=True)
    assert "3/4" in html and 'id="people-results-hidden"' not in html


def test_people_service_hides_scores_and_ranks_when_results_are_hidden(db, unit_world):
    from quizapp.leaderboards.people import unit_people

    rnd = unit_world["round"]
    rnd.contest.results_visibility = ResultsVisibility.ORGANISERS
    db.session.commit()
    (person,) = [p for p in unit_people(unit_world["unit"].id, rnd.id, viewer=unit_world["manager"])
                 if p.took_part]
    assert (person.score, person.rank, person.duration_ms) == (None, None, None)
