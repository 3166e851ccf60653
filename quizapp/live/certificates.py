"""Certificates of a live event (issue 22, item 5): one for each team (its unit) and one for each
member, with the team's place ("giải Nhất/Nhì/Ba", "giải Khuyến khích" for the others), and one for
each winning team and member of a part's own prize ("giải Tiểu phẩm hay nhất", ``place`` 0), verifiable
like the online contests' certificates.

* **Issued only from published results**: ``issue`` refuses until the event is finished and the
  organiser has published its final results (the ranking on the audience page).  Each certificate is
  a ``LiveCertificate`` row (a record: never deleted nor rewritten).  Issuing again keeps every
  certificate whose team, member, place and prize are unchanged (same code), adds the new ones and
  revokes the ones the results no longer give, only with a reason.
* **Verifiable**: the code is ``HT-<id in base 36>-<8 characters of HMAC-SHA256>``, signed by the
  campaign kit's mechanism (``campaign.verification``: the same key, its own domain), checked by the
  same public page ``/verify/<code>``, which shows the event, its date and venue, the team, its unit,
  the member, the place and prize, when it was issued, and whether it was revoked.
* **Drawn by the campaign kit's layout** (``campaign.certificates.certificate_pdf``) in a job
  (``live.certificates``: up to 60 teams × 6 certificates is too long for a request); the QR code and
  the printed link lead to ``PUBLIC_BASE_URL/verify/<code>``.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.campaign import certificates as kit
from quizapp.campaign import print_settings, wording
from quizapp.campaign import prizes as prize_rules
from quizapp.campaign import verification
from quizapp.core.audit import AuditEntry, record
from quizapp.core.db import db, utcnow
from quizapp.core.errors import ServiceError
from quizapp.core.text import fold
from quizapp.core.urls import public_base_url
from quizapp.live import results
from quizapp.live.models import EventStatus, LiveCertificate, LiveEvent

PRIZES = {1: "giải Nhất", 2: "giải Nhì", 3: "giải Ba"}
PREFIX = "HT"  # hội thi
DOMAIN = "live-certificate"


def _err(code: str, message, status: int = 422, field: str | None = None) -> ServiceError:
    return ServiceError(code, str(message), status=status, field=field)


def prize_of(place: int) -> str:
    return PRIZES.get(place, "giải Khuyến khích")


def part_prize_name(title: str) -> str:
    """A part's own prize as a certificate names it: "Tiểu phẩm hay nhất" → "giải Tiểu phẩm hay nhất"."""
    title = wording.nfc(" ".join(title.split()))
    return title if fold(title).startswith("giai ") else f"giải {title}"


# --- codes and the verify page ---------------------------------------------------------------------

def code_of(certificate_id: int) -> str:
    return verification.code_for(PREFIX, certificate_id)


def by_code(code: str) -> LiveCertificate | None:
    """The certificate a well-signed live code names; None for a forged, altered or unknown code."""
    parsed = verification.parse(code)
    if parsed is None or parsed[0].prefix != PREFIX:
        return None
    return db.session.get(LiveCertificate, parsed[1])


def _verify_context(certificate_id: int) -> dict | None:
    cert = db.session.get(LiveCertificate, certificate_id)
    if cert is None:
        return None
    return {"certificate": cert, "code": code_of(cert.id), "achievement": achievement(cert)}


verification.register(verification.Kind(PREFIX, DOMAIN, _verify_context, "live/verify.html"))


def achievement(cert: LiveCertificate) -> str:
    return f"{cert.prize} {cert.event_title}"


# --- issuing and revoking ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Issued:
    added: int
    kept: int
    revoked: int


def _held_at(event: LiveEvent) -> datetime:
    """The event's date: as set, else when the MC finished it."""
    if event.held_on is not None:
        return event.held_on
    finished = db.session.scalar(
        sa.select(AuditEntry.created_at).where(AuditEntry.object_type == "live_event",
                                               AuditEntry.object_id == str(event.id),
                                               AuditEntry.action == "live.finish")
        .order_by(AuditEntry.created_at.desc()).limit(1))
    return finished or utcnow()


def in_force(event_id: int) -> list[LiveCertificate]:
    return list(db.session.scalars(
        sa.select(LiveCertificate).where(LiveCertificate.event_id == event_id, LiveCertificate.revoked_at.is_(None))
        .order_by(LiveCertificate.place == 0, LiveCertificate.place, LiveCertificate.prize, LiveCertificate.team_name, LiveCertificate.team_id,
                  LiveCertificate.member_no, LiveCertificate.id)))


def issued(event_id: int) -> list[LiveCertificate]:
    """Every certificate of the event, revoked ones too (the organiser's list), by place."""
    return list(db.session.scalars(
        sa.select(LiveCertificate).where(LiveCertificate.event_id == event_id)
        .order_by(LiveCertificate.revoked_at.is_not(None), LiveCertificate.place == 0, LiveCertificate.place,
                  LiveCertificate.prize, LiveCertificate.team_name,
                  LiveCertificate.team_id, LiveCertificate.member_no, LiveCertificate.id)))


def check_issuable(event: LiveEvent) -> None:
    """Certificates follow the final results the organiser published, never a running scoreboard."""
    if event.status != EventStatus.FINISHED:
        raise _err("not_finished", _l("Certificates are issued from the final results: finish the event first."), 409)
    if not event.results_published:
        raise _err("not_published", _l("Certificates are issued from the results the organiser published: "
                                       "publish the final results first."), 409)


def issue(event: LiveEvent, actor_id: int | None, reason: str = "") -> Issued:
    """A certificate for every team and member of the published results.  Issuing again keeps the
    certificates that are unchanged, adds new ones, and revokes (with ``reason``, refused without one,
    naming who would lose a certificate) those the results no longer give."""
    from quizapp.units.models import Unit

    check_issuable(event)
    reason = prize_rules.clean_reason(reason)
    # Two organisers pressing at once: the second waits for the first's rows (PostgreSQL; SQLite has one writer).
    db.session.execute(sa.select(LiveEvent.id).where(LiveEvent.id == event.id).with_for_update())
    rows = results.standings(event)
    units = dict(db.session.execute(sa.select(Unit.id, Unit.name).where(
        Unit.id.in_([r.unit_id for r in rows]))).all()) if rows else {}
    by_team = {r.team_id: r for r in rows}
    wanted = {}  # (team id, member no, member name, prize) -> (row, place)

    def want(row, prize: str, place: int) -> None:
        wanted[(row.team_id, 0, "", prize)] = (row, place)
        for n, member in enumerate(row.members, start=1):
            wanted[(row.team_id, n, wording.nfc(member), prize)] = (row, place)

    for row in rows:
        want(row, prize_of(row.place), row.place)
    for part_prize in results.part_prizes(event, rows):  # a part's own prize: place 0, not a ranking
        for team_id in part_prize.team_ids:
            want(by_team[team_id], part_prize_name(part_prize.title), 0)
    current = {(c.team_id, c.member_no, c.member_name, c.prize): c for c in in_force(event.id)}

    def unchanged(cert: LiveCertificate, row, place: int) -> bool:
        return cert.place == place and cert.team_name == wording.nfc(row.name)

    losing = [c for key, c in current.items() if key not in wanted or not unchanged(c, *wanted[key])]
    if losing and not reason:
        names = ", ".join(f"{c.recipient} ({c.prize})" for c in losing[:5]) + (" …" if len(losing) > 5 else "")
        raise _err("reason_required", _l("Issuing again would revoke %(n)d certificates already issued (%(names)s): "
                                         "the results changed since. Write the reason for revoking them.",
                                         n=len(losing), names=names), field="reason")
    now, held = utcnow(), _held_at(event)
    added = kept = 0
    for key, (row, place) in wanted.items():
        team_id, member_no, member_name, prize = key
        found = current.get(key)
        if found is not None and unchanged(found, row, place):
            kept += 1
            continue
        db.session.add(LiveCertificate(
            event_id=event.id, team_id=team_id, member_no=member_no, member_name=member_name,
            team_name=wording.nfc(row.name), unit_name=wording.nfc(units.get(row.unit_id, "")),
            event_title=wording.nfc(event.title), venue=wording.nfc(event.venue or ""), held_at=held,
            place=place, prize=prize, created_at=now, created_by_id=actor_id))
        added += 1
    for cert in losing:
        cert.revoked_at, cert.revoked_reason, cert.revoked_by_id = now, reason, actor_id
    db.session.flush()
    record(actor_id, "live.certificates", "live_event", event.id, added=added, kept=kept, revoked=len(losing))
    return Issued(added, kept, len(losing))


def revoke(event: LiveEvent, certificate_id: int | None, reason: str | None, actor_id: int | None) -> LiveCertificate:
    """Take one certificate back, with a reason: it stays on record and its verify page says it was revoked."""
    cert = db.session.get(LiveCertificate, certificate_id) if certificate_id else None
    if cert is None or cert.event_id != event.id:
        raise _err("certificate_not_found", _l("This certificate does not exist."), 404)
    if cert.revoked_at is not None:
        raise _err("certificate_revoked", _l("This certificate has already been revoked."), 409, "reason")
    reason = prize_rules.clean_reason(reason)
    if not reason:
        raise _err("reason_required", _l("Write the reason for revoking the certificate."), field="reason")
    cert.revoked_at, cert.revoked_reason, cert.revoked_by_id = utcnow(), reason, actor_id
    db.session.flush()
    record(actor_id, "live.certificate_revoke", "live_event", event.id, code=code_of(cert.id),
           name=cert.recipient, prize=cert.prize, reason=reason)
    return cert


# --- drawing ----------------------------------------------------------------------------------------

def facts(event: LiveEvent, base_url: str) -> list[tuple[str, kit.CertificateFacts]]:
    """(file name, facts) of every certificate in force, by place, each team before its members."""
    settings = print_settings.default_settings()
    base = base_url.rstrip("/")
    out = []
    for cert in in_force(event.id):
        code = code_of(cert.id)
        slug = "-".join(fold(cert.team_name).split())[:50] or "doi"
        # A ranking's certificates by place ("01-…"); a part's own prize by its name ("giai-tieu-pham-…").
        lead = f"{cert.place:02d}" if cert.place else "-".join(fold(cert.prize).split())[:40]
        if cert.member_no:
            person = "-".join(fold(cert.member_name).split())[:40] or "thanh-vien"
            name = f"{lead}-{slug}-{cert.member_no}-{person}-{code}.pdf"
        else:
            name = f"{lead}-{slug}-{code}.pdf"
        out.append((name, kit.CertificateFacts(
            organiser=settings["organiser"], issuer="Ban Tổ chức hội thi", place=settings["place"],
            issued_at=cert.created_at, signer_title=settings["signer_title"], signer_name=settings["signer_name"],
            name=cert.recipient, unit=(cert.unit_name or cert.team_name) if cert.member_no else "",
            achievement=achievement(cert), code=code, verify_url=f"{base}/verify/{code}",
            is_unit=not cert.member_no)))
    return out


def run_certificates(params: dict, progress, output_dir) -> dict:
    """The ZIP of every certificate in force of ``params["event_id"]`` (issued beforehand by ``issue``;
    ``base_url``: the links' address, default ``PUBLIC_BASE_URL``)."""
    event = db.session.get(LiveEvent, int(params["event_id"]))
    if event is None:
        raise ValueError("event not found")
    base_url = params.get("base_url") or public_base_url()
    todo = facts(event, base_url)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    filename = f"giay-chung-nhan-hoi-thi-{event.id}.zip"
    path = output_dir / filename
    progress(0, len(todo))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for done, (name, f) in enumerate(todo, start=1):
            zf.writestr(name, kit.certificate_pdf(f))
            progress(done, len(todo))
    return {"path": str(path), "filename": filename, "mimetype": "application/zip", "count": len(todo)}
