"""Abuse cases of plans and activity reports (docs/security.md, "Plans and activity reports")."""
from __future__ import annotations

import io
import struct
import zlib
from datetime import date

import pytest
import sqlalchemy as sa

from quizapp.core.errors import ServiceError
from tests.conftest import csrf_token
from tests.plans_support import photo_with_gps, province, tiny_pdf  # noqa: F401  (fixture)


def _values(code="hoi-nghi", **extra):
    from quizapp.plans import catalogue

    form = next(f for f in catalogue.all_forms() if f.code == code)
    return {"held_on": date(2026, 2, 10), "form_id": form.id, "title": "Hội nghị", "audience": "civil_servants",
            "reached": 10, **extra}


def _count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _post_activity(client, unit_id, files, **fields):
    token = csrf_token(client, "/")
    data = {"csrf_token": token, "held_on": "2026-02-10", "form_id": str(_values()["form_id"]), "title": "Hội nghị",
            "audience": "civil_servants", "reached": "10", "files": files, **fields}
    return client.post(f"/plans/units/{unit_id}/activities/new", data=data, content_type="multipart/form-data")


def test_an_officer_cannot_log_edit_or_read_for_another_unit(client, auth, db, province):
    from quizapp.plans import activities
    from quizapp.plans.models import Activity

    commune, other, district = province["commune"], province["other"], province["district"]
    theirs = activities.create_activity(province["officer"], commune.id, _values(),
                                        [("a.jpg", photo_with_gps((60, 40)))])
    db.session.commit()
    evidence_id = theirs.evidence[0].id
    auth.login(province["other_officer"])
    assert _post_activity(client, commune.id, []).status_code == 403
    assert client.get(f"/plans/units/{commune.id}/activities").status_code == 403
    assert client.get(f"/plans/activities/{theirs.id}").status_code == 403
    assert client.get(f"/plans/evidence/{evidence_id}").status_code == 403
    token = csrf_token(client, "/")
    assert client.post(f"/plans/activities/{theirs.id}/delete", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/plans/evidence/{evidence_id}/delete", data={"csrf_token": token}).status_code == 403
    auth.logout()
    auth.login(province["officer"])  # the commune's officer may not log for the district above him either
    assert _post_activity(client, district.id, []).status_code == 403
    with pytest.raises(ServiceError) as err:
        activities.create_activity(province["officer"], district.id, _values())
    assert err.value.status == 403
    db.session.rollback()
    assert _count(db, Activity) == 1
    auth.logout()
    auth.login(province["manager"])  # the district's manager logs for his commune
    assert _post_activity(client, commune.id, []).status_code == 302
    assert _count(db, Activity) == 2


def test_manager_cannot_rewrite_a_submitted_report_and_his_later_changes_show(client, auth, db, province):
    from quizapp.core.audit import AuditEntry
    from quizapp.plans import activities, reporting

    manager, district, commune = province["manager"], province["district"], province["commune"]
    activity = activities.create_activity(province["officer"], commune.id, _values())
    reporting.save_narrative(manager, district.id, "year", 2026, 1, {"situation": "Bản gốc"})
    reporting.submit(manager, reporting.report_for(district.id, "year", 2026, 1))
    db.session.commit()
    with pytest.raises(ServiceError) as err:
        reporting.save_narrative(manager, district.id, "year", 2026, 1, {"situation": "Sửa lại"})
    assert err.value.status == 409
    db.session.rollback()
    # a sub-unit's activity changes after the district's yearly report went in: recorded on that report
    activities.update_activity(manager, activity.id, _values(reached=9999))
    db.session.commit()
    auth.login(manager)
    page = client.get(f"/plans/units/{district.id}/reports/year/2026/1").get_data(as_text=True)
    assert "Bản gốc" in page and "Sửa lại" not in page and 'id="report-changes"' in page and "reached" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "plans.change_after_submit", AuditEntry.actor_id == manager.id)) == 1


def test_only_the_province_returns_and_participants_see_nothing(client, auth, db, province):
    from quizapp.plans import reporting

    officer, commune = province["officer"], province["commune"]
    rep = reporting.report_for(commune.id, "quarter", 2026, 1, create=True)
    reporting.submit(officer, rep)
    db.session.commit()
    auth.login(province["manager"])
    token = csrf_token(client, "/")
    assert client.post(f"/admin/plans/reports/{rep.id}/return", data={"csrf_token": token, "reason": "x"}).status_code == 403
    with pytest.raises(ServiceError):
        reporting.return_report(province["manager"], rep.id, "x")
    auth.logout()
    auth.login(province["participant"])
    for url in ("/plans", f"/plans/units/{commune.id}", f"/plans/units/{commune.id}/activities/new",
                f"/plans/units/{commune.id}/reports/quarter/2026/1"):
        assert client.get(url).status_code == 403, url
    db.session.expire_all()
    assert rep.status.value == "submitted"


def test_fake_and_polyglot_images_are_refused_or_rebuilt(client, auth, db, province):
    from PIL import Image

    from quizapp.plans import evidence
    from quizapp.plans.models import Activity, Evidence

    auth.login(province["officer"])
    commune = province["commune"]
    for name, content in (("shell.jpg", b"<?php system($_GET['c']); ?>"), ("page.png", b"<html><script>alert(1)</script>"),
                          ("half.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n"), ("cut.jpg", photo_with_gps((80, 80))[:200])):
        resp = _post_activity(client, commune.id, [(io.BytesIO(photo_with_gps((50, 50))), "good.jpg"),
                                                   (io.BytesIO(content), name)])
        assert resp.status_code == 422, name
        assert name in resp.get_data(as_text=True)  # the message names the file
    assert _count(db, Activity) == 0 and _count(db, Evidence) == 0
    assert not any(p.is_file() for p in evidence.evidence_dir().rglob("*"))  # no file written either
    polyglot = photo_with_gps((64, 64)) + b"<script>alert(document.cookie)</script>"
    assert _post_activity(client, commune.id, [(io.BytesIO(polyglot), "ok.jpg")]).status_code == 302
    stored = evidence.path_of(db.session.scalar(sa.select(Evidence.stored))).read_bytes()
    assert b"<script>" not in stored and Image.open(io.BytesIO(stored)).size == (64, 64)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_before_decoding(app, db, province):
    from quizapp.plans import evidence

    bomb = _png_header_only(100_000, 100_000)
    assert len(bomb) < 200
    with pytest.raises(ServiceError) as err:
        evidence.prepare("bomb.png", bomb)
    assert err.value.code == "evidence_pixels" and err.value.status == 413


def test_a_huge_file_is_refused_with_a_clear_message(client, auth, app, db, province):
    from quizapp.plans import evidence

    with pytest.raises(ServiceError) as err:
        evidence.prepare("big.jpg", b"\xff\xd8\xff" + b"\0" * evidence.MAX_FILE_BYTES)
    assert err.value.status == 413 and "big.jpg" in err.value.message
    auth.login(province["officer"])
    resp = _post_activity(client, province["commune"].id,
                          [(io.BytesIO(b"\xff\xd8\xff" + b"\0" * (app.config["MAX_CONTENT_LENGTH"] + 10)), "big.jpg")])
    assert resp.status_code == 413 and "quá lớn" in resp.get_data(as_text=True)


def test_photo_location_and_camera_are_removed(app, db, province):
    from PIL import Image

    from quizapp.plans import evidence

    original = photo_with_gps((1200, 900))
    assert 0x8825 in Image.open(io.BytesIO(original)).getexif()  # the fixture really carries a position
    out = evidence.prepare("IMG.jpg", original).data
    img = Image.open(io.BytesIO(out))
    assert not img.getexif() and "exif" not in img.info and b"PhoneMaker" not in out
    png = evidence.prepare("screen.png", photo_with_gps((300, 200), fmt="PNG")).data
    assert png.startswith(b"\xff\xd8\xff") and not Image.open(io.BytesIO(png)).getexif()


def test_file_names_cannot_choose_where_files_go(app, db, province):
    from quizapp.plans import activities, evidence

    activity = activities.create_activity(province["officer"], province["commune"].id, _values(),
                                          [("../../../etc/passwd.jpg", photo_with_gps((40, 40))),
                                           ("..\\..\\x.pdf", tiny_pdf())])
    db.session.commit()
    for item in activity.evidence:
        assert "/" not in item.filename and "\\" not in item.filename and ".." not in item.filename.rsplit(".", 1)[0]
        assert item.stored.startswith(f"{province['commune'].id}/")
        assert evidence.evidence_dir().resolve() in evidence.path_of(item.stored).parents
    with pytest.raises(ServiceError):
        evidence.path_of("../../etc/passwd")


def test_annex_cells_are_text_not_formulas(client, auth, db, province):
    from openpyxl import load_workbook

    from quizapp.plans import activities

    activities.create_activity(province["officer"], province["commune"].id,
                               _values(title='=HYPERLINK("http://evil.example","Bấm")'))
    db.session.commit()
    auth.login(province["officer"])
    resp = client.get(f"/plans/units/{province['commune'].id}/reports/quarter/2026/1/xlsx")
    ws = load_workbook(io.BytesIO(resp.data))["Hoạt động"]
    cell = ws.cell(row=4, column=5)
    assert cell.data_type == "s" and cell.value.startswith("'=")
