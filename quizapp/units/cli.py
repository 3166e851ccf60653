"""``flask units ...`` commands."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.units import import_export

units_cli = AppGroup("units", help="Import and export the unit tree.")


@units_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_units(path: Path) -> None:
    """Import units from an .xlsx or .csv file (all rows or none)."""
    try:
        report = import_export.import_units(path.read_bytes(), path.name)
    except ServiceError as exc:
        raise click.ClickException(exc.message)
    if not report.ok:
        db.session.rollback()
        for err in report.errors:
            click.echo(f"row {err.row}, {err.column}: {err.message}", err=True)
        raise click.ClickException(f"{len(report.errors)} error(s); nothing was imported.")
    db.session.commit()
    click.echo(f"{report.created} created, {report.updated} updated.")


@units_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_units(path: Path) -> None:
    """Export the unit tree to an .xlsx or .csv file."""
    fmt = "csv" if path.suffix.lower() == ".csv" else "xlsx"
    path.write_bytes(import_export.export_units(fmt))
    click.echo(f"Exported to {path}.")
