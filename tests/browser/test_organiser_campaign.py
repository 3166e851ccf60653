"""The campaign kit in Chromium: an organiser (desktop) prints posters, marks the winners, downloads
the certificates and a quarterly report; the winner (phone) downloads his certificate and anyone
can verify it.  Every kind of generated file is kept as a PNG render under test-artifacts/campaign/
(pdftoppm for the PDFs, LibreOffice for the .docx when it is installed, the share card as drawn)."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import urllib.request
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, app_script, axe_violations, layout_problems, login, screenshot

OUT = ROOT / "test-artifacts" / "campaign"
CONTEST = "Cuộc thi trực tuyến tìm hiểu về cải cách hành chính năm 2026"

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils missing (make campaign-deps)")

SEED = """
import sqlalchemy as sa
from quizapp.auth.models import User
from quizapp.contests.models import Contest
from quizapp.units.models import Unit
from tests.browser import seeding

contest = db.session.scalar(sa.select(Contest).where(Contest.title == %r))
rnd = contest.rounds[0]
people = [("0900000004", None, 99), ("0911000001", ("Phạm Thị Thu Hà", "SNV"), 15),
          ("0911000002", ("Hoàng Minh Đức", "VT"), 12), ("0911000003", ("Vũ Ngọc Ánh", "SNV"), 8)]
for phone, new, correct in people:
    user = db.session.scalar(sa.select(User).where(User.phone == phone))
    if user is None:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == new[1]))
        user = seeding.add_participant(phone, new[0], unit.id, born=None)
        db.session.commit()
    seeding.sit(rnd.id, user, right=correct, wrong_rest=True, clock="1")
    db.session.commit()
result = {"contest": contest.id, "slug": contest.slug, "round": rnd.id}
""" % CONTEST


def pdf_text(path: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True)
                    .stdout.decode().split())


def render_pdf(path: Path, name: str, dpi: int = 60) -> Path:
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(path), str(OUT / name)], check=True)
    return OUT / f"{name}.png"


def download(page, click, name: str) -> Path:
    with page.expect_download() as info:
        click()
    path = OUT / name
    info.value.save_as(str(path))
    return path


def test_organiser_prints_posters_marks_winners_and_downloads_certificates_and_a_report(live_server, browser):
    OUT.mkdir(parents=True, exist_ok=True)
    base = live_server["url"]
    seeded = app_script(live_server, SEED)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", accept_downloads=True,
                                  bypass_csp=True)  # only so axe-core can be injected
    page = context.new_page()
    try:
        login(page, base, "0900000002", "toChuc@2026")
        page.goto(f"{base}/admin/contests/{seeded['contest']}")
        page.get_by_role("link", name=re.compile("Truyền thông và khen thưởng")).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Truyền thông và khen thưởng")

        # 1. Posters: the contest's A4, and a unit's A3 whose QR code carries the unit's tag.
        poster = download(page, lambda: page.get_by_role("link", name="Áp phích khổ A4 (PDF)").click(), "poster-a4.pdf")
        assert CONTEST in pdf_text(poster) and "THAM GIA TRONG 3 BƯỚC" in pdf_text(poster)
        render_pdf(poster, "poster-a4")
        snv = page.locator("#poster-unit option", has_text="Sở Nội vụ").first.get_attribute("value")
        page.get_by_label(re.compile("Áp phích cho một đơn vị")).select_option(snv)
        page.get_by_label("Khổ giấy").select_option("A3")
        unit_poster = download(page, lambda: page.get_by_role("button", name="In áp phích của đơn vị").click(),
                               "poster-a3-snv.pdf")
        assert "Dành cho: Sở Nội vụ" in pdf_text(unit_poster)
        import zxingcpp
        from PIL import Image

        qr = zxingcpp.read_barcodes(Image.open(render_pdf(unit_poster, "poster-a3-snv")))
        assert [r.text for r in qr] == [f"{base}/contests/{seeded['slug']}?u=SNV"]

        # 2. Winners from the first round's ranking, then the winners list is published.
        page.get_by_label("Bảng xếp hạng").select_option(label="Vòng thi thứ 1")
        page.get_by_label(re.compile("Các giải, mỗi dòng")).fill("Giải Nhất: 1\nGiải Nhì: 1\nGiải Ba: 2")
        page.get_by_role("button", name="Xét giải").click()
        expect(page.locator(".flash-success")).to_contain_text("Đã xét 4 giải")
        awards = page.locator("table.awards")
        expect(awards).to_contain_text("Lê Văn Dự Thi")
        expect(awards).to_contain_text("Phạm Thị Thu Hà")
        page.get_by_role("button", name="Công bố danh sách đoạt giải").click()
        page.get_by_role("dialog").get_by_role("button", name="Công bố").click()  # the page asks first
        expect(page.locator(".flash-success")).to_contain_text("Đã công bố")
        assert not axe_violations(page)
        screenshot(page, "campaign-organiser-page")

        # 3. Every certificate in one ZIP (a small batch: built while the organiser waits).
        zipped = download(page, lambda: page.get_by_role("link", name="Tải tất cả giấy chứng nhận (ZIP)").click(),
                          "certificates.zip")
        with zipfile.ZipFile(zipped) as zf:
            names = zf.namelist()
            assert len(names) == 4
            first = OUT / "certificate.pdf"
            first.write_bytes(zf.read(sorted(names)[0]))
        text = pdf_text(first)
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "GIẤY CHỨNG NHẬN" in text
        cert_png = render_pdf(first, "certificate", 150)
        code = re.search(r"Mã xác thực: (\S+)", text).group(1)
        qr = zxingcpp.read_barcodes(Image.open(cert_png))
        assert [r.text for r in qr] == [f"{base}/verify/{code}"]

        # 4. The quarterly report (.docx) and its annex (.xlsx), for the whole province: above the
        # server's CAMPAIGN_INLINE_REPORT_ENTRANTS (3, see conftest) it is built by a job, and the
        # organiser downloads both in one ZIP from the job's page.
        page.get_by_role("link", name="Báo cáo quý, 6 tháng, năm").click()
        page.get_by_label("Kỳ báo cáo").select_option("quarter")
        page.get_by_label("Số văn bản (ví dụ 12/BC-BTC)").fill("15/BC-BTC")
        page.get_by_role("button", name="Tải báo cáo (.docx)").click()
        expect(page.get_by_role("status").filter(has_text="quá nhiều để tạo ngay")).to_be_visible()
        assert not axe_violations(page)
        page.get_by_role("button", name="Tạo báo cáo ở chế độ nền").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        link = page.get_by_role("link", name=re.compile(r"Tải về bao-cao-.*\.zip"))
        expect(link).to_be_visible(timeout=60_000)  # the consumer beside the server ran it
        screenshot(page, "campaign-report-job")
        with zipfile.ZipFile(download(page, link.click, "report.zip")) as zf:
            for name in zf.namelist():
                target = OUT / ("annex.xlsx" if name.endswith(".xlsx") else "report.docx")
                target.write_bytes(zf.read(name))
        report, annex = OUT / "report.docx", OUT / "annex.xlsx"
        from docx import Document
        from openpyxl import load_workbook

        doc = Document(report)
        assert "Số: 15/BC-BTC" in doc.tables[0].rows[0].cells[0].text
        body = "\n".join(p.text for p in doc.paragraphs)
        assert "BÁO CÁO" in body and re.search(r"quý (I|II|III|IV) năm 20\d\d", body)
        assert "Phạm Thị Thu Hà" in "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
        assert "Đơn vị" in load_workbook(annex).sheetnames
        office = shutil.which("soffice") or shutil.which("libreoffice")
        if office:
            subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(OUT), str(report)],
                           check=True, capture_output=True, timeout=180)
            assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in pdf_text(OUT / "report.pdf")
            render_pdf(OUT / "report.pdf", "report")
        else:  # pragma: no cover
            print("!!! LibreOffice missing: no PNG render of the .docx report (make campaign-render-deps) !!!")

        # 5. The share card behind og:image, and the public winners list.
        page.goto(f"{base}/contests/{seeded['slug']}")
        card_url = page.locator('meta[property="og:image"]').get_attribute("content")
        card = urllib.request.urlopen(card_url).read()
        (OUT / "share-card.png").write_bytes(card)
        assert Image.open(io.BytesIO(card)).size == (1200, 630)
        page.goto(f"{base}/contests/{seeded['slug']}/winners")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Danh sách đoạt giải")
        expect(page.locator("table")).to_contain_text("Lê Văn Dự Thi")
    finally:
        context.close()

    # 6. The winner, on his phone: the result page links his certificate; anyone can verify it.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                locale="vi-VN", accept_downloads=True, bypass_csp=True)
    page = phone.new_page()
    try:
        login(page, base, "0900000004", "duThi@2026")
        page.goto(f"{base}/contests/{seeded['slug']}")
        share = page.locator(".share-block")
        expect(share.get_by_role("link", name="Chia sẻ qua Zalo")).to_have_attribute("href", re.compile("zalo.me/share"))
        assert not layout_problems(page)
        page.goto(f"{base}/my/certificates")
        mine = download(page, lambda: page.get_by_role("link", name="Tải giấy chứng nhận (PDF)").first.click(),
                        "my-certificate.pdf")
        assert "Lê Văn Dự Thi" in pdf_text(mine)
        page.goto(f"{base}/verify/{code}")
        expect(page.locator(".verify-ok")).to_contain_text("Giấy chứng nhận này là thật")
        assert not axe_violations(page)
        screenshot(page, "campaign-verify-phone")
    finally:
        phone.close()
