"""What every generated file shares: the shipped fonts, QR codes, Vietnamese dates."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from pathlib import Path

import segno
from fpdf import FPDF

FONT_DIR = Path(__file__).resolve().parent / "fonts"
SANS = FONT_DIR / "NotoSans-Regular.ttf"
SANS_BOLD = FONT_DIR / "NotoSans-Bold.ttf"
SERIF = FONT_DIR / "NotoSerif-Regular.ttf"
SERIF_BOLD = FONT_DIR / "NotoSerif-Bold.ttf"
SERIF_ITALIC = FONT_DIR / "NotoSerif-Italic.ttf"
VN_OFFSET = timedelta(hours=7)  # Vietnam has kept UTC+7 without daylight saving since 1975


def local_date(value: datetime | date | None) -> date | None:
    if value is None or not isinstance(value, datetime):
        return value
    return (value + VN_OFFSET).date() if value.tzinfo else value.date()


def date_text(value: datetime | date | None) -> str:
    """04/12/2026 (Vietnam time)."""
    d = local_date(value)
    return d.strftime("%d/%m/%Y") if d else ""


def place_date_line(place: str, value: datetime | date) -> str:
    """'Bà Rịa – Vũng Tàu, ngày 04 tháng 12 năm 2026' as official documents write it
    (Nghị định 30/2020/NĐ-CP: a leading zero for days below 10 and for months 1 and 2)."""
    d = local_date(value)
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    prefix = f"{place}, " if place else ""
    return f"{prefix}ngày {d.day:02d} tháng {month} năm {d.year}"


def qr_png(url: str, scale: int = 8) -> io.BytesIO:
    """A QR code (error correction M, quiet zone of 4 modules) as PNG bytes."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    buf.seek(0)
    return buf


def new_pdf(orientation: str = "P", size: str = "A4", serif: bool = True) -> FPDF:
    """An FPDF document with the shipped Noto fonts registered as ``body`` (regular, B, I)."""
    pdf = FPDF(orientation=orientation, unit="mm", format=size)
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 12, 15)
    if serif:
        pdf.add_font("body", "", str(SERIF))
        pdf.add_font("body", "B", str(SERIF_BOLD))
        pdf.add_font("body", "I", str(SERIF_ITALIC))
    else:
        pdf.add_font("body", "", str(SANS))
        pdf.add_font("body", "B", str(SANS_BOLD))
    for font in pdf.fonts.values():
        # The shipped fonts' bounding boxes are already right (subset_fonts.py recomputed them):
        # without this, saving the embedded subset decodes and re-encodes every glyph outline,
        # a third of the time of a certificate.
        font.ttfont.recalcBBoxes = False
    pdf.set_creator("quizapp")
    return pdf
