"""The demo live event (``flask demo load``): four teams with fixed codes (printed in the README),
every kind of part, questions from the demo bank, two judge accounts.  Idempotent."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.accounts import hash_password
from quizapp.core.db import db
from quizapp.live import builder
from quizapp.live.models import LiveEvent, LiveTeam
from quizapp.units.models import Unit

DEMO_EVENT_TITLE = "Hội thi tìm hiểu về cải cách hành chính tỉnh năm 2026 (demo)"
DEMO_AUDIENCE_CODE = "KHANGIA"
# (unit code, join code, members)
DEMO_TEAMS = [
    ("SNV", "DOISNV", ["Nguyễn Thị Lan", "Trần Văn Hùng", "Lê Thị Mai"]),
    ("STP", "DOISTP", ["Phạm Văn Nam", "Võ Thị Hoa", "Đặng Văn Tú"]),
    ("VT", "DOIVTA", ["Bùi Thị Thu", "Hồ Văn Phúc", "Ngô Thị Hạnh"]),
    ("BR", "DOIBRA", ["Dương Văn Long", "Lý Thị Ngọc", "Trịnh Văn Khoa"]),
]
# (phone, full name, password): judges log in with these and open the judges' console.
DEMO_JUDGES = [
    ("0900000011", "Giám khảo Trương Minh Đức", "giamKhao@2026"),
    ("0900000012", "Giám khảo Phan Thị Yến", "giamKhao@2026"),
]


def _judge_accounts() -> list[User]:
    users = []
    unit = db.session.scalar(sa.select(Unit).where(Unit.code == "SNV"))
    for phone, name, password in DEMO_JUDGES:
        user = db.session.scalar(sa.select(User).where(User.phone == phone))
        if user is None:
            user = User(full_name=name, phone=phone, role=Role.PARTICIPANT, unit_id=unit.id if unit else None,
                        date_of_birth=date(1980, 1, 1), category=EntrantCategory.CIVIL_SERVANT,
                        password_hash=hash_password(password))
            db.session.add(user)
            db.session.flush()
        users.append(user)
    return users


def load_demo_event() -> LiveEvent | None:
    """The demo event, or None when it is already there (or the demo units are missing)."""
    if db.session.scalar(sa.select(LiveEvent.id).where(LiveEvent.title == DEMO_EVENT_TITLE)):
        return None
    units = {u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_([t[0] for t in DEMO_TEAMS])))}
    if len(units) < len(DEMO_TEAMS):
        return None
    taken = set(db.session.scalars(sa.select(LiveTeam.join_code)))
    event = builder.create_event(builder.EventData(DEMO_EVENT_TITLE, "Hội trường Sở Nội vụ"), None)
    if not db.session.scalar(sa.select(LiveEvent.id).where(LiveEvent.audience_code == DEMO_AUDIENCE_CODE)):
        event.audience_code = DEMO_AUDIENCE_CODE
    db.session.flush()
    for unit_code, code, members in DEMO_TEAMS:
        team = builder.add_team(event, units[unit_code].id, members, None)
        if code not in taken:
            team.join_code = code
    knowledge = builder.add_part(event, builder.PartData("knowledge", "Khởi động", seconds=20, points=10,
                                                         speed_bonus=5), None)
    builder.draw_questions(knowledge, None, None, 5, False, None)
    builder.draw_questions(knowledge, None, None, 1, True, None)
    buzzer = builder.add_part(event, builder.PartData("buzzer", "Tăng tốc", seconds=15, points=20, wrong_penalty=10,
                                                      pass_on=True), None)
    builder.draw_questions(buzzer, None, None, 3, False, None)
    builder.draw_questions(buzzer, None, None, 1, True, None)
    builder.add_part(event, builder.PartData(
        "judged", "Tiểu phẩm: Bộ phận một cửa thân thiện", points=10, judge_mode="trimmed",
        rubric="Nội dung: 5\nHình thức thể hiện: 3\nThời gian: 2", prize_title="Tiểu phẩm hay nhất"), None)
    audience = builder.add_part(event, builder.PartData("audience", "Dành cho khán giả", seconds=20), None)
    builder.draw_questions(audience, None, None, 2, False, None)
    tiebreak = builder.add_part(event, builder.PartData("tiebreak", "Câu hỏi phụ", seconds=15, points=1), None)
    builder.draw_questions(tiebreak, None, None, 2, True, None)
    for judge in _judge_accounts():
        builder.add_judge(event, judge.phone, None)
    return event
