"""Printable A4 / A3 posters: title, dates, three steps and a QR code carrying the unit's tag."""
from __future__ import annotations

from quizapp.campaign import render
from quizapp.campaign.wording import nfc

SIZES = {"A4": (210, 297), "A3": (297, 420)}


def poster_steps(short_url: str) -> list[str]:
    return [
        f"Quét mã QR bằng điện thoại (Zalo, Camera) hoặc truy cập {short_url}",
        "Đăng nhập hoặc đăng ký tài khoản bằng số điện thoại của bạn",
        "Chọn vòng thi đang mở, bấm “Vào thi” và trả lời các câu hỏi",
    ]


def poster_pdf(*, title: str, dates: str, organiser: str, url: str, short_url: str, size: str = "A4",
               unit_name: str = "") -> bytes:
    """One page; every length scales with the page (A3 = A4 × √2)."""
    width, height = SIZES[size]
    k = width / 210
    pdf = render.new_pdf("P", size, serif=False)
    pdf.set_title(nfc(title))
    pdf.add_page()
    margin = 18 * k
    inner = width - 2 * margin
    pdf.set_fill_color(12, 74, 110)
    pdf.rect(0, 0, width, 40 * k, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(margin, 14 * k)
    pdf.set_font("body", "B", 13 * k)
    pdf.multi_cell(inner, 7 * k, nfc(organiser).upper(), align="C")
    pdf.set_font("body", "B", 15 * k)
    pdf.set_x(margin)
    pdf.multi_cell(inner, 8 * k, "CUỘC THI TRỰC TUYẾN", align="C")
    pdf.set_text_color(12, 74, 110)
    pdf.set_xy(margin, 52 * k)
    pdf.set_font("body", "B", 24 * k)
    pdf.multi_cell(inner, 11 * k, nfc(title), align="C")
    pdf.ln(3 * k)
    pdf.set_text_color(30, 30, 30)
    if dates:
        pdf.set_font("body", "", 14 * k)
        pdf.set_x(margin)
        pdf.multi_cell(inner, 8 * k, f"Thời gian: {dates}", align="C")
    if unit_name:
        pdf.set_font("body", "B", 14 * k)
        pdf.set_x(margin)
        pdf.multi_cell(inner, 8 * k, f"Dành cho: {nfc(unit_name)}", align="C")
    qr_size = 88 * k
    top = max(pdf.get_y() + 6 * k, 110 * k)
    pdf.image(render.qr_png(url, scale=10), x=(width - qr_size) / 2, y=top, w=qr_size, h=qr_size)
    pdf.set_xy(margin, top + qr_size + 2 * k)
    pdf.set_font("body", "", 11 * k)
    pdf.multi_cell(inner, 6 * k, short_url, align="C")
    pdf.ln(4 * k)
    pdf.set_font("body", "B", 16 * k)
    pdf.set_x(margin)
    pdf.multi_cell(inner, 9 * k, "THAM GIA TRONG 3 BƯỚC", align="C")
    pdf.ln(2 * k)
    for n, step in enumerate(poster_steps(short_url), start=1):
        y = pdf.get_y()
        pdf.set_fill_color(250, 204, 21)
        pdf.ellipse(margin, y, 10 * k, 10 * k, style="F")
        pdf.set_xy(margin, y + 1.2 * k)
        pdf.set_font("body", "B", 13 * k)
        pdf.cell(10 * k, 7.5 * k, str(n), align="C")
        pdf.set_xy(margin + 14 * k, y + 0.8 * k)
        pdf.set_font("body", "", 13 * k)
        pdf.multi_cell(inner - 14 * k, 7 * k, step, align="L")
        pdf.set_y(max(pdf.get_y(), y + 11 * k) + 3 * k)
    return bytes(pdf.output())
