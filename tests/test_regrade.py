"""Issue 20, item 5: re-grading after a key is corrected, or voiding the question.

One question, three entrants: "A" chose the old key (position 0), "B" and "C" chose position 1,
B faster than C. The key was wrong: position 1 is right.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.leaderboards_support import live  # noqa: F401 - autouse fixture

from quizapp.attempts import history, regrade
from quizapp.attempts.models import Attempt, AttemptQuestion, RegradeChange
from quizapp.auth.models import Role
from quizapp.bank.models import Option, Question, QuestionStatus
from quizapp.contests.models import PredictionMode
from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.leaderboards import ranking
from quizapp.leaderboards.models import Standing
from quizapp.leaderboards.places import place_in_round
from tests.conftest import csrf_token


def correct_key(db, q: Question, positions=(1,)) -> Question:
    """What the bank's editor does: a new version with the corrected key, the old one superseded."""
    new = Question(lineage=q.lineage, version=q.version + 1, area_id=q.area_id, difficulty=q.difficulty,
                   multiple=q.multiple, status=QuestionStatus.APPROVED, text=q.text, explanation=q.explanation,
                   source=q.source, content_hash=uuid.uuid4().hex)
    for o in sorted(q.options, key=lambda o: o.position):
        new.options.append(Option(position=o.position, text=o.text, is_correct=o.position in positions))
    q.status = QuestionStatus.SUPERSEDED
    db.session.add(new)
    db.session.commit()
    return new


@pytest.fixture()
def world(make, db):
    q = make.question(n_options=4, correct=(0,))
    rnd = make.round(quotas=(("TC", 0, 1),), prediction_mode=PredictionMode.OFF, attempts_allowed=1)
    start = utcnow() - timedelta(hours=1)
    a, b, c = (make.user(full_name=n) for n in ("A", "B", "C"))
    make.submission(rnd, a, 1, start=start, seconds=50)
    make.submission(rnd, b, 0, start=start, seconds=30)
    make.submission(rnd, c, 0, start=start, seconds=60)
    return dict(q=q, round=rnd, a=a, b=b, c=c, organiser=make.user(role=Role.ORGANISER))


def _scores(db, rnd):
    db.session.expire_all()
    return {s.user_id: (s.score, s.max_score) for s in db.session.scalars(
        sa.select(Standing).where(Standing.round_id == rnd.id))}


def test_the_dry_run_lists_whose_score_and_place_change_and_changes_nothing(db, world):
    rnd, a, b, c = world["round"], world["a"], world["b"], world["c"]
    before = _scores(db, rnd)
    corrected = correct_key(db, world["q"])
    preview = regrade.dry_run(rnd.id, corrected.id, "key")
    got = {ch.full_name: (ch.old_score, ch.new_score, ch.old_rank, ch.new_rank) for ch in preview.changes}
    assert got == {"A": (1, 0, 1, 3), "B": (0, 1, 2, 1), "C": (0, 1, 3, 2)}
    assert preview.attempts == 3
    assert _scores(db, rnd) == before == {a.id: (1, 1), b.id: (0, 1), c.id: (0, 1)}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RegradeChange)) == 0


def test_applying_rewrites_scores_standings_places_history_and_audit(db, world):
    rnd, a, b = world["round"], world["a"], world["b"]
    corrected = correct_key(db, world["q"])
    regrade.apply(rnd.id, corrected.id, "key", world["organiser"].id)
    db.session.commit()
    assert _scores(db, rnd) == {a.id: (0, 1), b.id: (1, 1), world["c"].id: (1, 1)}
    marks = dict(db.session.execute(sa.select(Attempt.user_id, AttemptQuestion.is_correct)
                                    .join(AttemptQuestion, AttemptQuestion.attempt_id == Attempt.id)).all())
    assert marks == {a.id: False, b.id: True, world["c"].id: True}
    assert place_in_round(rnd.id, b.id).rank == 1 and place_in_round(rnd.id, a.id).rank == 3
    (item,) = history.my_attempts(a)
    (change,) = item.regrades
    assert (change.old_score, change.new_score, change.mode) == (1, 0, "key")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "attempts.regrade"))
    assert entry is not None and entry.details["count"] == 3 and entry.actor_id == world["organiser"].id
    # Applying again changes nothing more.
    assert regrade.dry_run(rnd.id, corrected.id, "key").changes == []


def test_voiding_gives_everyone_the_point_or_drops_it_from_the_maximum(db, world):
    rnd = world["round"]
    preview = regrade.dry_run(rnd.id, world["q"].id, "void_all")
    assert {(c.new_score, c.new_max) for c in preview.changes} == {(1, 1)} and preview.attempts == 2
    regrade.apply(rnd.id, world["q"].id, "void_drop", None)
    db.session.commit()
    assert set(_scores(db, rnd).values()) == {(0, 0)}
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "attempts.regrade_void")) is not None


def test_a_finalised_rounds_true_figure_follows_the_regrade(db, make):
    q = make.question(correct=(0,))
    rnd = make.round(quotas=(("TC", 0, 1),), attempts_allowed=1)  # perfect-count prediction
    for right in (1, 0, 0):
        make.submission(rnd, make.user(), right, "1", start=utcnow() - timedelta(hours=1))
    rnd.closes_at = utcnow() - timedelta(minutes=5)
    ranking.finalize_round(rnd)
    db.session.commit()
    assert rnd.prediction_truth == 1
    preview = regrade.dry_run(rnd.id, correct_key(db, q).id, "key")
    assert (preview.truth_before, preview.truth_after) == ("1", "2")


def test_certificates_already_issued_are_flagged_never_changed(db, world):
    from quizapp.campaign.models import Award, AwardKind

    rnd, a = world["round"], world["a"]
    award = Award(contest_id=rnd.contest_id, round_id=rnd.id, kind=AwardKind.INDIVIDUAL, user_id=a.id,
                  recipient_name="A", prize="Giải Nhất", rank=1, score=1, max_score=1,
                  created_at=utcnow() - timedelta(minutes=1))
    db.session.add(award)
    db.session.commit()
    assert regrade.flagged_awards(rnd.id) == []
    regrade.apply(rnd.id, correct_key(db, world["q"]).id, "key", None)
    db.session.commit()
    (flag,) = regrade.flagged_awards(rnd.id)
    assert (flag.recipient_name, flag.issued_score, flag.score_now) == ("A", 1, 0)
    db.session.refresh(award)
    assert (award.score, award.rank, award.prize) == (1, 1, "Giải Nhất")


def test_bad_requests_are_refused_in_vietnamese_and_for_organisers_only(client, auth, db, world, make):
    with pytest.raises(ServiceError) as exc:
        regrade.dry_run(world["round"].id, world["q"].id, "guess")
    assert exc.value.status == 422
    other = make.question(n_options=3)
    with pytest.raises(ServiceError) as exc:
        regrade.dry_run(world["round"].id, other.id, "key")
    assert exc.value.status == 404
    auth.login(world["a"])
    assert client.get(f"/admin/rounds/{world['round'].id}/regrade").status_code == 403
    auth.logout()
    auth.login(world["organiser"])
    token = csrf_token(client, f"/admin/rounds/{world['round'].id}/regrade")
    resp = client.post(f"/admin/rounds/{world['round'].id}/regrade",
                       data={"question_id": world["q"].id, "mode": "key", "preview": "1", "csrf_token": token})
    assert resp.status_code == 200 and 'id="regrade-nothing"' in resp.get_data(as_text=True)
    page = client.get(f"/admin/questions/{world['q'].id}/regrade").get_data(as_text=True)
    assert f"/admin/rounds/{world['round'].id}/regrade?question={world['q'].id}" in page
