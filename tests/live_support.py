"""A small live event for the live-contest tests: three teams, a knowledge part (2 questions + a
reserve), a buzzer part, a judged part, an audience part and a tie-break part."""
from __future__ import annotations

import re
from dataclasses import dataclass

from quizapp.auth.models import Role
from quizapp.live import builder, play
from quizapp.live.models import LiveEvent, LivePart


@dataclass
class World:
    event: LiveEvent
    organiser: object
    judges: list
    teams: list
    knowledge: LivePart
    buzzer: LivePart
    judged: LivePart
    audience: LivePart
    tiebreak: LivePart


def build_event(db, make, *, start: bool = True, speed_bonus: float = 5) -> World:
    province = make.unit("Tỉnh Demo", code="TD")
    units = [make.unit(f"Sở {n}", parent=province, code=f"S{n}") for n in range(1, 4)]
    organiser = make.user(Role.ORGANISER, unit=province, full_name="Bà Tổ Chức")
    judges = [make.user(Role.PARTICIPANT, unit=province, full_name=f"Giám khảo {n}") for n in range(1, 4)]
    make.questions(12)
    event = builder.create_event(builder.EventData("Hội thi CCHC thử", "Hội trường A"), organiser.id)
    db.session.flush()
    teams = [builder.add_team(event, u.id, [f"Thành viên {u.code}-1", f"Thành viên {u.code}-2"], organiser.id)
             for u in units]
    knowledge = builder.add_part(event, builder.PartData("knowledge", "Khởi động", seconds=20, points=10,
                                                         speed_bonus=speed_bonus), organiser.id)
    builder.draw_questions(knowledge, None, None, 2, False, organiser.id)
    builder.draw_questions(knowledge, None, None, 1, True, organiser.id)
    buzzer = builder.add_part(event, builder.PartData("buzzer", "Tăng tốc", seconds=15, points=20, wrong_penalty=10,
                                                      pass_on=True), organiser.id)
    builder.draw_questions(buzzer, None, None, 1, False, organiser.id)
    judged = builder.add_part(event, builder.PartData("judged", "Tiểu phẩm", judge_mode="trimmed",
                                                      rubric="Nội dung: 5\nHình thức: 3\nThời gian: 2"), organiser.id)
    audience = builder.add_part(event, builder.PartData("audience", "Khán giả", seconds=15), organiser.id)
    builder.draw_questions(audience, None, None, 1, False, organiser.id)
    tiebreak = builder.add_part(event, builder.PartData("tiebreak", "Câu hỏi phụ", seconds=10, points=1),
                                organiser.id)
    builder.draw_questions(tiebreak, None, None, 2, True, organiser.id)
    for j in judges:
        builder.add_judge(event, j.phone, organiser.id)
    if start:
        play.start(event, organiser.id)
    db.session.commit()
    return World(event, organiser, judges, teams, knowledge, buzzer, judged, audience, tiebreak)


def right_option(item) -> int:
    return next(o.id for o in item.question.options if o.is_correct)


def wrong_option(item) -> int:
    return next(o.id for o in item.question.options if not o.is_correct)


# --- the live view tests' shared helpers ------------------------------------------------------------

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def fresh_token_cache():
    """Several test clients share the test's app context: Flask-WTF caches a token in ``g``."""
    from flask import g

    g.pop("csrf_token", None)


def audience_question(db, w):
    """Step the event (from wherever it stands) to its audience question, open; returns the item."""
    from quizapp.core.db import utcnow
    from quizapp.live.models import Phase

    for _ in range(40):
        if w.event.phase == Phase.OPEN and play._part(w.event).id == w.audience.id:
            break
        play.next_step(w.event, utcnow(), w.organiser.id)
    db.session.commit()
    return play._item(w.event)
