"""`flask demo load`: what `make run` shows a newcomer."""
from __future__ import annotations

import re

import sqlalchemy as sa

from quizapp.auth.models import User
from quizapp.contests.models import Contest, ContestStatus
from quizapp.contests.schedule import open_rounds_for


def test_demo_load_gives_units_bank_accounts_and_an_open_contest(runner, db, client, auth):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert int(re.search(r"Questions imported: (\d+)", result.output).group(1)) >= 240
    contest = db.session.scalar(sa.select(Contest))
    assert contest.status == ContestStatus.PUBLISHED and len(contest.rounds) == 3
    participant = db.session.scalar(sa.select(User).where(User.phone == "0900000004"))
    open_rounds = open_rounds_for(participant)
    assert [r.title for r in open_rounds] == ["Vòng thi thứ 1"]
    # The participant can start the open round at once.
    auth.login("0900000004", "duThi@2026")
    html = client.get("/").get_data(as_text=True)
    assert "Vòng thi thứ 1" in html
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and "Units created: 0" in again.output and "already loaded" in again.output


def test_demo_load_gives_a_live_event_with_the_team_codes_of_the_readme(runner, db):
    from pathlib import Path

    from quizapp.live.models import EventStatus, LiveEvent, PartKind

    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(sa.select(LiveEvent))
    assert event.status == EventStatus.DRAFT and len(event.teams) == 4 and len(event.judges) == 2
    assert {p.kind for p in event.parts} == set(PartKind)
    assert all(p.items for p in event.parts if p.kind != PartKind.JUDGED)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for team in event.teams:
        assert f"code {team.join_code}" in result.output and team.join_code in readme
    assert event.audience_code in readme
    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code == 0 and db.session.scalar(sa.select(sa.func.count()).select_from(LiveEvent)) == 1
