"""Issue 20, item 6: the per-round pool is the default once a contest has several rounds, and the
builder warns when a quota cell's remaining pool is too small for it (a prize-hunter who sat week 1
would otherwise meet week 1's questions, whose keys he has seen, again)."""
from __future__ import annotations

from datetime import timedelta

from quizapp.attempts import start as attempt_start
from quizapp.auth.models import Role
from quizapp.contests.quotas import QuotaItem, pool_warnings
from quizapp.contests.rounds import RoundData, add_round
from quizapp.core.db import utcnow


def _data(make, title, days, count=4):
    now = utcnow()
    return RoundData(title=title, opens_at=now + timedelta(days=days), closes_at=now + timedelta(days=days + 6),
                     quotas=[QuotaItem(make.area("TC").id, 0, count)])


def test_rounds_after_the_first_use_the_per_round_pool_by_default(make, db):
    for _ in range(8):
        make.question()
    first = make.round(quotas=(("TC", 0, 4),), number=1)
    assert first.fresh_questions is False  # the first round has nothing to avoid
    second = add_round(first.contest, _data(make, "Tuần 2", 10), None)
    assert second.fresh_questions is True
    third = add_round(first.contest, RoundData(**{**_data(make, "Tuần 3", 20).__dict__, "fresh_questions": False}), None)
    assert third.fresh_questions is False  # the organiser's explicit choice stands


def test_the_builder_defaults_to_the_pool_and_warns_when_a_cell_is_too_small(client, make, db, auth):
    for _ in range(6):
        make.question()
    week1 = make.round(quotas=(("TC", 0, 4),), number=1)
    attempt_start.begin_attempt(week1.id, make.user().id)
    db.session.commit()
    auth.login(make.user(role=Role.ORGANISER))
    html = client.get(f"/admin/contests/{week1.contest_id}/rounds/new").get_data(as_text=True)
    box = html.split('name="fresh_questions"')[0].rsplit("<input", 1)[1] + html.split('name="fresh_questions"')[1].split(">")[0]
    assert "checked" in box
    # 6 approved, 4 drawn by week 1: 2 left for a default quota of several per attempt.
    warnings = html.split('id="pool-warnings"')[1].split("</div>")[0]
    assert "2" in warnings


def test_pool_warnings_name_the_cell_and_the_two_thresholds(make, db):
    for _ in range(10):
        make.question()
    week1 = make.round(quotas=(("TC", 0, 4),), number=1)
    attempt_start.begin_attempt(week1.id, make.user().id)  # draws 4: 6 left
    db.session.commit()
    tc = make.area("TC").id
    contest = week1.contest
    assert pool_warnings(contest, None, [QuotaItem(tc, 0, 3)], True) == []  # 6 ≥ 2 × 3
    (near,) = pool_warnings(contest, None, [QuotaItem(tc, 0, 4)], True)  # 4 ≤ 6 < 8
    assert "6" in near and "8" in near
    (short,) = pool_warnings(contest, None, [QuotaItem(tc, 0, 7)], True)  # 6 < 7: falls back
    assert "6" in short and "7" in short and short != near
    assert pool_warnings(contest, None, [QuotaItem(tc, 0, 7)], False) == []  # no per-round pool: no pool
    assert pool_warnings(contest, week1, [QuotaItem(tc, 0, 7)], True) == []  # nothing before week 1
