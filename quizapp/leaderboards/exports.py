"""Results in the layout organisers send to the prize jury (xlsx and CSV).

Individual results: STT, Hạng, Họ và tên, Đơn vị, Điểm, Thời gian làm bài,
Dự đoán, Lượt thi; the xlsx has a title row naming the contest and round.
Every text cell goes through ``core.spreadsheet.safe_cell`` (no formula can
run).  The rows are read from the database in chunks and written with
openpyxl's write-only mode, so 200,000 entrants do not need 200,000 rows of
Python objects in memory at once.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from openpyxl import Workbook

from quizapp.auth.models import User
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db
from quizapp.core.spreadsheet import safe_cell
from quizapp.leaderboards import services
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
PEOPLE_HEADINGS = ["STT", "Hạng", "Họ và tên", "Đơn vị", "Điểm", "Thời gian làm bài", "Dự đoán", "Lượt thi"]
CONTEST_HEADINGS = ["STT", "Hạng", "Họ và tên", "Đơn vị", "Tổng điểm", "Tổng thời gian làm bài",
                    "Tổng độ lệch dự đoán", "Số vòng thi", "Lượt thi"]
UNIT_HEADINGS = ["STT", "Hạng", "Mã đơn vị", "Tên đơn vị", "Khối", "Biên chế", "Số người dự thi", "Lượt thi",
                 "Tỷ lệ tham gia (%)", "Điểm trung bình", "Số bài đạt điểm tối đa", "Thí sinh cao điểm nhất",
                 "Ghi chú"]
UNIT_NOTES = {"": "", "below_minimum": "Dưới tỷ lệ tham gia tối thiểu", "no_headcount": "Chưa có biên chế",
              "no_entrants": "Chưa có người dự thi"}
CHUNK = 5000


def duration_text(ms: int | None) -> str:
    """12345 ms → '0:12,345' (minutes:seconds,milliseconds)."""
    if ms is None:
        return ""
    minutes, rest = divmod(int(ms), 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{minutes}:{seconds:02d},{millis:03d}"


def _num(text: str | None) -> str:
    return "" if text is None else text.replace(".", ",")


def write_xlsx(title: str, sheet: str, headings: list[str], rows: Iterable[list]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for idx, width in enumerate([6, 7, 32, 40, 10, 16, 14, 10, 14, 14, 14, 32, 28][: len(headings)], start=1):
        ws.column_dimensions[chr(64 + idx)].width = width
    ws.append([safe_cell(title)])
    ws.append([])
    ws.append(headings)
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_csv(headings: list[str], rows: Iterable[list]) -> bytes:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(headings)
    for row in rows:
        out.writerow([safe_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _round_rows(rnd: Round) -> Iterator[list]:
    sub, truth = services._ranked_round(rnd)  # noqa: SLF001 - same ranking as the pages
    stmt = (sa.select(sub.c.rnk, User.full_name, Unit.name, sub.c.score, sub.c.max_score, sub.c.duration_ms,
                      sub.c.prediction, sub.c.attempts_count)
            .join(User, User.id == sub.c.user_id).outerjoin(Unit, Unit.id == sub.c.unit_id)
            .order_by(sub.c.rnk, sub.c.user_id))
    result = db.session.execute(stmt.execution_options(yield_per=CHUNK))
    for i, r in enumerate(result, start=1):
        # Predictions stay secret until the round is finalised (truth None: see ranking.py).
        prediction = services.number_text(r.prediction) if truth is not None else None
        yield [i, int(r.rnk), r.full_name, r.name or "", f"{r.score}/{r.max_score}", duration_text(r.duration_ms),
               _num(prediction), r.attempts_count]


def _contest_rows(contest: Contest) -> Iterator[list]:
    base, order, with_prediction = services._contest_entries(contest)  # noqa: SLF001
    rnk = sa.func.rank().over(order_by=order or [base.c.score.desc()],
                              partition_by=services.contest_partition(contest, base)).label("rnk")
    ranked = sa.select(base, rnk).subquery()
    stmt = (sa.select(ranked, User.full_name, Unit.name.label("unit_name"))
            .join(User, User.id == ranked.c.user_id).outerjoin(Unit, Unit.id == ranked.c.unit_id)
            .order_by(ranked.c.rnk, ranked.c.user_id))
    for i, r in enumerate(db.session.execute(stmt.execution_options(yield_per=CHUNK)), start=1):
        error = services.number_text(r.error) if with_prediction and r.error is not None else None
        yield [i, int(r.rnk), r.full_name, r.unit_name or "", f"{r.score}/{r.max_score}",
               duration_text(r.duration_ms), _num(error), int(r.rounds), int(r.attempts)]


def _export(fmt: str, name: str, title: str, sheet: str, headings: list[str], rows) -> tuple[bytes, str, str]:
    """(content, mimetype, file name): the rows as CSV, or as a sheet in the jury layout under its title."""
    if fmt == "csv":
        return write_csv(headings, rows), CSV_MIMETYPE, name
    return write_xlsx(title, sheet, headings, rows), XLSX_MIMETYPE, name


def export_round(round_id: int, fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, file name) of a round's individual results."""
    rnd = services.get_round(round_id)
    return _export(fmt, f"ket-qua-{rnd.contest.slug}-tuan-{rnd.number}.{fmt}",
                   f"Kết quả cá nhân — {rnd.contest.title} — {rnd.title}", "Kết quả", PEOPLE_HEADINGS,
                   _round_rows(rnd))


def export_contest(contest_id: int, fmt: str) -> tuple[bytes, str, str]:
    contest = services.get_contest(contest_id)
    return _export(fmt, f"ket-qua-{contest.slug}.{fmt}", f"Kết quả cá nhân toàn cuộc thi — {contest.title}",
                   "Kết quả", CONTEST_HEADINGS, _contest_rows(contest))


def _unit_rows(ranking: services.UnitRanking) -> Iterator[list]:
    for i, r in enumerate(ranking.rows, start=1):
        yield [i, r.rank or "", r.code, r.name, r.bloc, r.headcount, r.entrants, r.attempts, _num(r.rate_text),
               _num(r.average_text), r.perfect, r.best_name or "", UNIT_NOTES.get(r.note, r.note)]


def export_units(round_id: int, fmt: str, bloc: str | None = None, subtree: bool = False) -> tuple[bytes, str, str]:
    rnd = services.get_round(round_id)
    ranking = services.compute_unit_ranking(round_id, (bloc or "").strip() or None, subtree)
    scope = "gồm đơn vị trực thuộc" if subtree else "thành viên trực tiếp"
    title = f"Xếp hạng đơn vị — {rnd.contest.title} — {rnd.title}" + (f" — Khối {ranking.bloc}" if ranking.bloc else "") \
        + f" ({scope})"
    return _export(fmt, f"xep-hang-don-vi-{rnd.contest.slug}-tuan-{rnd.number}.{fmt}", title, "Đơn vị",
                   UNIT_HEADINGS, _unit_rows(ranking))
