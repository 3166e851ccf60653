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

    # --- question bank ---------------------------------------------------------------

    def bank_question(self, text: str | None = None, area: str = "TTHC", options=None, correct=(0,),
                 difficulty: int = 1, status: str = "approved", source: str | None = None,
                 external_id: str | None = None, **kw):
        """An approved question through the bank's own writer (so hashes and search text are right)."""
        from quizapp.bank import services as bank
        from quizapp.bank.formats import OptionRecord, QuestionRecord

        n = next(_seq)
        options = options or [f"Phương án {n}-{i}" for i in range(4)]
        record = QuestionRecord(
            row=0, area=area, difficulty=difficulty, text=text or f"Câu hỏi số {n}?",
            options=[OptionRecord(t, i in correct) for i, t in enumerate(options)],
            source=source or "", external_id=external_id or "", **kw,
        )
        question = bank.create_question(record, None, status)
        self.db.session.commit()
        return question

    def attempt_on(self, question, user=None):
        """An attempt that showed ``question`` (an attempt_questions row pointing at it)."""
        from datetime import timedelta

        from quizapp.attempts.models import Attempt, AttemptQuestion
        from quizapp.contests.models import Contest, Round
        from quizapp.core.db import utcnow

        n = next(_seq)
        user = user or self.user()
        contest = Contest(slug=f"cuoc-thi-{n}", title=f"Cuộc thi {n}")
        rnd = Round(contest=contest, number=1, title="Tuần 1", opens_at=utcnow(),
                    closes_at=utcnow() + timedelta(days=7))
        attempt = Attempt(round=rnd, user_id=user.id, unit_id=user.unit_id, category="civil_servant",
                          number=1, started_at=utcnow(), deadline_at=utcnow() + timedelta(minutes=20))
        attempt.questions.append(AttemptQuestion(question_id=question.id, position=1,
                                                 option_order=[o.id for o in question.options]))
        self.db.session.add_all([contest, rnd, attempt])
        self.db.session.commit()
        return attempt
