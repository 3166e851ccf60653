"""``flask stats compute``: item statistics for a round (and its contest and the bank)."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from quizapp.core.errors import ServiceError
from quizapp.itemstats import services

stats_cli = AppGroup("stats", help="Item statistics (facility, discrimination, distractors, flags).")


@stats_cli.command("compute")
@click.option("--round", "round_id", type=int, help="A round: computes it, its contest and the whole bank.")
@click.option("--contest", "contest_id", type=int, help="A contest: computes it and the whole bank.")
@click.option("--pending", is_flag=True, help="Every closed round that has no statistics yet (for cron).")
@click.option("--output-dir", type=click.Path(file_okay=False), help="Where the CSV goes (default: instance/).")
def compute_command(round_id: int | None, contest_id: int | None, pending: bool, output_dir: str | None) -> None:
    """Compute and store the statistics (first attempts and all attempts)."""
    if pending:
        runs = [{"round_id": r.id} for r in services.closed_rounds_without_statistics()]
    else:
        runs = [{"round_id": round_id} if round_id else {"contest_id": contest_id} if contest_id else {}]
    out = Path(output_dir or current_app.instance_path)
    out.mkdir(parents=True, exist_ok=True)
    for params in runs:
        try:
            result = services.run_item_statistics(
                params, lambda done, total: click.echo(f"{done}/{total}", err=True), out)
        except ServiceError as exc:
            click.echo(exc.message, err=True)
            sys.exit(1)
        click.echo(f"{result['questions']} câu hỏi, {result['flagged']} bị gắn cờ; {result['path']}")
    if pending and not runs:
        click.echo("Không có vòng thi nào đã đóng mà chưa có thống kê.")
