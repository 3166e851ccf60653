"""A small but complete world for the security sweep (tests/test_sweep_*.py).

Two units A and B, each with a sub-unit; six actors (anonymous plus the five
accounts below); a published contest with an open round and a closed round;
attempts of participant A (submitted and in progress); standings; a question;
a draft contest; a grant; an audit trail.  Every text a user can type can be
``taint``ed (prefixed with an XSS payload) so the same world serves the XSS walk.

Fixture people carry distinctive phone numbers and e-mails, so a page that
leaks them is found by scanning its HTML.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta


import sqlalchemy as sa

from quizapp.auth.models import Role, User

ACTORS = ("anonymous", "participant", "participant_b", "manager_b", "manager_a", "organiser", "admin")
# The six actors of the sweep (the brief's list) plus A's own manager, who is documented as seeing A's people.
PASSWORD = "mat-khau-123"


@dataclass
class World:
    users: dict[str, User]
    ids: dict[str, int]
    slug: str
    draft_slug: str
    pii: dict[str, list[str]] = field(default_factory=dict)  # actor -> [phone, email, cccd]

    def login(self, client, actor: str) -> None:
        if actor != "anonymous":
            login_as(client, self.users[actor])
        else:
            _forget_cached_user()


def _forget_cached_user() -> None:
    """Requests in tests share the fixture's app context, so Flask-Login's per-context user
    and Flask-WTF's per-context token (another client's) are dropped before switching client."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("csrf_token", None)


def login_as(client, user) -> None:
    from tests.conftest import csrf_token

    _forget_cached_user()
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"login": user.phone, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, f"login of {user.full_name} failed: {resp.status_code}"


def build_world(make, db, taint: str = "") -> World:
    from quizapp.attempts.start import start_attempt
    from quizapp.core import audit
    from quizapp.contests import grants
    from quizapp.contests.models import ContestStatus, ReviewPolicy
    from quizapp.core.db import utcnow

    t = taint
    short = t if len(t) <= 40 else "<script>alert(1)</script>"  # for 64-character columns
    unit_a = make.unit(f"{t}Sở A", code="SA", bloc=f"{short}K1" if t else None)
    unit_a1 = make.unit(f"{t}Phòng A1", parent=unit_a, code="SA1")
    unit_b = make.unit(f"{t}Sở B", code="SB")
    unit_b1 = make.unit(f"{t}Phòng B1", parent=unit_b, code="SB1")

    def person(key, role, unit, n):
        return make.user(role, unit=unit, full_name=f"{t}Người {key}", phone=f"0912{n:06d}",
                         email=f"{key.replace('_', '.')}@sweep.example", national_id=f"0010900{n % 100000:05d}",
                         position=f"{t}Chuyên viên" if t else None)

    users = {
        "participant": person("participant", Role.PARTICIPANT, unit_a1, 111111),
        "participant_b": person("participant_b", Role.PARTICIPANT, unit_b1, 222222),
        "manager_a": person("manager_a", Role.UNIT_MANAGER, unit_a, 333333),
        "manager_b": person("manager_b", Role.UNIT_MANAGER, unit_b, 444444),
        "organiser": person("organiser", Role.ORGANISER, unit_b, 555555),
        "admin": person("admin", Role.ADMIN, unit_b, 666666),
    }
    for i, u in enumerate(users.values()):
        u.date_of_birth = date(1971, 3, 11 + i)  # distinctive, so a leak is found by scanning
    db.session.commit()
    # Questions for the rounds (payloads in every text field the bank keeps).
    questions = [
        make.question("TC", text=f"{t}Câu hỏi {i}?", explanation=f"{t}Giải thích {i}",
                      source=f"{t}Nguồn {i}") for i in range(4)
    ]
    if t:
        for q in questions:
            for o in q.options:
                o.text = f"{t}{o.text}"
        db.session.commit()
    bank_q = make.bank_question(text=f"{t}Câu hỏi ngân hàng?", source=f"{t}Nguồn NH",
                                options=[f"{t}PA {i}" for i in range(4)], explanation=f"{t}Giải thích NH")

    now = utcnow()
    contest = make.contest(title=f"{t}Cuộc thi CCHC", published=True, actor=users["organiser"],
                           description=f"{t}Mô tả", rules=f"{t}Thể lệ")
    open_round = make.round(quotas=(("TC", 0, 2),), contest=contest, title=f"{t}Tuần mở", number=1,
                            opens_at=now - timedelta(days=3), closes_at=now + timedelta(days=4),
                            review_policy=ReviewPolicy.AFTER_ATTEMPT)
    closed_round = make.round(quotas=(("TC", 0, 2),), contest=contest, title=f"{t}Tuần đã đóng", number=2,
                              opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=4))
    draft = make.contest(title=f"{t}Bản nháp", actor=users["organiser"])
    assert draft.status == ContestStatus.DRAFT

    pa, pb = users["participant"], users["participant_b"]
    closed_attempt = make.submission(closed_round, pa, 2, 3, start=now - timedelta(days=5))
    open_submitted = make.submission(open_round, pa, 1, 4, start=now - timedelta(hours=2))
    make.submission(open_round, pb, 2, 5, start=now - timedelta(hours=3))
    make.submission(closed_round, pb, 1, 6, start=now - timedelta(days=6))
    in_progress = start_attempt(open_round.id, pa)
    db.session.commit()
    aq_id = in_progress.questions[0].id
    from quizapp.practice import services as practice
    practice.mark_for_practice(str(bank_q.id), True, None)  # the organiser's study set (issue 20, item 7)
    practice_set = practice.start(pa.id, None, 0, 10, False)  # the bank question (not in a running round)
    grant = grants.grant(open_round, pa.id, 5, 1, f"{t}Lý do", users["organiser"].id)
    audit.record(users["admin"].id, f"{short}sweep.action", "unit", unit_a.id)
    db.session.commit()
    from quizapp import jobs

    job = jobs.start_job("leaderboards.export", users["organiser"].id,
                         {"what": "round", "round_id": open_round.id, "fmt": "csv"})
    db.session.commit()  # run now (immediate mode): a finished export with its file

    from quizapp.campaign import links, prizes, verification
    from quizapp.campaign.models import Award

    prizes.mark_finishers(contest, closed_round.id, users["organiser"].id)  # certificates of pa and pb
    db.session.commit()
    award_id = db.session.scalar(sa.select(Award.id).where(Award.user_id == pa.id))

    plan_ids = _plans_world(db, users, unit_a, t)

    # A running live contest (hội thi): participant A is its judge; nobody here holds a team or audience cookie.
    from quizapp.live import builder as live, play as live_play

    org = users["organiser"].id
    event = live.create_event(live.EventData(f"{t}Hội thi CCHC"[:255], f"{t}Hội trường"[:255]), org)
    db.session.flush()
    team = live.add_team(event, unit_a.id, [f"{t}Thành viên A"[:120]], org)
    live.add_team(event, unit_b.id, [f"{t}Thành viên B"[:120]], org)
    part = live.add_part(event, live.PartData("knowledge", f"{t}Khởi động"[:255]), org)
    live_item = live.pick_questions(part, str(bank_q.id), False, org)[0]
    live.add_part(event, live.PartData("judged", f"{t}Tiểu phẩm"[:255], rubric="Nội dung: 5"), org)
    judge = live.add_judge(event, pa.phone, org)
    live_play.start(event, org)
    db.session.commit()

    ids = {
        **plan_ids,
        "live_event": event.id, "live_team": team.id, "live_part": part.id, "live_item": live_item.id,
        "live_judge": judge.id, "live_code": event.audience_code,
        "unit_a": unit_a.id, "unit_a1": unit_a1.id, "unit_b": unit_b.id, "unit_b1": unit_b1.id,
        "contest": contest.id, "draft": draft.id, "open_round": open_round.id, "closed_round": closed_round.id,
        "question": bank_q.id, "attempt_in_progress": in_progress.id, "attempt_submitted": open_submitted.id,
        "attempt_closed": closed_attempt.id, "aq": aq_id, "grant": grant.id if grant is not None else 0,
        "participant": pa.id, "participant_b": pb.id, "practice": practice_set.id, "job": job.id,
        "award": award_id, "award_code": verification.verification_code(award_id),
        "short": links.short_code(contest.id),
    }
    pii = {k: [u.phone, u.email, u.national_id, u.date_of_birth.strftime("%d/%m/%Y"), u.date_of_birth.isoformat()]
           for k, u in users.items()}
    return World(users=users, ids=ids, slug=contest.slug, draft_slug=draft.slug, pii=pii)


def _plans_world(db, users, unit_a, t: str) -> dict[str, int]:
    """Plans objects of unit A: the province plan and a task, unit A's plan, two activities (one with a
    photo), a draft report for the current quarter."""
    import io

    from PIL import Image

    from quizapp.plans import activities, catalogue, province, reporting, unit_plans

    today = activities.vn_today()
    plan = province.save_plan(today.year, f"{t}Kế hoạch tuyên truyền", "46/KH-UBND", None, users["organiser"].id)
    task = province.add_task(plan, {"name": f"{t}Nhiệm vụ", "timeline": "Cả năm"})
    form = catalogue.all_forms()[0]
    unit_plans.save(users["manager_a"], unit_a.id, today.year, [], {str(form.id): "3"}, f"{t}Ghi chú")
    values = {"held_on": today, "form_id": form.id, "title": f"{t}Hội nghị", "audience": "civil_servants",
              "reached": 5, "link": "https://example.org/bai-viet"}
    first = activities.create_activity(users["manager_a"], unit_a.id, values)
    photo = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(photo, "JPEG")
    second = activities.create_activity(users["manager_a"], unit_a.id, values, [(f"{t}anh.jpg", photo.getvalue())])
    number = (today.month - 1) // 3 + 1
    report = reporting.save_narrative(users["manager_a"], unit_a.id, "quarter", today.year, number,
                                      {"situation": f"{t}Tình hình"})
    db.session.commit()
    return {"plan": plan.id, "task": task.id, "form": form.id, "activity": first.id, "evidence": second.evidence[0].id,
            "report": report.id, "year": today.year, "quarter": number}


def table_fingerprint(db) -> dict[str, int]:
    """A hash of every row of every table: equal before and after means nothing changed."""
    conn = db.session.connection()
    return {t.name: hash(tuple(sorted(map(repr, conn.exec_driver_sql(f'SELECT * FROM "{t.name}"').fetchall()))))
            for t in db.metadata.sorted_tables}
