"""Giving certificates: prize tiers from the top of a ranking, certificates of completion,
revoking one, and publishing the winners list.

Owns: ``parse_tiers`` (``Giải Nhất: 1`` per line, a refused line named), ``mark_prizes``
(individual prizes from the official board, unit prizes from the round's unit ranking; marking
again keeps the certificates of the winners who keep their prize, and revokes the others only
with a reason), ``revoke_award``, ``mark_finishers`` (one INSERT ... SELECT for any number of
finishers), ``finisher_count`` (the view's size check), ``award_counts``, ``round_of`` and
``publish_winners``; every change is audited.
Must not: delete a certificate once issued, rank anyone itself (it reads ``leaderboards``), or
decide what an entrant may download (``awards``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import User
from quizapp.campaign.models import Award, AwardKind, CampaignSettings
from quizapp.campaign.print_settings import default_settings
from quizapp.campaign.verification import verification_code
from quizapp.campaign.wording import _err, nfc
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db, utcnow
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit

MAX_PRIZE_TIERS = 20
MAX_PER_TIER = 1000
FINISHER_PRIZE = "Hoàn thành cuộc thi"


@dataclass(frozen=True)
class Tier:
    prize: str
    count: int


def parse_tiers(text: str) -> list[Tier]:
    """``Giải Nhất: 1`` per line → tiers given from the top of the ranking, in order.

    A refused line is named: "Dòng 2: ..." (nothing is marked)."""
    tiers = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = nfc(line).strip()
        if not line:
            continue
        name, sep, count = line.rpartition(":")
        name = name.strip()
        if not sep or not name or not count.strip().isdigit():
            raise _err("tier_format", _l("Line %(n)d: write the prize name, a colon and how many entrants "
                                         "receive it (e.g. \"Giải Nhất: 1\").", n=n), field="tiers")
        if len(name) > 120:
            raise _err("tier_name", _l("Line %(n)d: the prize name is too long.", n=n), field="tiers")
        value = int(count.strip())
        if not 1 <= value <= MAX_PER_TIER:
            raise _err("tier_count", _l("Line %(n)d: the number must be between 1 and %(max)d.", n=n,
                                        max=MAX_PER_TIER), field="tiers")
        tiers.append(Tier(name, value))
    if not tiers:
        raise _err("tiers_empty", _l("List at least one prize (e.g. \"Giải Nhất: 1\")."), field="tiers")
    if len(tiers) > MAX_PRIZE_TIERS:
        raise _err("tiers_many", _l("At most %(max)d prizes.", max=MAX_PRIZE_TIERS), field="tiers")
    return tiers


def _scope(contest: Contest, round_id: int | None) -> Round | None:
    if round_id is None:
        return None
    rnd = db.session.get(Round, round_id)
    if rnd is None or rnd.contest_id != contest.id:
        raise _err("round_not_found", _l("This round does not belong to the contest."), 404, "round_id")
    return rnd


def round_of(contest: Contest, round_id: int | None) -> Round | None:
    """The contest's round ``round_id`` (None for None); a 404 refusal for another contest's."""
    return _scope(contest, round_id)


def _scope_filter(contest_id: int, round_id: int | None, kinds: Iterable[AwardKind]):
    return sa.and_(Award.contest_id == contest_id,
                   Award.round_id.is_(None) if round_id is None else Award.round_id == round_id,
                   Award.kind.in_(list(kinds)))


def _ranked_entrants(contest: Contest, rnd: Round | None, needed: int, organiser: User, boards):
    """The first ``needed`` rows of the round's (or contest's) official ranking."""
    rows, page = [], 1
    while len(rows) < needed:
        board = (boards.round_board(rnd.id, organiser, page=page) if rnd is not None
                 else boards.contest_board(contest.id, organiser, page=page))
        rows.extend(board.rows)
        if page >= board.pages:
            break
        page += 1
    return rows[:needed]


@dataclass(frozen=True)
class Marking:
    """What marking a ranking's prizes did: certificates added, kept as issued, revoked."""

    added: int
    kept: int
    revoked: int

    @property
    def total(self) -> int:
        return self.added + self.kept


REASON_MAX = 500


def clean_reason(reason: str | None) -> str:
    reason = nfc(reason).strip()
    if len(reason) > REASON_MAX:
        raise _err("reason_long", _l("The reason is too long (at most %(max)d characters).", max=REASON_MAX),
                   field="reason")
    return reason


def _revoke(award: Award, reason: str, actor_id: int | None, now) -> None:
    award.revoked_at = now
    award.revoked_reason = reason
    award.revoked_by_id = actor_id


def mark_prizes(contest: Contest, round_id: int | None, kind: AwardKind, tiers_text: str, organiser: User,
                reason: str = "") -> Marking:
    """Give the prizes from the top of the ranking.

    Individual prizes follow the individual ranking of the round (or the
    contest); unit prizes follow the round's unit ranking, units not ranked
    (below the minimum participation, no entrants) never get one.

    Marking a ranking again never deletes a certificate already issued: a winner
    who keeps the same prize keeps the same certificate (and verification code),
    new winners are added, and a certificate the new marking no longer gives is
    revoked with ``reason`` (refused without one, naming who would lose it)."""
    from quizapp.core import audit
    from quizapp.leaderboards import boards, unit_ranking

    tiers = parse_tiers(tiers_text)
    reason = clean_reason(reason)
    rnd = _scope(contest, round_id)
    needed = sum(t.count for t in tiers)
    now = utcnow()
    if kind == AwardKind.INDIVIDUAL:
        rows = _ranked_entrants(contest, rnd, needed, organiser, boards)
        units = dict(db.session.execute(
            sa.select(Standing.user_id, Standing.unit_id).where(
                Standing.user_id.in_([r.user_id for r in rows]),
                Standing.round_id == rnd.id if rnd is not None else Standing.round_id.in_(
                    sa.select(Round.id).where(Round.contest_id == contest.id))))
            .all()) if rows else {}
        entries = [(r.user_id, units.get(r.user_id), r.full_name, r.unit_name, r.rank, r.score, r.max_score)
                   for r in rows]
    elif kind == AwardKind.UNIT:
        if rnd is None:
            raise _err("unit_prize_round", _l("Unit prizes follow a round's unit ranking: choose a round."),
                       field="round_id")
        ranking = unit_ranking.unit_ranking(rnd.id)
        entries = [(None, r.unit_id, r.name, r.name, r.rank, None, None) for r in ranking.rows
                   if r.rank is not None][:needed]
    else:
        raise _err("kind_unknown", _l("Unknown prize kind."), field="kind")
    if not entries:
        raise _err("nobody_ranked", _l("Nobody is ranked yet: there is nothing to give prizes to."), field="tiers")

    def recipient(user_id, unit_id):
        return ("user", user_id) if kind == AwardKind.INDIVIDUAL else ("unit", unit_id)

    wanted = []  # (recipient key, prize, entry, position)
    position = 0
    for tier in tiers:
        for _ in range(tier.count):
            if position >= len(entries):
                break
            entry = entries[position]
            position += 1
            wanted.append((recipient(entry[0], entry[1]), tier.prize, entry, position))
    current = {(recipient(a.user_id, a.unit_id), a.prize): a for a in db.session.scalars(
        sa.select(Award).where(_scope_filter(contest.id, round_id, [kind]), Award.revoked_at.is_(None)))}
    keys = {(who, prize) for who, prize, _e, _p in wanted}
    losing = sorted((a for key, a in current.items() if key not in keys), key=lambda a: a.position)
    if losing and not reason:
        names = ", ".join(f"{a.recipient_name} ({a.prize})" for a in losing[:5]) + (" …" if len(losing) > 5 else "")
        raise _err("reason_required", _l("Marking again would revoke %(n)d certificates already issued (%(names)s). "
                                         "Write the reason for revoking them.", n=len(losing), names=names),
                   field="reason")
    added = kept = 0
    for who, prize, entry, pos in wanted:
        found = current.get((who, prize))
        user_id, unit_id, name, unit_name, rank, score, max_score = entry
        if found is not None:  # the same prize to the same winner: the certificate stays as issued
            found.position, found.rank = pos, rank
            kept += 1
            continue
        db.session.add(Award(contest_id=contest.id, round_id=round_id, kind=kind, user_id=user_id, unit_id=unit_id,
                             recipient_name=nfc(name), unit_name=nfc(unit_name or ""), prize=prize, position=pos,
                             rank=rank, score=score, max_score=max_score, created_at=now,
                             created_by_id=organiser.id))
        added += 1
    for award in losing:
        _revoke(award, reason, organiser.id, now)
    db.session.flush()
    audit.record(organiser.id, "campaign.prizes", "contest", contest.id, round_id=round_id, award_kind=kind.value,
                 added=added, kept=kept, revoked=len(losing))
    return Marking(added, kept, len(losing))


def revoke_award(contest: Contest, award_id: int, reason: str, actor: User) -> Award:
    """Take one certificate back, with a reason: its verify page then says it was revoked, and when."""
    from quizapp.core import audit

    award = db.session.get(Award, award_id)
    if award is None or award.contest_id != contest.id:
        raise _err("award_not_found", _l("This certificate does not exist."), 404)
    if award.revoked_at is not None:
        raise _err("award_revoked", _l("This certificate has already been revoked."), 409, "reason")
    reason = clean_reason(reason)
    if not reason:
        raise _err("reason_required", _l("Write the reason for revoking the certificate."), field="reason")
    _revoke(award, reason, actor.id, utcnow())
    db.session.flush()
    audit.record(actor.id, "campaign.revoke", "contest", contest.id, round_id=award.round_id,
                 code=verification_code(award.id), prize=award.prize)
    return award


def mark_finishers(contest: Contest, round_id: int | None, organiser_id: int | None,
                   prize: str = FINISHER_PRIZE) -> int:
    """A certificate of completion for everyone who finished the round (or any round of the contest)
    and holds none yet: one INSERT ... SELECT, so it stays quick at 200,000 entrants.  Certificates
    issued before stay as they are (a record is never deleted).  Returns how many were added."""
    from quizapp.core import audit

    rnd = _scope(contest, round_id)
    prize = nfc(prize).strip()[:120] or FINISHER_PRIZE
    scope = _scope_filter(contest.id, round_id, [AwardKind.FINISHER])
    before = _count(sa.and_(scope, Award.revoked_at.is_(None)))
    where = (Standing.round_id == rnd.id) if rnd is not None else Standing.round_id.in_(
        sa.select(Round.id).where(Round.contest_id == contest.id))
    holds = sa.exists().where(scope, Award.revoked_at.is_(None), Award.user_id == Standing.user_id)
    first = (sa.select(Standing.user_id, sa.func.min(Standing.id).label("sid")).where(where, ~holds)
             .group_by(Standing.user_id).subquery())
    select = (
        sa.select(sa.literal(contest.id), sa.literal(round_id, sa.Integer), sa.literal(AwardKind.FINISHER.value),
                  Standing.user_id, Standing.unit_id, User.full_name, sa.func.coalesce(Unit.name, ""),
                  sa.literal(prize), sa.literal(0), sa.literal(utcnow(), Award.created_at.type),
                  sa.literal(organiser_id, sa.Integer))
        .select_from(first).join(Standing, Standing.id == first.c.sid).join(User, User.id == Standing.user_id)
        .outerjoin(Unit, Unit.id == Standing.unit_id).order_by(User.full_name, Standing.user_id)
    )
    db.session.execute(sa.insert(Award).from_select(
        ["contest_id", "round_id", "kind", "user_id", "unit_id", "recipient_name", "unit_name", "prize",
         "position", "created_at", "created_by_id"], select))
    db.session.flush()
    # (psycopg reports no row count for INSERT ... SELECT through the ORM session: count them.)
    added = _count(sa.and_(scope, Award.revoked_at.is_(None))) - before
    audit.record(organiser_id, "campaign.finishers", "contest", contest.id, round_id=round_id, count=added)
    return added


def _count(where) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(Award).where(where)) or 0)


def finisher_count(contest: Contest, round_id: int | None) -> int:
    """How many certificates of completion ``mark_finishers`` would write (the view's size check)."""
    _scope(contest, round_id)
    where = (Standing.round_id == round_id) if round_id is not None else Standing.round_id.in_(
        sa.select(Round.id).where(Round.contest_id == contest.id))
    return int(db.session.scalar(sa.select(sa.func.count(sa.distinct(Standing.user_id))).where(where)) or 0)


def award_counts(contest_id: int) -> dict[str, int]:
    """Certificates in force per kind (revoked ones under ``revoked``)."""
    counts = {str(k): int(n) for k, n in db.session.execute(
        sa.select(Award.kind, sa.func.count()).where(Award.contest_id == contest_id, Award.revoked_at.is_(None))
        .group_by(Award.kind))}
    counts["revoked"] = _count(sa.and_(Award.contest_id == contest_id, Award.revoked_at.is_not(None)))
    return counts


def publish_winners(contest_id: int, actor_id: int | None, publish: bool = True) -> None:
    """Publish (or hide again) the winners list; winners download their certificates once it is published."""
    from quizapp.core import audit

    row = db.session.get(CampaignSettings, contest_id)
    if row is None:
        row = CampaignSettings(contest_id=contest_id, **default_settings())
        db.session.add(row)
    row.winners_published_at = utcnow() if publish else None
    db.session.flush()
    audit.record(actor_id, "campaign.publish_winners" if publish else "campaign.hide_winners", "contest", contest_id)

