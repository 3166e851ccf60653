"""The periodic report's leaders ("Dẫn đầu", issue 21 item 9): scores are never added across contests."""
from __future__ import annotations

from datetime import timedelta

from quizapp.campaign import reports
from quizapp.contests.models import PredictionMode
from quizapp.core.db import utcnow


def test_the_leaders_are_ranked_per_contest_never_by_a_sum_over_contests(app, db, make):
    unit = make.unit("Sở Nội vụ", headcount=10)
    first = make.round(quotas=(("TC", 0, 3),), title="Tuần 1", prediction_mode=PredictionMode.OFF)
    second = make.round(quotas=(("TC", 0, 3),), title="Tuần 1", prediction_mode=PredictionMode.OFF)
    make.questions(6, "TC")
    both = make.user(full_name="Người thi hai cuộc", unit=unit)
    champion = make.user(full_name="Người dẫn đầu cuộc một", unit=unit)
    start = utcnow() - timedelta(hours=2)
    make.submission(first, both, 2, None, start=start)
    make.submission(second, both, 2, None, start=start)
    make.submission(first, champion, 3, None, start=start)

    period = reports.period_of("custom", start=(start - timedelta(days=1)).date(), end=utcnow().date())
    data = reports.compute_report(unit.id, period)
    rows = [(p["contest"], p["name"], p["score"]) for p in data.top_people]
    # Per contest: the champion leads the first contest with 3; the entrant of both contests is
    # listed once per contest with 2 — never first overall with a sum of 4.
    assert (first.contest.title, "Người dẫn đầu cuộc một", 3) in rows
    assert (first.contest.title, "Người thi hai cuộc", 2) in rows
    assert (second.contest.title, "Người thi hai cuộc", 2) in rows
    assert all(score <= 3 for _, _, score in rows)
