"""Re-grading a round after a question's key was corrected, or voiding the question.

Moodle calls it "regrade attempts". The organiser corrects the key in the bank (a new version
of the question); attempts keep pointing at the version they showed, graded with the old key.
From the corrected question or from the round, a **dry run** lists whose score and place would
change; **applying** it (a job: ``REGRADE_JOB``) rewrites the marks and scores of the submitted
attempts, points each standing at the attempt that now counts, fixes the true prediction figure
of a finalised round (it counts perfect papers), and drops the cached rankings, statistics and
unit rankings so they are recomputed. Or the question is **voided**: everyone gets it
(``void_all``) or it drops from the maximum (``void_drop``).

Each changed attempt keeps a ``RegradeChange`` (the entrant's history shows it); the run is
audited; certificates already issued whose holder's result changed are listed to the organiser
(``flagged_awards``) and never changed.

Owns: the three modes, the dry run (the real change inside a SAVEPOINT, rolled back, with the
places before and after read from the real ranking) and the job.
Must not: rank (``leaderboards.ranking``) or touch certificates.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp import jobs
from quizapp.attempts.grading import answer_is_right
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, RegradeChange
from quizapp.auth.models import User
from quizapp.bank.models import Option, Question
from quizapp.contests.models import CountedAttempt, PredictionMode, Round
from quizapp.core import audit
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError, message_text

MODES = ("key", "void_all", "void_drop")
REGRADE_JOB = "attempts.regrade"


def _err(code: str, message, status: int = 400, field: str | None = None) -> ServiceError:
    return ServiceError(code, message_text(message), status, field)


@dataclass(frozen=True)
class Change:
    user_id: int
    full_name: str
    old_score: int | None
    new_score: int | None
    old_max: int | None
    new_max: int | None
    old_rank: int | None
    new_rank: int | None


@dataclass(frozen=True)
class Preview:
    round_id: int
    question_id: int
    mode: str
    attempts: int  # submitted attempts whose score changes
    in_progress: int  # attempts still open: graded by the old key when submitted (re-grade again later)
    changes: list  # [Change]: entrants whose counted score or place changes
    truth_before: str | None
    truth_after: str | None

    def as_dict(self) -> dict:
        return {**asdict(self), "changes": [asdict(c) for c in self.changes]}


# --- what can be re-graded -----------------------------------------------------------------

def load_question(question_id: int) -> Question:
    q = db.session.get(Question, question_id)
    if q is None:
        raise _err("question_not_found", _l("This question does not exist."), 404)
    return q


def load_round(round_id: int) -> Round:
    rnd = db.session.get(Round, round_id)
    if rnd is None:
        raise _err("round_not_found", _l("This round does not exist."), 404)
    return rnd


def _lineage_ids(q: Question) -> list[int]:
    return list(db.session.scalars(sa.select(Question.id).where(Question.lineage == q.lineage)))


def current_version(q: Question) -> Question:
    """The question's latest version: the one with the corrected key."""
    return db.session.scalars(sa.select(Question).where(Question.lineage == q.lineage)
                              .order_by(Question.version.desc())).first()


def rounds_of_question(question_id: int) -> list[Round]:
    """The rounds whose attempts drew any version of the question (for the question's page)."""
    q = load_question(question_id)
    return list(db.session.scalars(
        sa.select(Round).where(Round.id.in_(
            sa.select(Attempt.round_id).join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)
            .where(AttemptQuestion.question_id.in_(_lineage_ids(q)))))
        .order_by(Round.contest_id, Round.number)))


def questions_of_round(round_id: int) -> list[tuple[Question, int]]:
    """(latest version, attempts that drew it) for every question the round's attempts drew."""
    load_round(round_id)
    rows = db.session.execute(
        sa.select(Question.lineage, sa.func.count(sa.distinct(AttemptQuestion.attempt_id)))
        .join(AttemptQuestion, AttemptQuestion.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.round_id == round_id).group_by(Question.lineage)).all()
    out = []
    for lineage, n in rows:
        latest = db.session.scalars(sa.select(Question).where(Question.lineage == lineage)
                                    .order_by(Question.version.desc())).first()
        out.append((latest, int(n)))
    out.sort(key=lambda x: (x[0].external_id or "", x[0].id))
    return out


def _keys_for(drawn_ids: set[int], corrected: Question) -> dict[int, set[int]]:
    """The corrected key in each drawn version's own option ids (options matched by position)."""
    key_positions = {o.position for o in corrected.options if o.is_correct}
    count = len(corrected.options)
    out: dict[int, set[int]] = {}
    for qid in drawn_ids:
        opts = db.session.execute(sa.select(Option.id, Option.position).where(Option.question_id == qid)).all()
        if len(opts) != count:
            raise _err("options_differ", _l(
                "The corrected question has %(new)d options and the version entrants saw has %(old)d: "
                "the key cannot be carried over. Void the question instead.", new=count, old=len(opts)), 409,
                "mode")
        out[qid] = {oid for oid, pos in opts if pos in key_positions}
    return out


# --- the change itself ---------------------------------------------------------------------

def _places(rnd: Round) -> dict[int, int]:
    from quizapp.leaderboards import ranking

    return {e.user_id: e.rank for e in ranking.rank_round(rnd.id)}


def _standings(rnd: Round) -> dict[int, tuple[int, int]]:
    from quizapp.leaderboards.models import Standing

    return {u: (s, m) for u, s, m in db.session.execute(
        sa.select(Standing.user_id, Standing.score, Standing.max_score).where(Standing.round_id == rnd.id))}


def _recount_standings(rnd: Round, user_ids: set[int]) -> None:
    """Point each entrant's standing at the attempt that counts now (the round's own rule)."""
    from quizapp.leaderboards.models import Standing
    from quizapp.leaderboards.standings import attempt_sort_key, comparison_keys

    truth = rnd.prediction_truth if rnd.finalized_at is not None else None
    sort_key = attempt_sort_key(comparison_keys(rnd.contest.ranking_order, rnd.prediction_mode, truth), truth)
    rows = db.session.execute(
        sa.select(Attempt.id, Attempt.user_id, Attempt.unit_id, Attempt.category, Attempt.score, Attempt.max_score,
                  Attempt.duration_ms, Attempt.prediction, Attempt.submitted_at)
        .where(Attempt.round_id == rnd.id, Attempt.status == AttemptStatus.SUBMITTED,
               Attempt.user_id.in_(user_ids))).all()
    by_user: dict[int, list] = defaultdict(list)
    for r in rows:
        by_user[r.user_id].append(r)
    for user_id, attempts in by_user.items():
        if rnd.counted_attempt == CountedAttempt.FIRST:
            row = min(attempts, key=lambda a: (a.submitted_at, a.id))
        elif rnd.counted_attempt == CountedAttempt.LAST:
            row = max(attempts, key=lambda a: (a.submitted_at, a.id))
        else:
            row = sorted(attempts, key=lambda a: (sort_key(a), a.id))[0]
        db.session.execute(
            sa.update(Standing).where(Standing.round_id == rnd.id, Standing.user_id == user_id)
            .values(attempt_id=row.id, unit_id=row.unit_id, category=row.category, score=row.score,
                    max_score=row.max_score, duration_ms=row.duration_ms, prediction=row.prediction,
                    submitted_at=row.submitted_at)
            .execution_options(synchronize_session=False))


def _change(rnd: Round, corrected: Question, mode: str, actor_id: int | None, dry_run: bool) -> Preview:
    from quizapp.leaderboards import ranking

    drawn = set(db.session.scalars(
        sa.select(AttemptQuestion.question_id).distinct().join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.round_id == rnd.id, AttemptQuestion.question_id.in_(_lineage_ids(corrected)))))
    if not drawn:
        raise _err("question_not_in_round", _l("No attempt of this round drew this question."), 404, "question_id")
    keys = _keys_for(drawn, corrected) if mode == "key" else {}
    rows = db.session.execute(
        sa.select(AttemptQuestion.id, AttemptQuestion.attempt_id, AttemptQuestion.question_id,
                  AttemptQuestion.selected, AttemptQuestion.is_correct, Attempt.status)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.round_id == rnd.id, AttemptQuestion.question_id.in_(drawn))).all()
    in_progress = sum(1 for r in rows if r.status != AttemptStatus.SUBMITTED)
    rows = [r for r in rows if r.status == AttemptStatus.SUBMITTED]
    places_before, standing_before = _places(rnd), _standings(rnd)
    truth_before = ranking.number_text(rnd.prediction_truth) if rnd.finalized_at is not None else None
    delta: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # attempt id → [score, max]
    marks: dict[int, bool | None] = {}
    for r in rows:
        was = bool(r.is_correct)
        if mode == "key":
            now = answer_is_right(r.selected, keys[r.question_id])
        elif mode == "void_all":
            now = True
        else:
            now = None  # dropped: neither right nor wrong
            delta[r.attempt_id][1] -= 1
        marks[r.id] = now
        delta[r.attempt_id][0] += int(bool(now)) - int(was)
    changed_attempts = {a: d for a, d in delta.items() if d != [0, 0]}
    savepoint = db.session.begin_nested()
    try:
        for aq_id, now in marks.items():
            db.session.execute(sa.update(AttemptQuestion).where(AttemptQuestion.id == aq_id)
                               .values(is_correct=now).execution_options(synchronize_session=False))
        old_scores = dict((a, (s, m)) for a, s, m in db.session.execute(
            sa.select(Attempt.id, Attempt.score, Attempt.max_score).where(Attempt.id.in_(list(changed_attempts)))))
        for attempt_id, (ds, dm) in changed_attempts.items():
            db.session.execute(sa.update(Attempt).where(Attempt.id == attempt_id)
                               .values(score=Attempt.score + ds, max_score=Attempt.max_score + dm)
                               .execution_options(synchronize_session=False))
        users = set(db.session.scalars(sa.select(Attempt.user_id).where(Attempt.id.in_(list(changed_attempts)))))
        _recount_standings(rnd, users)
        truth_after = truth_before
        if rnd.finalized_at is not None and rnd.prediction_mode != PredictionMode.OFF:
            rnd.prediction_truth = ranking.live_truth(rnd)  # perfect papers may have changed
            truth_after = ranking.number_text(rnd.prediction_truth)
            db.session.flush()
            from quizapp.leaderboards.standings import reconsider_best_attempts

            reconsider_best_attempts(rnd)
        db.session.flush()
        places_after, standing_after = _places(rnd), _standings(rnd)
        names = dict(db.session.execute(sa.select(User.id, User.full_name).where(
            User.id.in_(set(places_before) | set(places_after)))).all())
        changes = []
        for uid in sorted(set(places_before) | set(places_after)):
            b, a = standing_before.get(uid), standing_after.get(uid)
            if b == a and places_before.get(uid) == places_after.get(uid):
                continue
            changes.append(Change(uid, names.get(uid, ""), b[0] if b else None, a[0] if a else None,
                                  b[1] if b else None, a[1] if a else None, places_before.get(uid),
                                  places_after.get(uid)))
        changes.sort(key=lambda c: (c.new_rank or 10**9, c.user_id))
        if dry_run:
            savepoint.rollback()
        else:
            now_at = utcnow()
            for attempt_id, (ds, dm) in changed_attempts.items():
                s, m = old_scores[attempt_id]
                db.session.add(RegradeChange(attempt_id=attempt_id, question_id=corrected.id, mode=mode,
                                             old_score=s or 0, new_score=(s or 0) + ds, old_max_score=m,
                                             new_max_score=m + dm, actor_id=actor_id, created_at=now_at))
            savepoint.commit()
            audit.record(actor_id, "attempts.regrade" if mode == "key" else "attempts.regrade_void", "round", rnd.id,
                         contest_id=rnd.contest_id, question_id=corrected.id, mode=mode,
                         count=len(changed_attempts), places=len(changes))
            db.session.flush()
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    if dry_run:
        db.session.expire_all()
    return Preview(rnd.id, corrected.id, mode, len(changed_attempts), in_progress, changes, truth_before,
                   truth_after)


def _check(round_id: int, question_id: int, mode: str) -> tuple[Round, Question]:
    if mode not in MODES:
        raise _err("mode_unknown", _l("Choose how to re-grade: the corrected key, everyone gets it, or drop it."),
                   422, "mode")
    rnd = load_round(round_id)
    return rnd, current_version(load_question(question_id))


def dry_run(round_id: int, question_id: int, mode: str) -> Preview:
    """Whose score and place would change: the change made inside a savepoint, then undone."""
    rnd, corrected = _check(round_id, question_id, mode)
    return _change(rnd, corrected, mode, None, dry_run=True)


def apply(round_id: int, question_id: int, mode: str, actor_id: int | None) -> Preview:
    """Re-grade for real (the job calls it); the caller commits."""
    rnd, corrected = _check(round_id, question_id, mode)
    preview = _change(rnd, corrected, mode, actor_id, dry_run=False)
    from quizapp.leaderboards.cache import cache_for

    cache_for(current_app).clear()  # snapshots, statistics, unit rankings: recomputed from the new standings
    return preview


def start_apply(round_id: int, question_id: int, mode: str, actor_id: int | None):
    """Apply as a job (its page shows progress, then the result)."""
    _check(round_id, question_id, mode)
    return jobs.start_job(REGRADE_JOB, actor_id, {"round_id": round_id, "question_id": question_id, "mode": mode,
                                                  "actor_id": actor_id})


def run_regrade(params: dict, progress, output_dir=None) -> dict:
    progress(0, 1)
    preview = apply(int(params["round_id"]), int(params["question_id"]), str(params["mode"]),
                    params.get("actor_id"))
    db.session.commit()
    progress(1, 1)
    return {"round_id": preview.round_id, "attempts": preview.attempts, "places": len(preview.changes),
            "message": message_text(_l("Re-graded: %(n)d attempts changed.", n=preview.attempts))}


jobs.register(REGRADE_JOB, run_regrade, label=_l("Re-grading"))


# --- what the organiser and the entrant are told afterwards ------------------------------

@dataclass(frozen=True)
class FlaggedAward:
    award_id: int
    recipient_name: str
    prize: str
    issued_score: int | None
    issued_rank: int | None
    score_now: int | None


def flagged_awards(round_id: int) -> list[FlaggedAward]:
    """Certificates already issued (for the round, or contest-wide) to entrants whose result in
    the round a re-grade changed after the certificate was issued: to be reviewed by the organiser,
    never changed by the re-grade."""
    from quizapp.campaign.models import Award
    from quizapp.leaderboards.models import Standing

    rnd = load_round(round_id)
    changed = (sa.select(Attempt.user_id, sa.func.max(RegradeChange.created_at).label("at"))
               .join(RegradeChange, RegradeChange.attempt_id == Attempt.id)
               .where(Attempt.round_id == round_id).group_by(Attempt.user_id).subquery())
    rows = db.session.execute(
        sa.select(Award, Standing.score)
        .join(changed, changed.c.user_id == Award.user_id)
        .outerjoin(Standing, (Standing.user_id == Award.user_id) & (Standing.round_id == round_id))
        .where(Award.contest_id == rnd.contest_id, sa.or_(Award.round_id == round_id, Award.round_id.is_(None)),
               Award.created_at <= changed.c.at)
        .order_by(Award.id)).all()
    return [FlaggedAward(a.id, a.recipient_name, a.prize or "", a.score, a.rank, score)
            for a, score in rows]


def changes_of_attempts(attempt_ids: list[int]) -> dict[int, list[RegradeChange]]:
    """The re-grades of each attempt, oldest first (the entrant's history shows them)."""
    out: dict[int, list[RegradeChange]] = defaultdict(list)
    if attempt_ids:
        for c in db.session.scalars(sa.select(RegradeChange).where(RegradeChange.attempt_id.in_(attempt_ids))
                                    .order_by(RegradeChange.id)):
            out[c.attempt_id].append(c)
    return out
