"""Certificates (giấy chứng nhận): one PDF per prize, in the layout of a Vietnamese official certificate,
and the jury's ZIP of them (``run_certificates_zip``: a job, never a request, for large batches)."""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from quizapp.campaign import awards, print_settings, prizes, render, verification, wording
from quizapp.campaign.models import Award, AwardKind
from quizapp.contests.models import Contest, Round
from quizapp.core.db import db
from quizapp.core.text import fold
from quizapp.core.urls import public_base_url

MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"


@dataclass(frozen=True)
class CertificateFacts:
    organiser: str
    issuer: str
    name: str
    unit: str
    achievement: str
    place: str
    issued_at: datetime
    signer_title: str
    signer_name: str
    code: str
    verify_url: str
    is_unit: bool = False


def facts_for(award: Award, contest: Contest, settings, base_url: str, round_title: str = "") -> CertificateFacts:
    code = verification.verification_code(award.id)
    return CertificateFacts(
        organiser=settings.organiser, issuer=settings.issuer, name=award.recipient_name,
        unit=award.unit_name if award.kind != AwardKind.UNIT else "",
        achievement=awards.achievement(award, contest.title, round_title), place=settings.place,
        issued_at=award.created_at, signer_title=settings.signer_title, signer_name=settings.signer_name,
        code=code, verify_url=f"{base_url.rstrip('/')}/verify/{code}", is_unit=award.kind == AwardKind.UNIT)


def certificate_pdf(f: CertificateFacts) -> bytes:
    """A4 landscape: motto header, organiser, title, name, unit, achievement, place and date,
    signature block, and the verification code with its QR code."""
    pdf = render.new_pdf("L", "A4", serif=True)
    pdf.set_title(f"Giấy chứng nhận - {f.name}")
    pdf.add_page()
    w, h = 297, 210
    pdf.set_draw_color(150, 30, 30)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, w - 16, h - 16)
    pdf.set_line_width(0.4)
    pdf.rect(11, 11, w - 22, h - 22)
    pdf.set_text_color(0, 0, 0)
    # Header block: the issuing body on the left, the national motto on the right (Nghị định 30/2020).
    left_w, right_x, right_w = 120, 140, 142
    pdf.set_xy(16, 16)
    pdf.set_font("body", "", 12)
    pdf.multi_cell(left_w, 6, wording.nfc(f.organiser).upper(), align="C")
    pdf.set_x(16)
    pdf.set_font("body", "B", 12)
    pdf.multi_cell(left_w, 6, wording.nfc(f.issuer).upper(), align="C")
    y_left = pdf.get_y()
    pdf.line(16 + left_w / 2 - 20, y_left + 1, 16 + left_w / 2 + 20, y_left + 1)
    pdf.set_xy(right_x, 16)
    pdf.set_font("body", "B", 12)
    pdf.multi_cell(right_w, 6, MOTTO_1, align="C")
    pdf.set_x(right_x)
    pdf.set_font("body", "B", 13)
    pdf.multi_cell(right_w, 6.5, MOTTO_2, align="C")
    motto_w = pdf.get_string_width(MOTTO_2)
    y = pdf.get_y()
    pdf.line(right_x + (right_w - motto_w) / 2, y + 0.5, right_x + (right_w + motto_w) / 2, y + 0.5)
    # Title and body.
    pdf.set_text_color(150, 30, 30)
    pdf.set_xy(20, 50)
    pdf.set_font("body", "B", 30)
    pdf.cell(w - 40, 14, "GIẤY CHỨNG NHẬN", align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(20, 68)
    pdf.set_font("body", "I", 14)
    pdf.cell(w - 40, 8, f"{wording.nfc(f.issuer)} chứng nhận", align="C")
    pdf.set_xy(20, 80)
    pdf.set_font("body", "B", 24)
    pdf.set_text_color(12, 50, 120)
    pdf.multi_cell(w - 40, 12, wording.nfc(f.name), align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("body", "", 14)
    if f.unit:
        pdf.set_x(20)
        pdf.multi_cell(w - 40, 8, f"Đơn vị: {wording.nfc(f.unit)}", align="C")
    pdf.ln(1)
    pdf.set_x(30)
    pdf.set_font("body", "B", 15)
    pdf.multi_cell(w - 60, 8, f"Đã đạt {wording.nfc(f.achievement)}", align="C")
    # Place and date, then the signature block, on the right.
    pdf.set_xy(160, 140)
    pdf.set_font("body", "I", 13)
    pdf.cell(120, 7, render.place_date_line(wording.nfc(f.place), f.issued_at), align="C")
    pdf.set_xy(160, 148)
    pdf.set_font("body", "B", 13)
    pdf.multi_cell(120, 6.5, wording.nfc(f.signer_title).upper(), align="C")
    if f.signer_name:
        pdf.set_xy(160, 181)
        pdf.cell(120, 7, wording.nfc(f.signer_name), align="C")
    # Verification: QR code and the code, bottom left.
    pdf.image(render.qr_png(f.verify_url, scale=4), x=20, y=150, w=34, h=34)
    pdf.set_xy(56, 160)
    pdf.set_font("body", "", 10)
    pdf.cell(90, 5, f"Mã xác thực: {f.code}")
    pdf.set_xy(56, 166)
    pdf.set_font("body", "", 8)
    pdf.multi_cell(95, 4, f"Kiểm tra tại: {f.verify_url}")
    return bytes(pdf.output())


def certificate_for(award: Award, base_url: str) -> bytes:
    contest = db.session.get(Contest, award.contest_id)
    return certificate_pdf(facts_for(award, contest, print_settings.settings_for(contest.id), base_url,
                                     awards.award_scope_title(award)))


def filename_for(award: Award) -> str:
    slug = "-".join(fold(award.recipient_name).split())[:60] or "chung-nhan"
    return f"giay-chung-nhan-{slug}-{verification.verification_code(award.id)}.pdf"


def run_certificates_zip(params: dict, progress, output_dir) -> dict:
    """Every certificate of a contest (or one round) in one ZIP, streamed to ``output_dir``.

    params: ``contest_id``; optional ``round_id`` (only that round's), ``kinds`` (list of
    'individual', 'unit', 'finisher'; default all), ``base_url`` (of the verify links;
    default the ``PUBLIC_BASE_URL`` setting) and ``actor_id`` (who asked: the audit log says who
    took the ZIP).  Revoked certificates are left out.  ``progress(done, total)`` is called as it goes."""
    from flask import current_app

    contest = db.session.get(Contest, int(params["contest_id"]))
    if contest is None:
        raise ValueError("contest not found")
    round_id = params.get("round_id")
    kinds = [AwardKind(k) for k in (params.get("kinds") or [k.value for k in AwardKind])]
    base_url = params.get("base_url") or public_base_url()
    query = awards.awards_query(contest.id, kinds=kinds)
    if round_id is not None:
        query = query.where(Award.round_id == int(round_id))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    settings = print_settings.settings_for(contest.id)
    titles = dict(db.session.execute(sa.select(Round.id, Round.title).where(Round.contest_id == contest.id)).all())
    scope = f"-vong-{round_id}" if round_id is not None else ""
    filename = f"giay-chung-nhan-cuoc-thi-{contest.id}{scope}.zip"
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / filename
    tmp = path.with_suffix(".zip.part")
    done = 0
    progress(0, total)
    workers = int(params.get("workers") or current_app.config.get("CAMPAIGN_WORKERS") or os.cpu_count() or 1)
    pool = _pool(workers) if workers > 1 and total > PARALLEL_FROM else None
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:  # PDFs are compressed already
            batch: list[tuple[str, CertificateFacts]] = []

            def flush():
                nonlocal done
                facts = [f for _, f in batch]
                pdfs = pool.map(certificate_pdf, facts, chunksize=8) if pool else map(certificate_pdf, facts)
                for (name, _), data in zip(batch, pdfs):
                    zf.writestr(name, data)
                done += len(batch)
                batch.clear()
                progress(done, total)

            for award in db.session.scalars(query.execution_options(yield_per=BATCH)):
                batch.append((filename_for(award),
                              facts_for(award, contest, settings, base_url, titles.get(award.round_id, ""))))
                if len(batch) >= BATCH:
                    flush()
            if batch:
                flush()
    finally:
        if pool is not None:
            pool.shutdown()
    os.replace(tmp, path)
    from quizapp.core import audit

    audit.record(params.get("actor_id"), "campaign.certificates_zip", "contest", contest.id,
                 round_id=int(round_id) if round_id is not None else None, count=done)
    db.session.flush()
    return {"path": str(path), "filename": filename, "mimetype": "application/zip", "count": done,
            "contest_id": contest.id}


def run_mark_finishers(params: dict, progress, output_dir=None) -> dict:
    """A certificate of completion for every finisher (a job: ``tasks.finishers_or_job`` does it inline
    only up to ``CAMPAIGN_INLINE_FINISHERS``).  params: ``contest_id``; optional ``round_id``, ``prize``,
    ``actor_id``.  Commits, as a job must."""
    contest = db.session.get(Contest, int(params["contest_id"]))
    if contest is None:
        raise ValueError("contest not found")
    progress(0, 1)
    n = prizes.mark_finishers(contest, params.get("round_id"), params.get("actor_id"),
                              params.get("prize") or prizes.FINISHER_PRIZE)
    db.session.commit()
    progress(1, 1)
    return {"count": n, "contest_id": contest.id}


BATCH = 200  # certificates drawn per batch (bounded memory whatever the size of the ZIP)
PARALLEL_FROM = 100  # below this, starting worker processes costs more than it saves


def _pool(workers: int):
    """Worker processes for the PDFs (spawned, not forked: they must not share the
    parent's database connections); each only draws certificates from plain facts."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def certificates_zip_bytes(contest_id: int, round_id: int | None, base_url: str,
                           actor_id: int | None = None) -> tuple[bytes, str, int]:
    """A small batch, in memory (``tasks.certificates_zip_now`` builds it so up to ``CAMPAIGN_INLINE_CERTIFICATES``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = run_certificates_zip({"contest_id": contest_id, "round_id": round_id, "base_url": base_url,
                                       "actor_id": actor_id},
                                      lambda done, total: None, tmp)
        return Path(result["path"]).read_bytes(), result["filename"], result["count"]


def count_certificates(contest_id: int, round_id: int | None = None) -> int:
    """Certificates in force (revoked ones are not in the ZIP)."""
    q = sa.select(sa.func.count()).select_from(Award).where(Award.contest_id == contest_id, Award.revoked_at.is_(None))
    if round_id is not None:
        q = q.where(Award.round_id == round_id)
    return int(db.session.scalar(q) or 0)


