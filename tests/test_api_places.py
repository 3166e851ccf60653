"""Issue 21, item 3: exports and API give the figures the pages give.  The unit-ranking CSV prints
rates and averages as the page does (two decimals, a comma); the submit answer carries
``"place": null``; ``GET /api/v1/attempts`` has the place "Bài thi của tôi" shows; in a round whose
entrant groups are ranked separately a place counts the entrant's own group, and a unit's best
entrant is the best rank across the groups."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from quizapp.auth.models import EntrantCategory, Role
from quizapp.core.db import utcnow
from quizapp.leaderboards import places, unit_ranking
from tests.leaderboards_support import export_via_job
from tests.leaderboards_support import live  # noqa: F401 - autouse: rankings see every submission
from tests.test_attempts_api import Api, start
from quizapp.contests.models import PredictionMode
from tests.test_fairness_draws import grouped_round  # noqa: F401 - five TC, three TTHC, students their own quota


@pytest.fixture()
def grouped(make, db, grouped_round):  # noqa: F811
    """The round whose students answer their own questions, now ranked on their own."""
    rnd = grouped_round
    rnd.rank_groups_separately = True
    rnd.prediction_mode = PredictionMode.OFF  # a round without a prediction publishes while open (issue 20.4)
    db.session.commit()
    unit = make.unit("Trường Đại học Bà Rịa – Vũng Tàu", headcount=10)
    other = make.unit("Sở Tư pháp", headcount=10)
    start_at = utcnow() - timedelta(hours=2)
    people = {
        "CB giỏi": (other, EntrantCategory.CIVIL_SERVANT, 4, 30),
        "CB khá": (unit, EntrantCategory.CIVIL_SERVANT, 3, 40),
        "CB trung bình": (other, EntrantCategory.CIVIL_SERVANT, 2, 40),
        "SV giỏi": (unit, EntrantCategory.STUDENT, 2, 50),
    }
    users = {}
    for name, (u, category, right, seconds) in people.items():
        users[name] = make.user(full_name=name, unit=u, category=category)
        make.submission(rnd, users[name], right, None, start=start_at, seconds=seconds)
    return {"round": rnd, "unit": unit, "other": other, "users": users}


def test_a_place_counts_the_entrants_of_the_group_it_is_ranked_in(grouped):
    rnd, users = grouped["round"], grouped["users"]
    student = places.own_place(rnd.id, users["SV giỏi"])
    assert (student.rank, student.entrants, student.group) == (1, 1, "student")  # not 1 of 4
    official = places.own_place(rnd.id, users["CB khá"])
    assert (official.rank, official.entrants, official.group) == (2, 3, None)


def test_a_units_best_entrant_is_the_best_rank_across_the_groups(grouped):
    rows = {r.name: r for r in unit_ranking.compute_unit_ranking(grouped["round"].id).rows}
    school = rows["Trường Đại học Bà Rịa – Vũng Tàu"]
    # First among the students beats second among the civil servants (the snapshot lists the
    # common ranking first, which made "CB khá" the unit's best before).
    assert (school.best_name, school.best_rank) == ("SV giỏi", 1)
    assert (rows["Sở Tư pháp"].best_name, rows["Sở Tư pháp"].best_rank) == ("CB giỏi", 1)


def test_the_api_gives_the_place_of_my_attempts_and_the_group_count(client, grouped):
    api = Api(client)
    api.login(grouped["users"]["SV giỏi"])
    listed = api.get("/api/v1/attempts").json["attempts"]
    assert len(listed) == 1
    place = listed[0]["place"]
    assert (place["rank"], place["entrants"], place["group"]) == (1, 1, "student")
    result = api.get(f"/api/v1/attempts/{listed[0]['id']}/result").json["result"]
    assert {k: result["place"][k] for k in ("rank", "entrants", "group")} == {"rank": 1, "entrants": 1,
                                                                               "group": "student"}
    page = client.get("/my/attempts").get_data(as_text=True)  # the same place as "Bài thi của tôi"
    assert 'class="history-place">1<' in page


def test_the_submit_answer_has_a_place_key_and_the_list_a_null_place_before_the_ranking(client, make, db):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 3),), prediction_mode=PredictionMode.OFF)
    api = Api(client)
    api.login(make.user())
    attempt = start(api, rnd)
    result = api.post(f"/api/v1/attempts/{attempt['id']}/submit", {}).json["result"]
    assert "place" in result and result["place"] is None
    assert isinstance(result["duration_ms"], int)
    assert "place" in api.get("/api/v1/attempts").json["attempts"][0]


def test_the_unit_ranking_csv_prints_rates_and_averages_as_the_page(client, auth, make, db):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 3),), prediction_mode=PredictionMode.OFF)
    unit = make.unit("Phường Vũng Tàu", headcount=3)
    start_at = utcnow() - timedelta(hours=1)
    make.submission(rnd, make.user(unit=unit), 2, None, start=start_at)
    make.submission(rnd, make.user(unit=unit), 1, None, start=start_at)
    auth.login(make.user(role=Role.ORGANISER))
    page = client.get(f"/rounds/{rnd.id}/units").get_data(as_text=True)
    text = export_via_job(client, f"/rounds/{rnd.id}/units/export.csv").decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header, row = table[0], next(r for r in table[1:] if r[3] == "Phường Vũng Tàu")
    rate, average = row[header.index("Tỷ lệ tham gia (%)")], row[header.index("Điểm trung bình")]
    assert (rate, average) == ("66,67", "1,50")  # 2 of 3; (2 + 1) / 2 — not 66,66666666666667
    assert "66,67" in page and "1,50" in page
