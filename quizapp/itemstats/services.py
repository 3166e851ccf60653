"""Item statistics: load a sample of attempts, compute (engine), store, read back.

Long work, never in a request: ``run_item_statistics`` is the job (kind
``itemstats.compute``, see tasks.py) that the organiser's "compute now" queues
through ``request_computation`` / ``dispatch``; ``compute_pending`` is what the
consumer's periodic task runs every 10 minutes for the rounds that closed (and
were finalised) without statistics; ``flask stats compute`` calls the same by hand.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.bank.models import Option, Question
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.core.spreadsheet import safe_cell
from quizapp.itemstats import engine
from quizapp.itemstats.models import ItemStatistic, SampleStatistic, StatsScope

Progress = Callable[[int, int], None]
COMPUTE_JOB = "itemstats.compute"


def _no_progress(done: int, total: int) -> None:
    return None


# --- loading a sample --------------------------------------------------------

def _in_scope(stmt, scope: StatsScope, scope_id: int):
    stmt = stmt.where(Attempt.status == AttemptStatus.SUBMITTED)
    if scope == StatsScope.ROUND:
        return stmt.where(Attempt.round_id == scope_id)
    if scope == StatsScope.CONTEST:
        return stmt.where(Attempt.round_id.in_(sa.select(Round.id).where(Round.contest_id == scope_id)))
    return stmt


def _kept_attempts(scope: StatsScope, scope_id: int) -> set[int]:
    """Each entrant's lowest-numbered submitted attempt in each round of the scope."""
    first: dict[tuple[int, int], tuple[int, int]] = {}
    for attempt_id, round_id, user_id, number in db.session.execute(
            _in_scope(sa.select(Attempt.id, Attempt.round_id, Attempt.user_id, Attempt.number), scope, scope_id)):
        key = (round_id, user_id)
        if key not in first or number < first[key][1]:
            first[key] = (attempt_id, number)
    return {a for a, _n in first.values()}


def load_sample(scope: StatsScope, scope_id: int = 0,
                all_attempts: bool = False) -> tuple[engine.Columns, dict[int, engine.ItemMeta]]:
    """The engine's input: one column entry per question shown, and the questions' options.

    First attempts only by default: each entrant's lowest-numbered submitted
    attempt in each round.  ``all_attempts`` keeps every submitted attempt, each
    as if by a different entrant.  Rows are streamed into compact columns, so the
    bank-wide sample of many rounds fits in memory."""
    keep = None if all_attempts else _kept_attempts(scope, scope_id)
    shown = _in_scope(sa.select(AttemptQuestion.question_id).distinct()
                      .join(Attempt, Attempt.id == AttemptQuestion.attempt_id), scope, scope_id)
    items = item_meta(set(db.session.scalars(shown)))
    positions = {qid: engine.option_positions(meta) for qid, meta in items.items()}
    stmt = _in_scope(
        sa.select(AttemptQuestion.attempt_id, AttemptQuestion.question_id, AttemptQuestion.is_correct,
                  AttemptQuestion.selected)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id), scope, scope_id,
    ).order_by(AttemptQuestion.attempt_id, AttemptQuestion.position).execution_options(yield_per=20_000)
    attempts, questions, correct, chosen = [], [], [], []
    for attempt_id, question_id, is_correct, selected in db.session.execute(stmt):
        if keep is not None and attempt_id not in keep:
            continue
        attempts.append(attempt_id)
        questions.append(question_id)
        correct.append(bool(is_correct))
        chosen.append(engine.chosen_mask(positions[question_id], selected))
    return engine.Columns.build(attempts, questions, correct, chosen), items


def item_meta(question_ids: set[int]) -> dict[int, engine.ItemMeta]:
    if not question_ids:
        return {}
    options: dict[int, list] = {}
    for qid, oid, correct in db.session.execute(
            sa.select(Option.question_id, Option.id, Option.is_correct)
            .where(Option.question_id.in_(question_ids)).order_by(Option.question_id, Option.position)):
        options.setdefault(qid, []).append((oid, correct))
    multiple = dict(db.session.execute(sa.select(Question.id, Question.multiple).where(Question.id.in_(question_ids))).all())
    return {
        qid: engine.ItemMeta(qid, tuple(o for o, _c in opts), frozenset(o for o, c in opts if c), bool(multiple.get(qid)))
        for qid, opts in options.items()
    }


# --- computing and storing -----------------------------------------------------

def compute_sample(scope: StatsScope, scope_id: int = 0, all_attempts: bool = False) -> int:
    """Compute one sample and replace its stored rows; returns the number of questions."""
    columns, items = load_sample(scope, scope_id, all_attempts)
    figures, test = engine.compute_columns(columns, items)
    now = utcnow()
    where = dict(scope=scope, scope_id=scope_id, all_attempts=all_attempts)
    db.session.execute(sa.delete(ItemStatistic).filter_by(**where))
    db.session.execute(sa.delete(SampleStatistic).filter_by(**where))
    db.session.add(SampleStatistic(**where, computed_at=now, **test.__dict__))
    db.session.add_all([
        ItemStatistic(**where, question_id=f.question_id, n=f.n, facility=f.facility, sd=f.sd,
                      random_guess=f.random_guess, discrimination=f.discrimination, efficiency=f.efficiency,
                      options=[o.as_dict() for o in f.options], flags=",".join(f.flags), computed_at=now)
        for f in figures.values()
    ])
    db.session.flush()
    return len(figures)


def _samples_for(params: dict) -> list[tuple[StatsScope, int]]:
    if params.get("round_id"):
        rnd = db.session.get(Round, int(params["round_id"]))
        if rnd is None:
            raise ServiceError("round_not_found", message_text(_l("This round does not exist.")), 404)
        return [(StatsScope.ROUND, rnd.id), (StatsScope.CONTEST, rnd.contest_id), (StatsScope.BANK, 0)]
    if params.get("contest_id"):
        contest = db.session.get(Contest, int(params["contest_id"]))
        if contest is None:
            raise ServiceError("contest_not_found", message_text(_l("This contest does not exist.")), 404)
        return [(StatsScope.CONTEST, contest.id), (StatsScope.BANK, 0)]
    return [(StatsScope.BANK, 0)]


def _compute_samples(samples: list[tuple[StatsScope, int]], progress: Progress) -> dict:
    """Both samples (first attempts, all attempts) of each scope, committed one by one."""
    total, done, counts = 2 * len(samples), 0, {}
    for scope, scope_id in samples:
        for all_attempts in (False, True):
            counts[(scope, scope_id, all_attempts)] = compute_sample(scope, scope_id, all_attempts)
            db.session.commit()
            done += 1
            progress(done, total)
    return counts


def run_item_statistics(params: dict, progress: Progress | None, output_dir) -> dict:
    """Job: compute the statistics after a round closes (or on demand).

    params: ``round_id`` (the round, its contest and the whole bank are
    recomputed), or ``contest_id`` (the contest and the bank), or neither
    (the bank across all rounds).  Both samples (first attempts, all
    attempts) are computed.  Writes a CSV of both samples' questions with their
    option analysis (``write_csv``) to ``output_dir`` and returns its path.  A job runs outside any request, so it commits
    each sample itself."""
    samples = _samples_for(params)
    counts = _compute_samples(samples, progress or _no_progress)
    scope, scope_id = samples[0]
    rows = item_rows(scope, scope_id, False)
    filename = f"thong-ke-cau-hoi-{scope.value}-{scope_id}.csv"
    path = Path(output_dir) / filename
    write_csv(path, scope, scope_id)
    return {"path": str(path), "filename": filename, "mimetype": "text/csv",
            "questions": counts[(scope, scope_id, False)],
            "flagged": sum(1 for r in rows if r.stat.flags and r.stat.n >= engine.MIN_N),
            "scope": scope.value, "scope_id": scope_id}


CSV_HEADER = ["sample", "question_id", "external_id", "n", "facility", "sd", "random_guess", "discrimination",
              "efficiency", "flags", "option", "key", "chosen", "upper_27", "lower_27", "point_biserial"]


def _option_label(position: int) -> str:
    return "ABCDEFGHIJ"[position] if position < 10 else str(position + 1)


def write_csv(path: Path, scope: StatsScope, scope_id: int) -> None:
    """Both samples of a scope, one row per option of each question (the question's figures
    repeated on each, so a filter in Excel keeps them together); a question without options
    stored gets one row with the option columns empty.  Text cells go through ``safe_cell``
    (no formula runs when the file is opened)."""
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_HEADER)
        for all_attempts in (False, True):
            label = "all_attempts" if all_attempts else "first_attempts"
            for row in item_rows(scope, scope_id, all_attempts):
                s = row.stat
                head = [label, s.question_id, safe_cell(row.question.external_id or ""), s.n, s.facility, s.sd,
                        s.random_guess, s.discrimination, s.efficiency, s.flags]
                options = sorted(s.options or [], key=lambda o: o.get("position", 0))
                if not options:
                    out.writerow(head + [""] * 6)
                for o in options:
                    out.writerow(head + [_option_label(int(o.get("position", 0))), "yes" if o.get("correct") else "no",
                                         o.get("share"), o.get("upper"), o.get("lower"), o.get("point_biserial")])


def compute_pending(now=None, progress: Progress | None = None) -> list[int]:
    """The periodic task: statistics of every round that has closed and been finalised (its
    late attempts closed) and has none yet, then of their contests and of the whole bank, each
    sample once however many rounds closed.  Returns the rounds' ids."""
    rounds = [r for r in closed_rounds_without_statistics(now) if r.finalized_at is not None]
    if not rounds:
        return []
    samples = ([(StatsScope.ROUND, r.id) for r in rounds]
               + [(StatsScope.CONTEST, c) for c in sorted({r.contest_id for r in rounds})] + [(StatsScope.BANK, 0)])
    _compute_samples(samples, progress or _no_progress)
    return [r.id for r in rounds]


def dispatch(params: dict, requester_id: int | None = None):
    """Queue the job (it runs once the request's transaction commits) and return it."""
    from quizapp import jobs

    return jobs.start_job(COMPUTE_JOB, requester_id, params)


def request_computation(*, round_id: int | None = None, contest_id: int | None = None,
                        actor_id: int | None = None):
    """The organiser's "compute now": hand the job to ``dispatch`` (which queues it) and log it.
    Returns what ``dispatch`` returns: the job."""
    from quizapp.core import audit

    params = {"round_id": round_id} if round_id else {"contest_id": contest_id} if contest_id else {}
    _samples_for(params)  # 404 for an unknown round or contest before anything is queued
    audit.record(actor_id, "itemstats.compute", "round" if round_id else "contest" if contest_id else "bank",
                 round_id or contest_id)
    return dispatch(params, requester_id=actor_id)


# --- reading -----------------------------------------------------------------------

@dataclass
class ItemRow:
    stat: ItemStatistic
    question: Question

    @property
    def enough(self) -> bool:
        return self.stat.n >= engine.MIN_N


def sample(scope: StatsScope, scope_id: int = 0, all_attempts: bool = False) -> SampleStatistic | None:
    return db.session.scalar(sa.select(SampleStatistic).filter_by(scope=scope, scope_id=scope_id,
                                                                   all_attempts=all_attempts))


def item_rows(scope: StatsScope, scope_id: int = 0, all_attempts: bool = False,
              flagged_only: bool = False) -> list[ItemRow]:
    stmt = (sa.select(ItemStatistic, Question).join(Question, Question.id == ItemStatistic.question_id)
            .filter_by(scope=scope, scope_id=scope_id, all_attempts=all_attempts))
    rows = [ItemRow(s, q) for s, q in db.session.execute(stmt).all()]
    if flagged_only:
        rows = [r for r in rows if r.enough and r.stat.flags]
    # Flagged questions first, then by facility.
    rows.sort(key=lambda r: (not (r.enough and r.stat.flags), r.stat.facility if r.stat.facility is not None else 101,
                             r.question.id))
    return rows


@dataclass
class QuestionFigures:
    label: str
    scope: StatsScope
    scope_id: int
    stat: ItemStatistic

    @property
    def enough(self) -> bool:
        return self.stat.n >= engine.MIN_N


def figures_for_question(question_id: int, all_attempts: bool = False) -> list[QuestionFigures]:
    """The question's figures: across all rounds first, then per round (newest first)."""
    stats = db.session.scalars(sa.select(ItemStatistic).filter_by(question_id=question_id, all_attempts=all_attempts)
                               .where(ItemStatistic.scope != StatsScope.CONTEST)).all()
    round_ids = [s.scope_id for s in stats if s.scope == StatsScope.ROUND]
    rounds = {r.id: r for r in db.session.scalars(
        sa.select(Round).where(Round.id.in_(round_ids)).options(sa.orm.joinedload(Round.contest)))} if round_ids else {}
    out = []
    for s in stats:
        if s.scope == StatsScope.BANK:
            out.append(QuestionFigures("", s.scope, 0, s))
        elif s.scope_id in rounds:
            r = rounds[s.scope_id]
            out.append(QuestionFigures(f"{r.contest.title} – {r.title}", s.scope, s.scope_id, s))
    out.sort(key=lambda f: (f.scope != StatsScope.BANK, -f.scope_id))
    return out


def flagged_question_ids(question_ids: list[int]) -> dict[int, list[str]]:
    """Flags from the whole-bank sample (first attempts) for the listed questions."""
    if not question_ids:
        return {}
    rows = db.session.execute(sa.select(ItemStatistic.question_id, ItemStatistic.flags, ItemStatistic.n).filter_by(
        scope=StatsScope.BANK, scope_id=0, all_attempts=False).where(ItemStatistic.question_id.in_(question_ids)))
    return {qid: flags.split(",") for qid, flags, n in rows if flags and n >= engine.MIN_N}


def rounds_with_statistics() -> list[tuple[Round, SampleStatistic]]:
    stmt = (sa.select(Round, SampleStatistic)
            .join(SampleStatistic, sa.and_(SampleStatistic.scope_id == Round.id, SampleStatistic.scope == StatsScope.ROUND,
                                           SampleStatistic.all_attempts.is_(False)))
            .options(sa.orm.joinedload(Round.contest))  # the page shows each round's contest
            .order_by(Round.closes_at.desc()))
    return [(r, s) for r, s in db.session.execute(stmt).all()]


def closed_rounds_without_statistics(now=None) -> list[Round]:
    now = now or utcnow()
    have = sa.select(SampleStatistic.scope_id).where(SampleStatistic.scope == StatsScope.ROUND)
    return list(db.session.scalars(sa.select(Round).where(Round.closes_at <= now, Round.id.not_in(have))
                                   .options(sa.orm.joinedload(Round.contest)).order_by(Round.closes_at.desc())))
