"""Demo data for plans (``flask demo load``): the province's communication plan for this year with
its appendix, the plans of a few units, their activities (evidence: small generated photos and a
one-page PDF, clearly placeholders), and one submitted quarterly report."""
from __future__ import annotations

import io
from datetime import date, timedelta

import sqlalchemy as sa

from quizapp.auth.models import Role, User
from quizapp.core.db import db
from quizapp.plans import activities, catalogue, province, reporting, unit_plans
from quizapp.plans.models import ProvincePlan
from quizapp.units.models import Unit

TASKS = [
    ("Xây dựng, ban hành Kế hoạch tuyên truyền CCHC năm của cơ quan, đơn vị, địa phương", "Các sở, ban, ngành; UBND cấp huyện, cấp xã", "Sở Nội vụ", "Quý I", "Kế hoạch được ban hành"),
    ("Tổ chức hội nghị, tập huấn nghiệp vụ CCHC cho cán bộ, công chức", "Sở Nội vụ", "Các sở, ngành, địa phương", "Quý II", "02 hội nghị"),
    ("Đăng tải tin, bài về CCHC trên Cổng thông tin điện tử", "Các sở, ban, ngành; UBND cấp huyện", "Sở Thông tin và Truyền thông", "Cả năm", "Tối thiểu 01 tin/tháng"),
    ("Tổ chức Cuộc thi trực tuyến tìm hiểu về CCHC", "Sở Nội vụ", "Các cơ quan, đơn vị", "Quý III", "01 cuộc thi"),
    ("Tuyên truyền trực quan: pano, áp phích, băng rôn về CCHC", "Sở Văn hóa và Thể thao", "UBND cấp huyện", "Cả năm", "Pano, băng rôn tại trụ sở"),
    ("Báo cáo kết quả công tác tuyên truyền CCHC định kỳ quý, 6 tháng, năm", "Các cơ quan, đơn vị, địa phương", "", "Hằng quý", "Báo cáo gửi Sở Nội vụ"),
]
# (unit code, officer phone or None for the unit's manager / an organiser, [(days ago, form code, title, audience, reached)])
ACTIVITIES = {
    "VT-P1": [(150, "hop-thuong-ky", "Lồng ghép nội dung CCHC trong họp giao ban tháng", "civil_servants", 25),
              (120, "mang-xa-hoi", "Đăng bài hướng dẫn dịch vụ công trực tuyến trên nhóm Zalo khu phố", "citizens", 640),
              (90, "niem-yet", "Niêm yết công khai thủ tục hành chính tại bộ phận một cửa", "citizens", 0),
              (40, "truc-quan", "Treo băng rôn tuyên truyền CCHC tại trụ sở", "citizens", 1200)],
    "VT": [(140, "hoi-nghi", "Hội nghị tuyên truyền CCHC cho cán bộ, công chức thành phố", "civil_servants", 180),
           (60, "cong-thong-tin", "Bài viết về kết quả CCHC quý trên Trang thông tin điện tử thành phố", "businesses", 2300)],
    "SNV": [(160, "tai-lieu", "Phát hành tờ rơi tuyên truyền CCHC", "citizens", 5000),
            (100, "bao-dai", "Chuyên mục Cải cách hành chính và cuộc sống trên Đài PT-TH tỉnh", "citizens", 20000)],
}


def _photo(color) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 480), color)
    ImageDraw.Draw(img).text((20, 20), "Anh minh hoa (du lieu demo)", fill="white")
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def _pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.cell(0, 10, "Bien ban (du lieu demo)")
    return bytes(pdf.output())


def load_plans() -> str | None:
    today = activities.vn_today()
    year = today.year
    if db.session.scalar(sa.select(ProvincePlan.id).where(ProvincePlan.year == year)):
        return None
    organiser = db.session.scalar(sa.select(User).where(User.role == Role.ORGANISER).order_by(User.id))
    plan = province.save_plan(year, f"Kế hoạch tuyên truyền cải cách hành chính năm {year} trên địa bàn tỉnh", f"46/KH-UBND",
                              date(year, 1, 1), organiser.id if organiser else None)
    for name, lead, coordinating, timeline, output in TASKS:
        province.add_task(plan, {"name": name, "lead_unit": lead, "coordinating_units": coordinating,
                                 "timeline": timeline, "expected_output": output})
    forms = {f.code: f for f in catalogue.all_forms()}
    start = date(year, 1, 1)
    for code, rows in ACTIVITIES.items():
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == code))
        if unit is None:
            continue
        actor = db.session.scalar(sa.select(User).where(User.unit_id == unit.id, User.role.in_(
            [Role.REFORM_OFFICER, Role.UNIT_MANAGER, Role.ORGANISER])).order_by(User.role.desc(), User.id))
        if actor is None:
            continue
        unit_plans.save(actor, unit.id, year, [t.id for t in plan.tasks[:3]] + [plan.tasks[-1].id],
                        {str(forms[c].id): str(n) for c, n in (("hop-thuong-ky", 4), ("mang-xa-hoi", 12),
                                                               ("niem-yet", 1), ("truc-quan", 2), ("hoi-nghi", 2),
                                                               ("cong-thong-tin", 12), ("tai-lieu", 1), ("bao-dai", 4))})
        for i, (days, form, title, audience, reached) in enumerate(rows):
            held = max(start, today - timedelta(days=days))
            uploads = [(f"anh-{i + 1}.jpg", _photo((30 + 40 * i, 90, 140)))] + (
                [("bien-ban.pdf", _pdf())] if form in ("hop-thuong-ky", "hoi-nghi") else [])
            activities.create_activity(actor, unit.id, {
                "held_on": held, "form_id": forms[form].id, "title": title, "audience": audience, "reached": reached,
                "task_id": plan.tasks[2].id if form == "cong-thong-tin" else None,
                "link": "https://example.org/bai-viet" if form in ("mang-xa-hoi", "cong-thong-tin") else None}, uploads)
        if code == "VT-P1":
            quarter = (held.month - 1) // 3 + 1
            reporting.save_narrative(actor, unit.id, "quarter", year, quarter, {
                "situation": "Phường đã ban hành Kế hoạch tuyên truyền CCHC năm, phân công cán bộ đầu mối theo dõi.",
                "evaluation": "Công tác tuyên truyền được triển khai đúng kế hoạch, hình thức đa dạng.",
                "difficulties": "Kinh phí cho tuyên truyền trực quan còn hạn chế.",
                "proposals": "Đề nghị Sở Nội vụ cung cấp tài liệu tuyên truyền mẫu.",
                "doc_number": "15/BC-UBND", "signer_title": "Chủ tịch", "signer_name": "Nguyễn Văn Minh"})
            reporting.submit(actor, reporting.report_for(unit.id, "quarter", year, quarter))
    db.session.flush()
    return plan.title
