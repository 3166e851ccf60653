"""Every file the app hands out goes through one helper (quizapp.core.downloads): the name arrives
intact in Vietnamese (RFC 5987 filename*) with an ASCII fallback, the browser never sniffs it into a
page, and no cache keeps it (personal data, the bank's keys)."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa

from quizapp import jobs
from quizapp.auth.models import Role
from quizapp.core.downloads import ascii_filename, content_disposition, download_response

NAME = "Giấy chứng nhận – Đặng Thị Ánh (Sở Nội vụ) quý IV.pdf"


def _parts(header: str) -> tuple[str, str]:
    """(the ASCII fallback, the decoded filename*) of a Content-Disposition header."""
    m = re.fullmatch(r"""attachment; filename="([^"\\\r\n]*)"; filename\*=UTF-8''([A-Za-z0-9%._~-]+)""", header)
    assert m, header
    return m.group(1), unquote(m.group(2), encoding="utf-8", errors="strict")


def test_a_vietnamese_name_arrives_intact_with_an_ascii_fallback():
    fallback, name = _parts(content_disposition(NAME))
    assert name == NAME
    assert fallback == "Giay chung nhan _ Dang Thi Anh _So Noi vu_ quy IV.pdf"
    assert ascii_filename("đơn-vị.xlsx") == "don-vi.xlsx"


def test_a_hostile_name_cannot_break_out_of_the_header():
    hostile = 'a"; filename=evil.html\r\nSet-Cookie: x=1;\\..csv'
    fallback, name = _parts(content_disposition(hostile))
    assert name == hostile and not set(fallback) & set('"\\\r\n;')
    assert ascii_filename("...") == "download"


def test_bytes_and_files_on_disk_get_the_same_headers(app, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n")
    with app.test_request_context("/"):
        for body in (b"a,b\n", path):
            resp = download_response(body, NAME, "text/csv; charset=utf-8")
            resp.direct_passthrough = False
            assert resp.get_data() == b"a,b\n" and resp.mimetype == "text/csv"
            assert _parts(resp.headers["Content-Disposition"])[1] == NAME
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
            assert resp.headers["Cache-Control"] == "private, no-store"


def _vietnamese_file(params, progress, output_dir):
    path = Path(output_dir) / "danh-sach.csv"
    path.write_text("Họ và tên\nĐặng Thị Ánh\n", encoding="utf-8")
    return {"path": str(path), "filename": "Danh sách chưa thi – Xã Đông Hòa.csv", "mimetype": "text/csv"}


jobs.register("test.vietnamese_file", _vietnamese_file, label="Tệp")


def test_a_jobs_file_downloads_under_its_vietnamese_name_and_is_not_cached(client, auth, db, make):
    from quizapp.jobs.models import Job

    owner = make.user(role=Role.ORGANISER)
    job = jobs.start_job("test.vietnamese_file", owner.id, {})
    db.session.commit()  # immediate mode: run at commit
    job = db.session.scalar(sa.select(Job).where(Job.id == job.id))
    auth.login(owner)
    resp = client.get(f"/jobs/{job.id}/download")
    assert resp.status_code == 200 and "Đặng Thị Ánh" in resp.get_data(as_text=True)
    fallback, name = _parts(resp.headers["Content-Disposition"])
    assert name == "Danh sách chưa thi – Xã Đông Hòa.csv" and fallback == "Danh sach chua thi _ Xa Dong Hoa.csv"
    assert resp.headers["Cache-Control"] == "private, no-store" and resp.headers["X-Content-Type-Options"] == "nosniff"


def test_the_bank_template_goes_through_the_helper(client, auth, db, make):
    """A download that was built by hand before (no fallback quoting, cacheable)."""
    auth.login(make.user(role=Role.ORGANISER))
    resp = client.get("/admin/bank/template.xlsx")
    assert resp.status_code == 200 and _parts(resp.headers["Content-Disposition"]) == (
        "mau-nhap-cau-hoi.xlsx", "mau-nhap-cau-hoi.xlsx")
    assert resp.headers["Cache-Control"] == "private, no-store"
