"""Drawing an attempt's questions: the draw itself, what entrants are shown of a
question (cached per process), and how often each question has been drawn.

The draw prefers, within each quota cell, the questions drawn least often
(``questions.times_drawn``, random among ties, as Moodle does) so the whole
bank gets used.  Those counters only steer that preference; the record of
what was drawn is ``attempt_questions``.

Two fairness rules apply inside the same draw (no query per question):

* exclusion groups: questions that reveal each other share
  ``questions.exclusion_group``, and an attempt never holds two of a group;
* a per-round pool (``rounds.fresh_questions``): questions some attempt of an
  earlier round of the contest drew are avoided while the cell has enough
  others (``used_in_earlier_rounds``, read once a minute per process).
"""
from __future__ import annotations

import bisect
import functools
import logging
import operator
import random
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.bank.models import Option, Question, QuestionStatus
from quizapp.core.db import db
from quizapp.core.errors import ServiceError, message_text

log = logging.getLogger(__name__)


def fresh_rng() -> random.Random:
    """A generator for one draw, seeded with 128 fresh bits from the OS: as
    unpredictable from one start to the next as ``SystemRandom``, which costs a
    system call per random number (a 200-question pool shuffle: ~0.6 ms)."""
    return random.Random(secrets.randbits(128))


class PoolEntry(NamedTuple):
    """An approved question a round may draw, with how often it has been drawn."""
    id: int
    area_id: int
    difficulty: int
    times_drawn: int
    group: str = ""  # exclusion group ("" = none)

    @classmethod
    def parse(cls, entry: str) -> "PoolEntry":
        """From "id:area:difficulty:times_drawn:group" (the start's one-SELECT aggregate)."""
        qid, area_id, difficulty, times_drawn, *group = entry.split(":", 4)
        return cls(int(qid), int(area_id), int(difficulty), int(times_drawn), group[0] if group else "")


def drawable(area_ids) -> tuple:
    """The questions a round may draw: approved ones of its quota's areas
    (``area_ids``: ids, or a subquery selecting them), never the practice study set's."""
    return (Question.area_id.in_(area_ids), Question.status == QuestionStatus.APPROVED,
            Question.for_practice.is_(False))


def draw_questions(quotas, rng: random.Random | None = None, pool: list[PoolEntry] | None = None,
                   avoid: frozenset[int] | set[int] = frozenset()) -> list[int]:
    """Question ids for one attempt, drawn within a round's quota.

    ``quotas``: the round's quota cells, anything with ``area_id``,
    ``difficulty`` (0 = any) and ``count`` (``Round.quotas`` or ``Quota``).
    ``pool``: the approved questions of the quota's areas, read here if not
    given (the start of an attempt reads it with its other checks).
    Within each quota cell the least-drawn questions are preferred (lowest
    ``times_drawn`` plus this process's draws not yet counted, random among
    ties) so the whole bank gets used.  Cells with a fixed difficulty are
    filled before "any difficulty" cells of the same area, and a question is
    never drawn twice.  At most one question of each exclusion group is drawn,
    and questions in ``avoid`` (used by earlier rounds) are taken only when a
    cell has too few others.
    """
    rng = rng or fresh_rng()
    quotas = sorted(quotas, key=lambda q: (q.difficulty == 0, q.area_id, q.difficulty))
    if not quotas:
        raise ServiceError("round_has_no_questions", message_text(_l("This round has no questions yet.")), 409)
    if pool is None:
        pool = [PoolEntry(*r[:4], r[4] or "") for r in db.session.execute(
            sa.select(Question.id, Question.area_id, Question.difficulty, Question.times_drawn,
                      Question.exclusion_group)
            .where(*drawable({q.area_id for q in quotas}))
        )]
    pool = with_uncounted_draws(pool)
    grouped = any(r.group for r in pool)
    chosen: list[int] = []
    taken: set[int] = set()
    groups: set[str] = set()
    for quota in quotas:
        cell = [r for r in pool if r.area_id == quota.area_id and r.id not in taken
                and (quota.difficulty == 0 or r.difficulty == quota.difficulty)
                and not (r.group and r.group in groups)]
        parts = [cell]
        if avoid:
            fresh = [r for r in cell if r.id not in avoid]
            parts = [fresh] if len(fresh) >= quota.count else [fresh, [r for r in cell if r.id in avoid]]
        need = quota.count
        for part in parts:
            picked = _pick_grouped(part, need, rng, groups) if grouped else _least_drawn(part, min(need, len(part)), rng)
            for r in picked:
                chosen.append(r.id)
                taken.add(r.id)
            need -= len(picked)
            if not need:
                break
        if need:
            raise ServiceError("bank_too_small", message_text(
                _l("The question bank does not have enough approved questions for this round.")), 409)
    return chosen


def _pick_grouped(cell: list[PoolEntry], count: int, rng: random.Random, groups: set[str]) -> list[PoolEntry]:
    """Up to ``count`` entries, least drawn first (random among ties), at most one per
    exclusion group (``groups``: the groups already drawn, updated).  Most draws take no two
    of a group anyway: the usual least-drawn pick is kept then, and only a clash falls back
    to walking the whole cell in random least-drawn order."""
    picked = _least_drawn(list(cell), min(count, len(cell)), rng)
    chosen = [r.group for r in picked if r.group]
    if len(set(chosen)) == len(chosen) and not groups.intersection(chosen):
        groups.update(chosen)
        return picked
    cell = list(cell)
    rng.shuffle(cell)
    cell.sort(key=_times_drawn)
    out = []
    for r in cell:
        if len(out) == count:
            break
        if r.group:
            if r.group in groups:
                continue
            groups.add(r.group)
        out.append(r)
    return out


def _least_drawn(cell: list[PoolEntry], count: int, rng: random.Random) -> list[PoolEntry]:
    """``count`` entries (0 < count <= len(cell), or none) of the cell with the lowest ``times_drawn``, random among
    equal counts, least drawn first: the same as shuffling the cell and sorting
    it by count, but shuffling only what is taken (a cell may hold hundreds)."""
    if count <= 0:
        return []
    cell.sort(key=_times_drawn)
    last = cell[count - 1].times_drawn  # the count of the last tier that is (partly) taken
    below = bisect.bisect_left(cell, last, key=_times_drawn)
    tier_end = bisect.bisect_right(cell, last, lo=below, key=_times_drawn)
    taken = cell[:below]
    rng.shuffle(taken)
    taken.sort(key=_times_drawn)
    return taken + rng.sample(cell[below:tier_end], count - below)


_times_drawn = operator.attrgetter("times_drawn")


# Seconds a process keeps the set of questions earlier rounds drew (for a
# per-round pool); an earlier round still open adds to it meanwhile.
USED_BEFORE_SECONDS = 60.0


def used_in_earlier_rounds(contest_id: int, number: int) -> frozenset[int]:
    """Question ids some attempt of the contest's rounds numbered below ``number``
    drew: one query per process and minute, not per start."""
    from quizapp.contests.quotas import used_question_ids

    cache = current_app.extensions.setdefault("quizapp.used_before", {})
    now = time.monotonic()
    hit = cache.get((contest_id, number))
    if hit is not None and hit[0] > now:
        return hit[1]
    ids = frozenset(used_question_ids(contest_id, number))
    if len(cache) > 1000:
        cache.clear()
    cache[(contest_id, number)] = (now + float(current_app.config.get("USED_BEFORE_SECONDS", USED_BEFORE_SECONDS)),
                                   ids)
    return ids


# ---------------------------------------------------------------------------
# What entrants are shown of a question
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionContent:
    """What an entrant is shown of a question: never which options are correct."""
    text: str
    multiple: bool
    options: tuple[tuple[int, str], ...]  # (option id, text) in bank order


# Questions kept in each process's content cache (a bank holds hundreds to a few thousand).
QUESTION_CONTENT_CACHE_SIZE = 20_000


def question_content(question_ids: list[int]) -> dict[int, QuestionContent]:
    """The questions' texts and options, from a per-process cache.

    A question row and its options never change once written (an edit or a
    changed import adds a new version with a new id; only status and review
    flags change in place, see bank.versions), and question rows are never
    deleted, so an id always names the same content and the cache needs no
    invalidation.  It is kept per app (one database each) and bounded.  After
    restoring an older database backup into a running deployment, restart it.
    """
    cache = current_app.extensions.setdefault("quizapp.question_content", {})
    out = {qid: cache.get(qid) for qid in question_ids}
    missing = [qid for qid, content in out.items() if content is None]
    if missing:
        found: dict[int, tuple[str, bool, list]] = {}
        for r in db.session.connection().execute(_content_statement(), {"p_ids": missing}).all():
            found.setdefault(r.question_id, (r.question_text, r.multiple, []))[2].append((r.id, r.text))
        if len(cache) + len(found) > QUESTION_CONTENT_CACHE_SIZE:
            cache.clear()
        for qid, (text, multiple, options) in found.items():
            out[qid] = cache[qid] = QuestionContent(text, multiple, tuple(options))
    return out


@functools.cache
def _content_statement():
    return (sa.select(Option.question_id, Option.id, Option.text, Question.text.label("question_text"),
                      Question.multiple)
            .join(Question, Question.id == Option.question_id)
            .where(Option.question_id.in_(sa.bindparam("p_ids", expanding=True)))
            .order_by(Option.question_id, Option.position))


# ---------------------------------------------------------------------------
# Counting draws (questions.times_drawn)
# ---------------------------------------------------------------------------
#
# Concurrent starts prefer the same least-drawn questions.  Incrementing those
# rows inside each start's transaction made every start wait for the previous
# one's row locks, held until its COMMIT had reached the disk: starts queued
# behind each other (with two workers the benchmark lost a tenth of its start
# throughput to it; more workers would queue longer).  So the counts are
# raised outside the start: each process tallies what its committed starts
# drew and adds the tally to the rows in one short transaction at most every
# DRAW_COUNT_FLUSH_SECONDS (0: after every commit).  Until then the process
# adds its own uncounted draws to the counts it reads, so it never prefers
# what it has just drawn; other processes see them within the interval.  A
# process that dies loses at most that interval's tally: the counts steer a
# preference, they are not a record.

def forget_process_state(app) -> None:
    """Drop this process's question content cache and uncounted draws (tests empty the
    database and restart ids between tests; the cache relies on ids never being reused)."""
    app.extensions.pop("quizapp.question_content", None)
    app.extensions.pop("quizapp.draw_tally", None)
    app.extensions.pop("quizapp.used_before", None)


class _Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uncounted: Counter[int] = Counter()
        self.flushed_at = time.monotonic()


def _tally() -> _Tally:
    return current_app.extensions.setdefault("quizapp.draw_tally", _Tally())


def count_draws_at_commit(question_ids: list[int]) -> None:
    """Count these draws once the current transaction commits (forgotten if it rolls back)."""
    db.session.info.setdefault("quizapp_draws", []).extend(question_ids)


def with_uncounted_draws(pool: list[PoolEntry]) -> list[PoolEntry]:
    uncounted = _tally().uncounted
    if not uncounted:
        return pool
    return [e._replace(times_drawn=e.times_drawn + uncounted[e.id]) if e.id in uncounted else e for e in pool]


def flush_draw_counts(force: bool = False) -> int:
    """Add the tally to ``questions.times_drawn`` if the interval has passed (or
    ``force``); returns how many questions were updated.  On a database error
    the tally is kept for the next flush."""
    tally = _tally()
    interval = float(current_app.config.get("DRAW_COUNT_FLUSH_SECONDS", 1.0))
    with tally.lock:
        if not tally.uncounted or (not force and time.monotonic() - tally.flushed_at < interval):
            return 0
        items = sorted(tally.uncounted.items())  # id order: concurrent flushes lock rows in one order
        tally.uncounted.clear()
        tally.flushed_at = time.monotonic()
    try:
        with db.engine.begin() as conn:
            conn.execute(_count_statement(), [{"p_id": qid, "p_n": n} for qid, n in items])
    except sa.exc.SQLAlchemyError:
        log.warning("draw counts not saved yet (%d questions); will retry", len(items), exc_info=True)
        with tally.lock:
            tally.uncounted.update(dict(items))
        return 0
    return len(items)


@functools.cache
def _count_statement():
    table = Question.__table__
    return (sa.update(table).where(table.c.id == sa.bindparam("p_id"))
            .values(times_drawn=table.c.times_drawn + sa.bindparam("p_n")))


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _tally_committed_draws(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; wait for the real commit
    ids = session.info.pop("quizapp_draws", None)
    if not ids:
        return
    tally = _tally()
    with tally.lock:
        tally.uncounted.update(ids)
    flush_draw_counts()


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_draws(session) -> None:
    """The transaction rolled back: its attempts do not exist, nor do their draws."""
    session.info.pop("quizapp_draws", None)
