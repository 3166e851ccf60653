"""``flask users ...`` commands."""
from __future__ import annotations

import click
from flask.cli import AppGroup, with_appcontext

from quizapp.auth import accounts, sessions
from quizapp.core.db import db
from quizapp.core.errors import ServiceError

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create-admin")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--login", required=True, help="Phone number or e-mail used to log in.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Password (prompted when omitted).")
@click.option("--unit", "unit_code", default=None, help="Unit code (optional).")
def create_admin(full_name: str, login: str, password: str, unit_code: str | None) -> None:
    """Create an administrator account."""
    try:
        user = accounts.create_admin(full_name, login, password, unit_code)
        db.session.commit()
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    click.echo(f"Admin account {user.id} created; log in with {login}.")


@users_cli.command("prune-sessions")
@click.option("--days", default=30, show_default=True, help="Delete logins revoked more than this many days ago.")
def prune_sessions(days: int) -> None:
    """Delete old revoked login sessions (a cron job may run it daily)."""
    n = sessions.prune_sessions(days)
    db.session.commit()
    click.echo(f"{n} revoked login sessions deleted.")


@click.command("access-matrix")
@with_appcontext
def access_matrix_command() -> None:
    """Print the route × role matrix (docs/routes.md) as Markdown."""
    from flask import current_app

    from quizapp.auth.access import access_matrix_markdown

    click.echo(access_matrix_markdown(current_app), nl=False)
