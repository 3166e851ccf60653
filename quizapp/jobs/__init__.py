"""Background jobs on Huey: long work off the request path, and the periodic tasks.

The queue
---------
``queue.huey`` is configured from the app (``configure``): a SQLite file in the
instance folder by default (``make run`` starts ``flask jobs worker`` beside the
web server), Redis when ``REDIS_URL`` (or ``JOBS_REDIS_URL``) is set (any number
of consumers on any number of machines; ``JOBS_DIR`` must then be shared
storage), and immediate mode (every task runs synchronously, in memory) when
``JOBS_IMMEDIATE`` is set, as in the tests.

Plug-in contract (how a capability puts its long work on the queue)
--------------------------------------------------------------------
1. Write the work as a plain service function, free of queue code::

       def run_<thing>(params: dict, progress, output_dir: str) -> dict

   * ``params``: the JSON-serialisable dict given to ``start_job`` (ids, options;
     never ORM objects or file contents larger than a few MB);
   * ``progress(done, total)``: call it as often as you like (it writes at most
     4 times a second); the job page shows a progress bar from it;
   * ``output_dir``: a folder for this job alone; write the result file there;
   * return ``{"path": <file in output_dir>, "filename": <download name>,
     "mimetype": ...}`` for a downloadable file, and/or any other JSON-serialisable
     keys (kept in ``Job.result``, e.g. an import's report); ``"message"`` is shown
     on the job page.
   * It runs in an app context with its own database session; it may add and
     flush, and the runner commits once it returns (rolls back if it raises:
     all or nothing).  Raise ``ServiceError`` for a failure the requester should
     read (its message is shown); any other exception shows a generic message
     and is logged.
2. Register it, one line in the capability's ``tasks.py`` (found automatically:
   every ``quizapp/<capability>/tasks.py`` is imported when the app starts)::

       jobs.register("campaign.certificates", services.run_certificates, label=_l("Certificates"))

3. Start it from a view (the job is queued when the request's transaction commits)
   and send the requester to its page::

       job = jobs.start_job("campaign.certificates", current_user.id, {"round_id": 3})
       return redirect(url_for("jobs.show", job_id=job.id))

   Work that is quick when small runs while the user waits up to a limit: the service
   calls ``jobs.run_or_queue(kind, actor_id, params, size=…, limit=…, now=…)``, the one
   rule (``size <= limit`` runs now), and the view shows the result or the job's page.

Only the requester and admins see a job's page and download its file; files
expire after ``JOBS_TTL_HOURS`` (24 by default; ``ttl_hours=`` per kind) and the
hourly periodic task (or ``flask jobs prune``) deletes them.

Periodic tasks and other Huey tasks: ``@jobs.periodic(crontab(...))`` and
``@jobs.task()`` in a capability's ``tasks.py`` (they run in an app context and
commit on return).
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from flask import Flask

from quizapp.jobs.queue import crontab, huey, periodic, task  # noqa: F401
from quizapp.jobs.registry import register  # noqa: F401
from quizapp.jobs.services import JobNeeded, run_or_queue, runs_inline, start_job  # noqa: F401


def load_tasks(app: Flask | None = None) -> list[str]:
    """Import every capability's ``tasks.py`` (registering its job kinds and Huey tasks), and
    call its ``init_app(app)`` if it has one."""
    import quizapp

    loaded = []
    for info in pkgutil.iter_modules(quizapp.__path__):
        if not info.ispkg:
            continue
        name = f"quizapp.{info.name}.tasks"
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            if app is not None and hasattr(module, "init_app"):
                module.init_app(app)
            loaded.append(name)
    return loaded


def init_app(app: Flask) -> None:
    from quizapp.jobs import queue

    queue.configure(app)
    load_tasks(app)
