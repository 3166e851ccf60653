"""The schema comes only from migrations, and they match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from quizapp.core.db import render_item


def test_models_and_migrations_agree(app, db):
    """No pending autogenerate diff against the migrated database (SQLite or PostgreSQL)."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_item": render_item})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_reform_areas_are_seeded_by_migration(app, db):
    from quizapp.bank.models import ReformArea

    codes = {a.code for a in db.session.scalars(db.select(ReformArea))}
    assert {"TC", "TTHC", "TCBM", "CV", "TCC", "CQS"} <= codes


def test_one_unfinished_attempt_per_user_and_round_is_a_database_rule(app, db, make):
    """The partial unique index holds even if the service is bypassed."""
    from datetime import timedelta

    import pytest
    import sqlalchemy as sa

    from quizapp.attempts.models import Attempt
    from quizapp.contests.models import Contest, Round
    from quizapp.core.db import utcnow

    user = make.user()
    contest = Contest(slug="c", title="C")
    rnd = Round(contest=contest, number=1, title="Tuần 1", opens_at=utcnow(), closes_at=utcnow() + timedelta(days=7))
    db.session.add_all([contest, rnd])
    db.session.flush()

    def attempt(number):
        return Attempt(round_id=rnd.id, user_id=user.id, unit_id=user.unit_id, category="civil_servant",
                       number=number, started_at=utcnow(), deadline_at=utcnow() + timedelta(minutes=20))

    db.session.add(attempt(1))
    db.session.flush()
    db.session.add(attempt(2))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
