"""``flask campaign ...``: the long jobs (certificates ZIP, periodic report) from the command line."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from quizapp.campaign import certificates, reports
from quizapp.core.errors import ServiceError

campaign_cli = AppGroup("campaign", help="Certificates and periodic reports.")


def _progress(done: int, total: int) -> None:
    click.echo(f"\r{done}/{total}", nl=done >= total, err=True)


def _output(path: str | None) -> Path:
    return Path(path) if path else Path(current_app.instance_path) / "campaign" / "output"


@campaign_cli.command("certificates")
@click.argument("contest_id", type=int)
@click.option("--round", "round_id", type=int, default=None, help="Only this round's certificates.")
@click.option("--base-url", default=None, help="Base of the verify links (default PUBLIC_BASE_URL).")
@click.option("--out", default=None, help="Output folder (default instance/campaign/output).")
def certificates_command(contest_id: int, round_id: int | None, base_url: str | None, out: str | None) -> None:
    """Write a ZIP of every certificate of a contest (or one round)."""
    result = certificates.run_certificates_zip(
        {"contest_id": contest_id, "round_id": round_id, "base_url": base_url}, _progress, _output(out))
    click.echo(f"{result['count']} certificates: {result['path']}")


@campaign_cli.command("finishers")
@click.argument("contest_id", type=int)
@click.option("--round", "round_id", type=int, default=None, help="Only that round's finishers.")
@click.option("--prize", default="Hoàn thành cuộc thi", help="The wording on the certificate.")
def finishers_command(contest_id: int, round_id: int | None, prize: str) -> None:
    """Give every finisher of a contest (or one round) who holds none yet a certificate of completion."""
    try:
        result = certificates.run_mark_finishers({"contest_id": contest_id, "round_id": round_id, "prize": prize},
                                                 _progress)
    except (ValueError, ServiceError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc)))
    click.echo(f"{result['count']} new certificates of completion (those who hold one keep it).")


@campaign_cli.command("report")
@click.option("--kind", type=click.Choice(reports.PERIOD_KINDS), default="quarter")
@click.option("--year", type=int, default=None)
@click.option("--number", type=int, default=None, help="Quarter 1-4 or half 1-2.")
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--unit", "unit_id", type=int, default=None, help="Unit id (with sub-units); default the province.")
@click.option("--contest", "contest_id", type=int, default=None)
@click.option("--threshold", type=float, default=50.0)
@click.option("--doc-number", default="")
@click.option("--out", default=None)
def report_command(kind, year, number, start, end, unit_id, contest_id, threshold, doc_number, out) -> None:
    """Write the periodic report (.docx) and its annex (.xlsx)."""
    try:
        params = reports.report_params(kind, year or date.today().year, number,
                                       start.date() if start else None, end.date() if end else None,
                                       unit_id, contest_id, threshold, doc_number)
    except ServiceError as exc:
        raise click.ClickException(exc.message)
    result = reports.run_periodic_report(params, _progress, _output(out))
    click.echo(f"{result['path']}\n{result['annex']['path']}")
