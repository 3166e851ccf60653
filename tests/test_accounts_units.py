"""Units and participation (issue 11, items 7 and 13): only members a unit manager (or an
organiser) confirmed count toward a unit's participation; the rate is capped at 100 %;
a unit over its headcount is flagged; one confirmation page with bulk confirm; a unit
manager sees people only while they belong to his unit."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g

from quizapp.core.audit import AuditEntry
from quizapp.auth.models import Role, User
from quizapp.core.db import utcnow
from quizapp.leaderboards.people import unit_people
from quizapp.leaderboards.unit_ranking import compute_unit_ranking
from quizapp.units import membership
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401 - autouse fixture


def _round(make, questions=3):
    for _ in range(questions):
        make.question()
    return make.round(quotas=(("TC", 0, questions),))


def _start(i):
    return utcnow() - timedelta(hours=2) + timedelta(seconds=i)


def _row(ranking, name):
    return next(r for r in ranking.rows if r.name == name)


def _signup(make, db, unit, name):
    user = make.user(unit=unit, full_name=name)
    user.unit_confirmed = False  # as self-registration leaves it
    db.session.commit()
    return user


def test_fake_signups_do_not_count_until_confirmed_and_the_rate_is_capped(make, db):
    commune = make.unit("Xã Nhỏ", headcount=20, bloc="Xã")
    rival = make.unit("Xã Lớn", headcount=20, bloc="Xã")
    rnd = _round(make)
    real = [make.user(unit=commune) for _ in range(2)]  # confirmed members
    fakes = [_signup(make, db, commune, f"Giả {i}") for i in range(21)]
    for i, user in enumerate(real + fakes):
        make.submission(rnd, user, 2, "1", start=_start(i))
    for i in range(5):
        make.submission(rnd, make.user(unit=rival), 2, "1", start=_start(100 + i))
    ranking = compute_unit_ranking(rnd.id)
    small, big = _row(ranking, "Xã Nhỏ"), _row(ranking, "Xã Lớn")
    assert small.entrants == 2 and small.rate == 10  # 2 / 20, not 23 / 20
    assert big.rate == 25 and big.rank < small.rank

    # The unit manager confirms them all (say they are real): the rate stops at 100 %
    # and the unit is flagged as over its headcount.
    manager = make.user(role=Role.UNIT_MANAGER, unit=commune)
    assert membership.confirm_members(manager, [u.id for u in fakes]) == 21
    db.session.commit()
    small = _row(compute_unit_ranking(rnd.id), "Xã Nhỏ")
    assert small.entrants == 23 and small.rate == 100 and small.over_headcount
    assert [f.name for f in membership.units_over_headcount()] == ["Xã Nhỏ"]


def test_members_by_confirmation_lists_a_unit_subtree(make, db):
    unit = make.unit("Sở A")
    sub = make.unit("Phòng B", parent=unit)
    ok = make.user(unit=sub, full_name="Đã xác nhận")
    waiting = _signup(make, db, unit, "Chờ xác nhận")
    make.user(unit=make.unit(), full_name="Nơi khác")
    members = membership.members_by_confirmation(unit.id)
    assert [m.user_id for m in members["confirmed"]] == [ok.id]
    assert [m.user_id for m in members["unconfirmed"]] == [waiting.id]
    assert membership.members_by_confirmation(unit.id, subtree=False)["confirmed"] == []


def test_who_confirms_whom(make, db):
    province = make.unit("Tỉnh")
    managed = make.unit("Sở có quản lý", parent=province)
    orphan = make.unit("Xã không có quản lý", parent=province)
    manager = make.user(role=Role.UNIT_MANAGER, unit=managed)
    organiser = make.user(role=Role.ORGANISER)
    a = _signup(make, db, managed, "Người A")
    b = _signup(make, db, orphan, "Người B")
    assert [m.user_id for m in membership.confirmation_queue(manager)] == [a.id]
    # Organisers look after the units no manager covers (everything on request).
    assert [m.user_id for m in membership.confirmation_queue(organiser)] == [b.id]
    assert {m.user_id for m in membership.confirmation_queue(organiser, everything=True)} == {a.id, b.id}
    # A manager cannot confirm outside his unit: skipped.
    assert membership.confirm_members(manager, [a.id, b.id]) == 1
    db.session.commit()
    assert db.session.get(User, a.id).unit_confirmed and not db.session.get(User, b.id).unit_confirmed
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "user.confirm_membership")) \
        == manager.id


def test_the_confirmation_queue_is_one_page_with_bulk_confirm(client, auth, make, db):
    unit = make.unit("Phường Một")
    manager = make.user(role=Role.UNIT_MANAGER, unit=unit)
    waiting = [_signup(make, db, unit, f"Người {i}") for i in range(3)]
    auth.login(manager)
    page = client.get("/units/confirm").get_data(as_text=True)
    assert all(f"Người {i}" in page for i in range(3)) and 'data-check-all="user_id"' in page
    resp = client.post("/units/confirm", data={"csrf_token": csrf_token(client, "/units/confirm"),
                                               "user_id": [str(u.id) for u in waiting[:2]]})
    assert resp.status_code == 302
    db.session.expire_all()
    assert [db.session.get(User, u.id).unit_confirmed for u in waiting] == [True, True, False]
    g.pop("_login_user", None)
    assert "Người 2" in client.get("/units/confirm").get_data(as_text=True)
    assert "Người 0" not in client.get("/units/confirm").get_data(as_text=True)


def test_a_participant_cannot_confirm(client, auth, make, db):
    unit = make.unit()
    waiting = _signup(make, db, unit, "Người chờ")
    auth.login(make.user(unit=unit))
    assert client.get("/units/confirm").status_code == 403


def test_registration_leaves_the_member_unconfirmed(client, make, db):
    unit = make.unit()
    client.post("/register", data={
        "full_name": "Tự đăng ký", "date_of_birth": "1990-01-01", "phone": "0911000111", "email": "",
        "national_id": "", "unit_id": str(unit.id), "position": "", "category": "civil_servant",
        "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1", "csrf_token": csrf_token(client, "/register")})
    user = db.session.scalar(sa.select(User).where(User.phone == "0911000111"))
    assert user is not None and user.unit_confirmed is False


# --- item 13 ---------------------------------------------------------------------------------

def test_a_manager_no_longer_sees_the_contacts_of_someone_who_left(make, db):
    unit = make.unit("Xã Cũ")
    elsewhere = make.unit("Xã Mới")
    rnd = _round(make)
    leaver = make.user(unit=unit, full_name="Đã chuyển đi", phone="0900111222", email="di@example.vn")
    stayer = make.user(unit=unit, full_name="Vẫn ở lại", phone="0900333444")
    make.submission(rnd, leaver, 2, "1", start=_start(0))
    admin = make.user(role=Role.ADMIN)
    from quizapp.auth import accounts

    accounts.admin_update_user(admin, leaver, phone="0900999888", email="moi@example.vn", unit_id=elsewhere.id)
    db.session.commit()
    people = {p.full_name: p for p in unit_people(unit.id, rnd.id)}
    assert people["Đã chuyển đi"].took_part  # the result still counts for the old unit
    assert people["Đã chuyển đi"].phone is None and people["Đã chuyển đi"].email is None
    assert people["Vẫn ở lại"].phone == "0900333444"
    assert stayer.id
