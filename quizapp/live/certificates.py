"""Certificates of a live event, drawn by the campaign kit's certificate layout: one for each team
(its unit) and one for each member, with the team's place ("giải Nhất/Nhì/Ba", "giải Khuyến khích"
for the others).  A job (``live.certificates``): up to 60 teams × 6 certificates is too long for a
request.  The QR code and link lead to the event's audience page, where the organiser publishes the
final ranking; the printed number (``HT<event>-<team>[-<member>]``) identifies the certificate but is
not a signed verification code: the campaign's codes belong to its awards of online contests."""
from __future__ import annotations

import zipfile
from pathlib import Path

from quizapp.campaign import certificates as kit
from quizapp.campaign import services as campaign
from quizapp.core.db import db, utcnow
from quizapp.core.text import fold
from quizapp.live import results
from quizapp.live.models import LiveEvent

PRIZES = {1: "giải Nhất", 2: "giải Nhì", 3: "giải Ba"}


def prize_of(place: int) -> str:
    return PRIZES.get(place, "giải Khuyến khích")


def facts(event: LiveEvent, base_url: str) -> list[tuple[str, kit.CertificateFacts]]:
    """(file name, facts) of every certificate of the event, teams first, by place."""
    settings = campaign.default_settings()
    verify = f"{base_url.rstrip('/')}/live/a/{event.audience_code}"
    now = utcnow()
    out = []
    for row in results.standings(event):
        achievement = f"{prize_of(row.place)} {event.title}"
        common = dict(organiser=settings["organiser"], issuer="Ban Tổ chức hội thi", place=settings["place"],
                      issued_at=now, signer_title=settings["signer_title"], signer_name=settings["signer_name"],
                      verify_url=verify)
        slug = "-".join(fold(row.name).split())[:50] or "doi"
        out.append((f"{row.place:02d}-{slug}.pdf", kit.CertificateFacts(
            name=row.name, unit="", achievement=achievement, code=f"HT{event.id}-{row.team_id}", is_unit=True,
            **common)))
        for n, member in enumerate(row.members, start=1):
            person = "-".join(fold(member).split())[:40] or "thanh-vien"
            out.append((f"{row.place:02d}-{slug}-{n}-{person}.pdf", kit.CertificateFacts(
                name=member, unit=row.name, achievement=achievement, code=f"HT{event.id}-{row.team_id}-{n}",
                **common)))
    return out


def run_certificates(params: dict, progress, output_dir) -> dict:
    """The ZIP of every certificate of ``params["event_id"]`` (``base_url``: the links' address)."""
    from flask import current_app

    event = db.session.get(LiveEvent, int(params["event_id"]))
    if event is None:
        raise ValueError("event not found")
    base_url = params.get("base_url") or current_app.config.get("PUBLIC_BASE_URL") or "http://localhost"
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
