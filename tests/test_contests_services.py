"""The organiser's contest rules, tested on the services directly."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from quizapp.core.audit import AuditEntry
from quizapp.auth.models import EntrantCategory, Role
from quizapp.bank.models import QuestionStatus
from quizapp.contests.catalogue import visible_contests
from quizapp.contests.clock import epoch_ms, split_duration, utc_to_vn, vn_to_utc
from quizapp.contests.contests import (ContestData, archive, contest_data_of, create_contest, delete_contest, publish,
                                       unpublish, update_contest)
from quizapp.contests.eligibility import is_eligible
from quizapp.contests.grants import EntrantLimits, find_entrants, grant, grants_for, limits_for, mask_phone
from quizapp.contests.models import (
    Contest,
    ContestAggregate,
    ContestStatus,
    CountedAttempt,
    Grant,
    PredictionMode,
    ResultsVisibility,
    ReviewPolicy,
    Round,
)
from quizapp.contests.quotas import QuotaItem, default_quotas, reform_areas
from quizapp.contests.rounds import RoundData, add_round, delete_round, round_data_of, update_round
from quizapp.contests.schedule import open_rounds_for, upcoming_rounds_for
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError


def actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def round_data(make, opens: datetime | None = None, hours: float = 24, quotas=None, **kw) -> RoundData:
    opens = opens or utcnow() + timedelta(days=1)
    if quotas is None:
        quotas = [QuotaItem(make.area("TC").id, 0, 2)]
    return RoundData(title=kw.pop("title", "Tuần 1"), opens_at=opens,
                     closes_at=opens + timedelta(hours=hours), quotas=quotas, **kw)


def refused(fn, *args, **kw) -> ServiceError:
    with pytest.raises(ServiceError) as exc:
        fn(*args, **kw)
    return exc.value


# --- Vietnam time ------------------------------------------------------------

def test_vietnam_wall_clock_is_stored_as_utc_and_shown_back():
    utc = vn_to_utc(datetime(2026, 12, 1, 0, 0))
    assert utc == datetime(2026, 11, 30, 17, 0, tzinfo=timezone.utc)
    assert utc_to_vn(utc) == datetime(2026, 12, 1, 0, 0)
    assert epoch_ms(utc) == int(utc.timestamp()) * 1000


def test_countdown_rounds_up_to_the_minute_and_never_goes_negative():
    assert split_duration(timedelta(days=2, hours=3, minutes=14, seconds=1)) == (2, 3, 15)
    assert split_duration(timedelta(seconds=-5)) == (0, 0, 0)


# --- contests: defaults and validation ----------------------------------------

def test_a_new_contest_gets_the_most_common_settings(app, db, make):
    organiser = make.user(role=Role.ORGANISER)
    contest = create_contest(ContestData(title="Cuộc thi Tìm hiểu CCHC năm 2026"), organiser.id)
    assert contest.status == ContestStatus.DRAFT
    assert contest.slug == "cuoc-thi-tim-hieu-cchc-nam-2026"
    assert contest.ranking_order == "score,prediction,duration,submitted_at"
    assert contest.aggregate == ContestAggregate.SUM
    assert contest.unit_ranking_order == "participation,average"
    assert contest.results_visibility == ResultsVisibility.PUBLIC
    assert contest.open_to_all is True
    assert contest.created_by_id == organiser.id


def test_slugs_stay_unique(app, db, make):
    a = make.contest("Đường đến CCHC")
    b = make.contest("Đường đến CCHC")
    assert a.slug == "duong-den-cchc" and b.slug == "duong-den-cchc-2"


@pytest.mark.parametrize("kw, field", [
    ({"title": "  "}, "title"),
    ({"title": "x" * 256}, "title"),
    ({"open_to_all": False}, "open_to_all"),
    ({"ranking_order": "duration,score"}, "ranking_order"),
    ({"unit_ranking_order": "random"}, "unit_ranking_order"),
    ({"min_participation_rate": Decimal("120")}, "min_participation_rate"),
    ({"categories": ["aliens"], "open_to_all": False}, "categories"),
    ({"unit_ids": [999999], "open_to_all": False}, "unit_ids"),
    ({"blocs": ["x" * 65]}, "blocs"),
])
def test_contest_settings_are_validated_with_the_field_named(app, db, kw, field):
    data = ContestData(**({"title": "Cuộc thi"} | kw))
    exc = refused(create_contest, data, None)
    assert exc.field == field
    assert exc.message  # Vietnamese text for the form
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == 0


def test_validation_messages_are_vietnamese(app, db):
    exc = refused(create_contest, ContestData(title=""), None)
    assert "Tiêu đề" in exc.message


def test_ranking_variants_from_real_contests_are_offered(app, db):
    for order in ("prediction,submitted_at", "score,duration,submitted_at", "score,duration,prediction"):
        assert create_contest(ContestData(title=order, ranking_order=order), None).ranking_order == order


def test_choosing_everyone_drops_unit_and_category_limits(app, db, make):
    unit = make.unit()
    contest = create_contest(ContestData(
        title="C", open_to_all=True, unit_ids=[unit.id], categories=["citizen"]), None)
    assert contest.units == [] and contest.eligible_categories == ""


def test_editing_a_contest_records_which_fields_changed(app, db, make):
    contest = make.contest("Cũ")
    changed = update_contest(
        contest, ContestData(title="Mới", blocs=["Sở ngành", "Huyện", "Sở ngành"]), None)
    assert set(changed) == {"title", "blocs"}
    assert contest.blocs == "Sở ngành,Huyện"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "contest.update")).one()
    assert entry.details == {"fields": changed} and entry.object_id == str(contest.id)


# --- eligibility -------------------------------------------------------------

def test_everyone_may_enter_a_published_open_contest_but_nobody_a_draft(app, db, make):
    user = make.user()
    draft = make.contest("Nháp")
    published = make.contest("Đã công bố", published=True)
    assert is_eligible(published, user)
    assert not is_eligible(draft, user)


def test_chosen_units_include_their_sub_units(app, db, make):
    province = make.unit("Tỉnh")
    dept = make.unit("Sở Nội vụ", parent=province)
    office = make.unit("Phòng CCHC", parent=dept)
    other = make.unit("Sở Tài chính", parent=province)
    contest = make.contest("Sở Nội vụ", published=True, open_to_all=False, unit_ids=[dept.id])
    assert is_eligible(contest, make.user(unit=dept))
    assert is_eligible(contest, make.user(unit=office))
    assert not is_eligible(contest, make.user(unit=other))
    assert not is_eligible(contest, make.user(unit=province))


def test_chosen_categories_limit_who_may_enter(app, db, make):
    contest = make.contest("Người dân", published=True, open_to_all=False, categories=["citizen", "student"])
    assert is_eligible(contest, make.user(category=EntrantCategory.CITIZEN))
    assert not is_eligible(contest, make.user(category=EntrantCategory.CIVIL_SERVANT))


def test_units_and_categories_together_must_both_match(app, db, make):
    dept = make.unit("Sở")
    contest = make.contest("Cả hai", published=True, open_to_all=False, unit_ids=[dept.id],
                           categories=["civil_servant"])
    assert is_eligible(contest, make.user(unit=dept))
    assert not is_eligible(contest, make.user(unit=dept, category=EntrantCategory.WORKER))
    assert not is_eligible(contest, make.user())


def test_visible_contests_for_visitors_participants_and_organisers(app, db, make):
    dept = make.unit("Sở")
    everyone = make.contest("Mọi người", published=True)
    dept_only = make.contest("Riêng Sở", published=True, open_to_all=False, unit_ids=[dept.id])
    make.contest("Nháp")
    outsider = make.user()
    assert {c.id for c in visible_contests(None)} == {everyone.id, dept_only.id}
    assert [c.id for c in visible_contests(outsider)] == [everyone.id]
    assert {c.id for c in visible_contests(make.user(unit=dept))} == {everyone.id, dept_only.id}
    assert {c.id for c in visible_contests(make.user(role=Role.ORGANISER))} == {everyone.id, dept_only.id}


def test_open_rounds_for_lists_only_open_rounds_of_contests_the_user_may_enter(app, db, make):
    dept = make.unit("Sở")
    user = make.user()
    mine = make.contest("Của tôi", published=True)
    open_round = make.built_round(mine, opens_in_hours=-1, hours=24)
    make.built_round(mine, opens_in_hours=48, hours=24)  # upcoming
    closed_contest = make.contest("Đã đóng", published=True)
    make.built_round(closed_contest, opens_in_hours=-48, hours=24)
    other = make.contest("Riêng Sở", published=True, open_to_all=False, unit_ids=[dept.id])
    make.built_round(other, opens_in_hours=-1)
    draft = make.contest("Nháp")
    make.built_round(draft, opens_in_hours=-1)
    assert [r.id for r in open_rounds_for(user)] == [open_round.id]
    assert [r.contest.title for r in upcoming_rounds_for(user)] == ["Của tôi"]


# --- rounds: defaults and validation -------------------------------------------

def test_a_new_round_gets_the_most_common_settings(app, db, make):
    make.questions(4, "TC")
    contest = make.contest()
    rnd = add_round(contest, round_data(make), None)
    assert rnd.number == 1
    assert rnd.time_limit_seconds == 20 * 60
    assert rnd.attempts_allowed == 3
    assert rnd.counted_attempt == CountedAttempt.BEST
    assert rnd.shuffle_questions and rnd.shuffle_options and rnd.one_page
    assert rnd.prediction_mode == PredictionMode.PERFECT_COUNT
    assert rnd.review_policy == ReviewPolicy.AFTER_CLOSE
    assert [(q.area_id, q.difficulty, q.count) for q in rnd.quotas] == [(make.area("TC").id, 0, 2)]


def test_the_form_proposes_twenty_questions_spread_over_the_areas(app, db, make):
    proposal = default_quotas()
    assert sum(q.count for q in proposal) == 20
    assert len(proposal) == len(reform_areas())
    assert max(q.count for q in proposal) - min(q.count for q in proposal) <= 1
    make.questions(1, "TC")
    make.questions(1, "CV")
    stocked = default_quotas()
    assert {q.area_id for q in stocked} == {make.area("TC").id, make.area("CV").id}
    assert [q.count for q in stocked] == [10, 10]


def test_rounds_are_numbered_in_order(app, db, make):
    contest = make.contest()
    first = make.built_round(contest, opens_in_hours=10, hours=5)
    second = make.built_round(contest, opens_in_hours=20, hours=5)
    assert (first.number, second.number) == (1, 2)


def test_closing_before_opening_is_refused(app, db, make):
    make.questions(2)
    contest = make.contest()
    exc = refused(add_round, contest, round_data(make, hours=-1), None)
    assert exc.field == "closes_at" and "Giờ đóng" in exc.message


def test_overlapping_rounds_of_one_contest_are_refused(app, db, make):
    contest = make.contest()
    first = make.built_round(contest, opens_in_hours=24, hours=24)
    exc = refused(add_round, contest, round_data(make, opens=first.opens_at + timedelta(hours=23)), None)
    assert exc.field == "opens_at" and first.title in exc.message
    # Back to back is fine; another contest's rounds do not matter.
    add_round(contest, round_data(make, opens=first.closes_at, title="Tuần 2"), None)
    add_round(make.contest("Khác"), round_data(make, opens=first.opens_at), None)


@pytest.mark.parametrize("kw, field", [
    ({"time_limit_minutes": 0}, "time_limit_minutes"),
    ({"time_limit_minutes": 601}, "time_limit_minutes"),
    ({"attempts_allowed": 0}, "attempts_allowed"),
    ({"title": ""}, "title"),
    ({"quotas": []}, "quotas"),
])
def test_round_settings_are_validated_with_the_field_named(app, db, make, kw, field):
    make.questions(2)
    exc = refused(add_round, make.contest(), round_data(make, **kw), None)
    assert exc.field == field


def test_a_quota_the_approved_questions_cannot_fill_is_refused(app, db, make):
    tc = make.area("TC").id
    make.questions(3, "TC", difficulty=1)
    make.questions(5, "TC", difficulty=2, status=QuestionStatus.DRAFT)
    make.questions(5, "TC", difficulty=2, status=QuestionStatus.RETIRED)
    contest = make.contest()
    exc = refused(add_round, contest, round_data(make, quotas=[QuotaItem(tc, 2, 1)]), None)
    assert exc.field == "quotas" and "Cải cách thể chế" in exc.message and "0" in exc.message
    exc = refused(add_round, contest, round_data(make, quotas=[QuotaItem(tc, 0, 4)]), None)
    assert exc.code == "quota_unfillable"
    # "any difficulty" takes what the specific quotas leave over
    exc = refused(add_round, contest, round_data(
        make, quotas=[QuotaItem(tc, 1, 2), QuotaItem(tc, 0, 2)]), None)
    assert exc.code == "quota_unfillable"
    rnd = add_round(contest, round_data(
        make, quotas=[QuotaItem(tc, 1, 2), QuotaItem(tc, 0, 1)]), None)
    assert sum(q.count for q in rnd.quotas) == 3


def test_four_per_area_over_six_areas(app, db, make):
    codes = ["TC", "TTHC", "TCBM", "CV", "TCC", "CQS"]
    for code in codes:
        make.questions(4, code)
    quotas = [QuotaItem(make.area(c).id, 0, 4) for c in codes]
    rnd = add_round(make.contest(), round_data(make, quotas=quotas), None)
    assert sum(q.count for q in rnd.quotas) == 24


def test_a_prediction_first_ranking_needs_a_prediction_question(app, db, make):
    make.questions(2)
    contest = make.contest(ranking_order="prediction,submitted_at")
    exc = refused(add_round, contest, round_data(make, prediction_mode=PredictionMode.OFF), None)
    assert exc.field == "prediction_mode"
    other = make.contest("Bình Tân", ranking_order="score,duration,submitted_at")
    add_round(other, round_data(make, prediction_mode=PredictionMode.OFF), None)
    exc = refused(update_contest, other,
                  ContestData(title="Bình Tân", ranking_order="prediction,submitted_at"), None)
    assert exc.field == "ranking_order"


# --- the lock once attempts exist ----------------------------------------------

@pytest.fixture()
def locked_round(app, db, make):
    make.questions(6, "TC")
    contest = make.contest(published=True)
    rnd = make.built_round(contest, opens_in_hours=-1, hours=48)
    make.attempt(rnd, make.user())
    return rnd


@pytest.mark.parametrize("change", [
    {"time_limit_minutes": 30},
    {"attempts_allowed": 1},
    {"counted_attempt": CountedAttempt.LAST},
    {"shuffle_questions": False},
    {"shuffle_options": False},
    {"prediction_mode": PredictionMode.ENTRANT_COUNT},
    {"review_policy": ReviewPolicy.AFTER_ATTEMPT},
])
def test_settings_that_make_attempts_unequal_are_locked(locked_round, db, change):
    data = round_data_of(locked_round)
    for k, v in change.items():
        setattr(data, k, v)
    exc = refused(update_round, locked_round, data, None)
    assert exc.code == "round_locked" and exc.status == 409
    assert "đã có lượt thi" in exc.message


@pytest.mark.parametrize("change", [{"ranking_order": "score,duration,submitted_at"}, {"aggregate": "best"}])
def test_the_contest_ranking_rules_are_locked_once_anyone_has_taken_part(app, db, make, change):
    make.questions(6, "TC")
    contest = make.contest(published=True)
    data = contest_data_of(contest)
    for k, v in change.items():
        setattr(data, k, v)
    update_contest(contest, data, None)  # no attempts yet: allowed
    db.session.commit()
    make.attempt(make.built_round(contest, opens_in_hours=-1, hours=48), make.user())
    data = contest_data_of(contest)
    data.title = "Cuộc thi (đã sửa tên)"
    data.results_visibility = "logged_in"
    assert set(update_contest(contest, data, None)) == {"title", "results_visibility"}  # still allowed
    db.session.commit()
    before = contest_data_of(contest)
    data = contest_data_of(contest)
    data.ranking_order, data.aggregate = "score,prediction,duration,submitted_at", "sum"
    for k, v in change.items():  # back to the defaults is a change too
        assert getattr(data, k) != v
    exc = refused(update_contest, contest, data, None)
    assert exc.code == "contest_locked" and exc.status == 409 and "đã có lượt thi" in exc.message
    db.session.rollback()
    assert contest_data_of(contest) == before


def test_quota_is_locked_once_attempts_exist(locked_round, db, make):
    data = round_data_of(locked_round)
    data.quotas = [QuotaItem(make.area("TC").id, 0, 3)]
    assert refused(update_round, locked_round, data, None).field == "quotas"


def test_title_and_a_later_close_may_change_after_attempts(locked_round, db):
    data = round_data_of(locked_round)
    data.title = "Tuần 1 (gia hạn)"
    data.closes_at = locked_round.closes_at + timedelta(days=1)
    changed = update_round(locked_round, data, None)
    assert set(changed) == {"title", "closes_at"}
    assert locked_round.title == "Tuần 1 (gia hạn)"


def test_an_earlier_close_is_refused_after_attempts(locked_round, db):
    data = round_data_of(locked_round)
    data.closes_at = locked_round.closes_at - timedelta(hours=1)
    exc = refused(update_round, locked_round, data, None)
    assert exc.field == "closes_at" and exc.code == "close_earlier"


def test_without_attempts_everything_may_change(app, db, make):
    contest = make.contest()
    rnd = make.built_round(contest, opens_in_hours=5)
    data = round_data_of(rnd)
    data.time_limit_minutes, data.attempts_allowed, data.closes_at = 10, 1, rnd.closes_at - timedelta(hours=1)
    assert set(update_round(rnd, data, None)) == {"time_limit_seconds", "attempts_allowed", "closes_at"}


def test_rounds_and_contests_with_attempts_cannot_be_deleted_or_unpublished(locked_round, db):
    contest = locked_round.contest
    assert refused(delete_round, locked_round, None).code == "has_attempts"
    assert refused(unpublish, contest, None).code == "has_attempts"
    assert refused(delete_contest, contest, None).code == "not_draft"
    contest.status = ContestStatus.DRAFT  # even a draft with attempts stays
    assert refused(delete_contest, contest, None).code == "has_attempts"


# --- publishing, archiving, deleting ---------------------------------------------

def test_publishing_needs_a_round(app, db, make):
    contest = make.contest()
    assert refused(publish, contest, None).code == "no_rounds"
    assert contest.status == ContestStatus.DRAFT


def test_publishing_revalidates_every_rounds_quota_against_the_bank(app, db, make):
    contest = make.contest()
    make.built_round(contest, opens_in_hours=1)
    rnd2 = make.built_round(contest, opens_in_hours=24 * 8)
    for q in make.questions(0):
        pass
    # the bank changed since the round was saved: every approved question retired
    from quizapp.bank.models import Question

    db.session.execute(sa.update(Question).values(status=QuestionStatus.RETIRED))
    exc = refused(publish, contest, None)
    assert exc.code == "quota_unfillable" and "1" in exc.message
    assert contest.status == ContestStatus.DRAFT
    make.questions(4, "TC")
    publish(contest, None)
    assert contest.status == ContestStatus.PUBLISHED and contest.published_at is not None
    assert rnd2.contest is contest
    assert "contest.publish" in actions(db)


def test_publish_unpublish_archive_lifecycle(app, db, make):
    contest = make.contest()
    make.built_round(contest)
    publish(contest, None)
    assert refused(publish, contest, None).code == "not_draft"
    assert refused(delete_contest, contest, None).code == "not_draft"
    unpublish(contest, None)
    assert contest.status == ContestStatus.DRAFT
    publish(contest, None)
    archive(contest, None)
    assert contest.status == ContestStatus.ARCHIVED
    assert refused(update_contest, contest, ContestData(title="x"), None).code == "contest_archived"
    assert actions(db)[-4:] == ["contest.publish", "contest.unpublish", "contest.publish", "contest.archive"]


def test_a_draft_without_attempts_is_deleted_with_its_rounds(app, db, make):
    contest = make.contest()
    rnd = make.built_round(contest)
    delete_contest(contest, None)
    db.session.commit()
    assert db.session.get(Contest, contest.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0
    assert actions(db)[-1] == "contest.delete"
    assert rnd.id is not None


def test_the_last_round_of_a_published_contest_stays(app, db, make):
    contest = make.contest()
    rnd = make.built_round(contest)
    publish(contest, None)
    assert refused(delete_round, rnd, None).code == "last_round"


def test_every_organiser_action_is_audited(app, db, make):
    organiser = make.user(role=Role.ORGANISER)
    entrant = make.user()
    make.questions(3)
    contest = create_contest(ContestData(title="Kiểm tra nhật ký"), organiser.id)
    rnd = add_round(contest, round_data(make, opens=utcnow() - timedelta(hours=1)), organiser.id)
    rnd2 = add_round(contest, round_data(make, opens=utcnow() + timedelta(days=3), title="Tuần 2"),
                     organiser.id)
    data = round_data_of(rnd)
    data.title = "Tuần 1 mới"
    update_round(rnd, data, organiser.id)
    delete_round(rnd2, organiser.id)
    update_contest(contest, ContestData(title="Tên mới"), organiser.id)
    publish(contest, organiser.id)
    grant(rnd, entrant.id, 5, 0, "Mất điện", organiser.id)
    archive(contest, organiser.id)
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == [
        "contest.create", "round.create", "round.create", "round.update", "round.delete",
        "contest.update", "contest.publish", "grant.create", "contest.archive"]
    assert all(e.actor_id == organiser.id for e in entries)


# --- individual exceptions ---------------------------------------------------------

def test_a_grant_adds_minutes_and_attempts_for_one_entrant_only(app, db, make):
    rnd = make.built_round(make.contest(published=True))
    lucky, other = make.user(), make.user()
    grant(rnd, lucky.id, 10, 1, "Sự cố mạng tại đơn vị", None)
    grant(rnd, lucky.id, 0, 1, "Lần hai", None)
    assert limits_for(rnd, lucky.id) == EntrantLimits(5, timedelta(minutes=30))
    assert limits_for(rnd, other.id) == EntrantLimits(3, timedelta(minutes=20))
    assert [g.reason for g, _u in grants_for(rnd)] == ["Lần hai", "Sự cố mạng tại đơn vị"]


def test_the_audit_entry_for_a_grant_keeps_no_free_text(app, db, make):
    rnd = make.built_round(make.contest(published=True))
    user = make.user()
    grant(rnd, user.id, 10, 0, "Bệnh, có giấy xác nhận", None)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "grant.create")).one()
    assert "Bệnh" not in str(entry.details)
    assert entry.details["user_id"] == user.id and entry.details["extra_minutes"] == 10


@pytest.mark.parametrize("minutes, attempts, reason, field", [
    (5, 0, "   ", "reason"),
    (0, 0, "Lý do", "extra_minutes"),
    (-1, 1, "Lý do", "extra_minutes"),
    (0, 21, "Lý do", "extra_attempts"),
])
def test_grants_need_a_reason_and_something_to_grant(app, db, make, minutes, attempts, reason, field):
    rnd = make.built_round(make.contest(published=True))
    exc = refused(grant, rnd, make.user().id, minutes, attempts, reason, None)
    assert exc.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Grant)) == 0


def test_no_grant_on_a_closed_round_or_for_an_unknown_entrant(app, db, make):
    contest = make.contest(published=True)
    closed = make.built_round(contest, opens_in_hours=-48, hours=24)
    assert refused(grant, closed, make.user().id, 5, 0, "Lý do", None).code == "round_closed"
    open_round = make.built_round(contest, opens_in_hours=-1)
    assert refused(grant, open_round, 999999, 5, 0, "Lý do", None).field == "user_id"


def test_entrants_are_found_by_phone_in_any_spelling_e_mail_or_name(app, db, make):
    anh = make.user(full_name="Trần Thị Ánh", phone="0912345678")
    binh = make.user(full_name="Lê Bình", email="binh@example.vn")
    assert [u.id for u in find_entrants("0912 345 678")] == [anh.id]
    assert [u.id for u in find_entrants("+84912345678")] == [anh.id]
    assert [u.id for u in find_entrants("BINH@example.vn")] == [binh.id]
    assert [u.id for u in find_entrants("Ánh")] == [anh.id]
    assert find_entrants("") == []
    assert mask_phone("0912345678") == "09******78"


def test_two_rounds_added_at_once_do_not_crash(app, db, make):
    """A second organiser's round with the same number is refused with a 409, not a 500."""
    contest = make.contest()
    make.questions(2)
    assert contest.rounds == []  # what this organiser's page loaded
    later = utcnow() + timedelta(days=30)
    db.session.execute(sa.insert(Round).values(  # the other organiser's round, unseen here
        contest_id=contest.id, number=1, title="Tuần 1", opens_at=later, closes_at=later + timedelta(days=1),
        created_at=utcnow(), updated_at=utcnow()))
    exc = refused(add_round, contest, round_data(make), None)
    assert exc.code == "round_conflict" and exc.status == 409
