"""Reading the certificates issued: the lists in order, what an entrant may download, their wording.

Owns: ``awards_query`` / ``prize_awards`` (revoked ones only on the organiser's page),
``winners_published``, the release rule ``_released`` (in force, and a prize only once the
winners list is published; a certificate of completion at once), ``my_awards``,
``get_award_for`` (by verification code or id; an organiser sees any award in force, anyone
else a 404 for what is not his), ``award_scope_title`` and ``achievement``.
Must not: give, revoke or publish (``prizes``), or draw the certificate (``certificates``).
"""
from __future__ import annotations

from typing import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import User
from quizapp.campaign.models import Award, AwardKind, CampaignSettings
from quizapp.campaign.verification import award_by_code
from quizapp.campaign.wording import _err
from quizapp.contests.models import Round
from quizapp.core.db import db

def awards_query(contest_id: int, round_id: int | None = None, kinds: Iterable[AwardKind] | None = None,
                 any_scope: bool = True, with_revoked: bool = False):
    """The contest's certificates in the order of the lists; revoked ones only with ``with_revoked``."""
    q = sa.select(Award).where(Award.contest_id == contest_id)
    if not with_revoked:
        q = q.where(Award.revoked_at.is_(None))
    if not any_scope:
        q = q.where(Award.round_id.is_(None) if round_id is None else Award.round_id == round_id)
    if kinds:
        q = q.where(Award.kind.in_(list(kinds)))
    return q.order_by(Award.round_id.is_not(None), Award.round_id, Award.kind, Award.revoked_at.is_not(None),
                      Award.position, Award.id)


def prize_awards(contest_id: int, with_revoked: bool = False) -> list[Award]:
    """Individual and unit prizes of the contest (finishers' certificates are not listed); the
    organiser's page also lists the revoked ones (``with_revoked``), the public list never."""
    return list(db.session.scalars(awards_query(contest_id, kinds=[AwardKind.INDIVIDUAL, AwardKind.UNIT],
                                                with_revoked=with_revoked)))


def winners_published(contest_id: int) -> bool:
    row = db.session.get(CampaignSettings, contest_id)
    return row is not None and row.winners_published_at is not None


def _released():
    """An award its recipient may see and download: in force, and a prize only once the winners
    list is published (a certificate of completion as soon as it is issued)."""
    published = sa.exists().where(CampaignSettings.contest_id == Award.contest_id,
                                  CampaignSettings.winners_published_at.is_not(None))
    return sa.and_(Award.revoked_at.is_(None), sa.or_(Award.kind == AwardKind.FINISHER, published))


def my_awards(user_id: int, contest_id: int | None = None, kinds: Iterable[AwardKind] | None = None) -> list[Award]:
    """The certificates the entrant may download (``_released``), newest first."""
    q = sa.select(Award).where(Award.user_id == user_id, _released())
    if contest_id is not None:
        q = q.where(Award.contest_id == contest_id)
    if kinds:
        q = q.where(Award.kind.in_(list(kinds)))
    return list(db.session.scalars(q.order_by(Award.created_at.desc(), Award.id)))


def award_scope_title(award: Award, titles: dict[int, str] | None = None) -> str:
    """'Tuần thi thứ 1' for a round's prize, '' for the contest's."""
    if award.round_id is None:
        return ""
    if titles is not None and award.round_id in titles:
        return titles[award.round_id]
    rnd = db.session.get(Round, award.round_id)
    return rnd.title if rnd else ""


def achievement(award: Award, contest_title: str, round_title: str = "") -> str:
    """What the certificate says was achieved, e.g. 'Giải Nhất – Tuần thi thứ 1, Cuộc thi ...'."""
    scope = f"{round_title}, {contest_title}" if round_title else contest_title
    if award.kind == AwardKind.FINISHER:
        return f"{award.prize} – {scope}"
    if award.kind == AwardKind.UNIT:
        return f"{award.prize} (tập thể) – {scope}"
    return f"{award.prize} – {scope}"


def get_award_for(code_or_id, user: User) -> Award:
    """An award in force its recipient may download (a prize once the winners list is published),
    or any award in force for an organiser; 404 otherwise."""
    from quizapp.auth.models import Role

    award = db.session.get(Award, code_or_id) if isinstance(code_or_id, int) else award_by_code(code_or_id)
    if award is not None and award.revoked_at is None and user.has_role(Role.ORGANISER):
        return award
    if award is None or award.user_id != user.id or not db.session.scalar(
            sa.select(sa.literal(True)).where(Award.id == award.id, _released())):
        raise _err("award_not_found", _l("This certificate does not exist."), 404)
    return award
