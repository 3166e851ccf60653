"""``flask jobs worker|prune|requeue``."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_cli = AppGroup("jobs", help="Background jobs: run the queue's consumer, prune expired files.")


@jobs_cli.command("worker")
@click.option("--workers", "-w", default=2, show_default=True, help="Threads running jobs in this process.")
@click.option("--no-periodic", is_flag=True, help="Do not run the periodic tasks here (another consumer does).")
@click.option("--max-delay", default=0.25, show_default=True,
              help="Longest pause (s) between two looks at an empty queue (Huey's default, 10 s, would leave a "
                   "leaderboard recomputation waiting longer than the ranking may be stale).")
def worker(workers: int, no_periodic: bool, max_delay: float) -> None:
    """Run the Huey consumer: queued jobs and the periodic tasks (finalise, prune …)."""
    import logging

    from quizapp.jobs import queue

    queue.configure(current_app._get_current_object())  # noqa: SLF001
    if queue.huey.immediate:
        raise click.ClickException("JOBS_IMMEDIATE is set: there is no queue to consume.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(f"consuming {queue.storage_kind()} queue {queue.huey.name!r} with {workers} thread(s)")
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=not no_periodic,
                                          check_worker_health=True, initial_delay=0.05, backoff=1.15,
                                          max_delay=max_delay)
    consumer.run()


@jobs_cli.command("prune")
def prune() -> None:
    """Delete the files of expired jobs now (the worker does it every hour)."""
    from quizapp.core.db import db
    from quizapp.jobs import services

    n = services.prune_expired()
    db.session.commit()
    click.echo(f"{n} expired job file(s) deleted.")


@jobs_cli.command("requeue")
@click.option("--minutes", default=10, show_default=True)
def requeue(minutes: int) -> None:
    """Queue again the jobs still waiting after MINUTES (e.g. the queue was down when they were started)."""
    from datetime import timedelta

    from quizapp.core.db import db
    from quizapp.jobs import services

    ids = services.requeue_stale(timedelta(minutes=minutes))
    db.session.commit()
    click.echo(f"{len(ids)} job(s) queued again.")
