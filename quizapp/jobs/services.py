"""Starting, running, showing and pruning jobs (no queue code here but the enqueue hook)."""
from __future__ import annotations

import json
import logging
import os
import shutil
import time
from datetime import datetime, timedelta
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import Role, User
from quizapp.core.db import db, sqlite_write_conflict, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.jobs import registry
from quizapp.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)

_PENDING = "quizapp_jobs_pending"
PROGRESS_FILE = ".progress"
PROGRESS_EVERY = 0.25  # seconds between two progress writes of one job
SQLITE_RERUNS = 3  # times a job's work is run again after SQLite refused its write (see _run_whole)


def jobs_dir() -> Path:
    path = Path(current_app.config.get("JOBS_DIR") or Path(current_app.instance_path) / "jobs")
    path.mkdir(parents=True, exist_ok=True)
    return path


def output_dir(job_id: int) -> Path:
    return jobs_dir() / str(job_id)


def start_job(kind: str, requester_id: int | None, params: dict | None = None) -> Job:
    """Record a job and queue it once the current transaction commits."""
    if registry.get(kind) is None:
        raise ServiceError("unknown_job", message_text(_l("Unknown kind of job.")), 404)
    params = dict(params or {})
    try:
        json.dumps(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"job params must be JSON: {exc}") from exc
    requester = db.session.get(User, requester_id) if requester_id else None
    job = Job(kind=kind, requester_id=requester_id, params=params, status=JobStatus.QUEUED, message="",
              requester_role=requester.role.value if requester is not None else None)
    db.session.add(job)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(job.id)
    return job


# --- inline or job: the one rule -------------------------------------------------------------

T = TypeVar("T")


def runs_inline(size: int, limit: int) -> bool:
    """The one rule: work of ``size`` (bytes, results, certificates …) runs while the user
    waits when it is at most ``limit``; beyond that it is a job."""
    return size <= limit


@dataclass(frozen=True)
class JobNeeded:
    """Too large to run while the user waits, and not queued (``queue=False``: a GET request
    changes nothing, so its page offers the POST form that starts the job)."""

    kind: str
    size: int
    limit: int


def run_or_queue(kind: str, actor_id: int | None, params: dict | Callable[[], dict], *, size: int, limit: int,
                 now: Callable[[], T], queue: bool = True) -> T | Job | JobNeeded:
    """Run the work now and return its result (``now()``) when ``size`` is at most ``limit``;
    else start the job ``kind`` with ``params`` and return the ``Job`` (queued when the
    transaction commits), or ``JobNeeded`` when ``queue`` is false.  ``params`` may be a
    callable, called only when the job is started (e.g. to stash an upload)."""
    if runs_inline(size, limit):
        return now()
    if not queue:
        return JobNeeded(kind, size, limit)
    return start_job(kind, actor_id, params() if callable(params) else params)


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _enqueue_committed(session) -> None:
    if session.in_nested_transaction():
        return
    for job_id in session.info.pop(_PENDING, ()):
        from quizapp.jobs.tasks import run_job

        try:
            run_job(job_id)
        except Exception:  # noqa: BLE001 - the job stays queued; `flask jobs requeue` sends it again
            log.exception("could not queue job %s", job_id)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_PENDING, None)


def requeue_stale(older_than: timedelta = timedelta(minutes=10)) -> list[int]:
    """Ids of jobs still queued after ``older_than`` (their enqueue was lost); queued again at commit."""
    ids = list(db.session.scalars(sa.select(Job.id).where(
        Job.status == JobStatus.QUEUED, Job.created_at < utcnow() - older_than)))
    db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


def stash_upload(content: bytes, filename: str) -> str:
    """Keep an uploaded file for a job to read (path relative to JOBS_DIR); the job deletes it."""
    import uuid

    folder = jobs_dir() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{uuid.uuid4().hex}{Path(filename).suffix.lower()[:10]}"
    (folder / name).write_bytes(content)
    return f"uploads/{name}"


def take_upload(rel: str) -> bytes:
    """Read and delete a stashed upload."""
    path = (jobs_dir() / rel).resolve()
    if (jobs_dir() / "uploads").resolve() not in path.parents:
        raise ValueError("not a stashed upload")
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


# --- progress ------------------------------------------------------------------------------

class Progress:
    """``progress(done, total)``: written to a small file beside the job's output, at most
    every PROGRESS_EVERY seconds (a file, not the database: the job's own transaction may
    hold SQLite's write lock until it commits)."""

    def __init__(self, folder: Path):
        self.path = folder / PROGRESS_FILE
        self.done = self.total = 0
        self._written = 0.0

    def __call__(self, done: int, total: int, *_ignored) -> None:
        self.done, self.total = int(done), int(total)
        now = time.monotonic()
        if now - self._written >= PROGRESS_EVERY or (total and done >= total):
            self._written = now
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(f"{self.done} {self.total}")
            os.replace(tmp, self.path)


def progress_of(job: Job) -> tuple[int, int]:
    if job.status != JobStatus.RUNNING:
        return job.progress_done, job.progress_total
    try:
        done, total = (output_dir(job.id) / PROGRESS_FILE).read_text().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, 0


# --- running -----------------------------------------------------------------------------------

def _ttl(kind: registry.Kind | None) -> timedelta:
    hours = kind.ttl_hours if kind and kind.ttl_hours is not None else current_app.config.get("JOBS_TTL_HOURS", 24)
    return timedelta(hours=float(hours))


def _run_whole(kind: registry.Kind, params: dict, progress: Progress, folder: Path) -> dict:
    """Run the work and commit its writes (e.g. an import), all or nothing.  On SQLite a job that read
    while a web request committed cannot then write ("database is locked" at once, see
    ``sqlite_write_conflict``): its work is rolled back and run again from the start, up to
    SQLITE_RERUNS times, instead of failing a job that the requester would only have to start again."""
    for attempt in range(1, SQLITE_RERUNS + 2):
        try:
            outcome = kind.run(params, progress, str(folder)) or {}
            db.session.commit()
            return outcome
        except sa.exc.OperationalError as exc:
            if not sqlite_write_conflict(exc) or attempt > SQLITE_RERUNS:
                raise
            db.session.rollback()
            log.info("job kind %s met a concurrent SQLite write; running it again (%s)", kind.name, attempt)
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def execute(job_id: int) -> Job | None:
    """Run one queued job (in the consumer, or in the caller in immediate mode) and record the outcome."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != JobStatus.QUEUED:
        log.info("job %s not run: %s", job_id, "unknown" if job is None else job.status.value)
        return job  # already run (a duplicate delivery) or deleted
    kind = registry.get(job.kind)
    job.status, job.started_at = JobStatus.RUNNING, utcnow()
    db.session.commit()
    folder = output_dir(job.id)
    folder.mkdir(parents=True, exist_ok=True)
    progress = Progress(folder)
    try:
        if kind is None:
            raise ServiceError("unknown_job", message_text(_l("Unknown kind of job.")), 404)
        outcome = _run_whole(kind, dict(job.params or {}), progress, folder)
    except Exception as exc:  # noqa: BLE001 - recorded on the job, shown to its requester
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status = JobStatus.FAILED
        if isinstance(exc, ServiceError):
            job.message = exc.message
        else:
            log.exception("job %s (%s) failed", job_id, job.kind)
            job.message = message_text(_l("The job failed; please try again or tell the administrator."))
        job.finished_at = utcnow()
        job.expires_at = job.finished_at + _ttl(kind)
        job.progress_done, job.progress_total = progress.done, progress.total
        db.session.commit()
        return job
    job = db.session.get(Job, job_id)
    path = outcome.get("path")
    if path:
        rel = Path(path).resolve().relative_to(jobs_dir().resolve())
        job.result_path = str(rel)
        job.result_filename = (outcome.get("filename") or Path(path).name)[:255]
        job.result_mimetype = (outcome.get("mimetype") or "application/octet-stream")[:128]
    extra = {k: v for k, v in outcome.items() if k not in ("path", "filename", "mimetype", "message")}
    job.result = extra or None
    job.message = str(outcome.get("message") or "")
    job.status = JobStatus.DONE
    job.finished_at = utcnow()
    job.expires_at = job.finished_at + _ttl(kind)
    job.progress_done, job.progress_total = progress.done or progress.total, progress.total
    db.session.commit()
    return job


# --- reading -------------------------------------------------------------------------------

def can_see(job: Job, viewer: User | None) -> bool:
    """The requester (while he still holds the role he asked with: a demoted organiser no longer
    reads the personal data he exported) or an admin; checked on every view and download."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    if viewer.has_role(Role.ADMIN):
        return True
    if job.requester_id != viewer.id:
        return False
    return job.requester_role is None or viewer.has_role(Role(job.requester_role))


def forget_files_above(user_id: int, role: Role | None) -> int:
    """Delete the files of ``user_id``'s jobs that he asked for with a role above ``role`` (his role
    dropped); with None, all of them (his account was disabled).  The records stay, marked expired;
    returns how many files were deleted."""
    jobs = db.session.scalars(sa.select(Job).where(Job.requester_id == user_id, Job.result_path.is_not(None))).all()
    dropped = 0
    for job in jobs:
        if role is not None and job.requester_role is not None and Role(job.requester_role).rank <= role.rank:
            continue
        shutil.rmtree(output_dir(job.id), ignore_errors=True)
        job.result_path = None
        if job.finished:
            job.status = JobStatus.EXPIRED
        dropped += 1
    return dropped


def job_for(job_id: int, viewer: User | None) -> Job:
    """The job if ``viewer`` requested it or is an admin; else 404 (its existence is not told)."""
    job = db.session.get(Job, job_id)
    if job is None or not can_see(job, viewer):
        raise ServiceError("job_not_found", message_text(_l("No such job.")), 404)
    return job


def result_file(job: Job) -> Path:
    """The finished job's file; 404 if it has none or it expired."""
    if job.status != JobStatus.DONE or not job.result_path or (job.expires_at and job.expires_at <= utcnow()):
        raise ServiceError("job_file_gone", message_text(_l("This file is not available (any more).")), 404)
    path = (jobs_dir() / job.result_path).resolve()
    if jobs_dir().resolve() not in path.parents or not path.is_file():
        raise ServiceError("job_file_gone", message_text(_l("This file is not available (any more).")), 404)
    return path


def status_dict(job: Job) -> dict:
    done, total = progress_of(job)
    return {"id": job.id, "kind": job.kind, "status": job.status.value, "done": done, "total": total,
            "message": job.message or "", "finished": job.finished,
            "download": bool(job.status == JobStatus.DONE and job.result_path)}


def recent_for(viewer: User, limit: int = 20) -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(Job.requester_id == viewer.id)
                                   .order_by(Job.id.desc()).limit(limit)))


def counts_by_status() -> dict[str, int]:
    return {s.value: n for s, n in db.session.execute(sa.select(Job.status, sa.func.count()).group_by(Job.status))}


# --- pruning -------------------------------------------------------------------------------

def prune_expired(now: datetime | None = None) -> int:
    """Delete the files of expired jobs (the record stays, marked expired); returns how many."""
    now = now or utcnow()
    jobs = db.session.scalars(sa.select(Job).where(
        Job.status.in_([JobStatus.DONE, JobStatus.FAILED]), Job.expires_at <= now)).all()
    for job in jobs:
        shutil.rmtree(output_dir(job.id), ignore_errors=True)
        job.status = JobStatus.EXPIRED
        job.result_path = None
    return len(jobs)
