"""Test fixtures: an app on a fresh migrated database, clients, factories.

The database is SQLite (a temporary file) unless ``TEST_DATABASE_URL`` names
a PostgreSQL server, in which case a throwaway database is created on it for
the session and dropped afterwards.  The schema comes from the Alembic
migrations (never ``create_all``), and every test starts from empty tables.
"""
from __future__ import annotations

import os
import re
import uuid

import pytest
import sqlalchemy as sa

from tests import factories

_CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _make_database_url(tmp_path_factory) -> tuple[str, callable]:
    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base:
        path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        return f"sqlite:///{path}", lambda: None
    if base.startswith("postgresql://"):
        base = "postgresql+psycopg://" + base[len("postgresql://"):]
    url = sa.engine.make_url(base)
    name = f"quizapp_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name})
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url, drop = _make_database_url(tmp_path_factory)
    yield url
    drop()


@pytest.fixture(scope="session")
def _migrated_app(database_url, tmp_path_factory):
    from flask_migrate import upgrade

    from quizapp import create_app

    import config

    app = create_app(_testing() | {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(database_url),
        "JOBS_DIR": str(tmp_path_factory.mktemp("jobs")),
    })
    with app.app_context():
        upgrade()
    return app


def _testing() -> dict:
    import config

    return {k: getattr(config.TestingConfig, k) for k in dir(config.TestingConfig) if k.isupper()}


def _clean(db) -> None:
    """Empty every table but Alembic's and the reform-area reference data."""
    keep = {"alembic_version", "reform_areas"}
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in keep]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            # Break self-references (units.parent_id) before deleting the rows.
            own = {fk.parent.name: None for fk in t.foreign_keys if fk.column.table is t}
            if own:
                db.session.execute(t.update().values(**own))
            db.session.execute(t.delete())
    db.session.commit()
    # Ids start again from 1 (RESTART IDENTITY / empty SQLite tables).
    from flask import current_app

    from quizapp.attempts import draws
    draws.forget_process_state(current_app)
    # Ids restart, so a ranking cached for round 1 by an earlier test must not answer for this one.
    current_app.extensions.pop("leaderboards.cache", None)


@pytest.fixture()
def app(_migrated_app):
    from quizapp.extensions import db, limiter

    app = _migrated_app
    app.config.update(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True)
    # A test may set a setting on the shared app (a rate limit, PUBLIC_BASE_URL): it ends with the test.
    settings = dict(app.config)
    with app.app_context():
        _clean(db)
        limiter.reset()
        # create_app() binds the one module-level job queue to its app: a test that built another app
        # (e.g. a production one) must not leave later tests with a queue that never runs their jobs.
        from quizapp.jobs import queue

        queue.configure(app)
        yield app
        db.session.rollback()
        db.session.remove()
    app.config.clear()
    app.config.update(settings)


@pytest.fixture()
def db(app):
    from quizapp.extensions import db as _db

    return _db


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/") -> str:
    """Every page carries a CSRF token (the language switch form); read it from one."""
    html = client.get(path).get_data(as_text=True)
    match = _CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, user_or_login, password: str = factories.DEFAULT_PASSWORD):
        login = user_or_login if isinstance(user_or_login, str) else user_or_login.login_name
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"login": login, "password": password, "csrf_token": token})

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client)})


@pytest.fixture()
def auth(client):
    return Auth(client)


@pytest.fixture()
def make(db):
    """Factory helpers bound to the test database: ``make.unit()``, ``make.user()``."""
    return factories.Factory(db)
