"""The event builder (organiser): an event, its teams (one unit each, 1–5 members, a join code per
team), its ordered parts and their questions (drawn from the bank by quota or picked by hand, with
reserve questions for ties and skips), and its judges.

Every change is refused with a Vietnamese message naming the field when the input is wrong, and
nothing is half-written (one transaction per call, committed by the view).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.core.audit import record
from quizapp.auth.models import User
from quizapp.auth.identity import normalize_login
from quizapp.bank import editor
from quizapp.bank.models import Question, QuestionStatus
from quizapp.core.db import db
from quizapp.core.errors import ServiceError
from quizapp.live import broadcast
from quizapp.live.models import (EventStatus, ItemStatus, JudgeMode, LiveEvent, LiveItem, LiveJudge, LivePart,
                                 LiveTeam, PartKind)
from quizapp.units.models import Unit

MAX_MEMBERS = 5
MAX_TEAMS = 60
MAX_ITEMS_PER_PART = 60
MAX_AUDIENCE_PRIZES = 50
# Join codes: no 0/O/1/I/L, read aloud in a hall and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

KIND_LABELS = {
    PartKind.KNOWLEDGE: _l("Knowledge (every team answers)"),
    PartKind.BUZZER: _l("Buzzer (first to press answers)"),
    PartKind.JUDGED: _l("Judged performance (rubric)"),
    PartKind.AUDIENCE: _l("Audience (question or poll)"),
    PartKind.TIEBREAK: _l("Tie-break (reserve questions)"),
}
JUDGE_MODE_LABELS = {
    JudgeMode.MEAN: _l("Mean of the judges"),
    JudgeMode.TRIMMED: _l("Mean without the highest and the lowest"),
}


def _err(code: str, message, field: str | None = None, status: int = 422) -> ServiceError:
    return ServiceError(code, str(message), status=status, field=field)


def new_code(length: int = 6) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def _unique_code(column) -> str:
    for _ in range(20):
        code = new_code()
        if db.session.scalar(sa.select(sa.func.count()).where(column == code)) == 0:
            return code
    raise _err("code_exhausted", _l("Could not make a new join code; please try again."))


def clean_code(raw: str | None) -> str:
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:12]


# --- events ------------------------------------------------------------------------------------

@dataclass
class EventData:
    title: str
    venue: str = ""


def _check_event(data: EventData) -> tuple[str, str]:
    title = (data.title or "").strip()
    if not title:
        raise _err("title_required", _l("Enter the event's title."), "title")
    if len(title) > 255:
        raise _err("title_too_long", _l("The title is at most 255 characters."), "title")
    venue = (data.venue or "").strip()
    if len(venue) > 255:
        raise _err("venue_too_long", _l("The venue is at most 255 characters."), "venue")
    return title, venue


def create_event(data: EventData, actor_id: int | None) -> LiveEvent:
    title, venue = _check_event(data)
    event = LiveEvent(title=title, venue=venue or None, created_by_id=actor_id,
                      audience_code=_unique_code(LiveEvent.audience_code))
    db.session.add(event)
    db.session.flush()
    record(actor_id, "live.create", "live_event", event.id)
    return event


def update_event(event: LiveEvent, data: EventData, actor_id: int | None, publish_judges: bool | None = None) -> None:
    title, venue = _check_event(data)
    event.title, event.venue = title, venue or None
    if publish_judges is not None:
        event.publish_judges = publish_judges
    broadcast.mark_dirty(event.id)
    record(actor_id, "live.update", "live_event", event.id)


def publish_results(event: LiveEvent, publish: bool, actor_id: int | None) -> None:
    """Show (or hide) the final ranking on the audience's page; the judges' sheets too when
    ``publish_judges`` is set."""
    event.results_published = publish
    record(actor_id, "live.publish" if publish else "live.unpublish", "live_event", event.id)


def events() -> list[LiveEvent]:
    return list(db.session.scalars(sa.select(LiveEvent).order_by(LiveEvent.created_at.desc(), LiveEvent.id.desc())))


def get_event(event_id: int) -> LiveEvent:
    event = db.session.get(LiveEvent, event_id)
    if event is None:
        raise _err("not_found", _l("This event does not exist."), status=404)
    return event


def _editable(event: LiveEvent) -> None:
    if event.status == EventStatus.FINISHED:
        raise _err("finished", _l("The event has finished: its teams and parts can no longer change."), status=409)


# --- teams -------------------------------------------------------------------------------------

def clean_members(raw: str | list[str]) -> list[str]:
    """Member names, one a line (or a list); 1–5 names of at most 120 characters."""
    names = raw.splitlines() if isinstance(raw, str) else list(raw)
    names = [" ".join(n.split()) for n in names if n and n.strip()]
    if not names:
        raise _err("members_required", _l("Enter at least one member, one name a line."), "members")
    if len(names) > MAX_MEMBERS:
        raise _err("too_many_members", _l("A team has at most 5 members."), "members")
    for i, name in enumerate(names, start=1):
        if len(name) > 120:
            raise _err("member_too_long", _l("Member %(n)s: a name is at most 120 characters.", n=i), "members")
    return names


def add_team(event: LiveEvent, unit_id: int | None, members, actor_id: int | None, name: str | None = None) -> LiveTeam:
    _editable(event)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        raise _err("unit_required", _l("Choose the unit the team represents."), "unit_id")
    if any(t.unit_id == unit.id for t in event.teams):
        raise _err("unit_taken", _l("%(unit)s already has a team in this event.", unit=unit.name), "unit_id")
    if len(event.teams) >= MAX_TEAMS:
        raise _err("too_many_teams", _l("An event has at most 60 teams."), "unit_id")
    team_name = " ".join((name or "").split()) or unit.name
    if len(team_name) > 255:
        raise _err("name_too_long", _l("The team's name is at most 255 characters."), "name")
    team = LiveTeam(event_id=event.id, unit_id=unit.id, name=team_name, members=clean_members(members),
                    position=len(event.teams) + 1, join_code=_unique_code(LiveTeam.join_code))
    event.teams.append(team)
    broadcast.mark_dirty(event.id)
    db.session.flush()
    record(actor_id, "live.team_add", "live_event", event.id, unit_id=unit.id, team=team_name)
    return team


def update_team(team: LiveTeam, members, actor_id: int | None, name: str | None = None) -> None:
    _editable(team.event)
    team.members = clean_members(members)
    if name and name.strip():
        if len(name.strip()) > 255:
            raise _err("name_too_long", _l("The team's name is at most 255 characters."), "name")
        team.name = " ".join(name.split())
    broadcast.mark_dirty(team.event.id)
    record(actor_id, "live.team_update", "live_event", team.event_id, team=team.name)


def new_team_code(team: LiveTeam, actor_id: int | None) -> str:
    """A new join code: devices that joined with the old one are signed out at their next request."""
    team.join_code = _unique_code(LiveTeam.join_code)
    team.code_generation += 1
    record(actor_id, "live.team_code", "live_event", team.event_id, team=team.name)
    return team.join_code


def get_team(event: LiveEvent, team_id: int) -> LiveTeam:
    team = db.session.get(LiveTeam, team_id)
    if team is None or team.event_id != event.id:
        raise _err("not_found", _l("This team does not exist."), status=404)
    return team


# --- parts and their questions ---------------------------------------------------------------

@dataclass
class PartData:
    kind: str
    title: str = ""
    seconds: int = 20
    points: float = 10
    speed_bonus: float = 0
    wrong_penalty: float = 0
    pass_on: bool = True
    judge_mode: str = JudgeMode.MEAN.value
    rubric: str = ""  # "Nội dung: 5" one a line
    poll: bool = False
    prize_title: str = ""  # the part's own prize ("Tiểu phẩm hay nhất") for its best team; empty: none
    audience_prizes: int | None = 3  # an audience question's prizes (its first right answers); 0: none


def parse_rubric(text: str) -> list[dict]:
    """"criterion: max points" one a line → [{"name", "max"}]; the line at fault is named."""
    rubric = []
    for i, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, raw = line.rpartition(":")
        try:
            top = float(raw.strip().replace(",", "."))
        except ValueError:
            top = -1
        if not sep or not name.strip() or not (0 < top <= 1000):
            raise _err("rubric_line", _l("Rubric line %(n)s: write “criterion: maximum points”, e.g. “Nội dung: 5”.",
                                         n=i), "rubric")
        rubric.append({"name": name.strip()[:120], "max": top})
    return rubric


def _check_part(data: PartData) -> dict:
    try:
        kind = PartKind(data.kind)
    except ValueError:
        raise _err("kind", _l("Choose the kind of part."), "kind") from None
    title = " ".join((data.title or "").split()) or str(KIND_LABELS[kind]).split(" (")[0]
    if len(title) > 255:
        raise _err("title_too_long", _l("The title is at most 255 characters."), "title")
    if not 3 <= int(data.seconds or 0) <= 600:
        raise _err("seconds", _l("The time per question is between 3 and 600 seconds."), "seconds")
    for field, value in (("points", data.points), ("speed_bonus", data.speed_bonus),
                         ("wrong_penalty", data.wrong_penalty)):
        if value is None or not 0 <= float(value) <= 1000:
            raise _err(field, _l("Points are between 0 and 1000."), field)
    try:
        mode = JudgeMode(data.judge_mode or JudgeMode.MEAN.value)
    except ValueError:
        raise _err("judge_mode", _l("Choose how the judges' scores are combined."), "judge_mode") from None
    rubric = parse_rubric(data.rubric) if kind == PartKind.JUDGED else []
    if kind == PartKind.JUDGED and not rubric:
        raise _err("rubric_required", _l("A judged part needs its rubric, one criterion a line."), "rubric")
    prize_title = " ".join((data.prize_title or "").split()) or None
    if prize_title and len(prize_title) > 120:
        raise _err("prize_title_too_long", _l("The prize's name is at most 120 characters."), "prize_title")
    if prize_title and (kind == PartKind.TIEBREAK or (kind == PartKind.AUDIENCE and not data.poll)):
        raise _err("prize_title_no_team", _l("Only a part where teams score, or an audience poll, has a prize of its "
                                             "own: this part gives no team points."), "prize_title")
    prizes = 0
    if kind == PartKind.AUDIENCE and not data.poll:
        try:
            prizes = int(3 if data.audience_prizes is None else data.audience_prizes)
        except (TypeError, ValueError):
            prizes = -1
        if not 0 <= prizes <= MAX_AUDIENCE_PRIZES:
            raise _err("audience_prizes", _l("An audience question gives from 0 to 50 prizes."), "audience_prizes")
    return dict(kind=kind, title=title, seconds=int(data.seconds), points=float(data.points),
                speed_bonus=float(data.speed_bonus) if kind == PartKind.KNOWLEDGE else 0.0,
                wrong_penalty=float(data.wrong_penalty) if kind == PartKind.BUZZER else 0.0,
                pass_on=bool(data.pass_on), judge_mode=mode, rubric=rubric,
                poll=bool(data.poll) if kind == PartKind.AUDIENCE else False, prize_title=prize_title,
                audience_prizes=prizes)


def add_part(event: LiveEvent, data: PartData, actor_id: int | None) -> LivePart:
    _editable(event)
    values = _check_part(data)
    part = LivePart(event_id=event.id, position=len(event.parts) + 1, **values)
    event.parts.append(part)
    broadcast.mark_dirty(event.id)
    db.session.flush()
    record(actor_id, "live.part_add", "live_event", event.id, part=part.title)
    return part


def update_part(part: LivePart, data: PartData, actor_id: int | None) -> None:
    _editable(part.event)
    values = _check_part(data)
    values.pop("kind")
    for key, value in values.items():
        setattr(part, key, value)
    broadcast.mark_dirty(part.event.id)
    record(actor_id, "live.part_update", "live_event", part.event_id, part=part.title)


def move_part(part: LivePart, delta: int) -> None:
    parts = list(part.event.parts)
    i = parts.index(part)
    j = i + delta
    if 0 <= j < len(parts):
        parts[i], parts[j] = parts[j], parts[i]
        for pos, p in enumerate(parts, start=1):
            p.position = pos
        broadcast.mark_dirty(part.event.id)


def get_part(event: LiveEvent, part_id: int) -> LivePart:
    part = db.session.get(LivePart, part_id)
    if part is None or part.event_id != event.id:
        raise _err("not_found", _l("This part does not exist."), status=404)
    return part


def _used_question_ids(event: LiveEvent) -> set[int]:
    return set(db.session.scalars(
        sa.select(LiveItem.question_id).join(LivePart).where(LivePart.event_id == event.id,
                                                             LiveItem.question_id.is_not(None))))


def _append_items(part: LivePart, question_ids: list[int], reserve: bool) -> list[LiveItem]:
    if len(part.items) + len(question_ids) > MAX_ITEMS_PER_PART:
        raise _err("too_many_items", _l("A part has at most 60 questions, reserves included."), "count")
    start = max((i.position for i in part.items), default=0)
    made = [LiveItem(part_id=part.id, question_id=qid, is_reserve=reserve, position=start + n)
            for n, qid in enumerate(question_ids, start=1)]
    part.items.extend(made)
    broadcast.mark_dirty(part.event.id)
    return made


def draw_questions(part: LivePart, area_id: int | None, difficulty: int | None, count: int, reserve: bool,
                   actor_id: int | None) -> list[LiveItem]:
    """``count`` approved single-answer questions of the area/difficulty not yet used in this event, least drawn
    first.  A team answers with one press (A–D) on its device, so a question with several right options
    cannot be asked in the hall."""
    _editable(part.event)
    if part.kind == PartKind.JUDGED:
        raise _err("judged_no_questions", _l("A judged part has no questions: judges score the teams."), "count")
    if part.kind == PartKind.AUDIENCE and part.poll:
        raise _err("poll_no_questions", _l("A poll has no bank questions: the audience votes for a team."), "count")
    if not 1 <= int(count or 0) <= MAX_ITEMS_PER_PART:
        raise _err("count", _l("Draw between 1 and 60 questions."), "count")
    stmt = editor.list_select(editor.ListFilters(status=QuestionStatus.APPROVED.value, area_id=area_id or None,
                                             difficulty=difficulty or None))
    stmt = stmt.where(Question.multiple.is_(False))
    used = _used_question_ids(part.event)
    if used:
        stmt = stmt.where(Question.id.not_in(used))
    stmt = stmt.order_by(None).order_by(Question.times_drawn, sa.func.random()).limit(int(count))
    ids = [q.id for q in db.session.scalars(stmt)]
    if len(ids) < int(count):
        raise _err("not_enough", _l("The bank has only %(n)s approved single-answer questions of that area and "
                                    "difficulty not used in this event yet.", n=len(ids)), "count")
    items = _append_items(part, ids, reserve)
    record(actor_id, "live.questions_draw", "live_event", part.event_id, part=part.title, count=len(ids))
    return items


def pick_questions(part: LivePart, raw_ids: str, reserve: bool, actor_id: int | None) -> list[LiveItem]:
    """Questions picked by hand: their numbers (ids as the bank shows them), separated by spaces or commas."""
    _editable(part.event)
    if part.kind == PartKind.JUDGED or (part.kind == PartKind.AUDIENCE and part.poll):
        raise _err("no_questions", _l("This part has no bank questions."), "question_ids")
    tokens = [t for t in (raw_ids or "").replace(",", " ").split() if t]
    if not tokens:
        raise _err("ids_required", _l("Enter the question numbers, separated by spaces or commas."), "question_ids")
    ids = []
    for t in tokens:
        t = t.lstrip("#")
        if not t.isdigit():
            raise _err("id_invalid", _l("“%(token)s” is not a question number.", token=t[:20]), "question_ids")
        ids.append(int(t))
    found = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids)))}
    used = _used_question_ids(part.event)
    for qid in ids:
        q = found.get(qid)
        if q is None or q.status != QuestionStatus.APPROVED:
            raise _err("not_approved", _l("Question #%(id)s is not an approved question of the bank.", id=qid),
                       "question_ids")
        if q.multiple:
            raise _err("multiple", _l("Question #%(id)s has several right options; a team answers with one press, "
                                      "so pick a single-answer question.", id=qid), "question_ids")
        if qid in used or ids.count(qid) > 1:
            raise _err("duplicate", _l("Question #%(id)s is already in this event.", id=qid), "question_ids")
    items = _append_items(part, ids, reserve)
    record(actor_id, "live.questions_pick", "live_event", part.event_id, part=part.title, count=len(ids))
    return items


def add_poll(part: LivePart, actor_id: int | None) -> LiveItem:
    """A poll item (the audience votes for a team) in an audience part set as a poll."""
    _editable(part.event)
    if not (part.kind == PartKind.AUDIENCE and part.poll):
        raise _err("not_poll", _l("Only an audience poll part takes a poll."), "count")
    item = LiveItem(part_id=part.id, question_id=None, position=len(part.items) + 1)
    part.items.append(item)
    broadcast.mark_dirty(part.event.id)
    record(actor_id, "live.questions_pick", "live_event", part.event_id, part=part.title, count=1)
    return item


def remove_item(item: LiveItem, actor_id: int | None) -> None:
    part = item.part
    _editable(part.event)
    if item.status != ItemStatus.PENDING or item.opened_at is not None:
        raise _err("item_used", _l("This question was already shown in the hall and stays on the record."), status=409)
    part.items.remove(item)
    broadcast.mark_dirty(part.event.id)
    record(actor_id, "live.question_remove", "live_event", part.event_id, part=part.title)


def get_item(event: LiveEvent, item_id: int) -> LiveItem:
    item = db.session.get(LiveItem, item_id)
    if item is None or item.part.event_id != event.id:
        raise _err("not_found", _l("This question does not exist."), status=404)
    return item


# --- judges ------------------------------------------------------------------------------------

def add_judge(event: LiveEvent, login: str, actor_id: int | None) -> LiveJudge:
    key = normalize_login(login)
    user = None
    if key:
        column = User.email if "@" in key else User.phone
        user = db.session.scalar(sa.select(User).where(column == key))
    if user is None or not user.is_active:
        raise _err("judge_unknown", _l("No active account has this phone number or e-mail."), "login")
    if any(j.user_id == user.id for j in event.judges):
        raise _err("judge_twice", _l("This account is already a judge of the event."), "login")
    if len(event.judges) >= 9:
        raise _err("too_many_judges", _l("An event has at most 9 judges."), "login")
    judge = LiveJudge(event_id=event.id, user_id=user.id, position=len(event.judges) + 1)
    event.judges.append(judge)
    db.session.flush()
    record(actor_id, "live.judge_add", "live_event", event.id, user_id=user.id)
    return judge


def remove_judge(event: LiveEvent, judge_id: int, actor_id: int | None) -> None:
    judge = db.session.get(LiveJudge, judge_id)
    if judge is None or judge.event_id != event.id:
        raise _err("not_found", _l("This judge does not exist."), status=404)
    from quizapp.live.models import LiveJudgeScore

    if db.session.scalar(sa.select(sa.func.count()).where(LiveJudgeScore.judge_id == judge.id)):
        raise _err("judge_scored", _l("This judge has already scored: their sheets stay on the record."), status=409)
    event.judges.remove(judge)
    record(actor_id, "live.judge_remove", "live_event", event.id, user_id=judge.user_id)


def judge_for(event: LiveEvent, user_id: int | None) -> LiveJudge | None:
    if user_id is None:
        return None
    return next((j for j in event.judges if j.user_id == user_id), None)
