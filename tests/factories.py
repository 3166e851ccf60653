"""Factories for tests: small, explicit objects with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import date

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.services import hash_password
from quizapp.units import services as unit_services
from quizapp.units.models import Unit, UnitKind

DEFAULT_PASSWORD = "mat-khau-123"
_seq = itertools.count(1)


class Factory:
    def __init__(self, db):
        self.db = db

    def unit(self, name: str | None = None, parent: Unit | None = None, code: str | None = None,
             kind: UnitKind = UnitKind.DEPARTMENT, bloc: str | None = None, headcount: int = 10) -> Unit:
        n = next(_seq)
        unit = unit_services.create_unit(code or f"U{n}", name or f"Đơn vị {n}", parent, kind, bloc, headcount)
        self.db.session.commit()
        return unit

    def user(self, role: Role = Role.PARTICIPANT, unit: Unit | None = None, password: str = DEFAULT_PASSWORD,
             full_name: str | None = None, phone: str | None = None, email: str | None = None,
             category: EntrantCategory = EntrantCategory.CIVIL_SERVANT, **kw) -> User:
        n = next(_seq)
        if unit is None:
            unit = self.unit()
        user = User(
            full_name=full_name or f"Người dùng {n}",
            phone=phone if phone is not None or email else f"09{n:08d}",
            email=email,
            role=role,
            unit_id=unit.id,
            category=category,
            date_of_birth=date(1990, 1, 1),
            password_hash=hash_password(password),
            **kw,
        )
        self.db.session.add(user)
        self.db.session.commit()
        return user

    # --- contests (added by the contest builder) -----------------------------

    def area(self, code: str = "TC"):
        import sqlalchemy as sa

        from quizapp.bank.models import ReformArea

        return self.db.session.scalar(sa.select(ReformArea).where(ReformArea.code == code))

    def questions(self, n: int, area_code: str = "TC", difficulty: int = 1, status=None) -> list:
        """``n`` questions (APPROVED unless told) with two options each."""
        import uuid

        from quizapp.bank.models import Option, Question, QuestionStatus

        area = self.area(area_code)
        made = []
        for _ in range(n):
            k = next(_seq)
            q = Question(lineage=str(uuid.uuid4()), area_id=area.id, difficulty=difficulty,
                         status=status or QuestionStatus.APPROVED, text=f"Câu hỏi {k}?",
                         content_hash=uuid.uuid4().hex)
            q.options = [Option(position=1, text="Đúng", is_correct=True), Option(position=2, text="Sai")]
            self.db.session.add(q)
            made.append(q)
        self.db.session.commit()
        return made

    def contest(self, title: str = "Cuộc thi CCHC", published: bool = False, actor=None, **settings):
        from quizapp.contests import services
        from quizapp.contests.models import ContestStatus

        contest = services.create_contest(services.ContestData(title=title, **settings), actor.id if actor else None)
        if published:
            contest.status = ContestStatus.PUBLISHED
        self.db.session.commit()
        return contest

    def round(self, contest, opens_in_hours: float = -1, hours: float = 24 * 7, quotas=None, **settings):
        """A round of ``contest`` opening ``opens_in_hours`` from now (negative: already open).

        The default quota (2 TC questions) gets approved questions made for it."""
        from datetime import timedelta

        from quizapp.contests import services
        from quizapp.core.db import utcnow

        if quotas is None:
            self.questions(2, "TC")
            quotas = [services.QuotaItem(self.area("TC").id, 0, 2)]
        opens = utcnow() + timedelta(hours=opens_in_hours)
        data = services.RoundData(title=settings.pop("title", f"Tuần {next(_seq)}"), opens_at=opens,
                                  closes_at=opens + timedelta(hours=hours), quotas=quotas, **settings)
        rnd = services.add_round(contest, data, None)
        self.db.session.commit()
        return rnd

    def attempt(self, rnd, user, number: int = 1):
        """An attempt row as the attempt engine would write it (enough to lock a round)."""
        from datetime import timedelta

        from quizapp.attempts.models import Attempt
        from quizapp.core.db import utcnow

        now = utcnow()
        a = Attempt(round_id=rnd.id, user_id=user.id, unit_id=user.unit_id, category=user.category.value,
                    number=number, started_at=now, deadline_at=now + timedelta(minutes=20))
        self.db.session.add(a)
        self.db.session.commit()
        return a
