"""The contest engine's rules, tested on the services directly."""
from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quizapp.attempts import draws
from quizapp.attempts import answers as attempt_answers
from quizapp.attempts import errors as attempt_errors
from quizapp.attempts import prediction as attempt_prediction
from quizapp.attempts import review as attempt_review
from quizapp.attempts import shown as attempt_shown
from quizapp.attempts import start as attempt_start
from quizapp.attempts import submit as attempt_submit
from quizapp.attempts import sweep as attempt_sweep
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.attempts.option_ids import OptionIds
from quizapp.bank.models import Option, Question, QuestionStatus
from quizapp.contests.models import ContestStatus, CountedAttempt, Grant, PredictionMode
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.leaderboards.models import Standing


def bank(make, n=6, area="TC", **kw):
    return [make.question(area_code=area, **kw) for _ in range(n)]


def sid(aq, oid):
    """The id the entrant is shown for a real option id (per attempt: ``option_ids``)."""
    return OptionIds(aq.attempt_id).shown(oid)


def sids(aq, oids):
    return [sid(aq, oid) for oid in oids]


def correct_ids(db, aq):
    """The key of the question, as shown ids."""
    return sorted(sids(aq, db.session.scalars(
        sa.select(Option.id).where(Option.question_id == aq.question_id, Option.is_correct.is_(True))).all()))


def wrong_id(db, aq):
    return sid(aq, db.session.scalar(
        sa.select(Option.id).where(Option.question_id == aq.question_id, Option.is_correct.is_(False)).limit(1)))


def answer_all(db, attempt, correct=True, seq=1):
    for aq in attempt.questions:
        sel = correct_ids(db, aq) if correct else [wrong_id(db, aq)]
        attempt_answers.save_answer(attempt.id, attempt.user_id, aq.id, sel, seq)


def codes(exc_info):
    return exc_info.value.code


# --- drawing -------------------------------------------------------------------------

def test_draw_takes_only_approved_questions_within_the_quota(make, db):
    approved = {q.id for q in bank(make, 5)}
    make.question(status=QuestionStatus.DRAFT)
    make.question(status=QuestionStatus.RETIRED)
    make.question(area_code="TTHC")
    rnd = make.round(quotas=[("TC", 0, 5)])
    drawn = draws.draw_questions(rnd.quotas)
    assert set(drawn) == approved


def test_draw_respects_difficulty_cells_and_never_repeats(make, db):
    hard = {q.id for q in bank(make, 2, difficulty=3)}
    easy = {q.id for q in bank(make, 4, difficulty=1)}
    other = {q.id for q in bank(make, 3, area="TTHC")}
    rnd = make.round(quotas=[("TC", 0, 3), ("TC", 3, 2), ("TTHC", 0, 2)])
    for _ in range(10):
        drawn = draws.draw_questions(rnd.quotas)
        assert len(drawn) == len(set(drawn)) == 7
        assert hard <= set(drawn)
        assert len(set(drawn) & easy) == 3 and len(set(drawn) & other) == 2


def test_draw_prefers_the_least_used_questions(make, db):
    fresh = {q.id for q in bank(make, 3, times_drawn=0)}
    used = {q.id for q in bank(make, 3, times_drawn=5)}
    rnd = make.round(quotas=[("TC", 0, 4)])
    for seed in range(5):
        drawn = set(draws.draw_questions(rnd.quotas, random.Random(seed)))
        assert fresh <= drawn and len(drawn & used) == 1


def test_starting_increments_times_drawn_so_the_whole_bank_gets_used(make, db):
    qs = bank(make, 6)
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=5)
    user = make.user()
    seen = set()
    for _ in range(2):
        a = attempt_start.start_attempt(rnd.id, user)
        seen |= {aq.question_id for aq in a.questions}
        attempt_submit.submit_attempt(a.id, user.id, "1")
        db.session.commit()
    assert seen == {q.id for q in qs}  # second attempt took the three unused ones
    counts = db.session.scalars(sa.select(Question.times_drawn)).all()
    assert sorted(counts) == [1] * 6


def test_draws_are_counted_outside_the_start_and_this_process_sees_its_own_at_once(make, db, app, monkeypatch):
    """With a flush interval the start does not touch the counter rows (no hot-row locks):
    committed draws are tallied, this process's later draws already avoid them, and the
    tally reaches questions.times_drawn at the next flush (or `flask rounds finalize`)."""
    monkeypatch.setitem(app.config, "DRAW_COUNT_FLUSH_SECONDS", 3600)
    qs = bank(make, 6)
    rnd = make.round(quotas=[("TC", 0, 3)], attempts_allowed=5)
    user = make.user()
    first = attempt_start.start_attempt(rnd.id, user)
    attempt_submit.submit_attempt(first.id, user.id, "1")
    db.session.commit()
    assert sum(db.session.scalars(sa.select(Question.times_drawn))) == 0  # not flushed yet
    second = attempt_start.start_attempt(rnd.id, user)
    firsts, seconds = ({aq.question_id for aq in a.questions} for a in (first, second))
    assert firsts | seconds == {q.id for q in qs}  # the second took the three the first left
    db.session.rollback()  # the second start never happened: its draws are not counted
    assert draws.flush_draw_counts(force=True) == 3
    counts = dict(db.session.execute(sa.select(Question.id, Question.times_drawn)).all())
    assert counts == {q.id: int(q.id in firsts) for q in qs}
    assert draws.flush_draw_counts(force=True) == 0  # nothing left to add


def test_a_failed_draw_count_flush_keeps_the_tally_for_the_next(make, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "DRAW_COUNT_FLUSH_SECONDS", 3600)
    bank(make, 4)
    rnd = make.round(quotas=[("TC", 0, 2)])
    attempt_start.start_attempt(rnd.id, make.user())
    db.session.commit()
    broken = sa.text("UPDATE no_such_table SET n = :p_n WHERE id = :p_id")
    monkeypatch.setattr(draws, "_count_statement", lambda: broken)
    assert draws.flush_draw_counts(force=True) == 0
    monkeypatch.undo()
    assert draws.flush_draw_counts(force=True) == 2
    assert sum(db.session.scalars(sa.select(Question.times_drawn))) == 2


def test_draw_refuses_when_the_bank_is_too_small(make, db):
    bank(make, 2)
    rnd = make.round(quotas=[("TC", 0, 3)])
    with pytest.raises(ServiceError) as exc:
        attempt_start.start_attempt(rnd.id, make.user())
    assert codes(exc) == "bank_too_small" and exc.value.status == 409
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


# --- starting --------------------------------------------------------------------------

def test_start_fixes_deadline_copies_unit_and_stores_option_order(make, db):
    bank(make, 5)
    rnd = make.round(time_limit_seconds=600)
    user = make.user()
    now = utcnow()
    a = attempt_start.start_attempt(rnd.id, user, now=now)
    assert a.deadline_at == now + timedelta(seconds=600)
    assert a.unit_id == user.unit_id and a.category == user.category.value
    assert a.number == 1 and a.status == AttemptStatus.IN_PROGRESS and a.max_score == 5
    for aq in a.questions:
        ids = set(db.session.scalars(sa.select(Option.id).where(Option.question_id == aq.question_id)))
        assert set(aq.option_order) == ids and len(aq.option_order) == 4
    # Results stay with the unit the entrant belonged to at start.
    user.unit_id = make.unit().id
    db.session.commit()
    assert db.session.get(Attempt, a.id).unit_id != user.unit_id


def test_deadline_never_passes_the_round_close_and_grants_add_minutes(make, db):
    bank(make, 5)
    now = utcnow()
    rnd = make.round(time_limit_seconds=1200, closes_at=now + timedelta(minutes=5))
    a = attempt_start.start_attempt(rnd.id, make.user(), now=now)
    assert a.deadline_at == rnd.closes_at
    rnd2 = make.round(time_limit_seconds=600)
    user = make.user()
    db.session.add(Grant(round_id=rnd2.id, user_id=user.id, extra_minutes=5, extra_attempts=0,
                         reason="Khuyết tật", created_at=now))
    db.session.commit()
    b = attempt_start.start_attempt(rnd2.id, user, now=now)
    assert b.deadline_at == now + timedelta(minutes=15)


def test_options_keep_bank_order_unless_shuffled(make, db):
    bank(make, 5)
    rnd = make.round(shuffle_options=False, shuffle_questions=False)
    a = attempt_start.start_attempt(rnd.id, make.user())
    for aq in a.questions:
        expected = db.session.scalars(sa.select(Option.id).where(Option.question_id == aq.question_id)
                                      .order_by(Option.position)).all()
        assert aq.option_order == expected
    rnd2 = make.round(shuffle_options=True)
    orders = set()
    for _ in range(8):
        u = make.user()
        b = attempt_start.start_attempt(rnd2.id, u, rng=random.Random(len(orders) * 7 + u.id))
        orders |= {tuple(aq.option_order) for aq in b.questions}
    assert len(orders) > 5  # shuffled differently per attempt


def test_starting_again_resumes_the_attempt_in_progress(make, db):
    bank(make, 5)
    rnd = make.round()
    user = make.user()
    a = attempt_start.start_attempt(rnd.id, user)
    db.session.commit()
    b = attempt_start.start_attempt(rnd.id, user)
    assert a.id == b.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_attempt_limit_holds_and_grants_add_attempts(make, db):
    bank(make, 5)
    rnd = make.round(attempts_allowed=1)
    user = make.user()
    a = attempt_start.start_attempt(rnd.id, user)
    attempt_submit.submit_attempt(a.id, user.id, "3")
    db.session.commit()
    with pytest.raises(ServiceError) as exc:
        attempt_start.start_attempt(rnd.id, user)
    assert codes(exc) == "attempt_limit" and exc.value.status == 409
    db.session.add(Grant(round_id=rnd.id, user_id=user.id, extra_minutes=0, extra_attempts=1,
                         reason="Sự cố mạng", created_at=utcnow()))
    db.session.commit()
    assert attempt_start.start_attempt(rnd.id, user).number == 2


def test_a_lost_race_for_the_slot_returns_the_open_attempt(make, db, monkeypatch):
    """Two simultaneous starts: the unique indexes refuse the second insert (ON CONFLICT
    DO NOTHING yields no row); the service hands back the attempt the first start created."""
    bank(make, 5)
    rnd = make.round()
    user = make.user()
    first = attempt_start.start_attempt(rnd.id, user)
    db.session.commit()
    real_state = attempt_start._start_state

    def blind(round_id, user_id):  # the racer looked before the first start's insert: no attempt yet
        return dataclasses.replace(real_state(round_id, user_id), used=0, open_id=None)

    monkeypatch.setattr(attempt_start, "_start_state", blind)
    monkeypatch.setattr(attempt_start, "_open_attempt", lambda *a: None)
    monkeypatch.setattr(attempt_start, "_attempt_count", lambda *a: 0)
    with pytest.raises(ServiceError) as exc:
        attempt_start.start_attempt(rnd.id, user)
    assert codes(exc) == "attempt_conflict"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    monkeypatch.undo()
    # Same race, but now the winner's open attempt is found after the refused insert.
    monkeypatch.setattr(attempt_start, "_start_state", blind)
    again = attempt_start.start_attempt(rnd.id, user)
    assert again.id == first.id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    assert db.session.scalar(sa.select(Question.times_drawn).limit(1)) <= 1


@pytest.mark.parametrize("case", ["closed", "upcoming", "unpublished", "not_eligible"])
def test_start_refuses_rounds_not_open_to_the_entrant(make, db, case):
    bank(make, 5)
    now = utcnow()
    kw = {}
    if case == "closed":
        kw = dict(opens_at=now - timedelta(days=7), closes_at=now - timedelta(days=1))
    elif case == "upcoming":
        kw = dict(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=7))
    elif case == "unpublished":
        kw = dict(contest_status=ContestStatus.DRAFT)
    rnd = make.round(**kw)
    if case == "not_eligible":
        rnd.contest.open_to_all = False
        rnd.contest.units = [make.unit()]
        db.session.commit()
    with pytest.raises(ServiceError) as exc:
        attempt_start.start_attempt(rnd.id, make.user())
    expected = {"closed": ("round_closed", 409), "upcoming": ("round_not_open", 409),
                "unpublished": ("round_not_found", 404), "not_eligible": ("not_eligible", 403)}[case]
    assert (exc.value.code, exc.value.status) == expected
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_the_start_reads_eligibility_in_sql_as_the_contest_rules_define_it(make, db):
    """The start decides eligibility in its one SELECT; it must agree with contests.is_eligible
    for every shape of rule: everyone, units (with sub-units), categories, both, none left."""
    from quizapp.auth.models import EntrantCategory
    from quizapp.contests.eligibility import is_eligible

    bank(make, 5)
    province = make.unit("Tỉnh")
    dept = make.unit("Sở Nội vụ", parent=province)
    office = make.unit("Phòng CCHC", parent=dept)
    other = make.unit("Sở Tài chính", parent=province)
    users = [make.user(unit=u, category=c) for u in (province, dept, office, other)
             for c in (EntrantCategory.CIVIL_SERVANT, EntrantCategory.CITIZEN)]
    users.append(make.user(unit=office, is_active_account=False))
    rules = [dict(open_to_all=True), dict(open_to_all=False, units=[dept]),
             dict(open_to_all=False, units=[other, office]), dict(open_to_all=False, categories="citizen"),
             dict(open_to_all=False, units=[dept], categories="civil_servant"),
             dict(open_to_all=False)]
    for rule in rules:
        rnd = make.round()
        rnd.contest.open_to_all = rule["open_to_all"]
        rnd.contest.units = rule.get("units", [])
        rnd.contest.eligible_categories = rule.get("categories", "")
        db.session.commit()
        answers = []
        for user in users:
            expected = is_eligible(rnd.contest, user)
            assert attempt_start._start_state(rnd.id, user.id).eligible == expected, (rule, user.unit.name)
            answers.append(expected)
        # Each rule admits some and refuses others, except the last, which admits nobody.
        assert set(answers) == ({False} if rule == rules[-1] else {True, False}), rule


def test_ties_in_times_drawn_are_broken_at_random(make, db):
    ids = {q.id for q in bank(make, 10, times_drawn=2)}
    rnd = make.round(quotas=[("TC", 0, 3)])
    seen = set()
    for seed in range(40):
        drawn = draws.draw_questions(rnd.quotas, random.Random(seed))
        assert len(set(drawn)) == 3
        seen |= set(drawn)
    assert seen == ids


def test_a_started_attempt_shows_the_bank_text_and_every_option_without_the_key(make, db):
    qs = bank(make, 5)
    rnd = make.round(shuffle_options=True)
    user = make.user()
    view = attempt_start.begin_attempt(rnd.id, user.id)
    stored = {aq.id: aq for aq in db.session.get(Attempt, view.id).questions}
    by_id = {q.id: q for q in qs}
    for shown in view.questions:
        aq = stored[shown.id]
        question = by_id[aq.question_id]
        assert shown.text == question.text and shown.position == aq.position
        assert [oid for oid, _ in shown.options] == sids(aq, aq.option_order)
        assert dict(shown.options) == {sid(aq, o.id): o.text for o in question.options}
    # Resuming reads the same view back from the database.
    db.session.commit()
    again = attempt_start.begin_attempt(rnd.id, user.id)
    assert again.id == view.id and again.questions == view.questions


def test_the_question_content_cache_stays_bounded_and_correct(make, db, app, monkeypatch):
    qs = bank(make, 8)
    monkeypatch.setattr(draws, "QUESTION_CONTENT_CACHE_SIZE", 6)
    rnd = make.round(quotas=[("TC", 0, 5)], attempts_allowed=5)
    texts = {q.id: q.text for q in qs}
    ids = list(texts)
    for _ in range(3):
        for half in (ids[:4], ids[4:]):  # 4 + 4 > 6: the cache is emptied before it would overflow
            content = draws.question_content(half)
            assert {qid: c.text for qid, c in content.items()} == {qid: texts[qid] for qid in half}
            assert len(app.extensions["quizapp.question_content"]) <= 6
        view = attempt_start.begin_attempt(rnd.id, make.user().id)
        stored = {aq.id: aq.question_id for aq in db.session.get(Attempt, view.id).questions}
        assert [q.text for q in view.questions] == [texts[stored[q.id]] for q in view.questions]
        assert len(app.extensions["quizapp.question_content"]) <= 6
        db.session.commit()


def test_a_deactivated_account_cannot_start(make, db):
    bank(make, 5)
    rnd = make.round()
    user = make.user(is_active_account=False)
    with pytest.raises(ServiceError) as exc:
        attempt_start.begin_attempt(rnd.id, user.id)
    assert codes(exc) == "not_eligible" and exc.value.status == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


# --- saving -----------------------------------------------------------------------------

@pytest.fixture()
def started(make, db):
    bank(make, 4, multiple=False)
    make.question(multiple=True, correct=[0, 2])
    rnd = make.round(quotas=[("TC", 0, 5)], shuffle_questions=False, time_limit_seconds=600)
    user = make.user()
    attempt = attempt_start.start_attempt(rnd.id, user)
    db.session.commit()
    return attempt


def test_save_writes_the_answer_and_a_newer_seq_wins(started, db):
    a = started
    aq = a.questions[0]
    o1, o2 = sid(aq, aq.option_order[0]), sid(aq, aq.option_order[1])
    r = attempt_answers.save_answer(a.id, a.user_id, aq.id, [o1], 10)
    assert r.saved and r.selected == [o1] and r.seq == 10 and 0 < r.remaining_ms <= 600_000
    r = attempt_answers.save_answer(a.id, a.user_id, aq.id, [o2], 11)
    assert r.saved
    db.session.commit()
    row = db.session.get(AttemptQuestion, aq.id)
    db.session.refresh(row)
    assert row.selected == [aq.option_order[1]] and row.answer_seq == 11 and row.answered_at is not None


def test_a_stale_or_replayed_save_does_not_overwrite_and_reports_the_stored_answer(started, db):
    a = started
    aq = a.questions[0]
    o1, o2 = sid(aq, aq.option_order[0]), sid(aq, aq.option_order[1])
    attempt_answers.save_answer(a.id, a.user_id, aq.id, [o2], 20)
    for stale_seq in (19, 20):
        r = attempt_answers.save_answer(a.id, a.user_id, aq.id, [o1], stale_seq)
        assert not r.saved and r.selected == [o2] and r.seq == 20
    db.session.commit()
    row = db.session.get(AttemptQuestion, aq.id)
    db.session.refresh(row)
    assert row.selected == [aq.option_order[1]]


def test_clearing_an_answer_is_a_save(started, db):
    a = started
    aq = a.questions[0]
    attempt_answers.save_answer(a.id, a.user_id, aq.id, [sid(aq, aq.option_order[0])], 1)
    r = attempt_answers.save_answer(a.id, a.user_id, aq.id, [], 2)
    assert r.saved and r.selected == []


def _refused(fn, code, status):
    with pytest.raises(ServiceError) as exc:
        fn()
    assert (exc.value.code, exc.value.status) == (code, status)


def test_save_refuses_bad_input(started, make, db):
    a = started
    q0, q1 = a.questions[0], a.questions[1]
    single = next(aq for aq in a.questions if len(correct_ids(db, aq)) == 1)
    other_user = make.user()
    _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, q0.id, [sid(q1, q1.option_order[0])], 5),
             "option_not_in_question", 400)
    _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, 999_999, [sid(q0, q0.option_order[0])], 5),
             "question_not_in_attempt", 404)
    _refused(lambda: attempt_answers.save_answer(a.id, other_user.id, q0.id, [sid(q0, q0.option_order[0])], 5),
             "attempt_not_found", 404)
    _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, single.id, sids(single, single.option_order[:2]), 5),
             "single_choice", 400)
    for bad_seq in (None, 0, -1, "5", 1.5, True, 2**60):
        _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, q0.id, [sid(q0, q0.option_order[0])], bad_seq),
                 "seq_invalid", 400)
    for bad_sel in ("12", [None], [{"id": 1}], 12):
        _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, q0.id, bad_sel, 5), "selected_invalid", 400)
    db.session.rollback()
    assert all(aq.selected is None for aq in db.session.scalars(sa.select(AttemptQuestion)))


def test_multiple_choice_accepts_several_options(started, db):
    a = started
    multi = next(aq for aq in a.questions if len(correct_ids(db, aq)) == 2)
    r = attempt_answers.save_answer(a.id, a.user_id, multi.id, sids(multi, multi.option_order[:3]), 1)
    assert r.saved and len(r.selected) == 3


def test_save_is_refused_after_deadline_plus_grace_but_accepted_within_grace(started, db, app):
    a = started
    aq = a.questions[0]
    grace = app.config["ANSWER_GRACE_SECONDS"]
    within = a.deadline_at + timedelta(seconds=grace - 1)
    r = attempt_answers.save_answer(a.id, a.user_id, aq.id, [sid(aq, aq.option_order[0])], 1, now=within)
    assert r.saved and r.remaining_ms == 0
    late = a.deadline_at + timedelta(seconds=grace + 1)
    _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, aq.id, [sid(aq, aq.option_order[1])], 2, now=late),
             "time_up", 409)


def test_no_save_after_submission(started, db):
    a = started
    attempt_submit.submit_attempt(a.id, a.user_id, "0")
    aq = a.questions[0]
    _refused(lambda: attempt_answers.save_answer(a.id, a.user_id, aq.id, [sid(aq, aq.option_order[0])], 99),
             "attempt_finished", 409)


# --- submitting and grading --------------------------------------------------------------

def test_grading_requires_the_exact_set_of_correct_options(started, db):
    a = started
    multi = next(aq for aq in a.questions if len(correct_ids(db, aq)) == 2)
    singles = [aq for aq in a.questions if aq is not multi]
    attempt_answers.save_answer(a.id, a.user_id, multi.id, correct_ids(db, multi)[:1], 1)  # half right: no score
    attempt_answers.save_answer(a.id, a.user_id, singles[0].id, correct_ids(db, singles[0]), 1)
    attempt_answers.save_answer(a.id, a.user_id, singles[1].id, [wrong_id(db, singles[1])], 1)
    # singles[2], singles[3] unanswered
    now = a.started_at + timedelta(seconds=95, milliseconds=250)
    done = attempt_submit.submit_attempt(a.id, a.user_id, "12", now=now)
    assert done.status == AttemptStatus.SUBMITTED and done.finish_reason == FinishReason.SUBMITTED
    assert (done.score, done.max_score) == (1, 5)
    assert done.duration_ms == 95_250 and done.submitted_at == now and done.prediction == Decimal(12)
    marks = {aq.id: aq.is_correct for aq in db.session.scalars(sa.select(AttemptQuestion))}
    assert marks[singles[0].id] is True and marks[multi.id] is False and marks[singles[3].id] is False


def test_full_multiple_choice_scores(started, db):
    a = started
    answer_all(db, a)
    done = attempt_submit.submit_attempt(a.id, a.user_id, "1")
    assert done.score == 5


@pytest.mark.parametrize("correct", [True, False])
def test_a_one_question_paper_submits_and_grades(make, db, correct):
    """A round may hold a single question (quota cells of 0 elsewhere): its submit reads and grades
    that one question like any other paper."""
    bank(make, 1)
    rnd = make.round(quotas=[("TC", 0, 1)], time_limit_seconds=600)
    a = attempt_start.start_attempt(rnd.id, make.user())
    db.session.commit()
    answer_all(db, a, correct=correct)
    done = attempt_submit.submit_attempt(a.id, a.user_id, "3")
    assert done.status == AttemptStatus.SUBMITTED
    assert (done.score, done.max_score) == (int(correct), 1)
    assert db.session.scalar(sa.select(AttemptQuestion.is_correct)) is correct
    assert db.session.scalar(sa.select(Standing.score)) == int(correct)


def test_submitting_twice_records_one_submission(started, db):
    a = started
    answer_all(db, a)
    first = attempt_submit.submit_attempt(a.id, a.user_id, "7")
    first_time = first.submitted_at
    db.session.commit()
    second = attempt_submit.submit_attempt(a.id, a.user_id, "99", now=utcnow() + timedelta(seconds=30))
    assert second.submitted_at == first_time and second.prediction == Decimal(7)
    standing = db.session.scalar(sa.select(Standing))
    assert standing.attempts_count == 1 and standing.prediction == Decimal(7)


def test_a_racing_second_submit_that_loses_the_conditional_update_changes_nothing(started, db):
    a = started
    answer_all(db, a)
    attempt_submit.submit_attempt(a.id, a.user_id, "7")
    db.session.commit()
    with db.session.no_autoflush:
        a.status = AttemptStatus.IN_PROGRESS  # the racer still holds the old state in memory
        assert attempt_sweep._finish(a, FinishReason.SUBMITTED, utcnow(), utcnow(), Decimal(1)) is False
    assert db.session.scalar(sa.select(Attempt.prediction)) == Decimal(7)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Standing)) == 1


def test_a_submit_that_loses_the_race_answers_with_the_first_result_and_writes_nothing(started, db, monkeypatch):
    """Two submits of one attempt (a double click, two tabs): the one whose claim finds the attempt
    already submitted by the other answers with the FIRST result and writes nothing of its own."""
    a = started
    answer_all(db, a)
    first_at = a.started_at + timedelta(seconds=40)
    original = attempt_submit._write_submission

    def the_other_request_commits_first(conn, head, values, right):
        # Between this submit's read and its write, the other request claims the attempt (its own
        # score, time and prediction; it has not marked questions nor written a standing yet).
        conn.execute(sa.update(Attempt.__table__).where(Attempt.__table__.c.id == a.id).values(
            status=AttemptStatus.SUBMITTED.value, finish_reason=FinishReason.SUBMITTED.value, submitted_at=first_at,
            duration_ms=40_000, score=2, prediction=Decimal(11)))
        return original(conn, head, values, right)

    monkeypatch.setattr(attempt_submit, "_write_submission", the_other_request_commits_first)
    view = attempt_submit.submit(a.id, a.user_id, "99", now=a.started_at + timedelta(seconds=90))
    assert (view.id, view.status, view.score, view.duration_ms) == (a.id, AttemptStatus.SUBMITTED, 2, 40_000)
    assert view.submitted_at == first_at and view.prediction == Decimal(11)
    db.session.expire_all()
    stored = db.session.get(Attempt, a.id)
    assert (stored.score, stored.prediction, stored.duration_ms) == (2, Decimal(11), 40_000)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Standing)) == 0  # the loser wrote none
    assert set(db.session.scalars(sa.select(AttemptQuestion.is_correct))) == {None}  # nor marked a question


@pytest.mark.parametrize("raw,code", [
    (None, "prediction_missing"), ("", "prediction_missing"), ("-1", "prediction_negative"),
    ("abc", "prediction_invalid"), ("NaN", "prediction_invalid"), ("Infinity", "prediction_invalid"),
    (float("nan"), "prediction_invalid"), (float("inf"), "prediction_invalid"), ("1e400", "prediction_invalid"),
    ("1000000001", "prediction_too_large"), ("12.5", "prediction_not_integer"), (True, "prediction_invalid"),
    ("1.000,5", "prediction_not_integer"), ("1e3", "prediction_invalid"),
])
def test_bad_predictions_are_refused_and_change_nothing(started, db, raw, code):
    a = started
    with pytest.raises(ServiceError) as exc:
        attempt_submit.submit_attempt(a.id, a.user_id, raw)
    assert exc.value.code == code and exc.value.status == 400 and exc.value.field == "prediction"
    db.session.rollback()
    assert db.session.get(Attempt, a.id).status == AttemptStatus.IN_PROGRESS


def test_percentage_predictions(make, db):
    m = PredictionMode.PERFECT_PERCENT
    assert attempt_prediction.parse_prediction(m, "87,654321") == Decimal("87.654321")
    assert attempt_prediction.parse_prediction(m, 100) == Decimal("100.000000")
    for raw, code in [("100.5", "prediction_too_large"), ("1.1234567", "prediction_precision"),
                      ("-0.1", "prediction_negative")]:
        with pytest.raises(ServiceError) as exc:
            attempt_prediction.parse_prediction(m, raw)
        assert exc.value.code == code
    assert attempt_prediction.parse_prediction(PredictionMode.OFF, "garbage") is None
    assert attempt_prediction.parse_prediction(PredictionMode.ENTRANT_COUNT, "1 500") == Decimal(1500)


def test_auto_submit_at_the_deadline_may_lack_a_prediction(started, db):
    a = started
    at = a.deadline_at - timedelta(seconds=1)
    done = attempt_submit.submit_attempt(a.id, a.user_id, None, auto=True, now=at)
    assert done.finish_reason == FinishReason.TIMEOUT and done.prediction is None


def test_auto_flag_long_before_the_deadline_still_needs_a_prediction(started, db):
    a = started
    with pytest.raises(ServiceError) as exc:
        attempt_submit.submit_attempt(a.id, a.user_id, None, auto=True, now=a.started_at + timedelta(seconds=5))
    assert exc.value.code == "prediction_missing"


def test_submit_within_grace_counts_time_up_to_the_deadline_only(started, db):
    a = started
    answer_all(db, a)
    done = attempt_submit.submit_attempt(a.id, a.user_id, "4", now=a.deadline_at + timedelta(seconds=3))
    assert done.finish_reason == FinishReason.SUBMITTED and done.duration_ms == 600_000 and done.score == 5


def test_a_late_submit_is_refused_time_up_and_the_attempt_finalizes_with_the_deadline(started, db):
    a = started
    answer_all(db, a)
    db.session.commit()
    late = a.deadline_at + timedelta(minutes=5)
    with pytest.raises(attempt_errors.TimeUp):  # refused like a save after deadline + grace
        attempt_submit.submit_attempt(a.id, a.user_id, "4", now=late)
    db.session.rollback()
    done = attempt_shown.get_attempt(a.id, a.user_id, late)  # the server closes it (as the API does at once)
    assert done.finish_reason == FinishReason.FINALIZED and done.submitted_at == a.deadline_at
    assert done.duration_ms == 600_000 and done.score == 5 and done.prediction is None
    with pytest.raises(attempt_errors.TimeUp):  # submitting a server-closed attempt stays refused
        attempt_submit.submit_attempt(a.id, a.user_id, "4", now=late)


# --- finalising ---------------------------------------------------------------------------

def test_finalize_closes_only_expired_attempts_and_is_idempotent(make, db, app):
    bank(make, 5)
    rnd = make.round(time_limit_seconds=600)
    u1, u2 = make.user(), make.user()
    t0 = utcnow()
    old = attempt_start.start_attempt(rnd.id, u1, now=t0 - timedelta(minutes=30))
    for aq in old.questions:  # saved while the clock was running
        db.session.execute(sa.update(AttemptQuestion).where(AttemptQuestion.id == aq.id)
                           .values(selected=[OptionIds(aq.attempt_id).real(s) for s in correct_ids(db, aq)],
                                   answer_seq=1))
    fresh = attempt_start.start_attempt(rnd.id, u2, now=t0)
    db.session.commit()
    assert attempt_sweep.finalize_expired(t0) == 1
    db.session.commit()
    db.session.refresh(old)
    assert old.status == AttemptStatus.SUBMITTED and old.finish_reason == FinishReason.FINALIZED
    assert old.score == 5 and old.duration_ms == 600_000 and old.submitted_at == old.deadline_at
    assert db.session.get(Attempt, fresh.id).status == AttemptStatus.IN_PROGRESS
    assert attempt_sweep.finalize_expired(t0) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Standing)) == 1


def test_expired_attempt_is_closed_when_the_entrant_comes_back(make, db):
    bank(make, 5)
    rnd = make.round(time_limit_seconds=600, attempts_allowed=2)
    user = make.user()
    t0 = utcnow() - timedelta(hours=1)
    old = attempt_start.start_attempt(rnd.id, user, now=t0)
    db.session.commit()
    new = attempt_start.start_attempt(rnd.id, user)
    assert new.id != old.id and new.number == 2
    assert db.session.get(Attempt, old.id).finish_reason == FinishReason.FINALIZED


def test_flask_rounds_finalize_stores_the_truth_of_closed_rounds(make, db, runner, monkeypatch):
    bank(make, 5)
    now = utcnow()
    rnd = make.round(opens_at=now - timedelta(days=2), closes_at=now - timedelta(minutes=1),
                     time_limit_seconds=600, prediction_mode=PredictionMode.PERFECT_COUNT)
    user = make.user()
    a = attempt_start.start_attempt(rnd.id, user, now=now - timedelta(hours=1))
    for aq in a.questions:
        attempt_answers.save_answer(a.id, user.id, aq.id, correct_ids(db, aq), 1, now=now - timedelta(minutes=59))
    db.session.commit()
    monkeypatch.setitem(runner.app.config, "DRAW_COUNT_FLUSH_SECONDS", 3600)
    late = make.round(time_limit_seconds=600)
    attempt_start.start_attempt(late.id, make.user())
    db.session.commit()  # its five draws wait in this process's tally
    result = runner.invoke(args=["rounds", "finalize"])
    assert result.exit_code == 0, result.output
    assert "1 expired attempt(s) closed, 1 round(s) finalised." in result.output
    db.session.expire_all()
    assert rnd.prediction_truth == 1 and rnd.finalized_at is not None
    assert sum(db.session.scalars(sa.select(Question.times_drawn))) == 10  # finalize counted them
    again = runner.invoke(args=["rounds", "finalize"])
    assert "0 expired attempt(s) closed, 0 round(s) finalised." in again.output


# --- standings -----------------------------------------------------------------------------

def _take(db, rnd, user, n_correct, seconds, prediction="1"):
    a = attempt_start.start_attempt(rnd.id, user, now=utcnow() - timedelta(seconds=seconds))
    for i, aq in enumerate(a.questions):
        sel = correct_ids(db, aq) if i < n_correct else [wrong_id(db, aq)]
        attempt_answers.save_answer(a.id, user.id, aq.id, sel, 1)
    attempt_submit.submit_attempt(a.id, user.id, prediction)
    db.session.commit()
    return a


@pytest.mark.parametrize("policy,expected", [
    (CountedAttempt.BEST, (4, 30)),  # score first, then shorter time: 4/5 in 30 s beats 4/5 in 60 s
    (CountedAttempt.FIRST, (2, 10)),
    (CountedAttempt.LAST, (4, 60)),
])
def test_standing_follows_the_counted_attempt_policy(make, db, policy, expected):
    bank(make, 5)
    rnd = make.round(attempts_allowed=4, counted_attempt=policy)
    user = make.user()
    _take(db, rnd, user, 2, 10)
    _take(db, rnd, user, 4, 30)
    _take(db, rnd, user, 4, 60)
    s = db.session.scalar(sa.select(Standing))
    assert (s.score, round(s.duration_ms / 1000)) == expected
    assert s.attempts_count == 3 and s.max_score == 5 and s.unit_id == user.unit_id


# --- review -----------------------------------------------------------------------------

def test_review_follows_the_round_policy(make, db):
    from quizapp.contests.models import ReviewPolicy

    bank(make, 5)
    rnd = make.round(review_policy=ReviewPolicy.AFTER_CLOSE)
    user = make.user()
    a = attempt_start.start_attempt(rnd.id, user)
    assert not attempt_review.review_visible(a)
    attempt_submit.submit_attempt(a.id, user.id, "1")
    assert not attempt_review.review_visible(a)  # round still open
    assert attempt_review.review_visible(a, now=rnd.closes_at + timedelta(seconds=1))
    rnd.review_policy = ReviewPolicy.AFTER_ATTEMPT
    assert attempt_review.review_visible(a)
    rnd.review_policy = ReviewPolicy.NEVER
    assert not attempt_review.review_visible(a, now=rnd.closes_at + timedelta(days=1))
    reviewed = attempt_review.review(a)
    assert len(reviewed) == 5 and all(r.explanation == "Giải thích" for r in reviewed)
    assert all(sum(1 for o in r.options if o[2]) == 1 for r in reviewed)


def test_simultaneous_starts_on_postgresql_create_one_attempt(make, db, app):
    """Real concurrency: sessions in threads racing for the same entrant's slot."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks and concurrent transactions: PostgreSQL only")
    import threading

    from quizapp.auth.models import User

    bank(make, 8)
    rnd = make.round(quotas=[("TC", 0, 4)], attempts_allowed=3)
    user_id = make.user().id
    barrier = threading.Barrier(4)
    results, errors = [], []

    def racer():
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                barrier.wait()
                attempt = attempt_start.start_attempt(rnd.id, user)
                db.session.commit()
                results.append(attempt.id)
            except ServiceError as exc:
                db.session.rollback()
                errors.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=racer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    assert len(set(results)) == 1 and set(errors) <= {"attempt_conflict"}
    assert sum(db.session.scalars(sa.select(Question.times_drawn))) == 4


def test_submit_asks_the_contests_review_rule_on_the_columns_it_read(make, db, monkeypatch):
    """Issue 19 item 4: submit has no review-policy switch of its own; whether its result may
    show the key is ``contests.review.review_time_reached`` (here a spy), asked once with
    the policy and times of submit's one read."""
    from quizapp.contests.models import ReviewPolicy

    bank(make, 5)
    rnd = make.round(review_policy=ReviewPolicy.AFTER_CLOSE)
    user = make.user()
    attempt = attempt_start.start_attempt(rnd.id, user)
    asked = []

    def rule(round_, now):
        asked.append((round_.review_policy, round_.opens_at, round_.closes_at))
        return True

    monkeypatch.setattr(attempt_submit, "review_time_reached", rule)
    view = attempt_submit.submit(attempt.id, user.id, "1")
    assert view.review_available is True  # the round is still open: only the rule's answer opens it
    assert asked == [(ReviewPolicy.AFTER_CLOSE, rnd.opens_at, rnd.closes_at)]


def test_a_review_after_the_contest_opens_on_the_submit_once_the_last_round_closed(make, db):
    """The rare policy reads the contest's last closing time through the same contests rule."""
    from quizapp.contests.models import ReviewPolicy

    bank(make, 5)
    now = utcnow()
    rnd = make.round(review_policy=ReviewPolicy.AFTER_CONTEST, closes_at=now - timedelta(seconds=2))
    later = make.round(contest=rnd.contest, closes_at=now + timedelta(days=3))
    first, second = make.user(), make.user()
    attempts = [attempt_start.start_attempt(rnd.id, u, now=now - timedelta(minutes=10)) for u in (first, second)]
    db.session.commit()
    # Submitted within the grace after the round's close: a later round of the contest still runs.
    assert attempt_submit.submit(attempts[0].id, first.id, "1", now=now).review_available is False
    later.closes_at = now - timedelta(minutes=1)
    db.session.commit()
    assert attempt_submit.submit(attempts[1].id, second.id, "1", now=now).review_available is True
