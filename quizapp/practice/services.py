"""Practice (thi thử / ôn tập): draw a set from the approved bank, check each
answer at once, keep the user's progress per reform area.

Services add and flush; the request pipeline commits (core/pipeline.py).
Practice is kept out of every contest figure: its answers live in their own
tables (practice_sessions, practice_answers) that rankings, participation and
item statistics never read.

What may be practised is a study set the organiser controls (``practisable``): questions
marked for practice (``Question.for_practice``, which contest rounds never draw) and
questions of closed rounds, never a question an open or upcoming round may draw (its quota
cells) or has drawn. Only if the organiser publishes the whole bank for study
(``PracticeSettings.whole_bank``, the settings say what that does to a contest) is every
approved question offered, still minus those drawn by rounds open now.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.answers import check_choice
from quizapp.attempts.grading import answer_is_right
from quizapp.attempts.models import Attempt, AttemptQuestion
from quizapp.core import audit
from quizapp.bank.models import Option, Question, QuestionStatus, ReformArea
from quizapp.contests.models import Round, RoundQuota
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.practice.models import PracticeAnswer, PracticeSession, PracticeSettings

SIZES = (10, 20, 30)
SECONDS_PER_QUESTION = 60  # a timed set allows one minute per question


def _err(code: str, message, status: int = 400, field: str | None = None) -> ServiceError:
    return ServiceError(code, message_text(message), status, field)


# --- settings -------------------------------------------------------------------

def settings() -> PracticeSettings:
    return db.session.get(PracticeSettings, 1) or PracticeSettings(id=1, open_to_anonymous=False)


def _set(setting: str, value: bool, action: str, actor_id: int | None) -> None:
    row = db.session.get(PracticeSettings, 1)
    if row is None:
        row = PracticeSettings(id=1, open_to_anonymous=False, whole_bank=False)
        db.session.add(row)
    setattr(row, setting, bool(value))
    row.updated_by_id = actor_id
    row.updated_at = utcnow()
    audit.record(actor_id, action, "practice_settings", 1, **{setting: bool(value)})
    db.session.flush()


def set_open_to_anonymous(value: bool, actor_id: int | None) -> None:
    _set("open_to_anonymous", value, "practice.settings", actor_id)


def set_whole_bank(value: bool, actor_id: int | None) -> None:
    """Publish the whole approved bank for study (or withdraw it): audited."""
    _set("whole_bank", value, "practice.whole_bank", actor_id)


def whole_bank_published() -> bool:
    return bool(settings().whole_bank)


def mark_for_practice(references: str, value: bool, actor_id: int | None) -> int:
    """Put questions into the study set (``value``) or take them out, by their codes or ids
    (comma, space or line separated). All or nothing: an unknown reference is refused by name.
    Every version of a question (its lineage) follows. Returns how many questions changed."""
    refs = [r for r in (references or "").replace(",", " ").split() if r]
    if not refs:
        raise _err("references_required", _l("Questions: enter at least one question code."), 422, "references")
    if len(refs) > 500:
        raise _err("references_too_many", _l("Questions: at most 500 codes at a time."), 422, "references")
    lineages: set[str] = set()
    for ref in refs:
        found = db.session.scalars(sa.select(Question.lineage).where(
            sa.or_(Question.external_id == ref, Question.id == (int(ref) if ref.isdigit() and len(ref) <= 9 else -1)))).first()
        if found is None:
            raise _err("reference_unknown", _l("Questions: “%(ref)s” is not a question of the bank.", ref=ref[:64]),
                       422, "references")
        lineages.add(found)
    changed = db.session.execute(
        sa.update(Question).where(Question.lineage.in_(lineages), Question.for_practice.is_not(bool(value)))
        .values(for_practice=bool(value))).rowcount or 0
    audit.record(actor_id, "practice.study_set", "practice_settings", 1, added=bool(value),
                 questions=sorted(refs)[:50], count=len(lineages))
    db.session.flush()
    return int(changed)


def study_set(limit: int = 500) -> list[Question]:
    """The questions marked for practice (their current approved version), by code."""
    return list(db.session.scalars(
        sa.select(Question).where(Question.for_practice.is_(True), Question.status == QuestionStatus.APPROVED)
        .order_by(Question.external_id, Question.id).limit(limit)))


def may_practise(user_id: int | None) -> bool:
    return user_id is not None or settings().open_to_anonymous


# --- what may be practised ------------------------------------------------------

def _drawn_lineages(*where) -> sa.Select:
    """Lineages of the questions drawn by attempts of the rounds matching ``where``."""
    return (
        sa.select(Question.lineage)
        .join(AttemptQuestion, AttemptQuestion.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Round, Round.id == Attempt.round_id)
        .where(*where)
    )


def running_round_lineages(now: datetime | None = None) -> sa.Select:
    """Lineages of the questions drawn by attempts of rounds open now."""
    now = now or utcnow()
    return _drawn_lineages(Round.opens_at <= now, Round.closes_at > now)


def closed_round_lineages(now: datetime | None = None) -> sa.Select:
    """Lineages of the questions drawn by attempts of rounds closed by now."""
    return _drawn_lineages(Round.closes_at <= (now or utcnow()))


def in_coming_pools(now: datetime | None = None):
    """SQL: the question lies in a quota cell (area, difficulty; 0 = any) of a round that is
    open or upcoming, i.e. such a round may draw it."""
    now = now or utcnow()
    return sa.exists().where(
        RoundQuota.round_id == Round.id, Round.closes_at > now, RoundQuota.count > 0,
        RoundQuota.area_id == Question.area_id,
        sa.or_(RoundQuota.difficulty == 0, RoundQuota.difficulty == Question.difficulty))


def practisable(area_id: int | None = None, difficulty: int = 0, now: datetime | None = None) -> sa.Select:
    """The study set's approved questions of the area and difficulty (None/0 = any): marked for
    practice, or drawn by a closed round and in no open or upcoming round's pool; never one a
    round open now has drawn. With the whole bank published: every approved question but those."""
    now = now or utcnow()
    stmt = sa.select(Question.id, Question.lineage).where(
        Question.status == QuestionStatus.APPROVED, Question.lineage.not_in(running_round_lineages(now)))
    if not whole_bank_published():
        stmt = stmt.where(sa.or_(
            Question.for_practice.is_(True),
            sa.and_(Question.lineage.in_(closed_round_lineages(now)), ~in_coming_pools(now))))
    if area_id:
        stmt = stmt.where(Question.area_id == area_id)
    if difficulty:
        stmt = stmt.where(Question.difficulty == difficulty)
    return stmt


def practised_lineages(user_id: int) -> set[str]:
    return set(db.session.scalars(
        sa.select(Question.lineage).join(PracticeAnswer, PracticeAnswer.question_id == Question.id)
        .join(PracticeSession, PracticeSession.id == PracticeAnswer.session_id)
        .where(PracticeSession.user_id == user_id, PracticeAnswer.is_correct.is_not(None))))


# --- a practice set ---------------------------------------------------------------

def start(user_id: int | None, area_id: int | None, difficulty: int, size: int, timed: bool,
          now: datetime | None = None, rng: random.Random | None = None) -> PracticeSession:
    """A new set of ``size`` questions; questions the user has not practised yet come first."""
    now = now or utcnow()
    rng = rng or random.SystemRandom()
    if not may_practise(user_id):
        raise _err("login_required", _l("Please log in to practise."), 401)
    if size not in SIZES:
        raise _err("size_invalid", _l("Choose 10, 20 or 30 questions."), 422, "size")
    if difficulty not in (0, 1, 2, 3):
        raise _err("difficulty_invalid", _l("Choose a difficulty from 1 to 3, or any."), 422, "difficulty")
    if area_id and db.session.get(ReformArea, area_id) is None:
        raise _err("area_invalid", _l("Choose a reform area from the list."), 422, "area_id")
    candidates = db.session.execute(practisable(area_id, difficulty, now)).all()
    if not candidates:
        raise _err("nothing_to_practise", _l("There are no questions to practise in this area and difficulty right "
                                             "now. Choose another area or difficulty."), 422, "area_id")
    seen = practised_lineages(user_id) if user_id else set()
    rng.shuffle(candidates)
    candidates.sort(key=lambda c: c.lineage in seen)  # stable: unseen first, random within each group
    chosen = [c.id for c in candidates[:size]]
    options: dict[int, list[int]] = {}
    for qid, oid in db.session.execute(sa.select(Option.question_id, Option.id).where(Option.question_id.in_(chosen))
                                       .order_by(Option.position)):
        options.setdefault(qid, []).append(oid)
    practice = PracticeSession(
        token=secrets.token_urlsafe(32), user_id=user_id, area_id=area_id or None, difficulty=difficulty,
        size=len(chosen), started_at=now,
        deadline_at=now + timedelta(seconds=SECONDS_PER_QUESTION * len(chosen)) if timed else None)
    for position, qid in enumerate(chosen, start=1):
        order = list(options.get(qid, []))
        rng.shuffle(order)
        practice.answers.append(PracticeAnswer(question_id=qid, position=position, option_order=order))
    db.session.add(practice)
    db.session.flush()
    return practice


def get(session_id: int, user_id: int | None, token: str | None) -> PracticeSession:
    """The set, if it belongs to this user (or, for a visitor, to the token in their cookie)."""
    practice = db.session.get(PracticeSession, session_id)
    if practice is None:
        raise _err("not_found", _l("This practice set does not exist."), 404)
    if practice.user_id is not None:
        owned = practice.user_id == user_id
    else:
        owned = token is not None and secrets.compare_digest(practice.token, token)
    if not owned:
        raise _err("not_found", _l("This practice set does not exist."), 404)
    return practice


def time_up(practice: PracticeSession, now: datetime | None = None) -> bool:
    return practice.deadline_at is not None and (now or utcnow()) > practice.deadline_at


def remaining_ms(practice: PracticeSession, now: datetime | None = None) -> int | None:
    """Milliseconds left of a timed set (None when untimed), measured by the server."""
    if practice.deadline_at is None:
        return None
    return max(0, int((practice.deadline_at - (now or utcnow())).total_seconds() * 1000))


def next_position(practice: PracticeSession) -> int | None:
    return next((a.position for a in practice.answers if a.is_correct is None), None)


@dataclass
class Feedback:
    """What an entrant learns after answering: never sent before the answer."""
    correct: bool
    selected: list[int]
    key: list[int]
    explanation: str
    source: str

    def as_dict(self) -> dict:
        return {"correct": self.correct, "selected": self.selected, "correct_option_ids": self.key,
                "explanation": self.explanation, "source": self.source}


@dataclass
class ShownPracticeQuestion:
    position: int
    total: int
    text: str
    area: str
    multiple: bool
    options: list[tuple[int, str]]  # (option id, text) in shown order, no key
    feedback: Feedback | None  # only once answered

    def as_dict(self) -> dict:
        return {"position": self.position, "total": self.total, "text": self.text, "area": self.area,
                "multiple": self.multiple, "options": [{"id": i, "text": t} for i, t in self.options],
                "feedback": self.feedback.as_dict() if self.feedback else None}


def _answer_at(practice: PracticeSession, position: int) -> PracticeAnswer:
    answer = next((a for a in practice.answers if a.position == position), None)
    if answer is None:
        raise _err("not_found", _l("This practice set has no such question."), 404)
    return answer


def _feedback(answer: PracticeAnswer) -> Feedback:
    q = answer.question
    return Feedback(correct=bool(answer.is_correct), selected=list(answer.selected or []),
                    key=[o.id for o in q.options if o.is_correct], explanation=q.explanation or "",
                    source=q.source or "")


def shown(practice: PracticeSession, position: int) -> ShownPracticeQuestion:
    answer = _answer_at(practice, position)
    q = answer.question
    texts = {o.id: o.text for o in q.options}
    return ShownPracticeQuestion(
        position=position, total=practice.size, text=q.text, area=q.area.name, multiple=q.multiple,
        options=[(oid, texts.get(oid, "")) for oid in answer.option_order],
        feedback=_feedback(answer) if answer.is_correct is not None else None)


def _parse(selected) -> list[int]:
    if not isinstance(selected, list) or len(selected) > 50:
        raise _err("selected_invalid", _l("Choose an answer."), 422, "selected")
    out = set()
    for v in selected:
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise _err("selected_invalid", _l("Choose an answer."), 422, "selected")
        out.add(v)
    return sorted(out)


def answer(practice: PracticeSession, position: int, selected, now: datetime | None = None) -> Feedback:
    """Check one answer at once; the key and explanation come back for this question only."""
    now = now or utcnow()
    item = _answer_at(practice, position)
    if practice.finished_at is not None or time_up(practice, now):
        finish(practice, now)
        raise _err("time_up", _l("This practice set is over."), 409)
    if item.is_correct is not None:
        raise _err("already_answered", _l("You have already answered this question."), 409)
    chosen = _parse(selected)
    if not chosen:
        raise _err("selected_invalid", _l("Choose an answer."), 422, "selected")
    check_choice(chosen, item.option_order, item.question.multiple, status=422)  # the contest's own checks
    item.selected = chosen
    item.is_correct = answer_is_right(chosen, item.question.correct_option_ids)
    item.answered_at = now
    if next_position(practice) is None:
        practice.finished_at = now
    db.session.flush()
    return _feedback(item)


def finish(practice: PracticeSession, now: datetime | None = None) -> None:
    if practice.finished_at is None:
        practice.finished_at = now or utcnow()
        db.session.flush()


@dataclass
class Missed:
    position: int
    text: str
    answered: bool  # answered wrong (True) or not answered (False)


@dataclass
class Summary:
    total: int
    answered: int
    right: int
    missed: list[Missed] = field(default_factory=list)  # wrong or unanswered, in order

    @property
    def percent(self) -> int:
        return round(100 * self.right / self.answered) if self.answered else 0


def summary(practice: PracticeSession) -> Summary:
    answered = [a for a in practice.answers if a.is_correct is not None]
    missed = [Missed(a.position, a.question.text, a.is_correct is not None)
              for a in sorted(practice.answers, key=lambda a: a.position) if not a.is_correct]
    return Summary(practice.size, len(answered), sum(1 for a in answered if a.is_correct), missed)


# --- progress -----------------------------------------------------------------------

@dataclass
class AreaProgress:
    area: ReformArea | None  # None: the whole bank
    practised: int  # distinct questions (lineages) answered at least once
    total: int  # approved questions in the area
    answered: int  # answers given
    right: int

    @property
    def percent_right(self) -> int:
        return round(100 * self.right / self.answered) if self.answered else 0


def progress(user_id: int) -> list[AreaProgress]:
    """Per reform area, then the whole bank first: "Bạn đã ôn 120/320 câu, đúng 78 %"."""
    offered = practisable().subquery()  # what may be practised now (the study set)
    totals = dict(db.session.execute(
        sa.select(Question.area_id, sa.func.count(sa.distinct(Question.lineage)))
        .join(offered, offered.c.id == Question.id).group_by(Question.area_id)).all())
    answered = db.session.execute(
        sa.select(Question.area_id, sa.func.count(sa.distinct(Question.lineage)), sa.func.count(PracticeAnswer.id),
                  sa.func.sum(sa.case((PracticeAnswer.is_correct.is_(True), 1), else_=0)))
        .join(PracticeAnswer, PracticeAnswer.question_id == Question.id)
        .join(PracticeSession, PracticeSession.id == PracticeAnswer.session_id)
        .where(PracticeSession.user_id == user_id, PracticeAnswer.is_correct.is_not(None))
        .group_by(Question.area_id)).all()
    by_area = {r[0]: r for r in answered}
    rows = []
    for area in db.session.scalars(sa.select(ReformArea).order_by(ReformArea.position, ReformArea.id)):
        _a, seen, n, right = by_area.get(area.id, (area.id, 0, 0, 0))
        if totals.get(area.id) or n:
            rows.append(AreaProgress(area, int(seen), int(totals.get(area.id, 0)), int(n), int(right or 0)))
    whole = AreaProgress(None, sum(r.practised for r in rows), sum(r.total for r in rows),
                         sum(r.answered for r in rows), sum(r.right for r in rows))
    return [whole] + rows
