"""Demo data: the seed plan's province, demo accounts (and, as they land, the bank and a contest)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.accounts import hash_password
from quizapp.core.db import db
from quizapp.units import import_export
from quizapp.units.models import Unit

DATA_DIR = Path(__file__).parent / "data"
UNITS_FILE = DATA_DIR / "units_ba_ria_vung_tau_2021.csv"
BANK_DIR = Path(__file__).resolve().parents[2] / "question_bank"

# Demo accounts for a local trial only; never loaded in production by default.
DEMO_ACCOUNTS = [
    # (phone, full name, role, unit code, password)
    ("0900000001", "Quản trị viên", Role.ADMIN, "SNV", "quanTri@2026"),
    ("0900000002", "Nguyễn Văn Tổ Chức", Role.ORGANISER, "SNV", "toChuc@2026"),
    ("0900000003", "Trần Thị Quản Lý", Role.UNIT_MANAGER, "VT", "quanLy@2026"),
    ("0900000004", "Lê Văn Dự Thi", Role.PARTICIPANT, "VT-P1", "duThi@2026"),
    ("0900000005", "Phạm Thị Đầu Mối", Role.REFORM_OFFICER, "VT-P1", "dauMoi@2026"),
]


def load_units() -> int:
    if db.session.scalar(sa.select(sa.func.count()).select_from(Unit)):
        return 0
    report = import_export.import_units(UNITS_FILE.read_bytes(), UNITS_FILE.name)
    if not report.ok:  # pragma: no cover - the shipped file is tested
        raise RuntimeError(f"demo unit file is invalid: {report.errors[:3]}")
    return report.created


def load_bank() -> int:
    """The shipped question bank (question_bank/), through the same importer organisers use."""
    from quizapp.bank import importing

    report = importing.import_path(BANK_DIR)
    if not report.ok:  # pragma: no cover - the shipped bank is tested
        raise RuntimeError(f"the shipped question bank is invalid: {report.errors[:3]}")
    return report.created


def load_accounts() -> list[tuple[str, str, str]]:
    created = []
    for phone, name, role, unit_code, password in DEMO_ACCOUNTS:
        if db.session.scalar(sa.select(User.id).where(User.phone == phone)):
            continue
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        db.session.add(User(
            full_name=name, phone=phone, role=role, unit_id=unit.id if unit else None,
            date_of_birth=date(1990, 1, 1), category=EntrantCategory.CIVIL_SERVANT,
            password_hash=hash_password(password),
        ))
        created.append((phone, password, role.value))
    db.session.flush()
    return created


DEMO_CONTEST_TITLE = "Cuộc thi trực tuyến tìm hiểu về cải cách hành chính năm 2026"
DEMO_RULES = (
    "Mỗi vòng thi gồm 20 câu hỏi trắc nghiệm được chọn ngẫu nhiên từ ngân hàng câu hỏi về 6 nội dung "
    "cải cách hành chính và Kế hoạch tuyên truyền của tỉnh, cùng một câu hỏi dự đoán số người trả lời "
    "đúng tất cả các câu hỏi. Thời gian làm bài 20 phút. Mỗi người được thi tối đa 3 lượt trong một vòng thi (mỗi vòng kéo dài một tuần); "
    "lượt có kết quả cao nhất được tính. Xếp hạng theo số câu đúng, sau đó theo độ chính xác của câu dự đoán, "
    "thời gian làm bài và thời điểm nộp bài."
)


def load_contest(now=None):
    """A published contest whose first weekly round is open now (Monday 00:00 to Sunday 24:00, Vietnam time)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from quizapp.contests import contests
    from quizapp.contests import quotas
    from quizapp.contests import rounds
    from quizapp.contests.models import Contest
    from quizapp.core.db import utcnow

    if db.session.scalar(sa.select(Contest.id).where(Contest.title == DEMO_CONTEST_TITLE)):
        return None
    vn = ZoneInfo("Asia/Ho_Chi_Minh")
    today = (now or utcnow()).astimezone(vn).date()
    monday = today - timedelta(days=today.weekday())
    blocs = sorted({u.bloc for u in db.session.scalars(sa.select(Unit)) if u.bloc})
    contest = contests.create_contest(
        contests.ContestData(title=DEMO_CONTEST_TITLE, description="Cuộc thi dành cho cán bộ, công chức, viên chức "
                             "và người lao động trên địa bàn tỉnh (dữ liệu minh họa).", rules=DEMO_RULES, blocs=blocs,
                             min_participation_rate=Decimal(50)),
        None,
    )
    areas = {a.code: a.id for a in quotas.reform_areas()}
    quotas = [quotas.QuotaItem(areas[code], 0, n) for code, n in
              [("TC", 3), ("TTHC", 3), ("TCBM", 3), ("CV", 3), ("TCC", 3), ("CQS", 3), ("KH", 2)] if code in areas]
    for week in range(3):
        start = datetime.combine(monday + timedelta(weeks=week), time(0, 0), vn)
        rounds.add_round(contest, rounds.RoundData(
            title=f"Vòng thi thứ {week + 1}", opens_at=start.astimezone(utcnow().tzinfo),
            closes_at=(start + timedelta(days=7)).astimezone(utcnow().tzinfo), quotas=quotas), None)
    contests.publish(contest, None)
    return contest


def load_study_set(per_area: int = 10) -> int:
    """The practice study set of the demo: the first ``per_area`` approved questions of each area
    (contest rounds never draw them; the rest of the bank stays for the contest)."""
    from quizapp.bank.models import Question, QuestionStatus
    from quizapp.practice import services as practice

    if db.session.scalar(sa.select(sa.func.count()).where(Question.for_practice.is_(True))):
        return 0
    ids = []
    for area_id in db.session.scalars(sa.select(Question.area_id).distinct()):
        ids += db.session.scalars(sa.select(Question.id).where(
            Question.area_id == area_id, Question.status == QuestionStatus.APPROVED)
            .order_by(Question.external_id, Question.id).limit(per_area)).all()
    return practice.mark_for_practice(" ".join(map(str, ids)), True, None) if ids else 0


def load_all() -> dict:
    result = {"units": load_units(), "accounts": load_accounts()}
    result["questions"] = load_bank()
    result["study_set"] = load_study_set()
    contest = load_contest()
    result["contest"] = contest.title if contest else None
    from quizapp.plans.demo import load_plans

    result["plan"] = load_plans()

    from quizapp.live.demo import load_demo_event

    result["live_event"] = load_demo_event()  # the live contest (hội thi), ready to start
    return result
