"""``flask rounds finalize``: close expired attempts, then finalise closed rounds."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from quizapp.attempts.sweep import finalize_all

rounds_cli = AppGroup("rounds", help="Contest rounds: close expired attempts, finalise closed rounds.")


@rounds_cli.command("finalize")
def finalize() -> None:
    """Close every attempt past its deadline + grace, then store the true
    prediction figure of every closed round not yet finalised.  Safe to run
    repeatedly (e.g. from cron every minute)."""
    from quizapp.attempts import draws
    from quizapp.core.db import db

    closed, rounds = finalize_all()
    db.session.commit()
    draws.flush_draw_counts(force=True)
    click.echo(f"{closed} expired attempt(s) closed, {rounds} round(s) finalised.")
