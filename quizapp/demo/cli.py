"""``flask demo load``: demo data for a local trial."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from quizapp.core.db import db
from quizapp.demo import services

demo_cli = AppGroup("demo", help="Demo data for a local trial.")


@demo_cli.command("load")
def load() -> None:
    """Load the demo province, accounts, question bank and an open contest (idempotent)."""
    result = services.load_all()
    db.session.commit()
    click.echo(f"Units created: {result['units']}")
    click.echo(f"Questions imported: {result['questions']}")
    click.echo(f"Contest: {result['contest'] or 'already loaded'}")
    click.echo(f"Communication plan: {result['plan'] or 'already loaded'}")
    event = result.get("live_event")
    if event is not None:
        click.echo(f"Live event (hội thi): {event.title}; audience code {event.audience_code}")
        for team in event.teams:
            click.echo(f"  Team {team.name}: code {team.join_code}")
        from quizapp.live.demo import DEMO_JUDGES

        for phone, name, password in DEMO_JUDGES:
            click.echo(f"  Judge {name}: {phone} / {password}")
    for phone, password, role in result["accounts"]:
        click.echo(f"Demo account ({role}): {phone} / {password}")
    if not result["accounts"]:
        click.echo("Demo accounts already exist (see README for their logins).")
