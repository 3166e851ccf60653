"""The job facility: a registered kind runs after the commit, shows progress, hands its file to
its requester (and admins) only, records failures, expires; and a real consumer on Redis."""
from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from quizapp import jobs
from quizapp.auth.models import Role
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.jobs import services
from quizapp.jobs.models import Job, JobStatus
from tests.conftest import csrf_token


def _write_numbers(params, progress, output_dir):
    n = params["n"]
    path = Path(output_dir) / "numbers.txt"
    with path.open("w") as fh:
        for i in range(n):
            fh.write(f"{i}\n")
            progress(i + 1, n)
    return {"path": str(path), "filename": "so.txt", "mimetype": "text/plain", "count": n}


def _half_then_fail(params, progress, output_dir):
    from quizapp.core import audit

    audit.record(None, "test.half_written", "job", 1)  # must not survive the failure
    progress(1, 2)
    if params.get("readable"):
        raise ServiceError("bad_row", "Dòng 7: thiếu đáp án đúng.")
    raise RuntimeError("boom")


_RUNS: list[int] = []


def _read_then_write_after_another_commit(params, progress, output_dir):
    """Reads, then (on its first run only) another connection commits before this one writes: on SQLite
    the write is refused at once ("database is locked")."""
    from quizapp.bank.models import ReformArea
    from quizapp.core import audit
    from quizapp.core.audit import AuditEntry
    from quizapp.extensions import db as _db

    _RUNS.append(1)
    _db.session.scalar(sa.select(sa.func.count()).select_from(ReformArea))  # the job's read snapshot
    if len(_RUNS) == 1:
        with _db.engine.connect() as other:  # a web request commits meanwhile
            other.execute(sa.insert(AuditEntry).values(created_at=utcnow(), action="test.other_request",
                                                       object_type="job", object_id="1", details={}))
            other.commit()
    audit.record(None, "test.after_read", "job", 1)
    return {"count": len(_RUNS)}


jobs.register("test.numbers", _write_numbers, label="Số")
jobs.register("test.read_then_write", _read_then_write_after_another_commit, label="Đọc rồi ghi")
jobs.register("test.fails", _half_then_fail, label="Lỗi")


def _start(db, kind, requester, params):
    job = jobs.start_job(kind, requester.id if requester else None, params)
    db.session.commit()  # queued (and, in immediate mode, run) once the transaction commits
    db.session.expire_all()
    return db.session.get(Job, job.id)


def test_a_job_runs_only_once_its_transaction_commits(db, make):
    user = make.user()
    job = jobs.start_job("test.numbers", user.id, {"n": 3})
    db.session.rollback()  # the request failed: nothing is queued
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    job = _start(db, "test.numbers", user, {"n": 5})
    assert job.status == JobStatus.DONE and (job.progress_done, job.progress_total) == (5, 5)
    assert job.result == {"count": 5} and job.result_filename == "so.txt"
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    assert (Path(services.jobs_dir()) / job.result_path).read_text().splitlines()[-1] == "4"


def test_unknown_kinds_and_unserialisable_params_are_refused(db, make):
    with pytest.raises(ServiceError) as err:
        jobs.start_job("nope", None, {})
    assert err.value.status == 404
    with pytest.raises(ValueError):
        jobs.start_job("test.numbers", None, {"when": object()})


def test_only_the_requester_and_admins_see_and_download(client, auth, db, make):
    owner, other, admin = make.user(role=Role.ORGANISER), make.user(role=Role.ORGANISER), make.user(role=Role.ADMIN)
    job = _start(db, "test.numbers", owner, {"n": 2})
    paths = [f"/jobs/{job.id}", f"/jobs/{job.id}/status", f"/jobs/{job.id}/download"]
    assert client.get(paths[0]).status_code == 302  # to the login page
    auth.login(other)
    assert [client.get(p).status_code for p in paths] == [404, 404, 404]
    auth.logout()
    for who in (owner, admin):
        auth.login(who)
        assert [client.get(p).status_code for p in paths] == [200, 200, 200]
        resp = client.get(paths[2])
        assert resp.data == b"0\n1\n" and "so.txt" in resp.headers["Content-Disposition"]
        auth.logout()


def test_the_job_page_has_a_progress_bar_driven_by_a_static_script(client, auth, db, make):
    owner = make.user(role=Role.ORGANISER)
    job = jobs.start_job("test.numbers", owner.id, {"n": 2})
    db.session.flush()
    db.session.info.pop("quizapp_jobs_pending")  # leave it queued: the page of a job not run yet
    db.session.commit()
    auth.login(owner)
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "<progress" in html and 'id="job-progress"' in html and "js/jobs.js" in html
    assert "<script>" not in html and f'data-status-url="/jobs/{job.id}/status"' in html
    status = client.get(f"/jobs/{job.id}/status").get_json()
    assert status == {"id": job.id, "kind": "test.numbers", "status": "queued", "done": 0, "total": 0,
                      "message": "", "finished": False, "download": False}
    # a running job's progress comes from the file its worker writes
    job.status = JobStatus.RUNNING
    db.session.commit()
    services.output_dir(job.id).mkdir(parents=True, exist_ok=True)
    services.Progress(services.output_dir(job.id))(7, 20)
    assert client.get(f"/jobs/{job.id}/status").get_json()["done"] == 7
    assert "/jobs/" + str(job.id) in client.get("/jobs").get_data(as_text=True)


def test_a_failed_job_keeps_nothing_and_says_why(client, auth, db, make):
    from quizapp.core.audit import AuditEntry

    owner = make.user(role=Role.ORGANISER)
    job = _start(db, "test.fails", owner, {"readable": True})
    assert job.status == JobStatus.FAILED and job.message == "Dòng 7: thiếu đáp án đúng."
    job2 = _start(db, "test.fails", owner, {})
    assert job2.status == JobStatus.FAILED and "boom" not in job2.message and job2.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0  # all or nothing
    auth.login(owner)
    assert "Dòng 7" in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert client.get(f"/jobs/{job.id}/download").status_code == 404


def test_a_job_whose_write_sqlite_refuses_after_a_concurrent_commit_is_run_again_not_failed(db, make):
    """On SQLite (WAL) a job that read before a web request committed cannot write: SQLite says
    "database is locked" at once.  The job's work is rolled back and run again; it ends done, its
    writes recorded once."""
    from quizapp.core.audit import AuditEntry

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's snapshot conflict: PostgreSQL lets the write wait for no one here")
    _RUNS.clear()
    owner = make.user(role=Role.ORGANISER)
    job = _start(db, "test.read_then_write", owner, {})
    assert len(_RUNS) == 2  # refused once, run again
    assert job.status == JobStatus.DONE and job.result == {"count": 2}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "test.after_read")) == 1


def test_files_expire_and_are_pruned(client, auth, db, make, runner):
    owner = make.user(role=Role.ORGANISER)
    job = _start(db, "test.numbers", owner, {"n": 1})
    folder = services.output_dir(job.id)
    assert folder.is_dir()
    assert services.prune_expired() == 0
    job.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    auth.login(owner)
    assert client.get(f"/jobs/{job.id}/download").status_code == 404  # expired, even before pruning
    result = runner.invoke(args=["jobs", "prune"])
    assert "1 expired" in result.output
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == JobStatus.EXPIRED and not folder.exists()


def test_every_capabilitys_tasks_module_is_loaded():
    assert "quizapp.leaderboards.tasks" in jobs.load_tasks()
    assert jobs.registry.get("leaderboards.export") is not None


def _redis_up() -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_a_real_consumer_process_runs_the_job_from_redis(app, db, make, database_url, tmp_path):
    """`flask jobs worker` in its own process takes the job from Redis and writes the export."""
    from openpyxl import load_workbook

    from quizapp.jobs import queue

    for _ in range(4):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 4),))
    make.submission(rnd, make.user(full_name="Nguyễn Văn Xa"), 3, "2")
    organiser = make.user(role=Role.ORGANISER)
    name = f"test-{uuid.uuid4().hex[:8]}"
    redis_url = "redis://127.0.0.1:6379/14"
    saved = {k: app.config.get(k) for k in ("JOBS_IMMEDIATE", "REDIS_URL", "JOBS_QUEUE_NAME")}
    app.config.update(JOBS_IMMEDIATE=False, REDIS_URL=redis_url, JOBS_QUEUE_NAME=name)
    worker = None
    try:
        queue.configure(app)
        assert queue.storage_kind() == "redis"
        job = _start(db, "leaderboards.export", organiser, {"what": "round", "round_id": rnd.id, "fmt": "xlsx"})
        assert job.status == JobStatus.QUEUED and queue.queue_depth() == 1  # nobody runs it in this process
        env = dict(os.environ, FLASK_APP="wsgi.py", QUIZAPP_CONFIG="development", DATABASE_URL=database_url,
                   REDIS_URL=redis_url, JOBS_QUEUE_NAME=name, JOBS_DIR=app.config["JOBS_DIR"])
        worker = subprocess.Popen([sys.executable, "-m", "flask", "jobs", "worker", "-w", "1", "--no-periodic"],
                                  env=env, cwd=str(Path(__file__).resolve().parents[1]),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            db.session.rollback()  # a new snapshot each time
            job = db.session.get(Job, job.id)
            if job.finished:
                break
            time.sleep(0.2)
        if not job.finished:
            worker.terminate()
            pytest.fail("the consumer did not run the job:\n" + worker.communicate(timeout=10)[0].decode())
        assert job.status == JobStatus.DONE, job.message
        rows = list(load_workbook(Path(app.config["JOBS_DIR"]) / job.result_path).active.iter_rows(values_only=True))
        assert rows[3][2] == "Nguyễn Văn Xa" and rows[3][4] == 3
        assert queue.queue_depth() == 0
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
        app.config.update(saved)
        queue.configure(app)


def test_the_periodic_tasks_finalise_rounds_and_prune_without_cron(db, make):
    """What cron did: the consumer's every-minute task closes expired attempts and fixes the
    prediction truth of closed rounds; the hourly one prunes expired files."""
    from quizapp.attempts.start import start_attempt
    from quizapp.attempts import tasks as attempt_tasks
    from quizapp.attempts.models import Attempt, AttemptStatus, FinishReason
    from quizapp.contests.models import PredictionMode
    from quizapp.jobs import queue
    from quizapp.jobs import tasks as job_tasks

    periodic = {t.__name__ for t in queue.huey._registry._periodic_tasks}  # noqa: SLF001
    assert {"finalize_rounds", "flush_draw_counts", "prune_expired_files"} <= periodic
    for _ in range(5):
        make.question()
    now = utcnow()
    rnd = make.round(opens_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1),
                     time_limit_seconds=600, prediction_mode=PredictionMode.PERFECT_COUNT)
    a = start_attempt(rnd.id, make.user(), now=now - timedelta(hours=1))
    owner = make.user(role=Role.ORGANISER)
    job = _start(db, "test.numbers", owner, {"n": 1})
    job.expires_at = now - timedelta(seconds=1)
    db.session.commit()
    attempt_tasks.finalize_rounds()  # immediate mode: runs now, in its own app context, and commits
    job_tasks.prune_expired_files()
    db.session.rollback()
    closed = db.session.get(Attempt, a.id)
    assert closed.status == AttemptStatus.SUBMITTED and closed.finish_reason == FinishReason.FINALIZED
    assert db.session.get(type(rnd), rnd.id).finalized_at is not None
    assert db.session.get(Job, job.id).status == JobStatus.EXPIRED


@pytest.mark.parametrize("bad", [False, True])
def test_an_import_above_the_threshold_runs_as_a_job_with_the_same_report(app, client, auth, db, make, monkeypatch,
                                                                          bad):
    from quizapp.bank.models import Question
    from tests.test_bank_import import good_row, sheet

    organiser = make.user(role=Role.ORGANISER)
    auth.login(organiser)
    rows = [good_row(i) for i in range(1, 31)]
    if bad:
        rows.append(good_row(31, **{"Lĩnh vực": "XYZ"}))
    content = sheet(rows)
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD_BYTES", len(content) - 1)
    resp = client.post("/admin/bank/import", data={
        "csrf_token": csrf_token(client, "/admin/bank/import"), "status": "approved", "default_area_id": 0,
        "default_difficulty": 1, "file": (io.BytesIO(content), "lon.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    job = db.session.scalar(sa.select(Job))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Question))
    assert job.status == JobStatus.DONE and job.progress_total > 0
    if bad:
        main = html.split("<main")[1]
        assert count == 0 and "<td>32</td><td>Lĩnh vực</td>" in main, main[:3000]
    else:
        assert count == 30 and "30 câu hỏi mới" in html
    assert not any((services.jobs_dir() / "uploads").iterdir())  # the stashed upload is gone


def test_the_export_request_only_queues_the_work(app, client, auth, db, make, tmp_path, monkeypatch):
    """Off the request path: with a real queue (a SQLite file, nobody consuming it) the organiser's
    request records and queues the export and returns; no row is read and no file written by it."""
    from quizapp.jobs import queue
    from quizapp.leaderboards import exports

    for _ in range(4):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 4),))
    auth.login(make.user(role=Role.ORGANISER))
    ran = []
    monkeypatch.setattr(exports, "_plan", lambda params: ran.append(params))
    monkeypatch.setitem(app.config, "JOBS_IMMEDIATE", False)
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "JOBS_SQLITE_PATH", str(tmp_path / "queue.sqlite3"))
    try:
        queue.configure(app)
        shutil.rmtree(services.jobs_dir())  # ids restart in every test: no folder of an earlier test's job 1
        resp = client.post(f"/rounds/{rnd.id}/export.xlsx", data={"csrf_token": csrf_token(client)})
        assert resp.status_code == 303
        job = db.session.scalar(sa.select(Job))
        assert job.status == JobStatus.QUEUED and queue.queue_depth() == 1 and ran == []
        assert not services.output_dir(job.id).exists()
    finally:
        monkeypatch.undo()
        queue.configure(app)


# --- inline or job: one rule (size <= limit runs now) ------------------------------------------

@pytest.mark.parametrize("size, runs_now", [(0, True), (4, True), (5, True), (6, False)])
def test_run_or_queue_runs_work_up_to_the_limit_now_and_queues_one_more(db, make, size, runs_now):
    """At the edge: work of exactly ``limit`` runs while the user waits; ``limit + 1`` is a job."""
    user = make.user()
    ran, asked = [], []

    def params():
        asked.append(1)
        return {"n": 3}

    outcome = jobs.run_or_queue("test.numbers", user.id, params, size=size, limit=5,
                                now=lambda: ran.append(size) or "done now")
    recorded = db.session.scalars(sa.select(Job)).all()
    if runs_now:
        assert outcome == "done now" and ran == [size] and asked == [] and recorded == []
    else:
        assert isinstance(outcome, Job) and ran == [] and asked == [1]
        assert [(j.id, j.kind, j.params, j.requester_id, j.status) for j in recorded] == [
            (outcome.id, "test.numbers", {"n": 3}, user.id, JobStatus.QUEUED)]


def test_run_or_queue_without_queueing_tells_the_caller_a_job_is_needed(db):
    ran = []
    offer = jobs.run_or_queue("test.numbers", None, {"n": 3}, size=6, limit=5, now=lambda: ran.append(1), queue=False)
    assert offer == jobs.JobNeeded("test.numbers", 6, 5) and ran == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    assert jobs.run_or_queue("test.numbers", None, {"n": 3}, size=5, limit=5, now=lambda: "zip", queue=False) == "zip"


@pytest.mark.parametrize("extra, queued", [(0, False), (1, True)])
def test_a_bank_import_of_exactly_the_threshold_runs_inline_and_one_byte_more_is_a_job(
        app, client, auth, db, make, monkeypatch, tmp_path, extra, queued):
    """The real caller at the edge: the file's size equal to IMPORT_JOB_THRESHOLD_BYTES is imported while
    the organiser waits (the report page); one byte over is a queued job (its page), nothing imported yet."""
    from quizapp.bank.models import Question
    from tests.jobs_support import held_queue, only_queued_job
    from tests.test_bank_import import good_row, sheet

    auth.login(make.user(role=Role.ORGANISER))
    content = sheet([good_row(i) for i in range(1, 4)])
    monkeypatch.setitem(app.config, "IMPORT_JOB_THRESHOLD_BYTES", len(content) - extra)
    with held_queue(app, tmp_path, monkeypatch):
        resp = client.post("/admin/bank/import", data={
            "csrf_token": csrf_token(client, "/admin/bank/import"), "status": "approved", "default_area_id": 0,
            "default_difficulty": 1, "file": (io.BytesIO(content), "nho.xlsx")}, content_type="multipart/form-data")
        count = db.session.scalar(sa.select(sa.func.count()).select_from(Question))
        if queued:
            assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"] and count == 0
            assert only_queued_job(db).kind == "bank.import"
        else:
            assert resp.status_code == 200 and count == 3
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


# --- issue 20 item 13: a demoted organiser and his exports --------------------------------------------

def test_a_demoted_organiser_no_longer_downloads_his_exports(client, auth, db, make):
    """The role is checked when the file is fetched, not only when the job was started."""
    from quizapp.auth.models import User

    organiser = make.user(role=Role.ORGANISER)
    job = _start(db, "test.numbers", organiser, {"n": 2})
    auth.login(organiser)
    assert client.get(f"/jobs/{job.id}/download").status_code == 200
    db.session.execute(sa.update(User).where(User.id == organiser.id).values(role=Role.PARTICIPANT))
    db.session.commit()
    assert [client.get(p).status_code for p in (f"/jobs/{job.id}", f"/jobs/{job.id}/download")] == [404, 404]


def test_demoting_or_disabling_deletes_the_users_job_files(db, make):
    from quizapp.auth import accounts as auth_accounts

    admin = make.user(role=Role.ADMIN)
    organiser, manager = make.user(role=Role.ORGANISER), make.user(role=Role.UNIT_MANAGER)
    export = _start(db, "test.numbers", organiser, {"n": 2})
    report = _start(db, "test.numbers", manager, {"n": 2})
    files = {j.id: Path(services.jobs_dir()) / j.result_path for j in (export, report)}
    assert all(f.exists() for f in files.values())

    def update(user, **changes):
        fields = {k: getattr(user, k) for k in ("full_name", "date_of_birth", "phone", "email", "national_id",
                                                "unit_id", "is_active_account")} | {"role": user.role.value,
                                                                                   "category": user.category.value}
        auth_accounts.admin_update_user(admin, user, **(fields | changes))
        db.session.commit()

    update(organiser, role=Role.UNIT_MANAGER.value)  # organiser -> unit manager: his organiser exports go
    assert not files[export.id].exists()
    assert db.session.get(Job, export.id).status == JobStatus.EXPIRED
    assert files[report.id].exists()
    update(manager, is_active_account=False)  # disabled: nothing of his is kept
    assert not files[report.id].exists()
