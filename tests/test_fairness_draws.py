"""Issue 11 items 2, 3, 4, 6 and issue 15 item 3: what an attempt draws and shows,
when keys become visible, and per-group question sets.

Every draw here goes through the real start path (``begin_attempt``: one SELECT
of round, entrant, quota and pool), on SQLite and PostgreSQL.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.attempts import draws
from quizapp.attempts import answers as attempt_answers
from quizapp.attempts import review as attempt_review
from quizapp.attempts import start as attempt_start
from quizapp.attempts import submit as attempt_submit
from quizapp.attempts.models import Attempt, AttemptQuestion
from quizapp.attempts.option_ids import OptionIds
from quizapp.core.audit import AuditEntry
from quizapp.auth.models import EntrantCategory, Role
from quizapp.bank.models import Option, Question
from quizapp.contests.models import PredictionMode, ReviewPolicy
from quizapp.contests.quotas import QuotaItem, fresh_counts, quota_shortages
from quizapp.contests.rounds import RoundData, add_round, round_data_of, update_round
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.leaderboards import ranking
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture


def drawn_question_ids(db, attempt_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(AttemptQuestion.question_id)
                                   .where(AttemptQuestion.attempt_id == attempt_id)))


# --- item 3: option ids carry no order ---------------------------------------------------------

def test_sorting_the_shown_option_ids_does_not_restore_bank_order(make, db):
    """On the old code the shown ids were the bank's ids: sorting them gave A, B, C, D every time."""
    q = make.question(n_options=4, correct=[0])  # the key is A, as in 28.6 % of the shipped bank
    key_text = q.options[0].text
    rnd = make.round(quotas=(("TC", 0, 1),), attempts_allowed=1)
    key_rank, bank_order_restored, seen_ids = Counter(), 0, set()
    for _ in range(120):
        view = attempt_start.begin_attempt(rnd.id, make.user().id)
        (shown,) = view.questions
        db.session.commit()
        by_id = sorted(shown.options)  # what a curious entrant does
        texts = [text for _oid, text in by_id]
        key_rank[texts.index(key_text)] += 1
        bank_order_restored += texts == [o.text for o in q.options]
        seen_ids |= {oid for oid, _ in shown.options}
        assert all(0 < oid < 2**53 for oid, _ in shown.options)  # exact in JavaScript
    assert bank_order_restored < 20  # 1 in 24 by chance (5 expected), 120 on the old code
    assert all(15 <= key_rank[r] <= 50 for r in range(4)), key_rank  # the key is not "first by id"
    assert len(seen_ids) > 400  # different ids in every attempt: nothing to share between entrants


def test_shown_ids_save_and_grade_the_real_options(make, db):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=(("TC", 0, 3),))
    user = make.user()
    view = attempt_start.begin_attempt(rnd.id, user.id)
    db.session.commit()
    real = {o.id for o in db.session.scalars(sa.select(Option))}
    for q in view.questions:
        assert not {oid for oid, _ in q.options} & real  # no bank id is ever shown
    ids = OptionIds(view.id)
    for q in view.questions:
        aq = db.session.get(AttemptQuestion, q.id)
        key = [ids.shown(o.id) for o in aq.question.options if o.is_correct]
        assert attempt_answers.save_answer(view.id, user.id, q.id, key, 1).saved
    attempt_submit.submit_attempt(view.id, user.id, "1")
    db.session.commit()
    assert db.session.get(Attempt, view.id).score == 3
    with pytest.raises(ServiceError) as exc:  # a real (bank) id is not an option of the attempt
        attempt_start.begin_attempt(rnd.id, user.id)
        aq = db.session.get(AttemptQuestion, view.questions[0].id)
        attempt_answers.save_answer(view.id, user.id, aq.id, [aq.option_order[0]], 2)
    assert exc.value.status in (400, 409)


# --- item 6: exclusion groups ------------------------------------------------------------------

def test_the_start_never_draws_two_questions_of_one_exclusion_group(make, db):
    qs = [make.question() for _ in range(5)]
    qs[0].exclusion_group = qs[1].exclusion_group = "TCBM-037"  # one states what the other asks
    db.session.commit()
    rnd = make.round(quotas=(("TC", 0, 4),), attempts_allowed=1)
    for _ in range(40):
        view = attempt_start.begin_attempt(rnd.id, make.user().id, rng=random.Random(_))
        db.session.commit()
        drawn = drawn_question_ids(db, view.id)
        assert len(drawn) == 4 and not {qs[0].id, qs[1].id} <= set(drawn)


def test_exclusion_groups_hold_across_quota_cells_and_a_group_counts_once_for_quotas(make, db):
    easy = make.question(difficulty=1)
    hard = make.question(difficulty=3)
    others = [make.question(difficulty=2) for _ in range(3)]
    easy.exclusion_group = hard.exclusion_group = "G1"
    db.session.commit()
    rnd = make.round(quotas=(("TC", 1, 1), ("TC", 0, 3)), attempts_allowed=1)
    for seed in range(20):
        view = attempt_start.begin_attempt(rnd.id, make.user().id, rng=random.Random(seed))
        db.session.commit()
        drawn = set(drawn_question_ids(db, view.id))
        assert easy.id in drawn and hard.id not in drawn and drawn >= {o.id for o in others}
    tc = make.area("TC").id
    # 5 approved questions, but one group: an attempt can hold 4 of them.
    assert quota_shortages([QuotaItem(tc, 0, 5)])
    assert not quota_shortages([QuotaItem(tc, 0, 4)])


# --- item 2: per-round pool and review after the contest ----------------------------------------

def test_a_per_round_pool_avoids_questions_of_earlier_rounds_while_enough_remain(make, db, app):
    qs = [make.question() for _ in range(8)]
    week1 = make.round(quotas=(("TC", 0, 4),), number=1, attempts_allowed=1,
                       opens_at=utcnow() - timedelta(days=8), closes_at=utcnow() - timedelta(days=1))
    first = attempt_start.begin_attempt(week1.id, make.user().id, now=utcnow() - timedelta(days=2))
    db.session.commit()
    used = set(drawn_question_ids(db, first.id))
    week2 = make.round(quotas=(("TC", 0, 4),), contest=week1.contest, number=2, attempts_allowed=1,
                       fresh_questions=True)
    for seed in range(10):
        view = attempt_start.begin_attempt(week2.id, make.user().id, rng=random.Random(seed))
        db.session.commit()
        assert not set(drawn_question_ids(db, view.id)) & used
    # Too few fresh questions: the rest comes from the used ones (a round must still fill).
    week3 = make.round(quotas=(("TC", 0, 6),), contest=week1.contest, number=3, fresh_questions=True)
    draws.forget_process_state(app)
    view = attempt_start.begin_attempt(week3.id, make.user().id)
    drawn = set(drawn_question_ids(db, view.id))
    assert len(drawn) == 6 and drawn <= {q.id for q in qs}
    # The builder shows the remaining pool per quota cell.
    fresh = fresh_counts(week1.contest, week3)
    assert fresh.get((make.area("TC").id, 0), 0) == 0  # weeks 1 and 2 drew all 8


def test_the_builder_shows_the_remaining_pool_and_defaults_to_review_after_the_contest(client, make, db, auth):
    for _ in range(6):
        make.question()
    week1 = make.round(quotas=(("TC", 0, 4),), number=1)
    attempt_start.begin_attempt(week1.id, make.user().id)
    db.session.commit()
    auth.login(make.user(role=Role.ORGANISER))
    html = client.get(f"/admin/contests/{week1.contest_id}/rounds/new").get_data(as_text=True)
    assert '<option selected value="after_contest">' in html
    tc = make.area("TC").id
    cell = html.split(f'id="q_{tc}_0"')[1].split("</td>")[0]
    assert "2)" in cell  # 6 approved, 4 used by week 1: 2 new
    assert 'name="fresh_questions"' in html


def test_review_after_the_contest_keeps_keys_until_the_last_round_closes(make, db):
    for _ in range(4):
        make.question()
    now = utcnow()
    week1 = make.round(quotas=(("TC", 0, 4),), number=1, review_policy=ReviewPolicy.AFTER_CONTEST,
                       opens_at=now - timedelta(days=8), closes_at=now - timedelta(days=1))
    make.round(quotas=(("TC", 0, 4),), contest=week1.contest, number=2, opens_at=now,
               closes_at=now + timedelta(days=7))
    attempt = make.submission(week1, make.user(), 4, "1", start=now - timedelta(days=2))
    db.session.refresh(attempt)
    assert not attempt_review.review_visible(attempt, now)  # week 1 has closed, but week 2 has not
    assert attempt_review.review_visible(attempt, now + timedelta(days=8))


# --- item 4: no extension once keys were shown --------------------------------------------------

def test_extending_a_round_whose_review_is_visible_is_refused_and_audited(make, db):
    for _ in range(4):
        make.question()
    now = utcnow()
    rnd = make.round(quotas=(("TC", 0, 4),), review_policy=ReviewPolicy.AFTER_CLOSE,
                     opens_at=now - timedelta(days=8), closes_at=now - timedelta(hours=1))
    make.submission(rnd, make.user(), 2, "1", start=now - timedelta(days=2))
    organiser = make.user(role=Role.ORGANISER)
    data = round_data_of(rnd)
    data.closes_at = now + timedelta(days=2)
    with pytest.raises(ServiceError) as exc:
        update_round(rnd, data, organiser.id)
    assert exc.value.status == 409 and exc.value.code == "review_visible" and exc.value.field == "closes_at"
    db.session.rollback()
    db.session.refresh(rnd)
    assert rnd.closes_at < now
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "round.extend_refused"))
    assert entry is not None and entry.actor_id == organiser.id and entry.object_id == str(rnd.id)


def test_extending_is_still_allowed_while_no_key_was_shown(make, db):
    for _ in range(4):
        make.question()
    now = utcnow()
    rnd = make.round(quotas=(("TC", 0, 4),), review_policy=ReviewPolicy.AFTER_CLOSE)
    make.submission(rnd, make.user(), 2, "1", start=now - timedelta(hours=2))
    data = round_data_of(rnd)
    data.closes_at = rnd.closes_at + timedelta(days=2)
    assert "closes_at" in update_round(rnd, data, None)


def test_the_round_page_answers_409_in_vietnamese(client, make, db, auth):
    for _ in range(4):
        make.question()
    now = utcnow()
    rnd = make.round(quotas=(("TC", 0, 4),), review_policy=ReviewPolicy.AFTER_ATTEMPT,
                     opens_at=(now - timedelta(days=1)).replace(second=0, microsecond=0))
    make.submission(rnd, make.user(), 2, "1", start=now - timedelta(hours=2))
    auth.login(make.user(role=Role.ORGANISER))
    path = f"/admin/contests/{rnd.contest_id}/rounds/{rnd.id}/edit"
    html = client.get(path).get_data(as_text=True)
    import re

    form = {name: value for name, value in re.findall(r'<input(?![^>]*checkbox)[^>]*name="([^"]+)"[^>]*value="([^"]*)"',
                                                      html)}
    form |= {name: value for name, value in re.findall(
        r'<select[^>]*name="([^"]+)".*?<option selected value="([^"]*)"', html, re.S)}
    form["closes_at"] = "2099-01-01T00:00"
    for box in ("shuffle_questions", "shuffle_options"):
        form[box] = "y"
    form["csrf_token"] = csrf_token(client, path)
    resp = client.post(path, data=form)
    assert resp.status_code == 409
    assert "đã xem đáp án" in resp.get_data(as_text=True)


# --- issue 15 item 3: question sets per entrant group ----------------------------------------

@pytest.fixture()
def grouped_round(make, db):
    for _ in range(5):
        make.question(area_code="TC")
    for _ in range(3):
        make.question(area_code="TTHC")
    rnd = make.round(quotas=(("TC", 0, 4),))
    tthc = make.area("TTHC").id
    from quizapp.contests.models import RoundQuota

    rnd.quotas.append(RoundQuota(area_id=tthc, difficulty=0, count=2, entrant_group=EntrantCategory.STUDENT.value))
    db.session.commit()
    return rnd


def test_an_entrant_group_draws_its_own_quota(make, db, grouped_round):
    tthc = make.area("TTHC").id
    student = make.user(category=EntrantCategory.STUDENT)
    official = make.user(category=EntrantCategory.CIVIL_SERVANT)
    s_view = attempt_start.begin_attempt(grouped_round.id, student.id)
    o_view = attempt_start.begin_attempt(grouped_round.id, official.id)
    db.session.commit()
    s_areas = {db.session.get(Question, q).area_id for q in drawn_question_ids(db, s_view.id)}
    o_areas = {db.session.get(Question, q).area_id for q in drawn_question_ids(db, o_view.id)}
    assert len(s_view.questions) == 2 and s_areas == {tthc}
    assert len(o_view.questions) == 4 and tthc not in o_areas
    assert grouped_round.question_count("student") == 2 and grouped_round.question_count("civil_servant") == 4


def test_groups_are_ranked_together_or_separately_as_the_organiser_chooses(make, db, grouped_round):
    from quizapp.leaderboards import boards

    start = utcnow() - timedelta(hours=2)
    make.submission(grouped_round, make.user(full_name="SV giỏi", category=EntrantCategory.STUDENT), 2, "1",
                    start=start, seconds=50)
    make.submission(grouped_round, make.user(full_name="CB 4 câu", category=EntrantCategory.CIVIL_SERVANT), 4, "1",
                    start=start, seconds=60)
    make.submission(grouped_round, make.user(full_name="CB 3 câu", category=EntrantCategory.CIVIL_SERVANT), 3, "1",
                    start=start, seconds=40)
    grouped_round.prediction_mode = PredictionMode.OFF  # its results are live (issue 20, item 4)
    db.session.commit()
    together = [(r.full_name, r.rank) for r in boards.round_board(grouped_round.id).rows]
    assert together == [("CB 4 câu", 1), ("CB 3 câu", 2), ("SV giỏi", 3)]
    grouped_round.rank_groups_separately = True
    db.session.commit()
    apart = {r.full_name: r.rank for r in boards.round_board(grouped_round.id).rows}
    assert apart == {"CB 4 câu": 1, "CB 3 câu": 2, "SV giỏi": 1}
    # The SQL ranking (exports, one entrant's place) and the contest-wide ranking partition the same way.
    assert sorted(e.rank for e in ranking.rank_round(grouped_round.id)) == [1, 1, 2]
    contest = {r.full_name: r.rank for r in boards.contest_board(grouped_round.contest_id).rows}
    assert contest == {"CB 4 câu": 1, "CB 3 câu": 2, "SV giỏi": 1}


def test_the_builder_saves_a_group_quota_and_the_separate_ranking(client, make, db, auth):
    for _ in range(4):
        make.question(area_code="TC")
    for _ in range(2):
        make.question(area_code="TTHC")
    contest = make.contest()
    auth.login(make.user(role=Role.ORGANISER))
    tc, tthc = make.area("TC").id, make.area("TTHC").id
    path = f"/admin/contests/{contest.id}/rounds/new"
    resp = client.post(path, data={
        "csrf_token": csrf_token(client, path), "title": "Tuần 1", "opens_at": "2030-03-02T00:00",
        "closes_at": "2030-03-08T23:59", "time_limit_minutes": "20", "attempts_allowed": "3",
        "counted_attempt": "best", "shuffle_questions": "y", "shuffle_options": "y", "layout": "one_page",
        "prediction_mode": "perfect_count", "review_policy": "after_contest", f"q_{tc}_0": "3",
        "group_category": "student", f"g_{tthc}_0": "2", "rank_groups_separately": "y"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db.session.expire_all()
    (rnd,) = contest.rounds
    assert sorted((q.entrant_group, q.area_id, q.count) for q in rnd.quotas) == [("", tc, 3), ("student", tthc, 2)]
    assert rnd.rank_groups_separately and rnd.review_policy == ReviewPolicy.AFTER_CONTEST
    html = client.get(f"/admin/contests/{contest.id}/rounds/{rnd.id}/edit").get_data(as_text=True)
    assert f'id="g_{tthc}_0"' in html and '<option selected value="student">' in html


def test_choosing_a_group_without_its_quota_is_refused_with_the_field_named(client, make, db, auth):
    for _ in range(4):
        make.question(area_code="TC")
    contest = make.contest()
    auth.login(make.user(role=Role.ORGANISER))
    tc = make.area("TC").id
    path = f"/admin/contests/{contest.id}/rounds/new"
    resp = client.post(path, data={
        "csrf_token": csrf_token(client, path), "title": "Tuần 1", "opens_at": "2030-03-02T00:00",
        "closes_at": "2030-03-08T23:59", "time_limit_minutes": "20", "attempts_allowed": "3",
        "counted_attempt": "best", "layout": "one_page", "prediction_mode": "perfect_count",
        "review_policy": "after_close", f"q_{tc}_0": "3", "group_category": "student"})
    html = resp.get_data(as_text=True)
    assert resp.status_code in (200, 422) and 'id="group_category-err"' in html and "ít nhất một câu cho nhóm" in html
    db.session.expire_all()
    assert not contest.rounds


def test_no_round_can_be_added_once_the_contest_answers_were_shown(make, db):
    for _ in range(4):
        make.question()
    now = utcnow()
    week1 = make.round(quotas=(("TC", 0, 4),), number=1, review_policy=ReviewPolicy.AFTER_CONTEST,
                       opens_at=now - timedelta(days=8), closes_at=now - timedelta(days=1))
    make.submission(week1, make.user(), 4, "1", start=now - timedelta(days=2))
    data = RoundData(title="Tuần thêm", opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8),
                     quotas=[QuotaItem(make.area("TC").id, 0, 4)])
    with pytest.raises(ServiceError) as exc:
        add_round(week1.contest, data, None)
    assert exc.value.status == 409 and exc.value.code == "review_visible"
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "round.create_refused"))
