"""Running a live event through its services: the builder's rules, the state machine, answers timed
by the server, idempotent resends, the buzzer, corrections, judges and the final ranking."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.live import builder, play, results, state
from quizapp.live.models import LiveAnswer, LiveEvent, LiveScore, Phase
from tests.live_support import build_event, right_option, wrong_option


@pytest.fixture()
def world(db, make):
    return build_event(db, make)


def _open_first_question(db, w, now):
    play.next_step(w.event, now, w.organiser.id)  # lobby → part intro
    play.next_step(w.event, now, w.organiser.id)  # intro → first question open
    db.session.commit()
    return play._item(w.event)


def test_builder_refuses_bad_input_naming_the_field(db, make, world):
    with pytest.raises(ServiceError) as err:
        builder.add_team(world.event, world.teams[0].unit_id, ["A"], None)
    assert err.value.code == "unit_taken" and err.value.field == "unit_id"
    other = make.unit("Xã khác", code="XK")
    with pytest.raises(ServiceError) as err:
        builder.add_team(world.event, other.id, ["A", "B", "C", "D", "E", "F"], None)
    assert err.value.field == "members" and "5" in err.value.message
    with pytest.raises(ServiceError) as err:
        builder.add_part(world.event, builder.PartData("judged", "X", rubric="Nội dung năm"), None)
    assert err.value.field == "rubric" and "1" in err.value.message
    with pytest.raises(ServiceError) as err:
        builder.pick_questions(world.knowledge, "abc", False, None)
    assert err.value.field == "question_ids" and "abc" in err.value.message
    used = world.knowledge.items[0].question_id
    with pytest.raises(ServiceError) as err:
        builder.pick_questions(world.buzzer, str(used), False, None)
    assert err.value.code == "duplicate"


def test_drawn_questions_are_approved_and_never_repeat_within_the_event(world):
    ids = [i.question_id for p in world.event.parts for i in p.items if i.question_id]
    assert len(ids) == len(set(ids)) == 7
    with pytest.raises(ServiceError) as err:
        builder.draw_questions(world.buzzer, None, None, 6, False, None)  # 12 in the bank, 7 used
    assert err.value.code == "not_enough"


def test_questions_with_several_right_options_are_never_drawn_and_refused_by_hand(db, make, world):
    """A team answers with one press: a multiple-answer question drawn into the hall could not be answered
    right (CI caught the demo event drawing one: the projector showed two ticks)."""
    several = [make.question(multiple=True, correct=(0, 1)) for _ in range(8)]
    db.session.commit()
    ids = {q.id for q in several}
    drawn = builder.draw_questions(world.buzzer, None, None, 5, False, None)  # 12 single + 8 multiple, 7 used
    assert len(drawn) == 5 and not {i.question_id for i in drawn} & ids
    with pytest.raises(ServiceError) as err:
        builder.draw_questions(world.buzzer, None, None, 1, False, None)  # only multiple-answer ones are left
    assert err.value.code == "not_enough"
    with pytest.raises(ServiceError) as err:
        builder.pick_questions(world.buzzer, str(several[0].id), False, None)
    assert err.value.code == "multiple" and err.value.field == "question_ids" and str(several[0].id) in err.value.message


def test_answer_is_timed_from_the_servers_open_and_scored_at_close(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    assert world.event.phase == Phase.OPEN and item.opened_at == t0
    assert item.closes_at == t0 + timedelta(seconds=20)
    a, b, c = world.teams
    play.answer(world.event, item.id, f"t{a.id}", a.id, "c-a", right_option(item), t0 + timedelta(seconds=5))
    play.answer(world.event, item.id, f"t{b.id}", b.id, "c-b", wrong_option(item), t0 + timedelta(seconds=1))
    play.answer(world.event, item.id, f"t{c.id}", c.id, "c-c", right_option(item), t0 + timedelta(seconds=15))
    db.session.commit()
    play.close(world.event, t0 + timedelta(seconds=21), world.organiser.id)
    db.session.commit()
    scores = {r.team_id: r.parts.get(world.knowledge.id, 0) for r in results.standings(world.event)}
    assert scores == {a.id: 13.75, b.id: 0, c.id: 11.25}  # 10 + 5 × 15/20 ; 10 + 5 × 5/20


def test_answer_after_the_close_is_refused_and_resend_is_recorded_once(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    a = world.teams[0]
    late = t0 + timedelta(seconds=20.6)  # past close + 0.5 s grace
    with pytest.raises(ServiceError) as err:
        play.answer(world.event, item.id, f"t{a.id}", a.id, "x1", right_option(item), late)
    assert err.value.code == "time_up"
    row, created = play.answer(world.event, item.id, f"t{a.id}", a.id, "x2", right_option(item),
                               t0 + timedelta(seconds=3))
    db.session.commit()
    again, created_again = play.answer(world.event, item.id, f"t{a.id}", a.id, "x2", right_option(item),
                                       t0 + timedelta(seconds=25))  # the resend arrives late: still the same answer
    assert created and not created_again and again.id == row.id
    with pytest.raises(ServiceError) as err:  # a second press with another answer
        play.answer(world.event, item.id, f"t{a.id}", a.id, "x3", wrong_option(item), t0 + timedelta(seconds=4))
    assert err.value.code == "already_answered"
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveAnswer)) == 1


def test_state_hides_the_key_until_the_reveal(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    snap = state.snapshot(world.event)
    assert "key" not in snap["item"] and "distribution" not in snap["item"]
    assert all(set(o) == {"id", "label", "text"} for o in snap["item"]["options"])
    play.close(world.event, t0 + timedelta(seconds=20), world.organiser.id)
    assert "key" not in state.snapshot(world.event)["item"]
    play.reveal(world.event, t0 + timedelta(seconds=22), world.organiser.id)
    db.session.commit()
    snap = state.snapshot(world.event)
    assert snap["item"]["key"] == [right_option(item)]


def test_every_change_bumps_the_version_once_per_commit(db, world):
    v0 = db.session.scalar(sa.select(LiveEvent.version).where(LiveEvent.id == world.event.id))
    _open_first_question(db, world, utcnow())
    v1 = db.session.scalar(sa.select(LiveEvent.version).where(LiveEvent.id == world.event.id))
    assert v1 == v0 + 1  # two steps in one transaction: one new version
    db.session.expire_all()
    assert state.snapshot(world.event)["v"] == v1


def test_pause_keeps_the_remaining_time(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    play.pause(world.event, t0 + timedelta(seconds=5), world.organiser.id)
    assert item.paused_remaining_ms == 15000
    a = world.teams[0]
    with pytest.raises(ServiceError) as err:
        play.answer(world.event, item.id, f"t{a.id}", a.id, "p1", right_option(item), t0 + timedelta(seconds=6))
    assert err.value.code == "paused"
    play.resume(world.event, t0 + timedelta(seconds=65), world.organiser.id)
    assert item.closes_at == t0 + timedelta(seconds=80)
    play.answer(world.event, item.id, f"t{a.id}", a.id, "p1", right_option(item), t0 + timedelta(seconds=70))


def _to_buzzer(db, w, now):
    _open_first_question(db, w, now)
    for _ in range(20):
        if w.event.phase == Phase.OPEN and play._part(w.event).id == w.buzzer.id:
            break
        play.next_step(w.event, now, w.organiser.id)
    db.session.commit()
    return play._item(w.event)


def test_buzzer_first_arrival_answers_wrong_passes_on_with_penalty(db, world):
    t0 = utcnow()
    item = _to_buzzer(db, world, t0)
    a, b, c = world.teams
    assert play.buzz(world.event, item.id, b, "b1", t0 + timedelta(seconds=1)) == (1, True)
    assert play.buzz(world.event, item.id, a, "a1", t0 + timedelta(seconds=1.2)) == (2, True)
    assert play.buzz(world.event, item.id, b, "b1", t0 + timedelta(seconds=1.5)) == (1, False)  # resend
    with pytest.raises(ServiceError):
        play.mark_buzz(world.event, a.id, True, world.organiser.id)  # a does not hold the right
    play.mark_buzz(world.event, b.id, False, world.organiser.id)
    assert play.buzz_holder(item) == a.id
    play.mark_buzz(world.event, a.id, True, world.organiser.id)
    db.session.commit()
    assert world.event.phase == Phase.CLOSED
    with pytest.raises(ServiceError):
        play.buzz(world.event, item.id, c, "c1", t0 + timedelta(seconds=2))
    scores = {r.team_id: r.parts.get(world.buzzer.id, 0) for r in results.standings(world.event)}
    assert scores == {a.id: 20, b.id: -10, c.id: 0}
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"live.mark_wrong", "live.mark_right"} <= actions


def test_correction_voids_the_marks_and_keeps_the_reason(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    a = world.teams[0]
    play.answer(world.event, item.id, f"t{a.id}", a.id, "k1", wrong_option(item), t0 + timedelta(seconds=2))
    play.reveal(world.event, t0 + timedelta(seconds=21), world.organiser.id)
    with pytest.raises(ServiceError) as err:
        play.correct(world.event, a.id, item.id, 10, "  ", world.organiser.id)
    assert err.value.field == "reason"
    play.correct(world.event, a.id, item.id, 10, "Ban giám khảo chấp nhận đáp án tương đương", world.organiser.id)
    play.correct(world.event, a.id, item.id, 7, "Trừ 3 điểm do quá thời gian trình bày", world.organiser.id)
    db.session.commit()
    total = {r.team_id: r.total for r in results.standings(world.event)}
    assert total[a.id] == 7
    rows = list(db.session.scalars(sa.select(LiveScore).where(LiveScore.team_id == a.id)))
    assert [(r.points, r.voided_at is None) for r in rows] == [(10, False), (7, True)]
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "live.correct")
                               .order_by(AuditEntry.id.desc())).first()
    assert entry.details["before"] == 10 and entry.details["points"] == 7 and "quá thời gian" in entry.details["reason"]


def test_skip_to_reserve_voids_the_question_and_opens_the_reserve(db, world):
    t0 = utcnow()
    item = _open_first_question(db, world, t0)
    a = world.teams[0]
    play.answer(world.event, item.id, f"t{a.id}", a.id, "s1", right_option(item), t0 + timedelta(seconds=1))
    play.close(world.event, t0 + timedelta(seconds=20), world.organiser.id)
    reserve = play.skip_to_reserve(world.event, t0 + timedelta(seconds=30), world.organiser.id, "Câu hỏi có sai sót")
    db.session.commit()
    assert reserve.is_reserve and world.event.current_item_id == reserve.id and world.event.phase == Phase.OPEN
    assert {r.team_id: r.total for r in results.standings(world.event)}[a.id] == 0


def test_judges_trimmed_mean_and_a_judge_only_scores_within_the_rubric(db, world):
    a = world.teams[0]
    judges = world.event.judges
    for judge, sheet in zip(judges, ([5, 3, 2], [4, 2, 1], [2, 1, 0])):
        play.score_team(world.event, judge, world.judged.id, a.id, sheet, judge.user_id)
    with pytest.raises(ServiceError) as err:
        play.score_team(world.event, judges[0], world.judged.id, a.id, [6, 0, 0], judges[0].user_id)
    assert err.value.field == "score_1" and "Nội dung" in err.value.message
    db.session.commit()
    assert {r.team_id: r.parts.get(world.judged.id) for r in results.standings(world.event)}[a.id] == 7.0  # 10,7,3 → 7
    world.judged.judge_mode = world.judged.judge_mode.MEAN
    assert {r.team_id: r.parts.get(world.judged.id) for r in results.standings(world.event)}[a.id] == 6.67
    assert len(results.judge_sheets(world.event)) == 3


def test_tie_is_broken_by_the_tiebreak_part_only(db, world):
    t0 = utcnow()
    a, b, _c = world.teams
    item = _open_first_question(db, world, t0)
    for team in (a, b):
        play.answer(world.event, item.id, f"t{team.id}", team.id, f"q{team.id}", right_option(item), t0)
    play.reveal(world.event, t0 + timedelta(seconds=20), world.organiser.id)
    world.knowledge.speed_bonus = 0
    play.next_step(world.event, t0, world.organiser.id)  # next question
    play.close(world.event, t0, world.organiser.id)
    play.reveal(world.event, t0, world.organiser.id)
    db.session.commit()
    rows = results.standings(world.event)
    top = [r for r in rows if r.team_id in (a.id, b.id)]
    assert top[0].place == top[1].place == 1 and top[0].tied
    play.show_scoreboard(world.event)
    tb = play.open_tiebreak(world.event, t0 + timedelta(seconds=40), world.organiser.id)
    play.answer(world.event, tb.id, f"t{b.id}", b.id, "tb", right_option(tb), t0 + timedelta(seconds=41))
    play.close(world.event, t0 + timedelta(seconds=50), world.organiser.id)
    db.session.commit()
    rows = results.standings(world.event)
    assert [(r.team_id, r.place) for r in rows][:2] == [(b.id, 1), (a.id, 2)]
    assert rows[0].total == rows[1].total  # the tie-break point is not added to the total


def test_audience_vote_once_per_device_and_not_for_teams(db, world):
    t0 = utcnow()
    _open_first_question(db, world, t0)
    for _ in range(30):
        if world.event.phase == Phase.OPEN and play._part(world.event).id == world.audience.id:
            break
        if world.event.phase == Phase.JUDGING:
            play.next_step(world.event, t0, world.organiser.id)
            continue
        play.next_step(world.event, t0, world.organiser.id)
    item = play._item(world.event)
    assert play._part(world.event).id == world.audience.id
    a = world.teams[0]
    with pytest.raises(ServiceError) as err:
        play.answer(world.event, item.id, f"t{a.id}", a.id, "t1", right_option(item), item.opened_at)
    assert err.value.code == "not_team_question"
    play.answer(world.event, item.id, "dDEV1", None, "v1", right_option(item), item.opened_at)
    with pytest.raises(ServiceError):
        play.answer(world.event, item.id, "dDEV1", None, "v2", wrong_option(item), item.opened_at)
    play.close(world.event, item.closes_at, world.organiser.id)
    db.session.commit()
    snap = state.snapshot(world.event)
    assert snap["item"]["audience_count"] == 1
    assert snap["item"]["distribution"][str(right_option(item))] == 1


def test_full_run_reaches_the_podium_and_the_workbook_has_every_sheet(db, world):
    from zoneinfo import ZoneInfo

    import openpyxl
    import io

    t0 = utcnow()
    for _ in range(40):
        if world.event.phase == Phase.PODIUM:
            break
        play.next_step(world.event, t0, world.organiser.id)
    db.session.commit()
    assert world.event.status.value == "finished" and state.snapshot(world.event)["podium"]
    labels = {k: k for k in ("ranking", "units", "judges", "ledger", "place", "team", "members", "total", "unit",
                             "part", "judge", "scores", "time", "kind", "points", "reason", "voided",
                             "audience_prizes", "question_no", "question", "prize_no", "ticket", "seconds",
                             "no_audience_winner")}
    labels |= {"kinds": {}, "tz": ZoneInfo("Asia/Ho_Chi_Minh")}
    wb = openpyxl.load_workbook(io.BytesIO(results.workbook(world.event, labels)))
    assert wb.sheetnames == ["ranking", "units", "judges", "audience_prizes", "ledger"]
    # The audience question was revealed with no answer: its row says nobody won.
    assert [c.value for c in wb["audience_prizes"][2]][4] == "no_audience_winner"
    assert wb["ranking"].max_row == 4
