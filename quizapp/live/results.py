"""Scores and results: the scoreboard by team and by unit, each part's points, the judges' sheets,
the record of marks and corrections, and the Excel workbook of the whole event."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
import xlsxwriter

from quizapp.core.db import db
from quizapp.live import audience, scoring
from quizapp.live.models import (LiveAnswer, LiveEvent, LiveItem, LiveJudge, LiveJudgeScore, LiveScore, PartKind,
                                 ScoreKind)


@dataclass
class TeamResult:
    team_id: int
    name: str
    unit_id: int
    members: list[str]
    parts: dict[int, float] = field(default_factory=dict)  # part id → points
    total: float = 0.0
    tiebreak: float = 0.0
    place: int = 0
    tied: bool = False


def judged_points(event: LiveEvent) -> dict[tuple[int, int], float]:
    """(part id, team id) → the judges' combined score (mean or trimmed mean, as the part says)."""
    parts = {p.id: p for p in event.parts if p.kind == PartKind.JUDGED}
    if not parts:
        return {}
    totals: dict[tuple[int, int], list[float]] = defaultdict(list)
    for part_id, team_id, total in db.session.execute(
            sa.select(LiveJudgeScore.part_id, LiveJudgeScore.team_id, LiveJudgeScore.total)
            .where(LiveJudgeScore.part_id.in_(parts))):
        totals[(part_id, team_id)].append(total)
    out = {}
    for key, values in totals.items():
        value = scoring.judged_score(values, parts[key[0]].judge_mode.value)
        if value is not None:
            out[key] = value
    return out


def standings(event: LiveEvent) -> list[TeamResult]:
    """Every team with its points per part, its total and its place (ties share a place; the
    tie-break part's points only split ties)."""
    results = {t.id: TeamResult(t.id, t.name, t.unit_id, list(t.members or [])) for t in event.teams}
    for team_id, part_id, kind, points in db.session.execute(
            sa.select(LiveScore.team_id, LiveScore.part_id, LiveScore.kind, sa.func.sum(LiveScore.points))
            .where(LiveScore.event_id == event.id, LiveScore.voided_at.is_(None))
            .group_by(LiveScore.team_id, LiveScore.part_id, LiveScore.kind)):
        r = results.get(team_id)
        if r is None:
            continue
        if kind == ScoreKind.TIEBREAK:
            r.tiebreak += points
        r.parts[part_id] = scoring.round_points(r.parts.get(part_id, 0) + points)
    for (part_id, team_id), points in judged_points(event).items():
        if team_id in results:
            results[team_id].parts[part_id] = scoring.round_points(results[team_id].parts.get(part_id, 0) + points)
    tiebreak_parts = {p.id for p in event.parts if p.kind == PartKind.TIEBREAK}
    for r in results.values():
        r.total = scoring.round_points(sum(v for p, v in r.parts.items() if p not in tiebreak_parts))
    ranked = scoring.rank({r.team_id: r.total for r in results.values()},
                          {r.team_id: r.tiebreak for r in results.values()})
    out = []
    for s in ranked:
        r = results[s.team_id]
        r.place, r.tied, r.tiebreak = s.place, s.tied, s.tiebreak
        out.append(r)
    return out


@dataclass
class PartPrize:
    """A part's own prize and who wins it: the team(s) with the most points in the part (a poll's: the
    most audience votes); tied teams share it; nobody while the best is 0."""
    part_id: int
    part_title: str
    title: str
    by_votes: bool
    best: float
    team_ids: list[int]
    team_names: list[str]


def _poll_votes(part_id: int) -> dict[int, int]:
    """team id → audience votes over every poll of the part."""
    return dict(db.session.execute(
        sa.select(LiveAnswer.option_id, sa.func.count()).join(LiveItem, LiveItem.id == LiveAnswer.item_id)
        .where(LiveItem.part_id == part_id, LiveAnswer.team_id.is_(None), LiveAnswer.option_id.is_not(None))
        .group_by(LiveAnswer.option_id)).all())


def part_prizes(event: LiveEvent, rows: list[TeamResult]) -> list[PartPrize]:
    """Each part's own prize (``LivePart.prize_title``), in the parts' order, with its winners."""
    out = []
    names = {r.team_id: r.name for r in rows}
    for part in event.parts:
        if not part.prize_title:
            continue
        by_votes = part.kind == PartKind.AUDIENCE and part.poll
        if by_votes:
            votes = _poll_votes(part.id)
            scores = {r.team_id: float(votes.get(r.team_id, 0)) for r in rows}
        else:
            scores = {r.team_id: r.parts.get(part.id, 0.0) for r in rows}
        best = max(scores.values(), default=0.0)
        winners = [r.team_id for r in rows if best > 0 and scores[r.team_id] == best]
        out.append(PartPrize(part.id, part.title, part.prize_title, by_votes, best, winners,
                             [names[t] for t in winners]))
    return out


def by_unit(event: LiveEvent, rows: list[TeamResult]) -> list[dict]:
    """The same standings by unit (a team is one unit): the unit's name and its team's total."""
    from quizapp.units.models import Unit

    names = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(
        Unit.id.in_([r.unit_id for r in rows]))).all()) if rows else {}
    return [{"unit": names.get(r.unit_id, ""), "team": r.name, "total": r.total, "place": r.place} for r in rows]


@dataclass
class SheetRow:
    part_id: int
    part_title: str
    team_name: str
    judge_name: str
    scores: list[float]
    total: float


def judge_sheets(event: LiveEvent) -> list[SheetRow]:
    """Every judge's individual sheet (shown to the organiser; published only if the organiser says so)."""
    from quizapp.auth.models import User

    parts = {p.id: p for p in event.parts if p.kind == PartKind.JUDGED}
    teams = {t.id: t.name for t in event.teams}
    if not parts:
        return []
    rows = db.session.execute(
        sa.select(LiveJudgeScore, User.full_name).join(LiveJudge, LiveJudge.id == LiveJudgeScore.judge_id)
        .join(User, User.id == LiveJudge.user_id).where(LiveJudgeScore.part_id.in_(parts))
        .order_by(LiveJudgeScore.part_id, LiveJudgeScore.team_id, LiveJudge.position)).all()
    return [SheetRow(s.part_id, parts[s.part_id].title, teams.get(s.team_id, ""), name, list(s.scores), s.total)
            for s, name in rows]


def audit_entries(event: LiveEvent, limit: int = 500) -> list:
    """The audit log's entries about this event, oldest first (every mark, correction and override)."""
    from sqlalchemy.orm import selectinload

    from quizapp.core.audit import AuditEntry

    rows = db.session.scalars(sa.select(AuditEntry).options(selectinload(AuditEntry.actor)).where(
        AuditEntry.object_type == "live_event", AuditEntry.object_id == str(event.id))
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit))
    return list(reversed(list(rows)))


def ledger(event: LiveEvent) -> list[LiveScore]:
    return list(db.session.scalars(sa.select(LiveScore).where(LiveScore.event_id == event.id)
                                   .order_by(LiveScore.created_at, LiveScore.id)))


def workbook(event: LiveEvent, labels: dict) -> bytes:
    """The event's results as .xlsx: the ranking with each part's points, the unit view, the judges'
    sheets, the parts' prizes, the audience prizes' winners (ticket numbers) and the full score ledger
    (voided entries and their reasons included).  ``labels`` holds the translated headings (the view
    passes them; services never read the request)."""
    rows = standings(event)
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    num = wb.add_format({"num_format": "0.##"})
    ws = wb.add_worksheet(labels["ranking"][:31])
    heads = [labels["place"], labels["team"], labels["members"]] + [p.title for p in event.parts] + [labels["total"]]
    ws.write_row(0, 0, heads, bold)
    for r_i, r in enumerate(rows, start=1):
        ws.write(r_i, 0, r.place)
        ws.write_string(r_i, 1, r.name)
        ws.write_string(r_i, 2, ", ".join(r.members))
        for c, p in enumerate(event.parts, start=3):
            ws.write_number(r_i, c, r.parts.get(p.id, 0), num)
        ws.write_number(r_i, 3 + len(event.parts), r.total, num)
    ws.set_column(1, 2, 32)
    ws.freeze_panes(1, 0)
    wu = wb.add_worksheet(labels["units"][:31])
    wu.write_row(0, 0, [labels["place"], labels["unit"], labels["team"], labels["total"]], bold)
    for r_i, u in enumerate(by_unit(event, rows), start=1):
        wu.write(r_i, 0, u["place"])
        wu.write_string(r_i, 1, u["unit"])
        wu.write_string(r_i, 2, u["team"])
        wu.write_number(r_i, 3, u["total"], num)
    wu.set_column(1, 2, 32)
    wj = wb.add_worksheet(labels["judges"][:31])
    wj.write_row(0, 0, [labels["part"], labels["team"], labels["judge"], labels["scores"], labels["total"]], bold)
    for r_i, s in enumerate(judge_sheets(event), start=1):
        wj.write_string(r_i, 0, s.part_title)
        wj.write_string(r_i, 1, s.team_name)
        wj.write_string(r_i, 2, s.judge_name)
        wj.write_string(r_i, 3, " + ".join(f"{v:g}" for v in s.scores))
        wj.write_number(r_i, 4, s.total, num)
    wj.set_column(0, 3, 28)
    prizes = part_prizes(event, rows)
    if prizes:
        wp = wb.add_worksheet(labels["part_prizes"][:31])
        wp.write_row(0, 0, [labels["prize"], labels["part"], labels["team"], labels["best"]], bold)
        for r_i, prize in enumerate(prizes, start=1):
            wp.write_string(r_i, 0, prize.title)
            wp.write_string(r_i, 1, prize.part_title)
            wp.write_string(r_i, 2, ", ".join(prize.team_names) or labels["no_winner"])
            wp.write_number(r_i, 3, prize.best, num)
        wp.set_column(0, 2, 32)
    asked = audience.records(event)
    if asked:
        wa = wb.add_worksheet(labels["audience_prizes"][:31])
        wa.write_row(0, 0, [labels["part"], labels["question_no"], labels["question"], labels["prize_no"],
                            labels["ticket"], labels["time"], labels["seconds"]], bold)
        r_i = 0
        for q in asked:
            for n, w in enumerate(q.winners or [None], start=1):
                r_i += 1
                wa.write_string(r_i, 0, q.part_title)
                wa.write_number(r_i, 1, q.number)
                wa.write_string(r_i, 2, q.text)
                if w is None:
                    wa.write_string(r_i, 4, labels["no_audience_winner"])
                    continue
                wa.write_number(r_i, 3, n)
                wa.write_string(r_i, 4, w.label)
                wa.write_string(r_i, 5, w.received_at.astimezone(labels["tz"]).strftime("%d/%m/%Y %H:%M:%S.%f")[:-3])
                if w.seconds is not None:
                    wa.write_number(r_i, 6, w.seconds, num)
        wa.set_column(0, 0, 24)
        wa.set_column(2, 2, 48)
        wa.set_column(4, 6, 16)
    wl = wb.add_worksheet(labels["ledger"][:31])
    wl.write_row(0, 0, [labels["time"], labels["part"], labels["team"], labels["kind"], labels["points"],
                        labels["reason"], labels["voided"]], bold)
    parts = {p.id: p.title for p in event.parts}
    teams = {t.id: t.name for t in event.teams}
    tz = labels["tz"]
    for r_i, e in enumerate(ledger(event), start=1):
        wl.write_string(r_i, 0, e.created_at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S"))
        wl.write_string(r_i, 1, parts.get(e.part_id, ""))
        wl.write_string(r_i, 2, teams.get(e.team_id, ""))
        wl.write_string(r_i, 3, str(labels["kinds"].get(e.kind, e.kind)))
        wl.write_number(r_i, 4, e.points, num)
        wl.write_string(r_i, 5, e.reason or "")
        wl.write_string(r_i, 6, e.voided_at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S") if e.voided_at else "")
    wl.set_column(0, 5, 22)
    wb.close()
    return buf.getvalue()
