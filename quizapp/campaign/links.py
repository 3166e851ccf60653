"""Short links and tagged arrivals: ``/c/<code>`` for a contest, ``?tag=`` for a channel or a unit's poster.

Owns: ``short_code`` / ``contest_id_from_code`` (base 36, ids beyond a 32-bit key name nothing),
``clean_tag``, ``record_arrival`` (once per contest, tag, user and kind) and ``channel_report``
(registrations and attempts per channel or unit tag).
Must not: decide who may enter a contest, or keep anything about a visitor who has not registered.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.campaign.models import Arrival, ArrivalKind
from quizapp.core.db import db, utcnow
from quizapp.units.models import Unit

TAG_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# Channel tags used by the share block; any other tag is a unit code (from a poster).
CHANNELS = {"link": _l("Copied link"), "zalo": "Zalo", "facebook": "Facebook", "poster": _l("Contest poster")}

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
