"""Pages that list many rounds, attempts or contests read the contest rules without one
statement per row: the contest's last closing time (the review after the contest) and
its rounds come with the listed contests, in one batch."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa

from quizapp.auth.models import Role
from quizapp.contests.models import ReviewPolicy
from quizapp.core.db import utcnow


@contextmanager
def counted(db):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def listener(conn, cursor, statement, *rest):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)


def page_statements(client, db, path: str) -> int:
    db.session.commit()
    # Once first, for what other capabilities cache per round (the results snapshot behind
    # an entrant's place); then counted with nothing already loaded in the session.
    assert client.get(path).status_code == 200
    db.session.expire_all()
    with counted(db) as seen:
        assert client.get(path).status_code == 200
    return len(seen)


def test_my_attempts_asks_each_contests_closing_time_without_a_statement_per_attempt(client, auth, make, db):
    """"Bài thi của tôi" shows, per attempt, whether the answers may be seen; for rounds whose
    answers open after the whole contest, that needs the contest's last closing time."""
    for _ in range(4):
        make.question("TC")
    entrant = make.user()
    auth.login(entrant)
    closed = utcnow() - timedelta(days=3)

    def add_attempts():
        # one contest with two rounds (one closed, one open) and a contest of its own
        first = make.round(quotas=(("TC", 0, 2),), review_policy=ReviewPolicy.AFTER_CONTEST,
                           opens_at=closed - timedelta(days=2), closes_at=closed)
        make.submission(first, entrant, 1, 1, start=closed - timedelta(days=1))
        second = make.round(quotas=(("TC", 0, 2),), contest=first.contest, review_policy=ReviewPolicy.AFTER_CONTEST)
        make.submission(second, entrant, 2, 1)
        other = make.round(quotas=(("TC", 0, 2),), review_policy=ReviewPolicy.AFTER_CONTEST)
        make.submission(other, entrant, 0, 1)

    add_attempts()
    one = page_statements(client, db, "/my/attempts")
    for _ in range(3):
        add_attempts()
    assert page_statements(client, db, "/my/attempts") == one


def test_contest_lists_read_the_rounds_of_every_listed_contest_at_once(client, auth, make, db):
    """The public list and the organiser's list show each contest's rounds (count, first
    opening, last closing)."""
    for _ in range(2):
        make.question("TC")
    auth.login(make.user(role=Role.ORGANISER))

    def add_contest():
        rnd = make.round(quotas=(("TC", 0, 1),))
        make.round(quotas=(("TC", 0, 1),), contest=rnd.contest, opens_at=rnd.closes_at,
                   closes_at=rnd.closes_at + timedelta(days=7))

    for path in ("/contests", "/admin/contests"):
        add_contest()
        one = page_statements(client, db, path)
        for _ in range(3):
            add_contest()
        assert page_statements(client, db, path) == one, path
