"""Running the event: the presenter's and the MC's controls, the teams' answers and buzzes, the
audience's votes, the MC's marks and corrections, the judges' score sheets.

Every time is the server's (``now`` is passed in by the caller: the request's arrival time).  Each
change of what the hall sees bumps ``event.version``; ``broadcast`` publishes the new state when
the transaction commits.  Answers are unique per question and voter: a resend with the same
``client_id`` returns the recorded answer, a second answer with another id is refused.

Why one module over ~500 lines (issue 19 asks for the reason): its four sections (the presenter's
keys, the teams' and audience's answers and buzzes, the MC's marks and corrections, the judges'
sheets) drive one state machine (``event.phase`` and the item on screen) through the same private
helpers (``_item``'s one-round-trip load, ``_running``, ``_changed``, ``_reason``, ``_err``) and call
each other (``next_step`` → ``close`` / ``reveal`` / ``finish``, ``skip_to_reserve`` →
``_void_item_scores``, ``mark_buzz`` → ``buzz_holder``).  Cutting it would make each new module
import another's private helpers, or add a module of helpers, for some thirty lines over the
guideline; the section comments are the map.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.core.audit import record
from quizapp.core.db import db, sqlite_write_conflict
from quizapp.core.errors import ServiceError
from quizapp.live import broadcast, scoring
from quizapp.live.models import (EventStatus, ItemStatus, LiveAnswer, LiveBuzz, LiveEvent, LiveItem, LiveJudge,
                                 LiveJudgeScore, LivePart, LiveScore, LiveTeam, PartKind, Phase, ScoreKind)


def _err(code: str, message, status: int = 409, field: str | None = None) -> ServiceError:
    return ServiceError(code, str(message), status=status, field=field)


def grace() -> float:
    return float(current_app.config.get("LIVE_ANSWER_GRACE_SECONDS", 0.5))


def _changed(event: LiveEvent) -> None:
    broadcast.mark_dirty(event.id)  # the version is bumped in SQL as the transaction commits


def _part(event: LiveEvent) -> LivePart | None:
    return db.session.get(LivePart, event.current_part_id) if event.current_part_id else None


def _item(event: LiveEvent) -> LiveItem | None:
    """The question on screen with its part, question and options (one round trip, not four: the
    answer path runs a thousand times in a few seconds)."""
    if not event.current_item_id:
        return None
    from sqlalchemy.orm import joinedload, selectinload

    from quizapp.bank.models import Question

    return db.session.get(LiveItem, event.current_item_id, options=[
        joinedload(LiveItem.part), joinedload(LiveItem.question).selectinload(Question.options)])


def _pending(part: LivePart, reserve: bool = False) -> list[LiveItem]:
    return [i for i in part.items if i.status == ItemStatus.PENDING and i.is_reserve == reserve]


# --- the presenter's keys ------------------------------------------------------------------------

def start(event: LiveEvent, actor_id: int | None) -> None:
    if event.status != EventStatus.DRAFT:
        raise _err("started", _l("The event has already started."))
    if not event.teams or not event.parts:
        raise _err("not_ready", _l("Add at least one team and one part before starting."), status=422)
    event.status = EventStatus.RUNNING
    event.phase = Phase.LOBBY
    record(actor_id, "live.start", "live_event", event.id)
    _changed(event)


def _running(event: LiveEvent) -> None:
    if event.status != EventStatus.RUNNING:
        raise _err("not_running", _l("The event is not running."))


def _open_item(event: LiveEvent, item: LiveItem, now: datetime, actor_id: int | None) -> None:
    part = item.part
    item.opened_at = now
    item.closes_at = now + timedelta(seconds=part.seconds)
    item.status = ItemStatus.USED
    event.current_part_id = part.id
    event.current_item_id = item.id
    event.phase = Phase.OPEN
    record(actor_id, "live.open", "live_event", event.id, part=part.title, question_id=item.question_id)


def next_step(event: LiveEvent, now: datetime, actor_id: int | None) -> None:
    """Space on the presenter: the next thing the hall should see."""
    _running(event)
    phase = event.phase
    part = _part(event)
    if phase == Phase.PAUSED:
        return resume(event, now, actor_id)
    if phase == Phase.OPEN:
        return close(event, now, actor_id)
    if phase == Phase.CLOSED:
        return reveal(event, now, actor_id)
    if phase == Phase.LOBBY or part is None:
        first = event.parts[0]
        event.current_part_id, event.current_item_id, event.phase = first.id, None, Phase.INTRO
    elif phase == Phase.INTRO:
        if part.kind == PartKind.JUDGED:
            event.phase = Phase.JUDGING
            event.stage_team_id = event.teams[0].id if event.teams else None
        elif _pending(part):
            _open_item(event, _pending(part)[0], now, actor_id)
        else:
            event.phase = Phase.SCOREBOARD
    elif phase == Phase.JUDGING:
        ids = [t.id for t in event.teams]
        i = ids.index(event.stage_team_id) if event.stage_team_id in ids else -1
        if i + 1 < len(ids):
            event.stage_team_id = ids[i + 1]
        else:
            event.stage_team_id = None
            event.phase = Phase.SCOREBOARD
    elif phase in (Phase.REVEALED, Phase.SCOREBOARD):
        if part.kind != PartKind.JUDGED and _pending(part):
            _open_item(event, _pending(part)[0], now, actor_id)
        elif phase == Phase.REVEALED:
            event.phase = Phase.SCOREBOARD
        else:
            parts = list(event.parts)
            i = parts.index(part)
            if i + 1 < len(parts):
                event.current_part_id, event.current_item_id, event.phase = parts[i + 1].id, None, Phase.INTRO
            else:
                return finish(event, actor_id)
    elif phase == Phase.PODIUM:
        return None
    _changed(event)


def show_scoreboard(event: LiveEvent) -> None:
    """S on the presenter: the scoreboard (from a closed, revealed or title screen)."""
    _running(event)
    if event.phase in (Phase.OPEN, Phase.PAUSED):
        raise _err("question_open", _l("Close the question before showing the scoreboard."))
    if event.phase == Phase.CLOSED:
        raise _err("not_revealed", _l("Reveal the answer before showing the scoreboard."))
    event.phase = Phase.SCOREBOARD
    _changed(event)


def close(event: LiveEvent, now: datetime, actor_id: int | None) -> None:
    """No more answers: score every team's answer to a knowledge question (by the server's clock)."""
    _running(event)
    item = _item(event)
    if event.phase not in (Phase.OPEN, Phase.PAUSED) or item is None:
        return None
    item.closed_at = min(now, item.closes_at) if event.phase == Phase.OPEN and item.closes_at else now
    item.paused_remaining_ms = None
    event.phase = Phase.CLOSED
    _score_answers(event, item)
    _changed(event)


def _score_answers(event: LiveEvent, item: LiveItem) -> None:
    part = item.part
    if item.question is None:
        return
    key = item.question.correct_option_ids
    for answer in db.session.scalars(sa.select(LiveAnswer).where(LiveAnswer.item_id == item.id)):
        answer.is_correct = answer.option_id in key
        if answer.team_id is None or part.kind not in (PartKind.KNOWLEDGE, PartKind.TIEBREAK):
            continue
        points, bonus = scoring.knowledge_points(answer.is_correct, part.points, part.speed_bonus, item.opened_at,
                                                 item.closes_at, answer.received_at)
        kind = ScoreKind.TIEBREAK if part.kind == PartKind.TIEBREAK else ScoreKind.ANSWER
        if points:
            db.session.add(LiveScore(event_id=event.id, team_id=answer.team_id, part_id=part.id, item_id=item.id,
                                     kind=kind, points=points))
        if bonus:
            db.session.add(LiveScore(event_id=event.id, team_id=answer.team_id, part_id=part.id, item_id=item.id,
                                     kind=ScoreKind.SPEED, points=bonus))


def reveal(event: LiveEvent, now: datetime, actor_id: int | None) -> None:
    """R on the presenter: the right answer and the distribution (closing the question first)."""
    _running(event)
    if event.phase in (Phase.OPEN, Phase.PAUSED):
        close(event, now, actor_id)
    if event.phase != Phase.CLOSED:
        return None
    item = _item(event)
    item.revealed_at = now
    event.phase = Phase.REVEALED
    _changed(event)


def pause(event: LiveEvent, now: datetime, actor_id: int | None) -> None:
    _running(event)
    item = _item(event)
    if event.phase != Phase.OPEN or item is None:
        raise _err("not_open", _l("Only an open question can be paused."))
    remaining = max(0, int((item.closes_at - now).total_seconds() * 1000))
    item.paused_remaining_ms = remaining
    event.phase = Phase.PAUSED
    record(actor_id, "live.pause", "live_event", event.id, question_id=item.question_id)
    _changed(event)


def resume(event: LiveEvent, now: datetime, actor_id: int | None) -> None:
    _running(event)
    item = _item(event)
    if event.phase != Phase.PAUSED or item is None:
        raise _err("not_paused", _l("The question is not paused."))
    # The pause does not count against the teams: the close moves by the time paused,
    # and the speed bonus's window moves with it.
    shift = now + timedelta(milliseconds=item.paused_remaining_ms or 0) - item.closes_at
    item.closes_at += shift
    item.opened_at += shift
    item.paused_remaining_ms = None
    event.phase = Phase.OPEN
    record(actor_id, "live.resume", "live_event", event.id, question_id=item.question_id)
    _changed(event)


def skip_to_reserve(event: LiveEvent, now: datetime, actor_id: int | None, reason: str) -> LiveItem:
    """Replace the question on screen by the part's next reserve (a faulty or disputed question):
    its answers and points are voided, the reserve opens at once."""
    _running(event)
    reason = _reason(reason)
    item, part = _item(event), _part(event)
    if item is None or part is None or event.phase not in (Phase.OPEN, Phase.PAUSED, Phase.CLOSED, Phase.REVEALED):
        raise _err("no_question", _l("There is no question on screen to replace."))
    reserves = _pending(part, reserve=True)
    if not reserves:
        raise _err("no_reserve", _l("This part has no reserve question left."))
    item.status = ItemStatus.SKIPPED
    _void_item_scores(item, now, actor_id)
    record(actor_id, "live.skip", "live_event", event.id, question_id=item.question_id,
           reserve_id=reserves[0].question_id, reason=reason)
    _open_item(event, reserves[0], now, actor_id)
    _changed(event)
    return reserves[0]


def open_tiebreak(event: LiveEvent, now: datetime, actor_id: int | None) -> LiveItem:
    """Open the next reserve question of the tie-break part (after the scoreboard shows a tie)."""
    _running(event)
    part = next((p for p in event.parts if p.kind == PartKind.TIEBREAK), None)
    if part is None:
        raise _err("no_tiebreak", _l("This event has no tie-break part."))
    if event.phase in (Phase.OPEN, Phase.PAUSED, Phase.CLOSED):
        raise _err("question_open", _l("Finish the question on screen first."))
    pending = _pending(part) or _pending(part, reserve=True)
    if not pending:
        raise _err("no_reserve", _l("The tie-break part has no question left."))
    _open_item(event, pending[0], now, actor_id)
    _changed(event)
    return pending[0]


def finish(event: LiveEvent, actor_id: int | None) -> None:
    _running(event)
    if event.phase in (Phase.OPEN, Phase.PAUSED):
        raise _err("question_open", _l("Close the question before finishing."))
    event.status = EventStatus.FINISHED
    event.phase = Phase.PODIUM
    event.stage_team_id = None
    record(actor_id, "live.finish", "live_event", event.id)
    _changed(event)


def set_stage_team(event: LiveEvent, team_id: int) -> None:
    _running(event)
    if event.phase != Phase.JUDGING or not any(t.id == team_id for t in event.teams):
        raise _err("not_judging", _l("Choose a team of the event during a judged part."))
    event.stage_team_id = team_id
    _changed(event)


# --- teams and audience --------------------------------------------------------------------------

def retry_when_locked(fn, attempts: int = 8):
    """Run ``fn`` (the request's first write), starting again on a fresh transaction when SQLite says
    "database is locked": in WAL mode a transaction that read before another process committed cannot
    become a writer (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not wait for).  The answer is
    idempotent, so running it again is safe.  PostgreSQL never takes this path."""
    import time

    for attempt in range(attempts):
        try:
            result = fn()
            db.session.flush()
            return result
        except sa.exc.OperationalError as exc:
            if not sqlite_write_conflict(exc) or attempt == attempts - 1:
                raise
            db.session.rollback()
            time.sleep(0.02 * (attempt + 1))
    return None  # pragma: no cover


def _clean_client_id(client_id: str | None) -> str:
    cid = (client_id or "").strip()
    if not cid or len(cid) > 40 or not all(c.isalnum() or c in "-_" for c in cid):
        raise _err("client_id", _l("The answer could not be read; please press again."), status=400)
    return cid


def _open_for_answers(event: LiveEvent, item_id: int, received_at: datetime) -> LiveItem:
    item = _item(event)
    if event.status != EventStatus.RUNNING or item is None or item.id != item_id:
        raise _err("not_current", _l("This question is no longer on screen."))
    if event.phase == Phase.PAUSED:
        raise _err("paused", _l("The question is paused: wait for the MC."))
    if event.phase != Phase.OPEN or not scoring.accepts_answer(item.opened_at, item.closes_at, received_at, grace()):
        raise _err("time_up", _l("Time is up: this answer arrived after the question closed."))
    return item


def _valid_option(item: LiveItem, option_id, event: LiveEvent) -> int:
    try:
        option_id = int(option_id)
    except (TypeError, ValueError):
        option_id = None
    if item.question is None:
        valid = {t.id for t in event.teams}
    else:
        valid = {o.id for o in item.question.options}
    if option_id not in valid:
        raise _err("option", _l("Choose one of the answers shown."), status=422)
    return option_id


def answer(event: LiveEvent, item_id: int, voter: str, team_id: int | None, client_id: str, option_id,
           received_at: datetime) -> tuple[LiveAnswer, bool]:
    """Record an answer: (the answer, whether this call created it).  Idempotent for a resend
    (same ``client_id``); another answer from the same voter is refused."""
    cid = _clean_client_id(client_id)
    existing = db.session.scalar(sa.select(LiveAnswer).where(LiveAnswer.item_id == item_id, LiveAnswer.voter == voter))
    if existing is not None:
        if existing.client_id == cid:
            return existing, False
        raise _err("already_answered", _l("Your answer was already recorded; it cannot be changed."))
    item = _open_for_answers(event, item_id, received_at)
    part = item.part
    if team_id is not None and part.kind not in (PartKind.KNOWLEDGE, PartKind.TIEBREAK):
        raise _err("not_team_question", _l("This question is not answered from the team devices."))
    if team_id is None and part.kind != PartKind.AUDIENCE:
        raise _err("not_audience_question", _l("This question is for the teams; wait for the audience question."))
    option = _valid_option(item, option_id, event)
    row = LiveAnswer(item_id=item.id, voter=voter, team_id=team_id, client_id=cid, option_id=option,
                     received_at=received_at)
    db.session.add(row)
    try:
        db.session.flush()  # the request's only write: no savepoint needed around it
    except sa.exc.IntegrityError:
        # Two copies of one answer raced each other: the other one was recorded.
        db.session.rollback()
        existing = db.session.scalar(sa.select(LiveAnswer).where(LiveAnswer.item_id == item_id,
                                                                  LiveAnswer.voter == voter))
        if existing is not None and existing.client_id == cid:
            return existing, False
        raise _err("already_answered", _l("Your answer was already recorded; it cannot be changed.")) from None
    if team_id is not None:
        # The presenter shows who has answered: a light message with Redis, a new version without it.
        # Audience votes show at the close.
        broadcast.mark_answered(event.id, item.id)
    return row, True


def buzz(event: LiveEvent, item_id: int, team: LiveTeam, client_id: str, received_at: datetime) -> tuple[int, bool]:
    """A press of the buzzer: (the team's place in the arrival order, whether this call recorded it)."""
    cid = _clean_client_id(client_id)
    existing = db.session.scalar(sa.select(LiveBuzz).where(LiveBuzz.item_id == item_id, LiveBuzz.team_id == team.id))
    if existing is None:
        item = _open_for_answers(event, item_id, received_at)
        if item.part.kind != PartKind.BUZZER:
            raise _err("not_buzzer", _l("This question is not a buzzer question."))
        if any(b.verdict is True for b in _buzzes(item.id)):
            raise _err("answered", _l("Another team has already answered this question."))
        row = LiveBuzz(item_id=item.id, team_id=team.id, client_id=cid, received_at=received_at)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except sa.exc.IntegrityError:
            existing = db.session.scalar(sa.select(LiveBuzz).where(LiveBuzz.item_id == item_id,
                                                                    LiveBuzz.team_id == team.id))
        else:
            _changed(event)
            return _buzz_place(item_id, row), True
    return _buzz_place(item_id, existing), False


def _buzzes(item_id: int) -> list[LiveBuzz]:
    return list(db.session.scalars(sa.select(LiveBuzz).where(LiveBuzz.item_id == item_id)
                                   .order_by(LiveBuzz.received_at, LiveBuzz.id)))


def _buzz_place(item_id: int, row: LiveBuzz) -> int:
    return [b.id for b in _buzzes(item_id)].index(row.id) + 1


def buzz_order(item: LiveItem) -> list[scoring.Press]:
    return [scoring.Press(b.team_id, n, b.verdict) for n, b in enumerate(_buzzes(item.id))]


def buzz_holder(item: LiveItem) -> int | None:
    return scoring.buzz_holder(buzz_order(item), item.part.pass_on)


# --- the MC's marks and corrections ---------------------------------------------------------------

def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise _err("reason_required", _l("Give the reason for the correction (it goes on the record)."), 422, "reason")
    if len(reason) > 500:
        raise _err("reason_too_long", _l("The reason is at most 500 characters."), 422, "reason")
    return reason


def mark_buzz(event: LiveEvent, team_id: int, right: bool, actor_id: int | None) -> None:
    """The MC marks the answer of the team holding the right to answer."""
    _running(event)
    item = _item(event)
    if item is None or item.part.kind != PartKind.BUZZER or event.phase not in (Phase.OPEN, Phase.PAUSED,
                                                                                 Phase.CLOSED):
        raise _err("no_buzzer", _l("There is no buzzer question to mark."))
    holder = buzz_holder(item)
    if holder != team_id:
        raise _err("not_holder", _l("This team does not hold the right to answer."))
    row = db.session.scalar(sa.select(LiveBuzz).where(LiveBuzz.item_id == item.id, LiveBuzz.team_id == team_id))
    row.verdict = right
    part = item.part
    points = scoring.buzzer_points(right, part.points, part.wrong_penalty)
    if points:
        db.session.add(LiveScore(event_id=event.id, team_id=team_id, part_id=part.id, item_id=item.id,
                                 kind=ScoreKind.BUZZER, points=points, created_by_id=actor_id))
    team = db.session.get(LiveTeam, team_id)
    record(actor_id, "live.mark_right" if right else "live.mark_wrong", "live_event", event.id, team=team.name,
           question_id=item.question_id, points=points)
    if right or not part.pass_on:
        if event.phase in (Phase.OPEN, Phase.PAUSED):
            item.closed_at = event_now(item)
            item.paused_remaining_ms = None
            event.phase = Phase.CLOSED
    _changed(event)


def event_now(item: LiveItem) -> datetime:
    from quizapp.core.db import utcnow

    now = utcnow()
    return min(now, item.closes_at) if item.closes_at else now


def correct(event: LiveEvent, team_id: int, item_id: int | None, points: float, reason: str,
            actor_id: int | None) -> LiveScore:
    """Correct a team's points on a question (or the part on screen): the team's entries for it are voided
    and one entry with the corrected points and the reason takes their place."""
    reason = _reason(reason)
    team = db.session.get(LiveTeam, team_id)
    if team is None or team.event_id != event.id:
        raise _err("team", _l("Choose a team of the event."), 422, "team_id")
    try:
        points = float(points)
    except (TypeError, ValueError):
        points = float("nan")
    if points != points or abs(points) > 10000:
        raise _err("points", _l("Points are a number between -10000 and 10000."), 422, "points")
    item = db.session.get(LiveItem, item_id) if item_id else None
    if item is None or item.part.event_id != event.id or item.opened_at is None:
        raise _err("item", _l("Choose a question that was shown in the hall."), 422, "item_id")
    from quizapp.core.db import utcnow

    now = utcnow()
    before = 0.0
    for entry in db.session.scalars(sa.select(LiveScore).where(
            LiveScore.team_id == team.id, LiveScore.item_id == item.id, LiveScore.voided_at.is_(None))):
        before += entry.points
        entry.voided_at, entry.voided_by_id = now, actor_id
    kind = ScoreKind.TIEBREAK if item.part.kind == PartKind.TIEBREAK else ScoreKind.CORRECTION
    row = LiveScore(event_id=event.id, team_id=team.id, part_id=item.part_id, item_id=item.id, kind=kind,
                    points=scoring.round_points(points), reason=reason, created_by_id=actor_id)
    db.session.add(row)
    record(actor_id, "live.correct", "live_event", event.id, team=team.name, question_id=item.question_id,
           before=scoring.round_points(before), points=scoring.round_points(points), reason=reason)
    _changed(event)
    return row


def _void_item_scores(item: LiveItem, now: datetime, actor_id: int | None) -> None:
    for entry in db.session.scalars(sa.select(LiveScore).where(LiveScore.item_id == item.id,
                                                               LiveScore.voided_at.is_(None))):
        entry.voided_at, entry.voided_by_id = now, actor_id


# --- judges ---------------------------------------------------------------------------------------

def score_team(event: LiveEvent, judge: LiveJudge, part_id: int, team_id: int, raw_scores: list,
               actor_id: int | None) -> LiveJudgeScore:
    """A judge's sheet for one team in a judged part (a later sheet replaces the judge's earlier one,
    and the change is on the record)."""
    part = db.session.get(LivePart, part_id)
    if part is None or part.event_id != event.id or part.kind != PartKind.JUDGED:
        raise _err("part", _l("Choose a judged part of the event."), 422, "part_id")
    if event.status == EventStatus.FINISHED:
        raise _err("finished", _l("The event has finished: the score sheets are closed."))
    team = db.session.get(LiveTeam, team_id)
    if team is None or team.event_id != event.id:
        raise _err("team", _l("Choose a team of the event."), 422, "team_id")
    try:
        values = [float(str(v).replace(",", ".")) for v in raw_scores]
        total = scoring.rubric_total(values, part.rubric)
    except ValueError as exc:
        n = str(exc)
        if n.isdigit():
            c = part.rubric[int(n) - 1]
            raise _err("score_range", _l("%(criterion)s: give a score from 0 to %(max)s.", criterion=c["name"],
                                         max=f"{c['max']:g}"), 422, f"score_{n}") from None
        raise _err("score_missing", _l("Score every criterion of the rubric."), 422, "score_1") from None
    sheet = db.session.scalar(sa.select(LiveJudgeScore).where(
        LiveJudgeScore.part_id == part.id, LiveJudgeScore.team_id == team.id, LiveJudgeScore.judge_id == judge.id))
    before = sheet.total if sheet else None
    if sheet is None:
        sheet = LiveJudgeScore(part_id=part.id, team_id=team.id, judge_id=judge.id, scores=values, total=total)
        db.session.add(sheet)
    else:
        sheet.scores, sheet.total = values, total
    record(actor_id, "live.judge_score" if before is None else "live.judge_rescore", "live_event", event.id,
           team=team.name, part=part.title, points=total, before=before)
    _changed(event)
    return sheet
