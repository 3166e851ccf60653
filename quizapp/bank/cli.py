"""``flask bank ...`` commands: import a file or the shipped bank folder, export."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from quizapp.bank import exporting, importing
from quizapp.bank.models import QuestionStatus, ReformArea
from quizapp.core.db import db
from quizapp.core.errors import ServiceError

bank_cli = AppGroup("bank", help="Import and export the question bank.")

_STAGES = {"read": "Đọc tệp", "validate": "Kiểm tra", "write": "Ghi vào ngân hàng"}


class _Bars:
    """One click progress bar per import stage, fed by the service's progress callback."""

    def __init__(self):
        self.stage, self.bar, self.done = None, None, 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = click.progressbar(length=max(total, 1), label=_STAGES.get(stage, stage), file=sys.stderr)
            self.bar.__enter__()
        if done > self.done:
            self.bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@bank_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--status", type=click.Choice(["approved", "draft"]), default="approved", show_default=True,
              help="Status of new questions and new versions.")
@click.option("--area", "area_code", default=None, help="Area code for questions that name none (Aiken, GIFT).")
@click.option("--difficulty", type=click.IntRange(1, 3), default=1, show_default=True,
              help="Difficulty for questions that give none (Aiken, GIFT).")
@click.option("--category", "categories", multiple=True, metavar="'NAME=CODE'",
              help="Map a Moodle category (GIFT $CATEGORY, Moodle XML) to an area code; repeatable.")
def import_bank(path: Path, status: str, area_code: str | None, difficulty: int, categories: tuple[str, ...]) -> None:
    """Import an .xlsx/.csv/.docx/.xml/.gift/.txt/.yaml file, or a folder of .yaml files, all or nothing."""
    area_id = None
    if area_code:
        area = db.session.scalar(db.select(ReformArea).where(ReformArea.code == area_code))
        if area is None:
            raise click.ClickException(f"Unknown area code {area_code}.")
        area_id = area.id
    bars = _Bars()
    try:
        category_map = importing.parse_category_map("\n".join(categories))
        report = importing.import_path(path, QuestionStatus(status), default_area_id=area_id,
                                      default_difficulty=difficulty, progress=bars, category_map=category_map)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message)
    finally:
        bars.close()
    if not report.ok:
        db.session.rollback()
        for err in report.errors:
            where = f"{err.file}: " if err.file else ""
            column = f", {err.column}" if err.column else ""
            click.echo(f"{where}dòng {err.row}{column}: {err.message}", err=True)
        raise click.ClickException(f"{len(report.errors)} lỗi; không câu hỏi nào được nhập.")
    db.session.commit()
    click.echo(f"{report.created} câu hỏi mới, {report.updated} phiên bản mới, {report.unchanged} không đổi.")


@bank_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def export_bank(path: Path) -> None:
    """Export current draft and approved questions to .xlsx, .csv, .gift or Moodle .xml."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv", "gift", "xml"):
        raise click.ClickException("Use a .xlsx, .csv, .gift or .xml file name.")
    path.write_bytes(exporting.export(fmt))
    click.echo(f"Exported to {path}.")
