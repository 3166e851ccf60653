"""Issue 20, item 4: a round with a prediction question publishes its results when it is finalised.

Its scores are the figure entrants predict (how many perfect papers, or how many entrants):
until the round is finalised, no board, statistics page, unit ranking, place or people page
shows them to anyone but the organisers (whose views say "confidential"); each entrant sees
his own result. Rounds without a prediction stay live unless the organiser chose otherwise.
One rule: ``leaderboards.visibility.release``.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.leaderboards_support import export_via_job
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture

from quizapp.auth.models import Role
from quizapp.contests.models import PredictionMode
from quizapp.core.db import utcnow
from quizapp.leaderboards import places, ranking, visibility
from quizapp.leaderboards.people import unit_people

PERFECT = "Người Điểm Tuyệt Đối"


@pytest.fixture()
def open_round(make, db):
    """An open round with a prediction question: two perfect papers among three."""
    for _ in range(4):
        make.question()
    unit = make.unit("Xã Công Bố", headcount=10)
    rnd = make.round(quotas=(("TC", 0, 4),), prediction_mode=PredictionMode.PERFECT_COUNT)
    start = utcnow() - timedelta(hours=2)
    perfect = make.user(full_name=PERFECT, unit=unit)
    other = make.user(full_name="Người Thứ Hai", unit=unit)
    third = make.user(full_name="Người Thứ Ba", unit=unit)
    make.submission(rnd, perfect, 4, "1", start=start, seconds=40)
    make.submission(rnd, other, 4, "1", start=start, seconds=50)
    make.submission(rnd, third, 2, "1", start=start, seconds=60)
    return dict(round=rnd, unit=unit, perfect=perfect, third=third,
                manager=make.user(role=Role.UNIT_MANAGER, unit=unit),
                organiser=make.user(role=Role.ORGANISER))


def _pages(rnd):
    return [f"/rounds/{rnd.id}/leaderboard", f"/rounds/{rnd.id}/stats", f"/rounds/{rnd.id}/units",
            f"/contests/{rnd.contest_id}/leaderboard"]


def test_open_prediction_round_shows_no_result_to_the_public_or_entrants(client, auth, open_round):
    rnd = open_round["round"]
    for who in (None, open_round["third"]):
        if who is not None:
            auth.login(who)
        for path in _pages(rnd):
            resp = client.get(path)
            html = resp.get_data(as_text=True)
            assert resp.status_code == 200 and 'id="lb-not-published"' in html, path
            # Neither the perfect papers (names, 4/4, the 100 % band) nor the entrant count.
            assert PERFECT not in html and "Bài thi đúng tất cả" not in html and "Perfect papers" not in html
            assert "66.7" not in html and "66,7" not in html, path


def test_an_entrant_sees_his_own_result_only(client, auth, open_round):
    rnd = open_round["round"]
    auth.login(open_round["third"])
    html = client.get(f"/rounds/{rnd.id}/leaderboard").get_data(as_text=True)
    own = html.split('id="lb-own-result"')[1]
    assert "2/4" in own and "4/4" not in html
    # No place either (it would say how many are ahead): not on the API, not in "my attempts".
    assert places.own_place(rnd.id, open_round["third"]) is None


def test_organisers_see_the_live_view_marked_confidential(client, auth, open_round):
    rnd = open_round["round"]
    auth.login(open_round["organiser"])
    for path in _pages(rnd):
        html = client.get(path).get_data(as_text=True)
        assert 'id="lb-unpublished"' in html and 'id="lb-not-published"' not in html, path
    assert PERFECT in client.get(_pages(rnd)[0]).get_data(as_text=True)
    sheet = export_via_job(client, f"/rounds/{rnd.id}/export.xlsx")
    import io

    import openpyxl

    title = openpyxl.load_workbook(io.BytesIO(sheet)).active["A1"].value
    assert title.startswith("MẬT — CHƯA CÔNG BỐ")


def test_entrant_count_mode_hides_the_counts(client, open_round, db):
    rnd = open_round["round"]
    rnd.prediction_mode = PredictionMode.ENTRANT_COUNT
    db.session.commit()
    stats = client.get(f"/rounds/{rnd.id}/stats").get_data(as_text=True)
    assert 'id="lb-not-published"' in stats and "Submitted attempts" not in stats
    assert visibility.release(rnd, None) == visibility.EMBARGOED


def test_a_unit_managers_people_page_hides_scores_until_published(db, open_round):
    rnd = open_round["round"]
    rows = [p for p in unit_people(open_round["unit"].id, rnd.id, viewer=open_round["manager"]) if p.took_part]
    assert len(rows) == 3 and all(p.score is None and p.rank is None for p in rows)


def test_finalised_round_publishes_everything(client, db, open_round):
    rnd = open_round["round"]
    rnd.closes_at = utcnow() - timedelta(minutes=5)
    ranking.finalize_round(rnd)
    db.session.commit()
    for path in _pages(rnd):
        html = client.get(path).get_data(as_text=True)
        assert 'id="lb-not-published"' not in html and 'id="lb-unpublished"' not in html, path
    assert PERFECT in client.get(_pages(rnd)[0]).get_data(as_text=True)
    assert places.own_place(rnd.id, open_round["perfect"]).rank == 1


def test_rounds_without_prediction_are_live_unless_the_organiser_holds_them(client, db, open_round):
    rnd = open_round["round"]
    rnd.prediction_mode = PredictionMode.OFF
    db.session.commit()
    assert PERFECT in client.get(_pages(rnd)[0]).get_data(as_text=True)
    rnd.live_results = False
    db.session.commit()
    assert 'id="lb-not-published"' in client.get(_pages(rnd)[0]).get_data(as_text=True)


def test_the_contest_page_states_the_rule(client, open_round):
    html = client.get(f"/contests/{open_round['round'].contest.slug}").get_data(as_text=True)
    assert 'id="results-rule"' in html
    rule = html.split('id="results-rule"')[1].split("</p>")[0]
    assert "công bố" in rule
