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
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://thi.example.gov.vn")
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


def _lost_connection() -> sa.exc.OperationalError:
    return sa.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


def _app_with_routes(app):
    """A fresh app with routes that hit a lost database connection (a restart) at different moments."""
    from quizapp.auth.access import public

    fresh = create_app(dict(app.config))

    @fresh.route("/api/_test/db-gone", methods=["GET"])
    @public
    def _api_gone():
        raise _lost_connection()

    @fresh.route("/_test/db-gone")
    @public
    def _page_gone():
        raise _lost_connection()

    @fresh.route("/api/_test/unit", methods=["GET"])
    @public
    def _add_unit():
        from quizapp.units import services

        services.create_unit("GONE", "Unit whose COMMIT is lost")
        return {"ok": True}

    @fresh.route("/api/_test/integrity", methods=["GET"])
    @public
    def _integrity():
        raise sa.exc.IntegrityError("INSERT", {}, Exception("duplicate key"))

    return fresh


def test_a_lost_database_connection_is_a_503_to_retry_not_a_500(app, db):
    """During a database restart the client is told to retry (Retry-After), in Vietnamese, as JSON under /api/."""
    fresh = _app_with_routes(app)
    with fresh.app_context():
        client = fresh.test_client()
        resp = client.get("/api/_test/db-gone")
        assert resp.status_code == 503
        assert resp.json["error"]["code"] == "service_unavailable"
        assert "thử lại" in resp.json["error"]["message"]
        assert resp.headers["Retry-After"] == "2"
        page = client.get("/_test/db-gone")
        assert page.status_code == 503 and "Hệ thống tạm thời gián đoạn" in page.get_data(as_text=True)
        # Any other database error is still a bug: 500.
        assert client.get("/api/_test/integrity").status_code == 500


def test_a_commit_lost_with_the_connection_acknowledges_nothing(app, db, monkeypatch):
    """If the connection dies under COMMIT the outcome is unknown: 503 (retry), never a 200 nor a 500,
    and the security headers are kept."""
    fresh = _app_with_routes(app)

    def lost_commit():
        raise _lost_connection()

    with fresh.app_context():
        monkeypatch.setattr(db.session, "commit", lost_commit)
        resp = fresh.test_client().get("/api/_test/unit")
        monkeypatch.undo()
        assert resp.status_code == 503
        assert resp.json["error"]["code"] == "service_unavailable"
        assert resp.headers["Retry-After"] == "2"
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.code == "GONE")) == 0


# --- SQLite: a write refused after another process's commit is run again, not a 503 -----------------

class _CommitsFirst:
    """On the first ``times`` flushes of the test's session, another connection (a second web worker,
    the job consumer) commits first: SQLite then refuses the flush at once ("database is locked")."""

    def __init__(self, db, times: int = 1, when=lambda session: True):
        self.db, self.left, self.seen, self.when = db, times, 0, when

    def __call__(self, session, flush_context, instances):
        from quizapp.core.audit import AuditEntry
        from quizapp.core.db import utcnow

        self.seen += 1
        if self.left > 0 and self.when(session):
            self.left -= 1
            with self.db.engine.connect() as other:
                other.execute(sa.insert(AuditEntry).values(created_at=utcnow(), action="test.other_worker",
                                                           object_type="test", object_id="1", details={}))
                other.commit()

    def __enter__(self):
        from sqlalchemy.orm import Session

        sa.event.listen(Session, "before_flush", self)
        return self

    def __exit__(self, *exc):
        from sqlalchemy.orm import Session

        sa.event.remove(Session, "before_flush", self)


def _sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's snapshot conflict (SQLITE_BUSY_SNAPSHOT): PostgreSQL's writers wait instead")


def test_an_upload_whose_write_sqlite_refuses_is_run_again_whole_and_imported_once(client, auth, db, make):
    """An organiser's import on the embedded default while the consumer commits: the request is run
    again on a fresh transaction (its upload read again from the start), answered once, written once."""
    import io

    from quizapp.auth.models import Role
    from quizapp.core.audit import AuditEntry
    from tests.conftest import csrf_token

    _sqlite_only(db)
    auth.login(make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/units")
    body = "code,name,parent_code,kind,bloc,headcount\nRERUN,Đơn vị chạy lại,,department,,5\n".encode()
    with _CommitsFirst(db) as other:
        resp = client.post("/admin/units/import", data={"file": (io.BytesIO(body), "don-vi.csv"),
                                                        "csrf_token": token}, content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert "thêm mới 1" in resp.get_data(as_text=True)
    assert other.left == 0 and other.seen >= 2  # refused once, then written
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Unit).where(Unit.code == "RERUN")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "test.other_worker")) == 1


def test_a_write_refused_at_the_commit_is_run_again_and_one_refused_every_time_is_a_503(app, db):
    from quizapp.auth.access import public
    from quizapp.core import pipeline

    _sqlite_only(db)
    fresh = create_app(dict(app.config))
    runs = []

    @fresh.route("/api/_test/pending-unit", methods=["POST"])
    @public
    def _pending_unit():
        runs.append(1)
        db.session.scalar(sa.select(sa.func.count()).select_from(Unit))  # the request's read snapshot
        db.session.add(Unit(code=f"PEND{len(runs)}", name="Written by the pipeline's commit"))
        return {"ok": True}  # no flush here: the pipeline's COMMIT writes it

    fresh.config["WTF_CSRF_ENABLED"] = False
    with fresh.app_context():
        client = fresh.test_client()
        with _CommitsFirst(db):
            resp = client.post("/api/_test/pending-unit")
        assert resp.status_code == 200 and len(runs) == 2
        runs.clear()
        with _CommitsFirst(db, times=pipeline.SQLITE_RERUNS + 1):
            resp = client.post("/api/_test/pending-unit")
        assert resp.status_code == 503 and resp.headers["Retry-After"] == "2"
        assert len(runs) == pipeline.SQLITE_RERUNS + 1
    db.session.expire_all()
    codes = set(db.session.scalars(sa.select(Unit.code).where(Unit.code.like("PEND%"))))
    assert codes == {"PEND2"}  # the first request's second run; nothing of the one refused every time


def test_a_request_that_committed_before_sqlite_refused_its_write_is_not_run_again(app, db):
    """A view that committed part of its work itself must not repeat it: 503, the client decides."""
    from quizapp.auth.access import public

    _sqlite_only(db)
    fresh = create_app(dict(app.config))
    runs = []

    @fresh.route("/api/_test/two-commits", methods=["POST"])
    @public
    def _two_commits():
        runs.append(1)
        db.session.add(Unit(code=f"FIRST{len(runs)}", name="Committed by the view"))
        db.session.commit()
        db.session.scalar(sa.select(sa.func.count()).select_from(Unit))
        db.session.add(Unit(code=f"SECOND{len(runs)}", name="Refused"))
        db.session.flush()
        return {"ok": True}

    fresh.config["WTF_CSRF_ENABLED"] = False
    with fresh.app_context():
        second = lambda session: any(getattr(o, "code", "").startswith("SECOND") for o in session.new)  # noqa: E731
        with _CommitsFirst(db, when=second):
            resp = fresh.test_client().post("/api/_test/two-commits")
        assert resp.status_code == 503 and len(runs) == 1
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Unit.code).where(Unit.code.like("FIRST%") | Unit.code.like("SECOND%")))) \
        == {"FIRST1"}
