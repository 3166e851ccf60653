"""What the browser tests seed through the app's own code, written once.

The browser tests drive gunicorn on its own database, so what the UI has no quick way to make
(a round of a few seconds, 55 ranked entrants, a closed round with statistics) is made in a
subprocess with the live server's environment: ``seed(live_server, "open_round", title=…)``
runs the function of that name below inside an app context, commits, and returns its JSON.

The functions run in that subprocess only (they touch the live server's database).  ``seed``
calls those that return JSON; a test's own script (``app_script`` in conftest, for what one test
alone needs) imports the rest: ``from tests.browser import seeding; seeding.sit(round_id, user, 3)``.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

DEMO_PARTICIPANT = "0900000004"  # the demo's participant (demo/services.py)
PASSWORD = "matKhau@2026"


def seed(live_server, name: str, **kwargs):
    """Run ``name(**kwargs)`` of this module against the live server's database; its result."""
    from tests.browser.conftest import app_script

    return app_script(live_server, "from tests.browser import seeding\n"
                                   f"result = seeding.{name}(**json.loads({json.dumps(kwargs)!r}))\n")


# --- run inside the app context (the subprocess) ------------------------------------------------

def demo_unit_id() -> int:
    """The unit of the demo participant: where the seeded entrants sit with him."""
    import sqlalchemy as sa

    from quizapp.auth.models import User
    from quizapp.core.db import db

    return db.session.scalar(sa.select(User.unit_id).where(User.phone == DEMO_PARTICIPANT))


def add_participant(phone: str, full_name: str, unit_id: int | None = None, password: str | None = PASSWORD,
                    born: str | None = "1980-01-01"):
    """A confirmed civil servant who can log in with ``password`` (None: cannot log in, for crowds)."""
    from quizapp.auth.models import EntrantCategory, Role, User
    from quizapp.auth.accounts import hash_password
    from quizapp.core.db import db

    user = User(full_name=full_name, phone=phone, role=Role.PARTICIPANT,
                unit_id=unit_id if unit_id is not None else demo_unit_id(), category=EntrantCategory.CIVIL_SERVANT,
                date_of_birth=date.fromisoformat(born) if born else None,
                password_hash=hash_password(password) if password else "x")
    db.session.add(user)
    db.session.flush()
    return user


def participants(people: list[list[str]], password: str = PASSWORD, born: str | None = "1980-01-01") -> dict:
    """``[[phone, name], …]`` in the demo participant's unit; {phone: id}."""
    unit_id = demo_unit_id()
    return {phone: add_participant(phone, name, unit_id, password, born).id for phone, name in people}


def open_round(title: str, round_title: str, description: str = "", *, time_limit_minutes: int = 20,
               one_page: bool = True, seconds: int | None = None, days_open: int = 1,
               prediction: bool = True) -> dict:
    """A published contest with one round open now (3 questions of TC and 2 of TTHC, review after the
    attempt), made through the organiser's services; ``seconds`` shortens its time limit below the
    form's one minute (one UPDATE); ``prediction=False``: no prediction question, so its ranking is
    shown live.  {"contest_id", "slug", "round_id"}."""
    import sqlalchemy as sa

    from quizapp.contests import contests
    from quizapp.contests import quotas
    from quizapp.contests import rounds
    from quizapp.contests.models import PredictionMode, ReviewPolicy, Round
    from quizapp.core.db import db, utcnow

    now = utcnow()
    areas = {a.code: a.id for a in quotas.reform_areas()}
    contest = contests.create_contest(contests.ContestData(title=title, description=description), None)
    rnd = rounds.add_round(contest, rounds.RoundData(
        title=round_title, opens_at=now - timedelta(minutes=5), closes_at=now + timedelta(days=days_open),
        quotas=[quotas.QuotaItem(areas["TC"], 0, 3), quotas.QuotaItem(areas["TTHC"], 0, 2)],
        time_limit_minutes=time_limit_minutes, one_page=one_page, review_policy=ReviewPolicy.AFTER_ATTEMPT,
        prediction_mode=PredictionMode.PERFECT_COUNT if prediction else PredictionMode.OFF), None)
    contests.publish(contest, None)
    if seconds is not None:
        db.session.execute(sa.update(Round).where(Round.id == rnd.id).values(time_limit_seconds=seconds))
    return {"contest_id": contest.id, "slug": contest.slug, "round_id": rnd.id}


def sit(round_id: int, user, right: int, wrong_rest: bool = False, clock: str = "1") -> int:
    """``user`` sits the round: the first ``right`` questions answered right (sent as the page's
    per-attempt option ids), the rest wrong (``wrong_rest``) or left blank; submitted.  The attempt id."""
    import sqlalchemy as sa

    from quizapp.attempts.answers import save_answer
    from quizapp.attempts.start import start_attempt
    from quizapp.attempts.submit import submit_attempt
    from quizapp.attempts.option_ids import OptionIds
    from quizapp.bank.models import Option
    from quizapp.core.db import db

    attempt = start_attempt(round_id, user)
    shown = OptionIds(attempt.id).shown
    for i, aq in enumerate(attempt.questions):
        is_right = i < right
        if not is_right and not wrong_rest:
            break
        ids = db.session.scalars(sa.select(Option.id).where(Option.question_id == aq.question_id,
                                                            Option.is_correct.is_(is_right))).all()
        save_answer(attempt.id, user.id, aq.id, [shown(o) for o in (sorted(ids) if is_right else ids[:1])], 1)
    submit_attempt(attempt.id, user.id, clock)
    return attempt.id
