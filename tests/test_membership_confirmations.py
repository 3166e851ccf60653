"""Issue 20 item 8: accountable member confirmation — audited with who, when and from where; a
manager can tell people apart and refuse them; organisers review units whose counted members
were confirmed while the round was open or in a burst from one address."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from quizapp.auth.models import Role, User
from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.units import confirmations
from quizapp.units.models import MembershipConfirmation, MembershipDecision
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401  (no ranking cache across tests)


def _signup(make, db, unit, name, **kw):
    user = make.user(unit=unit, full_name=name, **kw)
    user.unit_confirmed = False
    db.session.commit()
    return user


def _world(make, db):
    province = make.unit("Tỉnh Thử", headcount=0)
    commune = make.unit("Xã Phước Hải", parent=province, headcount=25)
    other = make.unit("Xã Long Hải", parent=province, headcount=25)
    manager = make.user(Role.UNIT_MANAGER, unit=commune, full_name="Quản Lý Xã")
    organiser = make.user(Role.ORGANISER, unit=province, full_name="Ban Tổ Chức")
    for _ in range(5):
        make.question()
    return province, commune, other, manager, organiser


def test_every_confirmation_is_audited_with_who_when_and_the_address(client, auth, make, db):
    _province, commune, _other, manager, _organiser = _world(make, db)
    a = _signup(make, db, commune, "Nguyễn Văn Một")
    auth.login(manager)
    token = csrf_token(client, "/units/confirm")
    resp = client.post("/units/confirm", data={"csrf_token": token, "user_id": [a.id], "decision": "confirm"},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert resp.status_code == 302
    row = db.session.get(MembershipConfirmation, a.id)
    assert (row.decision, row.decided_by_id, row.address) == (MembershipDecision.CONFIRMED, manager.id, "203.0.113.7")
    assert abs((row.decided_at - utcnow()).total_seconds()) < 60
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.confirm_membership"))
    assert entry.actor_id == manager.id and entry.details["address"] == "203.0.113.7"
    from quizapp.audit.sentences import describe

    with client.application.test_request_context():
        sentence = str(describe([entry])[0].html)
    assert "203.0.113.7" in sentence and "Quản Lý Xã" in sentence and "Xã Phước Hải" in sentence


def test_the_manager_tells_people_apart_and_refuses_one(client, auth, make, db):
    from datetime import date

    _province, commune, _other, manager, _organiser = _world(make, db)
    real = _signup(make, db, commune, "Trần Thị Hoa", phone="0912345678", position="Công chức địa chính",
                   national_id="077190001234")
    fake = _signup(make, db, commune, "Trần Thị Hoa", phone="0987654321")
    fake.date_of_birth = date(2001, 5, 5)
    db.session.commit()
    auth.login(manager)
    html = client.get("/units/confirm").get_data(as_text=True)
    assert "1990" in html and "2001" in html and "Công chức địa chính" in html
    assert "…678" in html and "…321" in html and "…1234" in html
    assert "0912345678" not in html and "077190001234" not in html  # never the whole numbers
    token = csrf_token(client, "/units/confirm")
    client.post("/units/confirm", data={"csrf_token": token, "user_id": [fake.id], "decision": "reject"},
                environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert not db.session.get(User, fake.id).unit_confirmed
    assert db.session.get(MembershipConfirmation, fake.id).decision == MembershipDecision.REJECTED
    queue = client.get("/units/confirm").get_data(as_text=True)
    assert f'value="{fake.id}"' not in queue and f'value="{real.id}"' in queue
    assert db.session.scalar(sa.select(AuditEntry.details).where(AuditEntry.action == "user.reject_membership")) \
        == {"unit": commune.id, "address": "198.51.100.2"}


def _confirm_at(manager, users, when, address):
    from quizapp.core.db import db

    n = confirmations.confirm(manager, [u.id for u in users], address, now=when)
    db.session.commit()
    return n


def test_units_are_flagged_for_confirmations_during_the_round_or_in_a_burst(make, db):
    _province, commune, other, manager, _organiser = _world(make, db)
    other_manager = make.user(Role.UNIT_MANAGER, unit=other)
    rnd = make.round(quotas=(("TC", 0, 5),), opens_at=utcnow() - timedelta(days=2))
    early = _signup(make, db, commune, "Đăng Ký Sớm")
    _confirm_at(manager, [early], utcnow() - timedelta(days=10), "10.0.0.1")  # before the round: fine
    during = _signup(make, db, commune, "Xác Nhận Trong Vòng")
    _confirm_at(manager, [during], utcnow() - timedelta(days=1), "10.0.0.1")
    burst = [_signup(make, db, other, f"Hàng Loạt {i}") for i in range(5)]
    start = utcnow() - timedelta(days=9)
    for i, u in enumerate(burst):  # five from one address within 10 minutes, all before the round
        _confirm_at(other_manager, [u], start + timedelta(minutes=2 * i), "10.9.9.9")
    spread = [_signup(make, db, other, f"Rải Rác {i}") for i in range(4)]
    for i, u in enumerate(spread):  # four from one address, hours apart: no burst
        _confirm_at(other_manager, [u], start - timedelta(days=1, hours=3 * i), "10.9.9.9")
    for u in [early, during] + burst + spread:
        make.submission(rnd, u, 2, "1", start=utcnow() - timedelta(hours=3))
    flags = {f.name: f for f in confirmations.flagged_units(rnd.id)}
    assert [m.full_name for m in flags["Xã Phước Hải"].members] == ["Xác Nhận Trong Vòng"]
    assert flags["Xã Phước Hải"].during_round == 1 and flags["Xã Phước Hải"].burst == 0
    assert sorted(m.full_name for m in flags["Xã Long Hải"].members) == sorted(u.full_name for u in burst)
    assert flags["Xã Long Hải"].burst == 5 and flags["Xã Long Hải"].during_round == 0


def test_the_organiser_accepts_or_strikes_on_the_review_page(client, auth, make, db):
    from quizapp.leaderboards.unit_ranking import compute_unit_ranking

    _province, commune, other, manager, organiser = _world(make, db)
    rnd = make.round(quotas=(("TC", 0, 5),), opens_at=utcnow() - timedelta(days=2))
    people = [_signup(make, db, commune, f"Người {i}") for i in range(3)]
    _confirm_at(manager, people, utcnow() - timedelta(hours=5), "10.0.0.1")
    for u in people:
        make.submission(rnd, u, 2, "1", start=utcnow() - timedelta(hours=3))
    row = next(r for r in compute_unit_ranking(rnd.id).rows if r.unit_id == commune.id)
    assert row.entrants == 3
    auth.login(organiser)
    ranking = client.get(f"/rounds/{rnd.id}/units").get_data(as_text=True)
    review_url = f"/admin/rounds/{rnd.id}/confirmations/{commune.id}"
    assert "confirmation-flags" in ranking and review_url in ranking
    manage = client.get(f"/admin/contests/{rnd.contest_id}/campaign").get_data(as_text=True)
    assert review_url in manage  # before "Xét giải"
    page = client.get(review_url).get_data(as_text=True)
    assert all(p.full_name in page for p in people) and "10.0.0.1" in page and "Quản Lý Xã" in page
    token = csrf_token(client, review_url)
    client.post(review_url, data={"csrf_token": token, "user_id": [people[0].id], "decision": "accept"})
    client.post(review_url, data={"csrf_token": token, "user_id": [people[1].id], "decision": "strike"})
    left = confirmations.review(rnd.id, commune.id)
    assert [m.user_id for m in left.members] == [people[2].id]
    assert db.session.get(MembershipConfirmation, people[0].id).reviewed_by_id == organiser.id
    assert not db.session.get(User, people[1].id).unit_confirmed
    row = next(r for r in compute_unit_ranking(rnd.id).rows if r.unit_id == commune.id)
    assert row.entrants == 2  # the struck member no longer counts
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"unit.accept_confirmations", "unit.strike_confirmations"} <= actions
    # a unit manager may not review
    auth.logout()
    auth.login(manager)
    assert client.get(review_url).status_code == 403
    assert "confirmation-flags" not in client.get(f"/rounds/{rnd.id}/units").get_data(as_text=True)
