"""Factories for tests: small, explicit objects with sensible defaults."""
from __future__ import annotations

import itertools
from datetime import date

from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.auth.accounts import hash_password
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
        from quizapp.contests.contests import ContestData, create_contest
        from quizapp.contests.models import ContestStatus

        contest = create_contest(ContestData(title=title, **settings), actor.id if actor else None)
        if published:
            contest.status = ContestStatus.PUBLISHED
        self.db.session.commit()
        return contest

    def built_round(self, contest, opens_in_hours: float = -1, hours: float = 24 * 7, quotas=None, **settings):
        """A round of ``contest`` opening ``opens_in_hours`` from now (negative: already open).

        The default quota (2 TC questions) gets approved questions made for it."""
        from datetime import timedelta

        from quizapp.contests.quotas import QuotaItem
        from quizapp.contests.rounds import RoundData, add_round
        from quizapp.core.db import utcnow

        if quotas is None:
            self.questions(2, "TC")
            quotas = [QuotaItem(self.area("TC").id, 0, 2)]
        opens = utcnow() + timedelta(hours=opens_in_hours)
        data = RoundData(title=settings.pop("title", f"Tuần {next(_seq)}"), opens_at=opens,
                         closes_at=opens + timedelta(hours=hours), quotas=quotas, **settings)
        rnd = add_round(contest, data, None)
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

    # --- contest engine (attempts) -------------------------------------------------

    def question(self, area_code: str = "TC", difficulty: int = 1, multiple: bool = False, n_options: int = 4,
                 correct: list[int] | tuple[int, ...] = (0,), status=None, text: str | None = None,
                 explanation: str | None = "Giải thích", source: str | None = "Nguồn: NQ 76/NQ-CP",
                 times_drawn: int = 0):
        """An approved question with ``n_options`` options; ``correct`` are option positions (0-based)."""
        import uuid

        import sqlalchemy as sa

        from quizapp.bank.models import Option, Question, QuestionStatus, ReformArea

        n = next(_seq)
        area_id = self.db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == area_code))
        q = Question(
            lineage=str(uuid.uuid4()), version=1, area_id=area_id, difficulty=difficulty, multiple=multiple,
            status=status or QuestionStatus.APPROVED, text=text or f"Câu hỏi {n}?", explanation=explanation,
            source=source, content_hash=uuid.uuid4().hex, times_drawn=times_drawn,
        )
        for i in range(n_options):
            q.options.append(Option(position=i, text=f"Phương án {n}.{i}", is_correct=i in correct))
        self.db.session.add(q)
        self.db.session.commit()
        return q

    def round(self, quotas=(("TC", 0, 5),), contest=None, opens_at=None, closes_at=None,
              contest_status=None, ranking_order: str | None = None, **fields):
        """A round open now (in a published contest) drawing ``quotas``: (area code, difficulty, count)."""
        from datetime import timedelta

        import sqlalchemy as sa

        from quizapp.bank.models import ReformArea
        from quizapp.contests.models import Contest, ContestStatus, Round, RoundQuota
        from quizapp.core.db import utcnow

        n = next(_seq)
        if contest is None:
            contest = Contest(slug=f"cuoc-thi-{n}", title=f"Cuộc thi {n}",
                              status=contest_status or ContestStatus.PUBLISHED)
            if ranking_order:
                contest.ranking_order = ranking_order
            self.db.session.add(contest)
            self.db.session.flush()
        now = utcnow()
        number = fields.pop("number", n)
        rnd = Round(contest_id=contest.id, number=number, title=fields.pop("title", f"Tuần {n}"),
                    opens_at=opens_at or now - timedelta(days=1), closes_at=closes_at or now + timedelta(days=6),
                    **fields)
        for code, difficulty, count in quotas:
            area_id = self.db.session.scalar(sa.select(ReformArea.id).where(ReformArea.code == code))
            rnd.quotas.append(RoundQuota(area_id=area_id, difficulty=difficulty, count=count))
        self.db.session.add(rnd)
        self.db.session.commit()
        return rnd
    # --- question bank ---------------------------------------------------------------

    def bank_question(self, text: str | None = None, area: str = "TTHC", options=None, correct=(0,),
                 difficulty: int = 1, status: str = "approved", source: str | None = None,
                 external_id: str | None = None, **kw):
        """An approved question through the bank's own writer (so hashes and search text are right)."""
        from quizapp.bank import editor
        from quizapp.bank.formats.records import OptionRecord, QuestionRecord

        n = next(_seq)
        options = options or [f"Phương án {n}-{i}" for i in range(4)]
        record = QuestionRecord(
            row=0, area=area, difficulty=difficulty, text=text or f"Câu hỏi số {n}?",
            options=[OptionRecord(t, i in correct) for i, t in enumerate(options)],
            source=source or "", external_id=external_id or "", **kw,
        )
        question = editor.create_question(record, None, status)
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

    # --- leaderboards ------------------------------------------------------------------

    def submission(self, rnd, user, correct: int, prediction=None, *, start=None, seconds: int = 60,
                   auto: bool = False):
        """A real attempt through the contest engine: start at ``start``, answer the first
        ``correct`` questions right and the rest wrong, submit ``seconds`` later."""
        from datetime import timedelta

        import sqlalchemy as sa

        from quizapp.attempts.answers import save_answer
        from quizapp.attempts.start import start_attempt
        from quizapp.attempts.submit import submit_attempt
        from quizapp.attempts.option_ids import OptionIds
        from quizapp.bank.models import Option
        from quizapp.core.db import utcnow

        start = start or utcnow() - timedelta(hours=1)
        attempt = start_attempt(rnd.id, user, now=start)
        for i, aq in enumerate(attempt.questions):
            right = i < correct
            ids = self.db.session.scalars(
                sa.select(Option.id).where(Option.question_id == aq.question_id, Option.is_correct.is_(right))
            ).all()
            shown = [OptionIds(attempt.id).shown(oid) for oid in (ids if right else ids[:1])]  # the ids entrants see
            save_answer(attempt.id, user.id, aq.id, shown, 1, now=start)
        submit_attempt(attempt.id, user.id, prediction, auto=auto, now=start + timedelta(seconds=seconds))
        self.db.session.commit()
        return attempt
