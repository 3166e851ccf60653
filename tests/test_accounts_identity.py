"""Identity (issue 11, items 8 and 9): phone and CCCD normalised before uniqueness, likely
duplicates in an admin queue, a register form that does not tell whether a number is
registered, and the entrant category as a locked, audited identity field."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import g

from quizapp.attempts.models import Attempt
from quizapp.core.audit import AuditEntry
from quizapp.auth import accounts, duplicates, identity
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.core.errors import ServiceError
from tests.conftest import csrf_token


def _token(client, path="/"):
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    return csrf_token(client, path)


def _register(client, unit, **over):
    data = {"full_name": "Nguyễn Văn Bình", "date_of_birth": "1985-03-04", "phone": "0912345678", "email": "",
            "national_id": "", "unit_id": str(unit.id), "position": "", "category": "civil_servant",
            "password": "mat-khau-moi-1", "confirm": "mat-khau-moi-1", "csrf_token": _token(client, "/register")}
    data.update(over)
    return client.post("/register", data=data)


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


# --- item 8: normalisation ------------------------------------------------------------

def test_unicode_digits_are_normalised_before_uniqueness(client, db, make):
    unit = make.unit()
    assert _register(client, unit, phone="0912345678", national_id="001085012345").status_code == 302
    assert _count(db) == 1
    # The clone: full-width phone digits, Arabic-Indic CCCD digits.
    _register(client, unit, phone="０９１２３４５６７８", national_id="٠٠١٠٨٥٠١٢٣٤٥", email="clone@example.vn")
    _register(client, unit, phone="0987000111", national_id="００１０８５０１２３４５")
    assert _count(db) == 1  # neither clone was created
    user = db.session.scalar(sa.select(User))
    assert (user.phone, user.national_id) == ("0912345678", "001085012345")


def test_normalise_phone_gives_one_canonical_form():
    for raw in ("0912345678", "+84 912 345 678", "84912345678", "０９１２.３４５.６７８", "(091) 234-5678", "٠٩١٢٣٤٥٦٧٨"):
        assert identity.normalize_phone(raw) == "0912345678", raw
    assert identity.normalize_national_id(" 001 085 012 345 ") == "001085012345"


def _page_text(resp) -> str:
    html = resp.get_data(as_text=True)
    return re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)


def test_the_register_form_does_not_reveal_a_registered_phone_or_cccd(app, client, db, make):
    unit = make.unit()
    make.user(phone="0912345678", national_id="001085012345", unit=unit, email="owner@example.vn")
    new = _register(client, unit, phone="0977000001", full_name="Người mới")
    taken_phone = app.test_client()
    taken = _register(taken_phone, unit, phone="0912 345 678")
    taken_cccd = app.test_client()
    taken2 = _register(taken_cccd, unit, phone="0977000002", national_id="001085012345")
    # Same status, same place, same message.
    assert new.status_code == taken.status_code == taken2.status_code == 302
    assert new.headers["Location"] == taken.headers["Location"] == taken2.headers["Location"]
    g.pop("_login_user", None)
    pages = [_page_text(c.get(r.headers["Location"])) for c, r in ((client, new), (taken_phone, taken),
                                                                     (taken_cccd, taken2))]
    assert pages[0] == pages[1] == pages[2]
    assert "đã được đăng ký" not in pages[1]
    # The conflicts are noticed by other means: the audit log, the admins' queue.
    conflicts = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.register_duplicate")).all()
    assert len(conflicts) == 2


def test_likely_duplicates_reach_the_admin_queue_with_merge_and_disable(client, db, auth, make):
    admin = make.user(role=Role.ADMIN)
    unit = make.unit()
    # Stored before normalisation existed: the same CCCD in two spellings.
    a = make.user(full_name="Trần Thị Lan", unit=unit, national_id="001085012345")
    b = make.user(full_name="Trần Thị Lan", unit=unit, national_id="001085O12345".replace("O", "0")[:-1] + "6")
    db.session.execute(sa.update(User).where(User.id == b.id).values(national_id="００１０８５０１２３４５"))
    c = make.user(full_name="TRẦN THỊ  LAN", unit=unit)  # same name and birth date in the same unit
    other_unit = make.user(full_name="Trần Thị Lan", unit=make.unit())  # another unit: not a duplicate
    db.session.commit()
    groups = duplicates.likely_duplicates()
    reasons = {(grp.reason, tuple(sorted(u.id for u in grp.users))) for grp in groups}
    assert ("national_id", (a.id, b.id)) in reasons
    assert ("name_birth_unit", (a.id, b.id, c.id)) in reasons
    assert not any(other_unit.id in ids for _, ids in reasons)

    auth.login(admin)
    page = client.get("/admin/users/duplicates")
    assert page.status_code == 200 and "Trùng số CCCD" in page.get_data(as_text=True)
    token = _token(client, "/admin/users/duplicates")
    assert client.post("/admin/users/duplicates", data={"csrf_token": token, "action": "disable",
                                                        "other_id": str(c.id)}).status_code == 302
    # "Gộp" shows what would move; the merge happens on the confirmation
    shown = client.post("/admin/users/duplicates", data={"csrf_token": token, "action": "merge", "keep_id": str(a.id),
                                                         "other_id": str(b.id)})
    assert shown.status_code == 200 and 'value="confirm_merge"' in shown.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, b.id).is_active_account  # nothing happened yet
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', shown.get_data(as_text=True)).group(1)
    assert client.post("/admin/users/duplicates", data={
        "csrf_token": token, "action": "confirm_merge", "keep_id": str(a.id), "other_id": str(b.id),
        "fingerprint": fingerprint}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, c.id).is_active_account
    assert not db.session.get(User, b.id).is_active_account and db.session.get(User, a.id).is_active_account
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"user.disable_duplicate", "user.merge"} <= actions


def test_a_merge_moves_attempts_and_standings_only(db, make):
    """Issue 20 item 2: the look-alike's e-mail never reaches the kept account; its results do."""
    from quizapp.attempts.models import Attempt
    from quizapp.leaderboards.models import Standing

    admin = make.user(role=Role.ADMIN)
    keep = make.user(full_name="Nguyễn Văn An", email=None, phone="0911000111", national_id=None)
    dup = make.user(full_name="Nguyễn Văn An", email="attacker@evil.example", phone=None, national_id="001085099999")
    rnd = make.round()
    attempt = make.attempt(rnd, dup)
    db.session.add(Standing(round_id=rnd.id, user_id=dup.id, category="civil_servant", attempt_id=attempt.id,
                            score=3, max_score=4, duration_ms=1000, submitted_at=attempt.started_at))
    db.session.commit()
    plan = duplicates.merge_plan(admin, keep.id, dup.id)
    assert plan.attempts == 1 and plan.standings == 1 and plan.kept_identifiers == ["email", "national_id"]
    duplicates.merge_accounts(admin, keep.id, dup.id, fingerprint=plan.fingerprint)
    db.session.commit()
    db.session.expire_all()
    kept, gone = db.session.get(User, keep.id), db.session.get(User, dup.id)
    assert (kept.email, kept.phone, kept.national_id) == (None, "0911000111", None)
    assert (gone.email, gone.national_id, gone.is_active_account) == ("attacker@evil.example", "001085099999", False)
    assert db.session.get(Attempt, attempt.id).user_id == keep.id
    assert db.session.scalar(sa.select(Standing.user_id).where(Standing.round_id == rnd.id)) == keep.id


def test_a_merge_into_or_from_an_account_with_a_role_is_refused(db, make):
    admin = make.user(role=Role.ADMIN)
    organiser = make.user(role=Role.ORGANISER, email=None)
    lookalike = make.user(full_name=organiser.full_name, email="attacker@evil.example", phone=None)
    for keep, other in ((organiser, lookalike), (lookalike, organiser), (admin, lookalike)):
        with pytest.raises(ServiceError) as exc:
            duplicates.merge_accounts(admin, keep.id, other.id)
        assert exc.value.code == "merge_privileged"
    db.session.expire_all()
    assert db.session.get(User, organiser.id).email is None


def test_a_merge_changed_since_it_was_shown_is_refused(db, make):
    admin = make.user(role=Role.ADMIN)
    keep, dup = make.user(), make.user()
    plan = duplicates.merge_plan(admin, keep.id, dup.id)
    make.attempt(make.round(), dup)  # a new attempt after the admin looked
    with pytest.raises(ServiceError) as exc:
        duplicates.merge_accounts(admin, keep.id, dup.id, fingerprint=plan.fingerprint)
    assert exc.value.code == "merge_changed"


def test_two_accounts_in_the_same_round_are_not_merged(db, make):
    admin = make.user(role=Role.ADMIN)
    keep, dup = make.user(), make.user()
    rnd = make.round()
    make.attempt(rnd, dup)
    make.attempt(rnd, keep)
    with pytest.raises(ServiceError) as exc:
        duplicates.merge_accounts(admin, keep.id, dup.id)
    assert exc.value.code == "merge_both_took_part"


# --- item 9: the entrant category is an identity field ----------------------------------

def test_the_user_cannot_change_his_category(client, db, auth, make):
    user = make.user(category=EntrantCategory.CIVIL_SERVANT)
    auth.login(user)
    page = client.get("/account").get_data(as_text=True)
    assert 'name="category"' not in page
    client.post("/account", data={"position": "Chuyên viên", "category": "student",
                                  "csrf_token": _token(client, "/account")})
    db.session.expire_all()
    assert db.session.get(User, user.id).category == EntrantCategory.CIVIL_SERVANT


def test_an_admin_changes_the_category_and_it_is_audited(client, db, auth, make):
    admin = make.user(role=Role.ADMIN)
    user = make.user(category=EntrantCategory.CIVIL_SERVANT)
    auth.login(admin)
    resp = client.post(f"/admin/users/{user.id}", data={
        "full_name": user.full_name, "date_of_birth": "1990-01-01", "phone": user.phone, "email": "",
        "national_id": "", "unit_id": str(user.unit_id), "role": "participant", "category": "student",
        "is_active_account": "y", "csrf_token": _token(client, f"/admin/users/{user.id}")})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).category == EntrantCategory.STUDENT
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry.actor_id == admin.id and "category" in entry.details["fields"]


def test_eligibility_is_judged_on_the_category_held_when_the_attempt_started(db, make):
    from quizapp.attempts.start import begin_attempt
    from quizapp.attempts.submit import submit_attempt
    from quizapp.core.errors import ServiceError

    contest = make.contest(published=True, open_to_all=False, categories=["student"])
    rnd = make.built_round(contest, attempts_allowed=2)
    student = make.user(category=EntrantCategory.STUDENT)
    view = begin_attempt(rnd.id, student.id)
    db.session.commit()
    admin = make.user(role=Role.ADMIN)
    accounts.admin_update_user(admin, student, phone=student.phone, category="civil_servant")
    db.session.commit()
    # The attempt he started as a student goes on, and counts as a student's.
    assert begin_attempt(rnd.id, student.id).id == view.id
    assert db.session.get(Attempt, view.id).category == "student"
    submit_attempt(view.id, student.id, prediction="3")
    db.session.commit()
    # A new attempt is judged on the category he holds now.
    try:
        begin_attempt(rnd.id, student.id)
    except ServiceError as exc:
        assert exc.code == "not_eligible"
    else:  # pragma: no cover
        raise AssertionError("a civil servant started a students-only attempt")
