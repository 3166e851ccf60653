"""Grading and the deadline, as entrants rely on them (issue 20 item 17: pinned for mutation testing,
docs/testing.md).

Grading: a question is right when the chosen options are exactly its key (no partial credit for a
multiple-choice question, nothing for an empty answer); the score is the number of right questions and
the maximum the number of questions drawn, by every path that grades (the entrant's submit, the
server closing an expired attempt).  Deadline: answers and submissions are accepted up to and including
deadline + grace, refused 1 ms later; the recorded duration is measured on the server's clock, never
past the deadline and never shortened by a proxy's arrival stamp.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quizapp.attempts import answers, clock, grading, shown, submit, sweep
from quizapp.attempts.errors import TimeUp
from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus, FinishReason
from quizapp.attempts.option_ids import OptionIds
from quizapp.attempts.start import start_attempt
from quizapp.bank.models import Option
from quizapp.core.errors import ServiceError
from quizapp.leaderboards.models import Standing

MS = timedelta(milliseconds=1)


# --- the answer check -------------------------------------------------------------------------------------

@pytest.mark.parametrize("selected,key,right", [
    ([7], {7}, True),
    ([3, 9], {9, 3}, True),  # any order
    ((9, 3, 3), [3, 9], True),  # a repeated id is the same choice
    ([3], {3, 9}, False),  # part of a multiple-choice key: no partial credit
    ([3, 9, 11], {3, 9}, False),  # every option ticked
    ([4], {7}, False),
    ([], {7}, False),
    (None, {7}, False),
    ([], set(), False),  # nothing chosen is never right, even for a question without a key
    (None, (), False),
])
def test_an_answer_is_right_only_when_it_is_exactly_the_key(selected, key, right):
    assert grading.answer_is_right(selected, key) is right


# --- a round with single- and multiple-choice questions -----------------------------------------------------

@pytest.fixture()
def paper(make, db):
    """Started attempt: 3 single-choice questions (key: option 0) and 2 multiple-choice (key: options 0, 2)."""
    for _ in range(3):
        make.question(multiple=False)
    for _ in range(2):
        make.question(multiple=True, correct=[0, 2])
    make.question(area_code="TTHC")  # in the bank, not in this round: its key plays no part
    rnd = make.round(quotas=[("TC", 0, 5)], shuffle_questions=False, time_limit_seconds=600)
    attempt = start_attempt(rnd.id, make.user())
    db.session.commit()
    return attempt


def _options(db, aq, correct: bool) -> list[int]:
    return db.session.scalars(sa.select(Option.id).where(Option.question_id == aq.question_id,
                                                         Option.is_correct.is_(correct)).order_by(Option.id)).all()


def _shown(aq, real_ids) -> list[int]:
    ids = OptionIds(aq.attempt_id)
    return [ids.shown(oid) for oid in real_ids]


def _split(db, attempt):
    singles = [aq for aq in attempt.questions if len(_options(db, aq, True)) == 1]
    multis = [aq for aq in attempt.questions if len(_options(db, aq, True)) == 2]
    assert len(singles) == 3 and len(multis) == 2
    return singles, multis


def _answer_mixed(db, attempt):
    """single 0 right, single 1 wrong, single 2 unanswered, multi 0 fully right, multi 1 half right.
    Returns the ids of the questions that must be marked right."""
    singles, multis = _split(db, attempt)
    save = lambda aq, real: answers.save_answer(attempt.id, attempt.user_id, aq.id, _shown(aq, real), 1,  # noqa: E731
                                                now=attempt.started_at + timedelta(seconds=30))
    save(singles[0], _options(db, singles[0], True))
    save(singles[1], _options(db, singles[1], False)[:1])
    save(multis[0], _options(db, multis[0], True))
    save(multis[1], _options(db, multis[1], True)[:1])
    db.session.commit()
    return {singles[0].id, multis[0].id}


def _marks(db, attempt) -> dict[int, bool | None]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(AttemptQuestion.id, AttemptQuestion.is_correct)
                                   .where(AttemptQuestion.attempt_id == attempt.id)).all())


def test_submit_scores_exact_answers_only_and_marks_every_question(paper, db):
    right = _answer_mixed(db, paper)
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=paper.started_at + timedelta(seconds=70))
    assert (done.score, done.max_score) == (2, 5)
    marks = _marks(db, paper)
    assert {q for q, m in marks.items() if m is True} == right
    assert all(m is False for q, m in marks.items() if q not in right)  # wrong, half right, unanswered: False
    standing = db.session.scalar(sa.select(Standing).where(Standing.attempt_id == paper.id))
    assert (standing.score, standing.max_score, standing.duration_ms) == (2, 5, 70_000)


def test_the_server_closing_an_expired_attempt_grades_exactly_as_a_submit_does(paper, db):
    right = _answer_mixed(db, paper)
    late = paper.deadline_at + clock.grace() + MS
    loaded = list(paper.questions)
    assert sweep.close_expired(paper, late) is True
    assert {aq.id for aq in loaded if aq.is_correct is True} == right  # the loaded rows show the marks at once
    db.session.commit()
    stored = db.session.get(Attempt, paper.id, populate_existing=True)
    assert (stored.score, stored.max_score, stored.finish_reason) == (2, 5, FinishReason.FINALIZED)
    assert stored.submitted_at == paper.deadline_at and stored.duration_ms == 600_000 and stored.prediction is None
    marks = _marks(db, paper)
    assert {q for q, m in marks.items() if m is True} == right
    assert all(m is False for q, m in marks.items() if q not in right)
    assert db.session.scalar(sa.select(Standing.score).where(Standing.attempt_id == paper.id)) == 2


def test_grade_saved_returns_the_number_right_and_nothing_is_right_without_answers(paper, db):
    assert grading.grade_saved(paper) == 0
    assert set(_marks(db, paper).values()) == {False}
    singles, multis = _split(db, paper)
    db.session.execute(sa.update(AttemptQuestion).values(selected=None, is_correct=None)
                       .where(AttemptQuestion.attempt_id == paper.id))
    for aq in paper.questions:  # every question right, as stored (real option ids)
        db.session.execute(sa.update(AttemptQuestion).where(AttemptQuestion.id == aq.id)
                           .values(selected=_options(db, aq, True)))
    assert grading.grade_saved(paper) == 5
    assert set(_marks(db, paper).values()) == {True}


def test_a_perfect_paper_has_score_equal_to_the_number_of_questions(paper, db):
    for aq in paper.questions:
        answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, True)), 1)
    done = submit.submit_attempt(paper.id, paper.user_id, "1")
    assert done.score == done.max_score == len(paper.questions) == 5


def test_ticking_every_option_of_a_multiple_choice_question_scores_nothing(paper, db):
    _singles, multis = _split(db, paper)
    everything = _options(db, multis[0], True) + _options(db, multis[0], False)
    answers.save_answer(paper.id, paper.user_id, multis[0].id, _shown(multis[0], everything), 1)
    assert submit.submit_attempt(paper.id, paper.user_id, "1").score == 0


# --- the clock -----------------------------------------------------------------------------------------------

def test_grace_is_the_configured_seconds(app, monkeypatch):
    monkeypatch.setitem(app.config, "ANSWER_GRACE_SECONDS", 7)
    assert clock.grace() == timedelta(seconds=7)


def test_expired_only_after_deadline_plus_grace(paper):
    end = paper.deadline_at + clock.grace()
    assert not clock.is_expired(paper, paper.deadline_at)
    assert not clock.is_expired(paper, end)
    assert clock.is_expired(paper, end + MS)


def test_time_left_counts_down_to_the_deadline_in_milliseconds_and_never_below_zero(paper):
    assert clock.remaining_ms(paper, paper.started_at) == 600_000
    assert clock.remaining_ms(paper, paper.deadline_at - timedelta(seconds=1, milliseconds=500)) == 1500
    assert clock.remaining_ms(paper, paper.deadline_at) == 0
    assert clock.remaining_ms(paper, paper.deadline_at + timedelta(seconds=3)) == 0
    assert 0 < clock.remaining_ms(paper) <= 600_000  # now, on the server's clock


def test_the_sweep_waits_grace_plus_the_queueing_allowance(app, monkeypatch):
    monkeypatch.setitem(app.config, "ANSWER_GRACE_SECONDS", 5)
    monkeypatch.setitem(app.config, "REQUEST_START_MAX_SKEW", 30)
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 0)
    assert clock.sweep_after() == timedelta(seconds=5)
    monkeypatch.setitem(app.config, "TRUSTED_PROXY_HOPS", 1)
    assert clock.sweep_after() == timedelta(seconds=35)


def test_the_sweep_closes_at_deadline_plus_grace_and_not_a_millisecond_before(paper, db):
    end = paper.deadline_at + clock.grace()
    assert sweep.finalize_expired(end) == 0
    assert sweep.finalize_expired(end + MS) == 1
    db.session.commit()
    assert db.session.get(Attempt, paper.id, populate_existing=True).finish_reason == FinishReason.FINALIZED


# --- the deadline of a save ----------------------------------------------------------------------------------

def test_a_save_arriving_exactly_at_deadline_plus_grace_is_kept(paper, db):
    aq = paper.questions[0]
    end = paper.deadline_at + clock.grace()
    r = answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, True)), 1, now=end)
    assert r.saved is True and r.remaining_ms == 0
    # the same answer replayed at that instant is reported as stored, not as late
    again = answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, False)[:1]), 1, now=end)
    assert again.saved is False and again.selected == sorted(_shown(aq, _options(db, aq, True))) and again.remaining_ms == 0


def test_a_save_1_ms_after_deadline_plus_grace_is_refused_and_changes_nothing(paper, db):
    aq = paper.questions[0]
    answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, True)), 1)
    db.session.commit()
    late = paper.deadline_at + clock.grace() + MS
    for seq in (2, 1):  # a newer answer, and a replay of the stored one
        with pytest.raises(TimeUp) as exc:
            answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, False)[:1]), seq,
                                now=late)
        assert exc.value.code == "time_up" and exc.value.status == 409
        db.session.rollback()
    assert db.session.get(AttemptQuestion, aq.id, populate_existing=True).selected == _options(db, aq, True)


def test_a_save_before_the_deadline_reports_the_time_left(paper, db):
    aq = paper.questions[0]
    r = answers.save_answer(paper.id, paper.user_id, aq.id, _shown(aq, _options(db, aq, True)), 1,
                            now=paper.deadline_at - timedelta(seconds=2, milliseconds=250))
    assert r.saved is True and r.remaining_ms == 2250 and r.seq == 1
    stale = answers.save_answer(paper.id, paper.user_id, aq.id, [], 1,
                                now=paper.deadline_at - timedelta(seconds=1))
    assert stale.saved is False and stale.remaining_ms == 1000


def test_the_form_without_javascript_is_saved_up_to_deadline_plus_grace(paper, db):
    end = paper.deadline_at + clock.grace()
    aq = paper.questions[0]
    answers.save_answers_form(paper, {aq.id: _shown(aq, _options(db, aq, True))}, end)
    assert db.session.get(AttemptQuestion, aq.id).selected == _options(db, aq, True)
    with pytest.raises(TimeUp):
        answers.save_answers_form(paper, {aq.id: []}, end + MS)


# --- the deadline of a submission ----------------------------------------------------------------------------

def test_a_submit_arriving_exactly_at_deadline_plus_grace_counts_with_time_up_to_the_deadline(paper, db):
    right = _answer_mixed(db, paper)
    end = paper.deadline_at + clock.grace()
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=end, clock=end)
    assert done.finish_reason == FinishReason.SUBMITTED and done.submitted_at == end
    assert done.duration_ms == 600_000 and done.score == len(right) and done.prediction == Decimal(3)


def test_a_submit_1_ms_after_deadline_plus_grace_is_refused_and_its_prediction_dropped(paper, db):
    _answer_mixed(db, paper)
    late = paper.deadline_at + clock.grace() + MS
    with pytest.raises(TimeUp):
        submit.submit_attempt(paper.id, paper.user_id, "3", now=late, clock=late)
    db.session.rollback()
    done = shown.get_attempt(paper.id, paper.user_id, late)  # closed by the server on the saved answers
    assert done.finish_reason == FinishReason.FINALIZED and done.prediction is None and done.score == 2
    with pytest.raises(TimeUp):
        submit.submit_attempt(paper.id, paper.user_id, "3", now=late, clock=late)


def test_an_early_arrival_stamp_never_shortens_the_duration(paper, db):
    """``now`` is the trusted proxy's arrival time, ``clock`` the server's own: the duration is the clock's."""
    arrived = paper.started_at + timedelta(seconds=8)
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=arrived,
                                 clock=paper.started_at + timedelta(seconds=20, milliseconds=5))
    assert done.duration_ms == 20_005
    assert done.submitted_at == arrived  # the arrival decides whether (and when) it came in time


def test_a_duration_is_never_shorter_than_the_arrival_either(paper, db):
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=paper.started_at + timedelta(seconds=30),
                                 clock=paper.started_at + timedelta(seconds=12))
    assert done.duration_ms == 30_000


def test_a_stamp_before_the_deadline_with_the_clock_in_the_grace_records_the_full_time(paper, db):
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=paper.deadline_at - timedelta(seconds=2),
                                 clock=paper.deadline_at + timedelta(seconds=4))
    assert done.duration_ms == 600_000


def test_without_a_clock_the_duration_is_the_arrival_minus_the_start(paper, db):
    done = submit.submit_attempt(paper.id, paper.user_id, "3",
                                 now=paper.started_at + timedelta(minutes=3, milliseconds=7))
    assert done.duration_ms == 180_007
    view = submit.result_view(done)
    assert (view.score, view.max_score, view.duration_ms, view.finish_reason) == (0, 5, 180_007,
                                                                                 FinishReason.SUBMITTED)


def test_a_submit_at_the_start_records_zero_not_a_negative_duration(paper, db):
    done = submit.submit_attempt(paper.id, paper.user_id, "3", now=paper.started_at,
                                 clock=paper.started_at - timedelta(seconds=1))
    assert done.duration_ms == 0


def test_the_submit_answers_with_what_it_recorded(paper, db):
    _answer_mixed(db, paper)
    at = paper.started_at + timedelta(seconds=42)
    view = submit.submit(paper.id, paper.user_id, "12", now=at, clock=at)
    assert (view.id, view.round_id, view.status, view.score, view.max_score) == (
        paper.id, paper.round_id, AttemptStatus.SUBMITTED, 2, 5)
    assert (view.duration_ms, view.started_at, view.deadline_at, view.submitted_at) == (
        42_000, paper.started_at, paper.deadline_at, at)
    assert view.finish_reason == FinishReason.SUBMITTED and view.prediction == Decimal(12)


# --- the page's own time-out (auto): the last minute only ----------------------------------------------------

def test_the_auto_submit_in_the_last_minute_may_lack_or_spoil_the_prediction(paper, db):
    at = paper.deadline_at - timedelta(seconds=60)
    done = submit.submit_attempt(paper.id, paper.user_id, "not a number", auto=True, now=at)
    assert done.finish_reason == FinishReason.TIMEOUT and done.prediction is None and done.status == "submitted"


def test_an_auto_flag_1_ms_before_the_last_minute_is_an_ordinary_submit(paper, db):
    at = paper.deadline_at - timedelta(seconds=60) - MS
    with pytest.raises(ServiceError) as exc:
        submit.submit_attempt(paper.id, paper.user_id, None, auto=True, now=at)
    assert exc.value.code == "prediction_missing"
    db.session.rollback()
    done = submit.submit_attempt(paper.id, paper.user_id, "4", auto=True, now=at)
    assert done.finish_reason == FinishReason.SUBMITTED and done.prediction == Decimal(4)


def test_the_form_without_javascript_follows_the_same_last_minute(paper, db):
    aq = paper.questions[0]
    with pytest.raises(ServiceError) as exc:
        submit.submit_form(paper.id, paper.user_id, {aq.id: []}, None, auto=True,
                           now=paper.deadline_at - timedelta(seconds=60) - MS)
    assert exc.value.code == "prediction_missing"
    db.session.rollback()
    at = paper.deadline_at - timedelta(seconds=60)
    done = submit.submit_form(paper.id, paper.user_id, {aq.id: _shown(aq, _options(db, aq, True))}, None,
                              auto=True, now=at, clock=at + timedelta(seconds=1))
    assert done.finish_reason == FinishReason.TIMEOUT and done.score == 1 and done.duration_ms == 541_000
    assert db.session.get(AttemptQuestion, aq.id).answered_at == at  # the answer's time is its arrival
    assert submit.submit_form(paper.id, paper.user_id, {}, "5").id == done.id  # already submitted: unchanged


# --- who may submit ------------------------------------------------------------------------------------------

def test_nobody_submits_another_entrants_attempt(paper, make, db):
    with pytest.raises(ServiceError) as exc:
        submit.submit(paper.id, make.user().id, "3")
    assert exc.value.code == "attempt_not_found" and exc.value.status == 404
    with pytest.raises(ServiceError) as exc:
        submit.submit(987654, paper.user_id, "3")
    assert exc.value.status == 404
    assert db.session.get(Attempt, paper.id).status == AttemptStatus.IN_PROGRESS


def test_a_deactivated_account_cannot_submit(paper, db):
    from quizapp.auth.models import User

    db.session.get(User, paper.user_id).is_active_account = False
    db.session.commit()
    with pytest.raises(ServiceError) as exc:
        submit.submit(paper.id, paper.user_id, "3")
    assert exc.value.code == "attempt_not_found" and exc.value.status == 404
    assert db.session.get(Attempt, paper.id, populate_existing=True).status == AttemptStatus.IN_PROGRESS


def test_a_second_submit_returns_the_first_result(paper, db):
    _answer_mixed(db, paper)
    first = submit.submit(paper.id, paper.user_id, "3", now=paper.started_at + timedelta(seconds=50))
    db.session.commit()
    second = submit.submit(paper.id, paper.user_id, "9", now=paper.started_at + timedelta(seconds=80))
    assert (second.score, second.duration_ms, second.prediction, second.submitted_at) == (
        first.score, first.duration_ms, Decimal(3), first.submitted_at)
    assert second == first  # every field: id, round, status, maximum, times, finish reason, review


# --- every refusal an entrant can meet says why, in Vietnamese ----------------------------------------------

def _vietnamese(msgid: str) -> str:
    from pathlib import Path

    from babel.messages.pofile import read_po

    import quizapp

    with open(Path(quizapp.__file__).parent / "attempts" / "translations" / "vi.po", "rb") as fh:
        catalogue = read_po(fh, locale="vi")
    message = catalogue.get(msgid)
    return message.string if message is not None else ""


def _refusal(fn) -> ServiceError:
    with pytest.raises(ServiceError) as exc:
        fn()
    return exc.value


def test_every_refusal_of_a_save_or_a_submit_has_its_code_status_and_a_translated_message(paper, make, db):
    a, aq = paper, paper.questions[0]
    other = paper.questions[1]
    singles, multis = _split(db, a)
    right = _shown(aq, _options(db, aq, True))
    late = a.deadline_at + clock.grace() + MS
    refusals = [
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, "12", 1), "selected_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, list(range(51)), 1), "selected_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, list(range(50)), 1), "option_not_in_question", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, [True], 1), "selected_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, ["abc"], 1), "selected_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, right, 2**53), "seq_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, right, 0), "seq_invalid", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, _shown(other, _options(db, other, True)), 1),
         "option_not_in_question", 400),
        (lambda: answers.save_answer(a.id, a.user_id, singles[0].id,
                                     _shown(singles[0], _options(db, singles[0], False)[:2]), 1), "single_choice", 400),
        (lambda: answers.save_answer(a.id, a.user_id, 987654, right, 1), "question_not_in_attempt", 404),
        (lambda: answers.save_answer(a.id, make.user().id, aq.id, right, 1), "attempt_not_found", 404),
        (lambda: answers.save_answer(987654, a.user_id, aq.id, right, 1), "attempt_not_found", 404),
        (lambda: answers.save_answers_form(a, {987654: right}), "question_not_in_attempt", 400),
        (lambda: answers.save_answer(a.id, a.user_id, aq.id, right, 1, now=late), "time_up", 409),
        (lambda: submit.submit(a.id, make.user().id, "3"), "attempt_not_found", 404),
    ]
    for fn, code, status in refusals:
        exc = _refusal(fn)
        db.session.rollback()
        assert (exc.code, exc.status) == (code, status), (code, exc.code)
        assert _vietnamese(exc.message), f"{code}: {exc.message!r} has no Vietnamese translation"
    assert multis  # the multiple-choice questions accept several options (no single_choice refusal)
    answers.save_answer(a.id, a.user_id, multis[0].id, _shown(multis[0], _options(db, multis[0], True)), 1)
    submit.submit(a.id, a.user_id, "3")
    db.session.commit()
    for fn in (lambda: answers.save_answer(a.id, a.user_id, aq.id, right, 9),
               lambda: answers.save_answers_form(db.session.get(Attempt, a.id), {aq.id: right})):
        exc = _refusal(fn)
        db.session.rollback()
        assert (exc.code, exc.status) == ("attempt_finished", 409) and _vietnamese(exc.message)


def test_a_submission_nobody_recorded_is_never_answered_with_a_result(paper, db):
    """An attempt whose questions cannot be read (none left) is neither recorded nor reported as submitted."""
    db.session.execute(sa.delete(AttemptQuestion).where(AttemptQuestion.attempt_id == paper.id))
    db.session.commit()
    exc = _refusal(lambda: submit.submit(paper.id, paper.user_id, "3"))
    assert (exc.code, exc.status) == ("attempt_conflict", 409) and _vietnamese(exc.message)
    assert db.session.get(Attempt, paper.id, populate_existing=True).status == AttemptStatus.IN_PROGRESS


def test_a_late_refusal_is_translated_too(paper, db):
    exc = _refusal(lambda: submit.submit(paper.id, paper.user_id, "3", now=paper.deadline_at + clock.grace() + MS))
    assert (exc.code, exc.status) == ("time_up", 409) and _vietnamese(exc.message)


# --- what a save keeps ---------------------------------------------------------------------------------------

def test_option_ids_sent_as_digit_strings_and_repeated_are_one_choice(paper, db):
    aq = _split(db, paper)[0][0]  # a single-choice question
    shown_id = _shown(aq, _options(db, aq, True))[0]
    r = answers.save_answer(paper.id, paper.user_id, aq.id, [str(shown_id), shown_id], 2**53 - 1)
    assert r.saved is True and r.selected == [shown_id] and r.seq == 2**53 - 1
    assert db.session.get(AttemptQuestion, aq.id, populate_existing=True).selected == _options(db, aq, True)


def test_the_form_s_answer_wins_over_an_older_save_replayed_after_it(paper, db):
    """The page without JavaScript writes each changed answer with the next sequence number."""
    aq = paper.questions[0]
    wrong, right = _shown(aq, _options(db, aq, False)[:1]), _shown(aq, _options(db, aq, True))
    answers.save_answer(paper.id, paper.user_id, aq.id, wrong, 5)
    db.session.commit()
    stored = db.session.get(Attempt, paper.id, populate_existing=True)
    answers.save_answers_form(stored, {aq.id: right, paper.questions[1].id: []})
    db.session.commit()
    row = db.session.get(AttemptQuestion, aq.id, populate_existing=True)
    assert row.selected == _options(db, aq, True) and row.answer_seq == 6
    assert db.session.get(AttemptQuestion, paper.questions[1].id).answer_seq == 0  # unchanged: not rewritten
    late_replay = answers.save_answer(paper.id, paper.user_id, aq.id, wrong, 5)
    assert late_replay.saved is False and late_replay.selected == sorted(right)


# --- the page without JavaScript -----------------------------------------------------------------------------

def test_the_form_saves_every_posted_answer_and_records_its_prediction(paper, db):
    singles, multis = _split(db, paper)
    posted = {multis[0].id: _shown(multis[0], _options(db, multis[0], True)),
              singles[0].id: _shown(singles[0], _options(db, singles[0], True))}
    at = paper.started_at + timedelta(seconds=100)
    done = submit.submit_form(paper.id, paper.user_id, posted, "7", now=at, clock=at)
    assert done.finish_reason == FinishReason.SUBMITTED and done.prediction == Decimal(7)
    assert (done.score, done.max_score, done.duration_ms) == (2, 5, 100_000)


def test_an_ordinary_form_submit_without_its_prediction_is_refused_before_anything_is_written(paper, db):
    aq = paper.questions[0]
    posted = {aq.id: _shown(aq, _options(db, aq, True))}
    for auto, at in ((None, paper.deadline_at - timedelta(seconds=30)),  # not the page's own time-out
                     (True, paper.deadline_at - timedelta(seconds=60) - MS)):  # before the last minute
        flags = {} if auto is None else {"auto": auto}
        exc = _refusal(lambda: submit.submit_form(paper.id, paper.user_id, posted, None, now=at, **flags))
        assert exc.code == "prediction_missing"
        assert db.session.get(AttemptQuestion, aq.id).selected is None  # nothing written, even unflushed
        db.session.rollback()


def test_a_form_posted_after_deadline_plus_grace_closes_the_attempt_on_what_was_saved(paper, db):
    singles, _multis = _split(db, paper)
    answers.save_answer(paper.id, paper.user_id, singles[0].id, _shown(singles[0], _options(db, singles[0], True)), 1)
    db.session.commit()
    late = paper.deadline_at + clock.grace() + MS
    posted = {singles[1].id: _shown(singles[1], _options(db, singles[1], True))}  # too late: not kept
    done = submit.submit_form(paper.id, paper.user_id, posted, "3", now=late, clock=late)
    assert done.finish_reason == FinishReason.FINALIZED and done.prediction is None
    assert done.score == 1 and done.submitted_at == paper.deadline_at
    assert db.session.get(AttemptQuestion, singles[1].id).selected is None


@pytest.mark.parametrize("mode,posted,recorded", [("off", None, None), ("perfect_percent", "87,654321",
                                                                       Decimal("87.654321"))])
def test_the_form_checks_the_prediction_by_the_round_s_own_mode(make, db, mode, posted, recorded):
    from quizapp.contests.models import PredictionMode

    for _ in range(2):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 2)], prediction_mode=PredictionMode(mode))
    attempt = start_attempt(rnd.id, make.user())
    db.session.commit()
    done = submit.submit_form(attempt.id, attempt.user_id, {}, posted)
    assert done.finish_reason == FinishReason.SUBMITTED and done.prediction == recorded


def test_a_replayed_multiple_choice_answer_reports_what_is_stored(paper, db):
    _singles, multis = _split(db, paper)
    both = _shown(multis[0], _options(db, multis[0], True))
    assert answers.save_answer(paper.id, paper.user_id, multis[0].id, both, 3).saved is True
    replay = answers.save_answer(paper.id, paper.user_id, multis[0].id, both, 3)
    assert replay.saved is False and replay.selected == sorted(both) and replay.seq == 3
