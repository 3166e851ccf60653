"""Campaign kit services: short links and tagged arrivals, print settings, prizes and verification.

Generated files live in their own modules (``cards``, ``posters``,
``certificates``, ``reports``); this module holds the rules and the data.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from quizapp.auth.models import User
from quizapp.campaign.models import Arrival, ArrivalKind, Award, AwardKind, CampaignSettings
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError, message_text
from quizapp.leaderboards.models import Standing
from quizapp.units.models import Unit, UnitKind

TAG_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# Channel tags used by the share block; any other tag is a unit code (from a poster).
CHANNELS = {"link": _l("Copied link"), "zalo": "Zalo", "facebook": "Facebook", "poster": _l("Contest poster")}
MAX_PRIZE_TIERS = 20
MAX_PER_TIER = 1000
FINISHER_PRIZE = "Hoàn thành cuộc thi"


def _err(code: str, message, status: int = 422, field: str | None = None) -> ServiceError:
    """A refusal; outside a request the English msgid, with its placeholders filled in."""
    from flask import has_request_context

    text = message_text(message)
    params = getattr(message, "_kwargs", None)
    if params and not has_request_context():
        text = text % params
    return ServiceError(code, text, status, field)


def nfc(text: str | None) -> str:
    """Text as composed characters (NFC): one code point per Vietnamese letter, as fonts expect."""
    return unicodedata.normalize("NFC", text or "")


# --- short links and tags ---------------------------------------------------------

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


MAX_ID = 2**31 - 1  # the largest value of an INTEGER primary key (PostgreSQL)


def short_code(contest_id: int) -> str:
    """The code of /c/<code>: the contest id in base 36 (contests are few; ids are public anyway)."""
    n, out = contest_id, ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if not n:
            return out


def contest_id_from_code(code: str) -> int | None:
    code = (code or "").lower()
    if not code or len(code) > 8 or any(c not in _B36 for c in code):
        return None
    value = int(code, 36)
    # Contest ids are 32-bit integers: a larger code names no contest (and PostgreSQL would refuse
    # the comparison with an error, a 500: issue 20 item 9).
    return value if 0 < value <= MAX_ID else None


def clean_tag(raw: str | None) -> str | None:
    raw = (raw or "").strip()
    return raw if TAG_RE.match(raw) else None


def record_arrival(contest_id: int, tag: str, kind: ArrivalKind, user_id: int | None,
                   round_id: int | None = None) -> bool:
    """Record that ``user_id`` registered or started an attempt after following ``tag``: once per
    (contest, tag, user, kind), however many attempts he starts (a unique index holds it under
    concurrency: the caller runs this in a savepoint).  True if it was recorded now."""
    if user_id is None:
        return False
    known = db.session.scalar(sa.select(Arrival.id).where(
        Arrival.contest_id == contest_id, Arrival.tag == tag, Arrival.user_id == user_id, Arrival.kind == kind))
    if known is not None:
        return False
    db.session.add(Arrival(contest_id=contest_id, tag=tag, kind=kind, user_id=user_id, round_id=round_id,
                           created_at=utcnow()))
    db.session.flush()
    return True


@dataclass(frozen=True)
class ChannelRow:
    tag: str
    label: str
    registrations: int
    attempts: int
    entrants: int


def channel_report(contest_id: int) -> list[ChannelRow]:
    """Registrations and attempts per channel or unit tag, most attempts first."""
    reg = sa.func.sum(sa.case((Arrival.kind == ArrivalKind.REGISTRATION, 1), else_=0))
    att = sa.func.sum(sa.case((Arrival.kind == ArrivalKind.ATTEMPT, 1), else_=0))
    ent = sa.func.count(sa.distinct(sa.case((Arrival.kind == ArrivalKind.ATTEMPT, Arrival.user_id))))
    rows = db.session.execute(
        sa.select(Arrival.tag, reg, att, ent).where(Arrival.contest_id == contest_id).group_by(Arrival.tag)).all()
    names = dict(db.session.execute(sa.select(Unit.code, Unit.name).where(Unit.code.in_([r[0] for r in rows])))
                 .all()) if rows else {}
    out = [ChannelRow(tag, str(CHANNELS[tag]) if tag in CHANNELS else names.get(tag, tag), int(r or 0),
                      int(a or 0), int(e or 0)) for tag, r, a, e in rows]
    return sorted(out, key=lambda r: (-r.attempts, -r.registrations, r.tag))


# --- contest facts and print settings ------------------------------------------------

def contest_period(contest: Contest) -> tuple[datetime | None, datetime | None]:
    """From the first round's opening to the last round's closing."""
    if not contest.rounds:
        return None, None
    return min(r.opens_at for r in contest.rounds), max(r.closes_at for r in contest.rounds)


def _root_unit() -> Unit | None:
    return db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None), Unit.is_active.is_(True))
                             .order_by((Unit.kind != UnitKind.PROVINCE), Unit.id).limit(1))


def default_settings() -> dict:
    """Organiser and place from the top of the unit tree (``Tỉnh X`` → ``Ủy ban nhân dân tỉnh X``, ``X``)."""
    root = _root_unit()
    organiser = current_app.config.get("CAMPAIGN_ORGANISER") or ""
    place = current_app.config.get("CAMPAIGN_PLACE") or ""
    if root is not None:
        name = root.name.strip()
        if not organiser:
            organiser = f"Ủy ban nhân dân {name[0].lower() + name[1:]}" if name.startswith("Tỉnh ") else name
        if not place:
            place = name[5:] if name.startswith(("Tỉnh ", "tỉnh ")) else name
    return {"organiser": organiser or "Ban Tổ chức", "issuer": "Ban Tổ chức cuộc thi", "place": place,
            "signer_title": "Trưởng Ban Tổ chức", "signer_name": ""}


def settings_for(contest_id: int) -> CampaignSettings:
    """The contest's print settings (defaults when the organiser has not set them; not added to the session)."""
    found = db.session.get(CampaignSettings, contest_id)
    return found if found is not None else CampaignSettings(contest_id=contest_id, **default_settings())


SETTINGS_FIELDS = {"organiser": 255, "issuer": 255, "place": 120, "signer_title": 120, "signer_name": 120}


def save_settings(contest_id: int, values: dict) -> CampaignSettings:
    clean = {}
    for name, limit in SETTINGS_FIELDS.items():
        value = nfc(str(values.get(name) or "")).strip()
        if len(value) > limit:
            raise _err("too_long", _l("This field is too long."), field=name)
        if not value and name != "signer_name":
            raise _err("required", _l("This field is required."), field=name)
        clean[name] = value
    row = db.session.get(CampaignSettings, contest_id)
    if row is None:
        row = CampaignSettings(contest_id=contest_id, **clean)
        db.session.add(row)
    else:
        for k, v in clean.items():
            setattr(row, k, v)
    db.session.flush()
    return row


# --- prizes ---------------------------------------------------------------------------

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


# --- verification codes ------------------------------------------------------------------

def _key() -> bytes:
    return (current_app.config.get("CERTIFICATE_KEY") or current_app.config["SECRET_KEY"]).encode()


def _signature(award_id: int) -> str:
    digest = hmac.new(_key(), f"award:{award_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode()  # 8 characters, A-Z2-7


def verification_code(award_id: int) -> str:
    """``<id in base 36>-<8 signature characters>``: unguessable, checked without a lookup table."""
    return f"{short_code(award_id).upper()}-{_signature(award_id)}"


def award_by_code(code: str) -> Award | None:
    code = (code or "").strip().upper()
    ident, sep, sig = code.partition("-")
    award_id = contest_id_from_code(ident) if sep else None
    if award_id is None or not hmac.compare_digest(sig, _signature(award_id)):
        return None
    return db.session.get(Award, award_id)


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
