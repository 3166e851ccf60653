"""Shared by the plans tests: a small province, photos with GPS metadata, helpers to post forms."""
from __future__ import annotations

import io
from datetime import date

import pytest

from quizapp.auth.models import Role
from quizapp.units.models import UnitKind


def photo_with_gps(size=(3000, 2000), fmt="JPEG", color=(200, 30, 30)) -> bytes:
    """A camera-like photo: EXIF with a GPS position, camera make and an orientation tag."""
    from PIL import Image

    img = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 1  # Orientation
    gps = {1: "N", 2: (10.0, 20.0, 30.0), 3: "E", 4: (107.0, 5.0, 0.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    img.save(out, fmt, exif=exif.tobytes(), quality=90)
    return out.getvalue()


def tiny_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture()
def province(make, db, app, tmp_path):
    """A province, the Department of Home Affairs, a district with one commune, another district;
    a reform officer in the commune, a manager of the district, an organiser; a plan for 2026."""
    from quizapp.plans import province as plans_province

    app.config["EVIDENCE_DIR"] = str(tmp_path / "evidence")
    top = make.unit("Tỉnh Bà Rịa – Vũng Tàu", code="BRVT", kind=UnitKind.PROVINCE, headcount=0)
    snv = make.unit("Sở Nội vụ", parent=top, code="SNV")
    district = make.unit("Huyện Long Điền", parent=top, code="LD", kind=UnitKind.DISTRICT)
    commune = make.unit("Xã Phước Hưng", parent=district, code="PH", kind=UnitKind.COMMUNE)
    other = make.unit("Huyện Đất Đỏ", parent=top, code="DD", kind=UnitKind.DISTRICT)
    people = {
        "officer": make.user(Role.REFORM_OFFICER, unit=commune, full_name="Cán bộ Phước Hưng"),
        "other_officer": make.user(Role.REFORM_OFFICER, unit=other, full_name="Cán bộ Đất Đỏ"),
        "manager": make.user(Role.UNIT_MANAGER, unit=district, full_name="Quản lý Long Điền"),
        "organiser": make.user(Role.ORGANISER, unit=snv, full_name="Chuyên viên Sở Nội vụ"),
        "participant": make.user(Role.PARTICIPANT, unit=commune),
    }
    plan = plans_province.save_plan(2026, "Kế hoạch tuyên truyền CCHC năm 2026", "46/KH-UBND", date(2026, 3, 22),
                                    people["organiser"].id)
    t1 = plans_province.add_task(plan, {"name": "Tổ chức hội nghị tuyên truyền CCHC", "lead_unit": "Sở Nội vụ",
                                        "timeline": "Quý I", "expected_output": "Hội nghị"})
    t2 = plans_province.add_task(plan, {"name": "Đăng tin bài trên Cổng thông tin", "timeline": "Cả năm"})
    db.session.commit()
    return {"top": top, "snv": snv, "district": district, "commune": commune, "other": other, "plan": plan,
            "tasks": [t1, t2], **people}
