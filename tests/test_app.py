"""The app factory, configuration, request pipeline and error pages."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

import config
from quizapp import create_app
from quizapp.units.models import Unit


def test_production_refuses_to_start_without_a_real_secret_key(monkeypatch):
    for bad in ("", "dev", "short-key"):
        monkeypatch.setenv("SECRET_KEY", bad)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app("production")


def test_production_starts_with_a_real_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.debug is False


def test_database_url_selects_postgresql_through_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example:5432/quiz")
    url = config._database_url("x.sqlite3")
    assert url == "postgresql+psycopg://u:p@db.example:5432/quiz"
    assert config._engine_options(url)["pool_pre_ping"] is True


def test_default_database_is_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    url = config._database_url("quizapp.sqlite3")
    assert url.startswith("sqlite:///") and url.endswith("instance/quizapp.sqlite3")


def test_sqlite_connections_use_wal_and_foreign_keys(app, db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_a_failing_request_leaves_nothing_half_written(app, db):
    """The pipeline rolls back whatever a request added before it failed."""
    from quizapp.auth.access import public

    fresh = create_app(dict(app.config))

    @fresh.route("/_test/boom")
    @public
    def _boom():
        from quizapp.units import services

        services.create_unit("BOOM", "Half-written unit")
        raise RuntimeError("boom")

    with fresh.app_context():
        resp = fresh.test_client().get("/_test/boom")
    assert resp.status_code == 500
    assert "Hệ thống gặp sự cố" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.code == "BOOM")) == 0


def test_error_pages_are_vietnamese_and_json_for_the_api(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "Trang bạn tìm không tồn tại" in resp.get_data(as_text=True)
    resp = client.get("/api/no-such-endpoint")
    assert resp.status_code == 404
    assert resp.is_json and resp.json["error"]["message"]


def test_security_headers_on_every_response(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_no_asset_comes_from_another_host(client):
    html = client.get("/").get_data(as_text=True)
    assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_health_check(client):
    assert client.get("/healthz").json == {"status": "ok"}
