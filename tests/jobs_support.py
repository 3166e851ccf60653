"""Shared by the tests of pages that hand long work to the job queue: hold the queue (a SQLite
file nobody consumes) so a test can see that the request only recorded and queued the job,
then run it here and download its file as the requester would."""
from __future__ import annotations

import contextlib
import shutil

import sqlalchemy as sa


@contextlib.contextmanager
def held_queue(app, tmp_path, monkeypatch):
    """Within the block jobs are queued, not run; yields the queue module."""
    from quizapp.jobs import queue
    from quizapp.jobs import services as job_services

    with monkeypatch.context() as m:
        m.setitem(app.config, "JOBS_IMMEDIATE", False)
        m.setitem(app.config, "REDIS_URL", None)
        m.setitem(app.config, "JOBS_REDIS_URL", None)
        m.setitem(app.config, "JOBS_SQLITE_PATH", str(tmp_path / "queue.sqlite3"))
        try:
            queue.configure(app)
            shutil.rmtree(job_services.jobs_dir())  # ids restart in every test: no earlier test's folders
            yield queue
        finally:
            m.undo()
            queue.configure(app)


def only_queued_job(db):
    """The one job the request recorded: still queued, with no file written yet."""
    from quizapp.jobs import services as job_services
    from quizapp.jobs.models import Job, JobStatus

    db.session.expire_all()
    found = db.session.scalars(sa.select(Job)).all()
    assert len(found) == 1, found
    job = found[0]
    assert job.status == JobStatus.QUEUED and not job_services.output_dir(job.id).exists()
    return job


def run_and_download(client, db, job):
    """Run the queued job here (as the consumer would) and download its file from its page."""
    from quizapp.jobs import services as job_services
    from quizapp.jobs.models import JobStatus

    job_services.execute(job.id)
    db.session.expire_all()
    assert job.status == JobStatus.DONE, job.message
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200 and f"/jobs/{job.id}/download" in page.get_data(as_text=True)
    resp = client.get(f"/jobs/{job.id}/download")
    assert resp.status_code == 200
    return resp, page.get_data(as_text=True)
