"""Periodic reports (quarter, six months, year, custom) for a unit subtree:
a .docx in the layout of Vietnamese administrative documents (Nghị định 30/2020/NĐ-CP)
with an .xlsx annex.  ``run_periodic_report`` is the job; ``compute_report`` the figures.

A round belongs to the period in which it opened; only rounds that had opened by the report
date count (a round still to come does not lower the average).  Participation per unit is
``leaderboards.participation`` (with sub-units, confirmed members): the figure of the unit
dashboard and the unit ranking.  Every figure of the report — the summary, the score bands,
the trend, the leaders and the reform areas as well as the unit table — counts confirmed
members only, and the report says so.

Live events (hội thi) held in the period in which the subtree's units had a team are listed in a
section of their own, each team's place only once the event's results are published
(``live.records``).
A unit manager's report is issued in his unit's name, number and signer (``units.report_settings``);
an organiser's in the contest's (or the province's) print settings.  The layout: ``document``.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.auth.models import User
from quizapp.bank.models import Question, ReformArea
from quizapp.campaign import print_settings, render, wording
from quizapp.campaign.document import DocxWriter
from quizapp.contests.models import Contest, ContestStatus, Round
from quizapp.core.db import db, utcnow
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
PERIOD_KINDS = ("quarter", "half", "year", "custom")
BANDS = [("full", "100% số câu đúng"), ("q75", "Từ 75% đến dưới 100%"), ("q25", "Từ 25% đến dưới 75%"),
         ("low", "Dưới 25% (trên 0)"), ("zero", "Không có câu đúng")]
TOP_N = 10
COUNTED_NOTE = ("Mọi số liệu của báo cáo chỉ tính thành viên đã được đơn vị xác nhận; tỷ lệ tham gia tính cả "
                "các đơn vị trực thuộc và bình quân trên các vòng đã mở.")


@dataclass(frozen=True)
class Period:
    start: date  # first day
    end: date  # last day (inclusive)
    label: str  # "quý IV năm 2026"

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(0), timezone.utc) - render.VN_OFFSET

    @property
    def end_utc(self) -> datetime:  # exclusive
        return datetime.combine(self.end + timedelta(days=1), time(0), timezone.utc) - render.VN_OFFSET


def period_of(kind: str, year: int | None = None, number: int | None = None, start: date | None = None,
              end: date | None = None) -> Period:
    """The period the organiser chose; a refused choice names the field."""
    if kind not in PERIOD_KINDS:
        raise wording._err("period_kind", _l("Choose a quarter, six months, a year or custom dates."), field="kind")
    if kind == "custom":
        if not start or not end:
            raise wording._err("period_dates", _l("Enter both the first and the last day."), field="start")
        if end < start:
            raise wording._err("period_order", _l("The last day is before the first day."), field="end")
        if (end - start).days > 3 * 366:
            raise wording._err("period_long", _l("A report covers at most three years."), field="end")
        return Period(start, end, f"từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}")
    if not year or not 2000 <= year <= 2100:
        raise wording._err("period_year", _l("Enter a year between 2000 and 2100."), field="year")
    if kind == "year":
        return Period(date(year, 1, 1), date(year, 12, 31), f"năm {year}")
    if kind == "half":
        if number not in (1, 2):
            raise wording._err("period_half", _l("Choose the first or the second half of the year."), field="number")
        return (Period(date(year, 1, 1), date(year, 6, 30), f"6 tháng đầu năm {year}") if number == 1
                else Period(date(year, 7, 1), date(year, 12, 31), f"6 tháng cuối năm {year}"))
    if number not in (1, 2, 3, 4):
        raise wording._err("period_quarter", _l("Choose a quarter from 1 to 4."), field="number")
    first = date(year, 3 * number - 2, 1)
    last = (date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)) - timedelta(days=1)
    return Period(first, last, f"quý {ROMAN[number]} năm {year}")


@dataclass
class UnitLine:
    unit_id: int
    code: str
    name: str
    depth: int
    headcount: int
    entrants: int  # confirmed entrants summed over the rounds counted (sub-units included)
    attempts: int
    score_sum: int
    rounds: int  # rounds counted (opened by the report date)
    figure: object = None  # participation.Participation over the rounds counted

    @property
    def rate(self) -> float | None:
        """Average participation per round, in percent (``participation.Participation``)."""
        return self.figure.rate_float if self.figure is not None else None

    @property
    def average(self) -> float | None:
        return self.score_sum / self.entrants if self.entrants else None


@dataclass
class ReportData:
    period: Period
    root_name: str
    contest_titles: list[str]
    rounds: list[dict]  # title, contest, entrants, attempts, average, avg_pct, rate
    units: list[UnitLine]
    below: list[UnitLine]
    threshold: float
    entrants: int
    people: int
    attempts: int
    average: float | None
    avg_pct: float | None
    bands: list[tuple[str, int]]
    top_people: list[dict]
    top_units: list[UnitLine]
    areas: list[dict]  # name, answers, correct, pct (weakest first)
    settings: object = None
    number: str = ""
    generated_at: datetime = field(default_factory=utcnow)
    rounds_not_open: int = 0  # rounds of the period that had not opened by the report date (not counted)
    live: list = field(default_factory=list)  # live.records.TeamEntry: the subtree's teams in live events


def report_contests() -> list[Contest]:
    """The contests the report form offers: published or archived, never a draft."""
    return list(db.session.scalars(sa.select(Contest).where(Contest.status != ContestStatus.DRAFT)
                                   .order_by(Contest.id.desc())))


def _rounds_in(period: Period, contest_id: int | None) -> list[Round]:
    q = (sa.select(Round).join(Contest, Contest.id == Round.contest_id)
         .where(Contest.status != ContestStatus.DRAFT, Round.opens_at >= period.start_utc,
                Round.opens_at < period.end_utc).order_by(Round.opens_at, Round.id))
    if contest_id:
        q = q.where(Round.contest_id == contest_id)
    return list(db.session.scalars(q))


def compute_report(unit_id: int | None, period: Period, contest_id: int | None = None,
                   threshold: float = 50.0, progress=None, as_of: datetime | None = None) -> ReportData:
    from quizapp.leaderboards import participation
    from quizapp.leaderboards.unit_ranking import unit_ranking
    from quizapp.units import services as units

    progress = progress or (lambda done, total: None)
    as_of = as_of or utcnow()
    root = db.session.get(Unit, unit_id) if unit_id else print_settings._root_unit()
    if root is None:
        raise wording._err("unit_not_found", _l("This unit does not exist."), 404, "unit_id")
    scope = set(units.subtree_ids(root.id))
    in_period = _rounds_in(period, contest_id)
    rounds = participation.rounds_counted(in_period, as_of)
    total_steps = len(rounds) + 4
    unit_rows = {u.id: u for u in db.session.execute(
        sa.select(Unit.id, Unit.code, Unit.name, Unit.path, Unit.headcount, Unit.is_active)
        .where(Unit.id.in_(scope))).all()}
    lines = {uid: UnitLine(uid, u.code, u.name, u.path.count("/") - root.path.count("/"), 0, 0, 0, 0, len(rounds))
             for uid, u in unit_rows.items() if u.is_active or uid == root.id}
    figures = participation.of_rounds(lines, rounds, as_of)
    trend = []
    for i, rnd in enumerate(rounds):
        heads = {}
        for row in unit_ranking(rnd.id, subtree=participation.SUBTREE).rows:
            line = lines.get(row.unit_id)
            if line is None:
                continue
            line.attempts += row.attempts
            line.score_sum += row.score_sum
            heads[row.unit_id] = row.headcount
        for uid, line in lines.items():
            # Headcount as the unit ranking counts it (sub-units included); the latest round's.
            line.headcount = heads.get(uid, line.headcount or _subtree_headcount(uid, unit_rows))
        trend.append({"title": rnd.title, "contest": rnd.contest.title, "round_id": rnd.id,
                      "figure": participation.of_round(rnd.id, root.id)})
        progress(i + 1, total_steps)
    for uid, line in lines.items():
        line.figure = figures[uid]
        line.entrants = figures[uid].entrants
    round_ids = [r.id for r in rounds]
    confirmed = sa.select(User.id).where(User.unit_confirmed).scalar_subquery()
    # Confirmed members only, as the unit table (``participation``): one population for every figure.
    in_scope = sa.and_(Standing.round_id.in_(round_ids), Standing.unit_id.in_(scope),
                       Standing.user_id.in_(confirmed))
    s = Standing
    per_round = {rid: (int(n), int(att or 0), int(total or 0), int(mx or 0)) for rid, n, att, total, mx in
                 db.session.execute(sa.select(s.round_id, sa.func.count(), sa.func.sum(s.attempts_count),
                                              sa.func.sum(s.score), sa.func.sum(s.max_score))
                                    .where(in_scope).group_by(s.round_id))} if round_ids else {}
    for item in trend:
        n, att, total, mx = per_round.get(item["round_id"], (0, 0, 0, 0))
        item.update(entrants=n, attempts=att, average=(total / n if n else None),
                    avg_pct=(100 * total / mx if mx else None), rate=item.pop("figure").rate_float)
    band = sa.case(
        ((s.max_score > 0) & (s.score == s.max_score), "full"), (s.score == 0, "zero"),
        (s.score * 4 >= s.max_score * 3, "q75"), (s.score * 4 >= s.max_score, "q25"), else_="low")
    band_counts = dict(db.session.execute(sa.select(band, sa.func.count()).where(in_scope).group_by(band)).all()) \
        if round_ids else {}
    progress(len(rounds) + 1, total_steps)
    people = int(db.session.scalar(sa.select(sa.func.count(sa.distinct(s.user_id))).where(in_scope)) or 0) \
        if round_ids else 0
    top_people = []
    # The leaders of each contest: scores are never added across contests (their rounds, question
    # counts and rules differ), so a person leading two contests appears once per contest.
    titles = {r.contest_id: r.contest.title for r in rounds}
    for contest_id in sorted(titles, key=lambda cid: titles[cid]):
        in_contest = [r.id for r in rounds if r.contest_id == contest_id]
        total_score = sa.func.sum(s.score).label("total")
        best = (sa.select(s.user_id, total_score, sa.func.sum(s.max_score).label("mx"),
                          sa.func.sum(s.duration_ms).label("ms"), sa.func.count().label("n"),
                          sa.func.max(s.unit_id).label("unit_id"))
                .where(in_scope, s.round_id.in_(in_contest)).group_by(s.user_id)
                .order_by(total_score.desc(), sa.func.sum(s.duration_ms), s.user_id).limit(TOP_N).subquery())
        for r in db.session.execute(
                sa.select(best, User.full_name, Unit.name.label("unit_name")).join(User, User.id == best.c.user_id)
                .outerjoin(Unit, Unit.id == best.c.unit_id).order_by(best.c.total.desc(), best.c.ms, best.c.user_id)):
            top_people.append({"contest": titles[contest_id], "name": r.full_name, "unit": r.unit_name or "",
                               "score": int(r.total), "max": int(r.mx), "rounds": int(r.n), "ms": int(r.ms)})
    progress(len(rounds) + 2, total_steps)
    areas = []
    if round_ids:
        correct = sa.func.sum(sa.case((AttemptQuestion.is_correct.is_(True), 1), else_=0))
        for name, n, ok in db.session.execute(
                sa.select(ReformArea.name, sa.func.count(), correct)
                .select_from(AttemptQuestion).join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
                .join(Question, Question.id == AttemptQuestion.question_id)
                .join(ReformArea, ReformArea.id == Question.area_id)
                .where(Attempt.round_id.in_(round_ids), Attempt.unit_id.in_(scope),
                       Attempt.user_id.in_(confirmed), Attempt.status == AttemptStatus.SUBMITTED)
                .group_by(ReformArea.name)):
            areas.append({"name": name, "answers": int(n), "correct": int(ok or 0),
                          "pct": 100 * int(ok or 0) / int(n) if n else 0.0})
        areas.sort(key=lambda a: (a["pct"], a["name"]))
    progress(len(rounds) + 3, total_steps)
    ordered = _tree_order(lines, unit_rows, root.id)
    below = [line for line in ordered if line.headcount and (line.rate or 0) < threshold]
    ranked = sorted((line for line in ordered if line.rate is not None and line.unit_id != root.id),
                    key=lambda x: (-(x.rate or 0), -(x.average or 0), x.name))
    entrants = sum(v[0] for v in per_round.values())
    score = sum(v[2] for v in per_round.values())
    max_total = sum(v[3] for v in per_round.values())
    data = ReportData(
        period=period, root_name=root.name,
        contest_titles=sorted({r.contest.title for r in rounds}), rounds=trend, units=ordered, below=below,
        threshold=threshold, entrants=entrants, people=people, attempts=sum(v[1] for v in per_round.values()),
        average=score / entrants if entrants else None, avg_pct=100 * score / max_total if max_total else None,
        bands=[(label, int(band_counts.get(key, 0))) for key, label in BANDS], top_people=top_people,
        top_units=ranked[:TOP_N], areas=areas, rounds_not_open=len(in_period) - len(rounds),
        live=[] if contest_id else live_entries(scope, period))
    progress(total_steps, total_steps)
    return data


def live_entries(unit_ids, period: Period) -> list:
    """The live events (hội thi) held in the period in which the subtree's units had a team, one
    entry per team (``live.records``: the one arrow from this room up to ``live``, listed in
    docs/architecture.md).  A report about one online contest lists none."""
    from quizapp.live import records

    return records.team_entries(unit_ids, period.start, period.end)


def _subtree_headcount(uid: int, unit_rows: dict) -> int:
    prefix = unit_rows[uid].path
    return sum(u.headcount for u in unit_rows.values() if u.path.startswith(prefix) and u.is_active)


def _tree_order(lines: dict, unit_rows: dict, root_id: int) -> list[UnitLine]:
    """Parents before their sub-units, siblings by name (the order of the unit tree)."""
    def key(uid):
        parts = [int(p) for p in unit_rows[uid].path.strip("/").split("/") if p]
        return [(unit_rows[p].name if p in unit_rows else "", p) for p in parts]
    return [lines[uid] for uid in sorted(lines, key=key)]


# --- the .docx ------------------------------------------------------------------------------------

def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def _int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def build_docx(data: ReportData, path: Path) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    settings = data.settings
    writer = DocxWriter()
    doc, para, table, center = writer.doc, writer.para, writer.table, writer.center
    writer.header(settings.organiser, settings.issuer,
                  data.number or "      /" + (getattr(settings, "number_code", "") or "BC-BTC"), settings.place,
                  data.generated_at)
    para("BÁO CÁO", bold=True, size=14, align=center, space_after=0)
    para(f"Kết quả tổ chức cuộc thi trực tuyến về cải cách hành chính {data.period.label}", bold=True,
         size=14, align=center, space_after=0)
    para(f"Phạm vi: {data.root_name} và các đơn vị trực thuộc", italic=True, size=14, align=center,
         space_after=12)
    contests = "; ".join(data.contest_titles) or "không có cuộc thi nào"
    not_open = (f" ({data.rounds_not_open} vòng chưa mở đến ngày báo cáo, không tính)"
                if data.rounds_not_open else "")
    para(f"Trong kỳ báo cáo ({data.period.start:%d/%m/%Y} – {data.period.end:%d/%m/%Y}), có {len(data.rounds)} "
         f"vòng thi đã mở{not_open} thuộc: {contests}. Tổng số {_int(data.people)} người dự thi, "
         f"{_int(data.entrants)} lượt người dự thi các vòng, {_int(data.attempts)} lượt thi; điểm trung bình "
         f"{_fmt(data.average, 2)} ({_fmt(data.avg_pct)}% số điểm tối đa). {COUNTED_NOTE}",
         align=WD_ALIGN_PARAGRAPH.JUSTIFY)

    para("I. TÌNH HÌNH THAM GIA CỦA CÁC ĐƠN VỊ", bold=True)
    table(["TT", "Đơn vị", "Biên chế", "Lượt người dự thi", "Tỷ lệ tham gia bình quân (%)", "Lượt thi",
           "Điểm TB"],
          [[i, ("   " * max(0, u.depth)) + u.name, _int(u.headcount), _int(u.entrants), _fmt(u.rate),
            _int(u.attempts), _fmt(u.average, 2)] for i, u in enumerate(data.units, start=1)],
          [10, 50, 18, 22, 25, 20, 20])
    para("II. KẾT QUẢ VÀ PHÂN BỐ ĐIỂM", bold=True)
    total = sum(n for _, n in data.bands)
    table(["Mức kết quả", "Số lượt người", "Tỷ lệ (%)"],
          [[label, _int(n), _fmt(100 * n / total if total else None)] for label, n in data.bands], [85, 40, 40])
    para("III. DIỄN BIẾN QUA CÁC VÒNG THI", bold=True)
    table(["TT", "Vòng thi", "Người dự thi", "Lượt thi", "Điểm TB", "Tỷ lệ tham gia (%)"],
          [[i, f"{r['title']} ({r['contest']})", _int(r["entrants"]), _int(r["attempts"]), _fmt(r["average"], 2),
            _fmt(r["rate"])] for i, r in enumerate(data.rounds, start=1)], [10, 65, 25, 20, 20, 25])
    para(f"IV. ĐƠN VỊ CÓ TỶ LỆ THAM GIA DƯỚI {_fmt(data.threshold, 0)}%", bold=True)
    if data.below:
        table(["TT", "Đơn vị", "Biên chế", "Tỷ lệ tham gia bình quân (%)"],
              [[i, u.name, _int(u.headcount), _fmt(u.rate)] for i, u in enumerate(data.below, start=1)],
              [10, 90, 25, 40])
    else:
        para("Không có đơn vị nào dưới ngưỡng.")
    para("V. CÁ NHÂN VÀ ĐƠN VỊ DẪN ĐẦU", bold=True)
    table(["TT", "Cuộc thi", "Họ và tên", "Đơn vị", "Tổng điểm", "Số vòng"],
          [[i, p["contest"], p["name"], p["unit"], f"{p['score']}/{p['max']}", p["rounds"]]
           for i, p in enumerate(data.top_people, start=1)], [10, 40, 40, 45, 20, 15])
    table(["TT", "Đơn vị", "Tỷ lệ tham gia bình quân (%)", "Điểm TB"],
          [[i, u.name, _fmt(u.rate), _fmt(u.average, 2)] for i, u in enumerate(data.top_units, start=1)],
          [10, 85, 40, 30])
    para("VI. LĨNH VỰC CẢI CÁCH HÀNH CHÍNH CÓ KẾT QUẢ THẤP NHẤT", bold=True)
    table(["TT", "Lĩnh vực", "Số câu trả lời", "Tỷ lệ trả lời đúng (%)"],
          [[i, a["name"], _int(a["answers"]), _fmt(a["pct"])] for i, a in enumerate(data.areas, start=1)],
          [10, 85, 35, 35])
    if data.live:
        from quizapp.live.records import result_text

        events = {e.event_id for e in data.live}
        para("VII. HỘI THI TRỰC TIẾP VỀ CẢI CÁCH HÀNH CHÍNH", bold=True)
        para(f"Trong kỳ báo cáo, đội của các đơn vị đã tham gia {len(events)} hội thi trực tiếp "
             f"({_int(sum(e.members for e in data.live))} lượt thành viên dự thi).", align=WD_ALIGN_PARAGRAPH.JUSTIFY)
        table(["TT", "Hội thi", "Ngày", "Đội", "Kết quả"],
              [[i, e.event + (f" ({e.venue})" if e.venue else ""), f"{e.held_on:%d/%m/%Y}", e.team, result_text(e)]
               for i, e in enumerate(data.live, start=1)], [10, 60, 25, 45, 30])
    para("Chi tiết số liệu tại Phụ lục (tệp Excel kèm theo).", italic=True)
    writer.signature(["- Sở Nội vụ (để tổng hợp);", "- Lưu: VT."], settings.signer_title, settings.signer_name)
    doc.core_properties.title = f"Báo cáo {data.period.label}"
    doc.save(str(path))


# --- the .xlsx annex ---------------------------------------------------------------------------------

def build_xlsx(data: ReportData, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": False})
    bold = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 13, "border": 1,
                          "text_wrap": True, "valign": "vcenter", "align": "center"})
    cell = wb.add_format({"font_name": "Times New Roman", "font_size": 13, "border": 1})
    num = wb.add_format({"font_name": "Times New Roman", "font_size": 13, "border": 1, "num_format": "0.00"})
    title = wb.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 14})

    def sheet(name, heading, heads, rows, widths):
        ws = wb.add_worksheet(name)
        ws.write(0, 0, heading, title)
        for c, (h, w) in enumerate(zip(heads, widths)):
            ws.write(2, c, h, bold)
            ws.set_column(c, c, w)
        for r, row in enumerate(rows, start=3):
            for c, value in enumerate(row):
                ws.write(r, c, "" if value is None else value, num if isinstance(value, float) else cell)
        ws.freeze_panes(3, 0)

    label = f"Phụ lục – {data.period.label} – {data.root_name}"
    sheet("Đơn vị", label, ["Mã", "Đơn vị", "Cấp", "Biên chế", "Lượt người dự thi", "Tỷ lệ tham gia BQ (%)",
                            "Lượt thi", "Điểm TB"],
          [[u.code, u.name, u.depth, u.headcount, u.entrants, u.rate, u.attempts, u.average] for u in data.units],
          [12, 45, 6, 10, 14, 14, 10, 10])
    sheet("Vòng thi", label, ["Vòng thi", "Cuộc thi", "Người dự thi", "Lượt thi", "Điểm TB", "Tỷ lệ tham gia (%)"],
          [[r["title"], r["contest"], r["entrants"], r["attempts"], r["average"], r["rate"]] for r in data.rounds],
          [25, 45, 12, 10, 10, 14])
    sheet("Phân bố điểm", label, ["Mức kết quả", "Số lượt người"], [[lbl, n] for lbl, n in data.bands], [30, 14])
    sheet("Dưới ngưỡng", label, ["Mã", "Đơn vị", "Biên chế", "Tỷ lệ tham gia BQ (%)"],
          [[u.code, u.name, u.headcount, u.rate] for u in data.below], [12, 45, 10, 14])
    sheet("Dẫn đầu", label, ["Cuộc thi", "Họ và tên", "Đơn vị", "Tổng điểm", "Điểm tối đa", "Số vòng"],
          [[p["contest"], p["name"], p["unit"], p["score"], p["max"], p["rounds"]] for p in data.top_people],
          [30, 30, 40, 10, 10, 8])
    sheet("Lĩnh vực", label, ["Lĩnh vực", "Số câu trả lời", "Số câu đúng", "Tỷ lệ đúng (%)"],
          [[a["name"], a["answers"], a["correct"], a["pct"]] for a in data.areas], [45, 14, 12, 12])
    if data.live:
        sheet("Hội thi", label, ["Hội thi", "Ngày", "Địa điểm", "Đội", "Số thành viên", "Xếp hạng", "Điểm"],
              [[e.event, f"{e.held_on:%d/%m/%Y}", e.venue, e.team, e.members,
                e.place if e.place is not None else "chưa công bố", e.points if e.place is not None else None]
               for e in data.live], [40, 12, 30, 40, 12, 14, 10])
    wb.close()


def report_params(kind: str, year=None, number=None, start=None, end=None, unit_id=None, contest_id=None,
                  threshold=50.0, doc_number: str = "", issuer_unit_id: int | None = None) -> dict:
    """Checked parameters for ``run_periodic_report`` (plain JSON-able values, for a job queue)."""
    period = period_of(kind, year, number, start, end)
    try:
        threshold = float(threshold)
    except (TypeError, ValueError):
        threshold = -1
    if not 0 <= threshold <= 100:
        raise wording._err("threshold", _l("The threshold is a percentage from 0 to 100."), field="threshold")
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label,
            "unit_id": unit_id, "contest_id": contest_id, "threshold": threshold, "number": doc_number[:40],
            "issuer_unit_id": issuer_unit_id}


def issuing_settings(issuer_unit_id: int | None, contest_id: int | None):
    """Whose name, number and signer the report carries: a unit manager's report its unit's
    (``units.report_settings``), an organiser's the contest's print settings or the province's."""
    from quizapp.units import report_settings

    if issuer_unit_id:
        return report_settings.for_unit(issuer_unit_id)
    return print_settings.settings_for(contest_id) if contest_id else _province_settings()


def run_periodic_report(params: dict, progress, output_dir) -> dict:
    """The report (.docx) and its annex (.xlsx) written to ``output_dir``.

    params: ``start``, ``end`` (ISO dates, inclusive), ``label``, ``unit_id`` (the subtree; None = the
    whole province), ``contest_id`` (None = every contest), ``threshold`` (percent), ``number``."""
    period = Period(date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), params["label"])
    data = compute_report(params.get("unit_id"), period, params.get("contest_id"),
                          float(params.get("threshold", 50)), progress)
    data.settings = issuing_settings(params.get("issuer_unit_id"), params.get("contest_id"))
    data.number = params.get("number") or ""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    stem = f"bao-cao-{period.start:%Y%m%d}-{period.end:%Y%m%d}-{params.get('unit_id') or 'tinh'}"
    docx_path, xlsx_path = output_dir / f"{stem}.docx", output_dir / f"{stem}-phu-luc.xlsx"
    build_docx(data, docx_path.with_suffix(".part"))
    os.replace(docx_path.with_suffix(".part"), docx_path)
    build_xlsx(data, xlsx_path.with_suffix(".part"))
    os.replace(xlsx_path.with_suffix(".part"), xlsx_path)
    return {"path": str(docx_path), "filename": docx_path.name,
            "mimetype": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "annex": {"path": str(xlsx_path), "filename": xlsx_path.name,
                      "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}}


def run_periodic_report_zip(params: dict, progress, output_dir) -> dict:
    """The report job: ``run_periodic_report``'s .docx and its .xlsx annex in one ZIP (a job hands
    over one file)."""
    result = run_periodic_report(params, progress, output_dir)
    docx_path, annex = Path(result["path"]), result["annex"]
    zip_path = docx_path.with_suffix(".zip")
    with zipfile.ZipFile(zip_path.with_suffix(".part"), "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(docx_path, result["filename"])
        zf.write(annex["path"], annex["filename"])
    os.replace(zip_path.with_suffix(".part"), zip_path)
    docx_path.unlink()
    Path(annex["path"]).unlink()
    return {"path": str(zip_path), "filename": zip_path.name, "mimetype": "application/zip"}


def _province_settings():
    from types import SimpleNamespace

    return SimpleNamespace(**print_settings.default_settings())


def scope_size(unit_id: int | None, period: Period, contest_id: int | None = None) -> int:
    """Standings the report would read: ``tasks.report_now`` builds small reports inline, large ones go to a job."""
    from quizapp.units import services as units

    root_id = unit_id or getattr(print_settings._root_unit(), "id", None)
    round_ids = [r.id for r in _rounds_in(period, contest_id)]
    if root_id is None or not round_ids:
        return 0
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Standing).where(
        Standing.round_id.in_(round_ids), Standing.unit_id.in_(units.subtree_ids(root_id)))) or 0)
