"""Results in the layout organisers send to the prize jury (xlsx and CSV), written as jobs.

Individual results: STT, Hạng, Họ và tên, Đơn vị, Điểm, Điểm tối đa, Thời gian làm bài,
Dự đoán, Thời điểm nộp bài, Lượt thi; the organiser's jury export adds the personal
columns (Số điện thoại, Ngày sinh, Số CCCD, Chức vụ), and asking for it is audited.

The xlsx is written by XlsxWriter in ``constant_memory`` mode, row by row as the rows
stream from the database (5,000 at a time), so memory stays flat at 200,000 entrants:
numbers are numbers with number formats, times taken are Excel durations
(``[m]:ss.000``), submission times are Vietnam-time date-times, the heading row is
frozen with an autofilter and the columns have widths.  Text cells go through
``core.spreadsheet.safe_cell`` (no formula can run).

``run_export(params, progress, output_dir)`` is the job (registered in ``tasks.py``).
"""
from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import xlsxwriter

from quizapp.core import audit
from quizapp.auth.models import User
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.core.spreadsheet import safe_cell
from quizapp.leaderboards.contest_ranking import contest_entries, contest_partition
from quizapp.leaderboards.ranking import number_text, ranked_subquery
from quizapp.leaderboards.unit_ranking import UnitRanking, compute_unit_ranking
from quizapp.leaderboards.visibility import contest_embargoed, get_contest, get_round, round_embargoed
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MS_PER_DAY = 86_400_000
CHUNK = 5000
PROGRESS_EVERY = 2000


@dataclass(frozen=True)
class Col:
    heading: str
    kind: str  # int, text, number, decimal2, duration, datetime, date
    width: float


PEOPLE_COLUMNS = [Col("STT", "int", 7), Col("Hạng", "int", 7), Col("Họ và tên", "text", 28),
                  Col("Đơn vị", "text", 38), Col("Điểm", "int", 7), Col("Điểm tối đa", "int", 7),
                  Col("Thời gian làm bài", "duration", 12), Col("Dự đoán", "number", 14),
                  Col("Thời điểm nộp bài", "datetime", 20), Col("Lượt thi", "int", 8)]
CONTEST_COLUMNS = [Col("STT", "int", 7), Col("Hạng", "int", 7), Col("Họ và tên", "text", 28),
                   Col("Đơn vị", "text", 38), Col("Tổng điểm", "int", 9), Col("Tổng điểm tối đa", "int", 9),
                   Col("Tổng thời gian làm bài", "duration", 13), Col("Tổng độ lệch dự đoán", "number", 14),
                   Col("Lần nộp bài cuối", "datetime", 20), Col("Số vòng thi", "int", 8), Col("Lượt thi", "int", 8)]
PERSONAL_COLUMNS = [Col("Số điện thoại", "text", 13), Col("Ngày sinh", "date", 11), Col("Số CCCD", "text", 14),
                    Col("Chức vụ", "text", 24)]
UNIT_COLUMNS = [Col("STT", "int", 6), Col("Hạng", "int", 6), Col("Mã đơn vị", "text", 12),
                Col("Tên đơn vị", "text", 38), Col("Khối", "text", 14), Col("Biên chế", "int", 9),
                Col("Số người dự thi", "int", 9), Col("Lượt thi", "int", 9), Col("Tỷ lệ tham gia (%)", "decimal2", 10),
                Col("Điểm trung bình", "decimal2", 10), Col("Số bài đạt điểm tối đa", "int", 10),
                Col("Thí sinh cao điểm nhất", "text", 28), Col("Ghi chú", "text", 28)]
UNIT_NOTES = {"": "", "below_minimum": "Dưới tỷ lệ tham gia tối thiểu", "no_headcount": "Chưa có biên chế",
              "no_entrants": "Chưa có người dự thi"}
NUMBER_FORMATS = {"int": "0", "number": "General", "decimal2": "0.00",
                  "duration": "[m]:ss.000", "datetime": "dd/mm/yyyy hh:mm:ss", "date": "dd/mm/yyyy"}


def duration_text(ms: int | None) -> str:
    """12345 ms → '0:12,345' (minutes:seconds,milliseconds)."""
    if ms is None:
        return ""
    minutes, rest = divmod(int(ms), 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{minutes}:{seconds:02d},{millis:03d}"


def local_naive(value: datetime | None) -> datetime | None:
    """A stored UTC time as Vietnam wall-clock time (what a spreadsheet shows)."""
    return None if value is None else value.astimezone(VN_TZ).replace(tzinfo=None)


# --- writers --------------------------------------------------------------------------------------

def write_xlsx(path: str, title: str, sheet: str, columns: list[Col], rows: Iterable[list],
               progress=None, total: int = 0) -> int:
    """Write the rows (typed Python values, one per column) to ``path``; returns the number of rows."""
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path) or None})
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1})
    formats = {kind: wb.add_format({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
    for i, col in enumerate(columns):
        ws.set_column(i, i, col.width)
    ws.write_string(0, 0, safe_cell(title), wb.add_format({"bold": True, "font_size": 13}))
    for i, col in enumerate(columns):
        ws.write_string(2, i, col.heading, head)
    ws.set_row(2, 30)
    writers = []
    for col in columns:
        fmt = formats.get(col.kind)
        if col.kind == "text":
            writers.append(lambda r, c, v, f=None: ws.write_string(r, c, safe_cell(v)) if v else None)
        elif col.kind in ("datetime", "date"):
            writers.append(lambda r, c, v, f=fmt: ws.write_datetime(r, c, v, f) if v is not None else None)
        elif col.kind == "duration":
            writers.append(lambda r, c, v, f=fmt: ws.write_number(r, c, v / MS_PER_DAY, f) if v is not None else None)
        else:
            writers.append(lambda r, c, v, f=fmt: ws.write_number(r, c, v, f) if v is not None else None)
    r = 3
    for row in rows:
        for c, (write, value) in enumerate(zip(writers, row)):
            write(r, c, value)
        r += 1
        if progress and r % PROGRESS_EVERY == 0:
            progress(r - 3, total)
    n = r - 3
    ws.freeze_panes(3, 0)
    ws.autofilter(2, 0, max(r - 1, 2), len(columns) - 1)
    wb.close()
    if progress:
        progress(n, total or n)
    return n


def _csv_value(kind: str, value):
    if value is None:
        return ""
    if kind == "text":
        return safe_cell(value)
    if kind == "duration":
        return duration_text(value)
    if kind == "datetime":
        return value.strftime("%d/%m/%Y %H:%M:%S")
    if kind == "date":
        return value.strftime("%d/%m/%Y")
    if kind == "decimal2":  # a rate or an average: two decimals, as the page shows it ("66,67")
        return f"{float(value):.2f}".replace(".", ",")
    if isinstance(value, (Decimal, float)):
        return number_text(Decimal(str(value))).replace(".", ",")
    return value


def write_csv(path: str, columns: list[Col], rows: Iterable[list], progress=None, total: int = 0) -> int:
    """UTF-8 with BOM (Excel opens Vietnamese text correctly); the same columns as the sheet."""
    kinds = [c.kind for c in columns]
    n = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([c.heading for c in columns])
        for row in rows:
            out.writerow([_csv_value(k, v) for k, v in zip(kinds, row)])
            n += 1
            if progress and n % PROGRESS_EVERY == 0:
                progress(n, total)
    if progress:
        progress(n, total or n)
    return n


# --- rows ------------------------------------------------------------------------------------------

def _personal(r) -> list:
    return [r.phone, r.date_of_birth, r.national_id, r.position]


_PERSONAL_SELECT = (User.phone, User.date_of_birth, User.national_id, User.position)


def _stream(stmt):
    """Core rows from a server-side cursor, CHUNK at a time (no ORM row processing: an export may
    hold every entrant of a round)."""
    return db.session.connection().execution_options(stream_results=True, yield_per=CHUNK).execute(stmt)


def _round_rows(rnd: Round, personal: bool) -> Iterator[list]:
    sub, truth = ranked_subquery(rnd)  # the same ranking as the pages
    prediction = sub.c.prediction if truth is not None else sa.null()  # secret until finalised
    stmt = (sa.select(sub.c.rnk, User.full_name, Unit.name, sub.c.score, sub.c.max_score, sub.c.duration_ms,
                      prediction, sub.c.submitted_at, sub.c.attempts_count,
                      *(_PERSONAL_SELECT if personal else ()))
            .join(User, User.id == sub.c.user_id).outerjoin(Unit, Unit.id == sub.c.unit_id)
            .order_by(sub.c.rnk, sub.c.user_id))
    i = 0
    for rnk, name, unit, score, max_score, duration, pred, submitted, count, *extra in _stream(stmt):
        i += 1
        row = [i, int(rnk), name, unit or "", score, max_score, duration, None if pred is None else _decimal(pred),
               local_naive(submitted), count]
        yield row + extra if personal else row


def _decimal(value) -> Decimal | None:
    """A stored figure as a number the sheet keeps exactly (trailing zeros dropped)."""
    if value is None:
        return None
    text = number_text(Decimal(str(value)))
    return float(text) if "." in text else int(text)


def _contest_rows(contest: Contest, personal: bool) -> Iterator[list]:
    base, order, with_prediction = contest_entries(contest)
    rnk = sa.func.rank().over(order_by=order or [base.c.score.desc()],
                              partition_by=contest_partition(contest, base)).label("rnk")
    ranked = sa.select(base, rnk).subquery()
    stmt = (sa.select(ranked, User.full_name, Unit.name.label("unit_name"), *(_PERSONAL_SELECT if personal else ()))
            .join(User, User.id == ranked.c.user_id).outerjoin(Unit, Unit.id == ranked.c.unit_id)
            .order_by(ranked.c.rnk, ranked.c.user_id))
    for i, r in enumerate(_stream(stmt), start=1):
        error = _decimal(r.error) if with_prediction and r.error is not None else None
        row = [i, int(r.rnk), r.full_name, r.unit_name or "", int(r.score), int(r.max_score), int(r.duration_ms),
               error, _as_local(r.submitted_at), int(r.rounds), int(r.attempts)]
        yield row + _personal(r) if personal else row


def _as_local(value) -> datetime | None:
    """An aggregate's time (SQLite hands back max() as naive UTC text) as Vietnam wall-clock time."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return local_naive(value)


def _unit_rows(ranking: UnitRanking) -> Iterator[list]:
    for i, r in enumerate(ranking.rows, start=1):
        yield [i, r.rank, r.code, r.name, r.bloc, r.headcount, r.entrants, r.attempts,
               float(r.rate) if r.rate is not None else None,
               float(r.average) if r.average is not None else None, r.perfect, r.best_name or "",
               UNIT_NOTES.get(r.note, r.note)]


# --- what a job produces -----------------------------------------------------------------------------

@dataclass
class ExportPlan:
    filename: str
    title: str
    sheet: str
    columns: list[Col]
    rows: Iterator[list]
    total: int


def _unpublished(held: bool) -> str:
    """Results not published yet (``visibility.release``) are exported for the organisers
    only, marked confidential in the title."""
    return "MẬT — CHƯA CÔNG BỐ — " if held else ""


def _plan(params: dict) -> ExportPlan:
    what, fmt, personal = params["what"], params["fmt"], bool(params.get("personal"))
    if what == "round":
        rnd = get_round(int(params["round_id"]))
        total = db.session.scalar(sa.select(sa.func.count()).where(Standing.round_id == rnd.id)) or 0
        cols = PEOPLE_COLUMNS + (PERSONAL_COLUMNS if personal else [])
        suffix = "-hoi-dong" if personal else ""
        return ExportPlan(f"ket-qua-{rnd.contest.slug}-tuan-{rnd.number}{suffix}.{fmt}",
                          _unpublished(round_embargoed(rnd)) + f"Kết quả cá nhân — {rnd.contest.title} — {rnd.title}",
                          "Kết quả", cols,
                          _round_rows(rnd, personal), total)
    if what == "contest":
        contest = get_contest(int(params["contest_id"]))
        cols = CONTEST_COLUMNS + (PERSONAL_COLUMNS if personal else [])
        suffix = "-hoi-dong" if personal else ""
        return ExportPlan(f"ket-qua-{contest.slug}{suffix}.{fmt}", _unpublished(contest_embargoed(contest)) + f"Kết quả cá nhân toàn cuộc thi — {contest.title}",
                          "Kết quả", cols, _contest_rows(contest, personal), 0)
    if what == "units":
        rnd = get_round(int(params["round_id"]))
        bloc, subtree = (params.get("bloc") or "").strip() or None, bool(params.get("subtree"))
        ranking = compute_unit_ranking(rnd.id, bloc, subtree)
        scope = "gồm đơn vị trực thuộc" if subtree else "thành viên trực tiếp"
        title = (_unpublished(round_embargoed(rnd)) + f"Xếp hạng đơn vị — {rnd.contest.title} — {rnd.title}"
                 + (f" — Khối {ranking.bloc}" if ranking.bloc else "") + f" ({scope})")
        return ExportPlan(f"xep-hang-don-vi-{rnd.contest.slug}-tuan-{rnd.number}.{fmt}", title, "Đơn vị",
                          UNIT_COLUMNS, _unit_rows(ranking), len(ranking.rows))
    raise ServiceError("unknown_export", "Không có loại xuất dữ liệu này.", 404)


def run_export(params: dict, progress, output_dir: str) -> dict:
    """The job: write the export into ``output_dir``; {"path", "filename", "mimetype", "rows"}."""
    fmt = params.get("fmt")
    if fmt not in ("xlsx", "csv"):
        raise ServiceError("unknown_format", "Định dạng không được hỗ trợ.", 404)
    plan = _plan(params)
    path = os.path.join(output_dir, plan.filename)
    if fmt == "csv":
        n = write_csv(path, plan.columns, plan.rows, progress, plan.total)
    else:
        n = write_xlsx(path, plan.title, plan.sheet, plan.columns, plan.rows, progress, plan.total)
    return {"path": path, "filename": plan.filename, "mimetype": XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE,
            "rows": n}


def export_params(what: str, obj_id: int, fmt: str, *, personal: bool = False, bloc: str | None = None,
                  subtree: bool = False, actor_id: int | None = None) -> dict:
    """Check what is asked (404 on an unknown round/contest/format) and return the job's params.
    Personal data in an export is recorded in the audit log (who, which round or contest)."""
    if fmt not in ("xlsx", "csv"):
        raise ServiceError("unknown_format", "Định dạng không được hỗ trợ.", 404)
    key = "contest_id" if what == "contest" else "round_id"
    (get_contest if what == "contest" else get_round)(obj_id)
    params = {"what": what, key: obj_id, "fmt": fmt}
    if what == "units":
        params.update(bloc=bloc or "", subtree=bool(subtree))
    elif personal:
        params["personal"] = True
        audit.record(actor_id, "results.export_personal", what, obj_id, fmt=fmt,
                     columns=[c.heading for c in PERSONAL_COLUMNS])
    return params
