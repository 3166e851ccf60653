"""The managed list of communication forms, seeded from section II.2 of the province plan."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.plans.scope import refuse as refusal
from quizapp.core.db import db
from quizapp.plans.models import CommunicationForm, FormGroup

CONTESTS_CODE = "cuoc-thi"

# (code, name, group, collects contests): the plan's forms, in its order.
SEED = [
    ("long-ghep", "Lồng ghép nội dung CCHC trong hội nghị, lớp đào tạo, tập huấn, bồi dưỡng",
     FormGroup.CIVIL_SERVANTS, False),
    ("hoi-nghi", "Hội nghị, tập huấn, tọa đàm, hội thảo chuyên đề về CCHC", FormGroup.CIVIL_SERVANTS, False),
    ("tai-lieu", "Phát hành tài liệu tuyên truyền về CCHC", FormGroup.CIVIL_SERVANTS, False),
    (CONTESTS_CODE, "Cuộc thi, hội thi về CCHC", FormGroup.CIVIL_SERVANTS, True),
    ("hop-thuong-ky", "Đưa nội dung CCHC vào cuộc họp thường kỳ của cơ quan, đơn vị", FormGroup.CIVIL_SERVANTS,
     False),
    ("dang-doan-the", "Hoạt động của tổ chức Đảng, đoàn thể, hội quần chúng", FormGroup.CIVIL_SERVANTS, False),
    ("niem-yet", "Niêm yết công khai quy trình giải quyết thủ tục hành chính", FormGroup.PUBLIC, False),
    ("cong-thong-tin", "Bài viết trên Cổng/Trang thông tin điện tử", FormGroup.PUBLIC, False),
    ("bao-dai", "Chuyên trang, chuyên mục trên báo, phát thanh, truyền hình", FormGroup.PUBLIC, False),
    ("truc-quan", "Tuyên truyền trực quan: pano, áp phích, băng rôn, kịch ngắn", FormGroup.PUBLIC, False),
    ("mang-xa-hoi", "Mạng xã hội (Zalo, Facebook, YouTube…)", FormGroup.PUBLIC, False),
    ("duong-day-nong", "Đường dây nóng về CCHC", FormGroup.PUBLIC, False),
]
GROUP_LABELS = {FormGroup.CIVIL_SERVANTS: "Đối với cán bộ, công chức, viên chức và người lao động",
                FormGroup.PUBLIC: "Đối với tổ chức, cá nhân, doanh nghiệp"}


def ensure_seeded() -> None:
    """Add the plan's forms when the list is empty (a fresh install; idempotent)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(CommunicationForm)):
        return
    for i, (code, name, group, contests) in enumerate(SEED, start=1):
        db.session.add(CommunicationForm(code=code, name=name, group=group, position=i * 10,
                                         collects_contests=contests))
    db.session.flush()


def all_forms(active_only: bool = True) -> list[CommunicationForm]:
    """The forms in the plan's order (one query; the list is seeded on first use)."""
    stmt = sa.select(CommunicationForm).order_by(CommunicationForm.group, CommunicationForm.position,
                                                 CommunicationForm.id)
    forms = list(db.session.scalars(stmt))
    if not forms:
        ensure_seeded()
        forms = list(db.session.scalars(stmt))
    return [f for f in forms if f.is_active] if active_only else forms


def contests_form(forms: list[CommunicationForm] | None = None) -> CommunicationForm | None:
    """The form contests and rounds held in quizapp count under (from ``forms`` when given)."""
    return next((f for f in (forms if forms is not None else all_forms(active_only=False)) if f.collects_contests),
                None)


def add_form(name: str, group: str) -> CommunicationForm:
    name = (name or "").strip()
    if not name or len(name) > 255:
        raise refusal("form_name", _l("Enter the name of the form (at most 255 characters)."), field="name")
    if group not in set(FormGroup):
        raise refusal("form_group", _l("Choose who the form addresses."), field="group")
    if db.session.scalar(sa.select(CommunicationForm.id).where(sa.func.lower(CommunicationForm.name) == name.lower())):
        raise refusal("form_exists", _l("This form is already in the list."), field="name")
    position = (db.session.scalar(sa.select(sa.func.max(CommunicationForm.position))) or 0) + 10
    code = f"f{position}"
    form = CommunicationForm(code=code, name=name, group=FormGroup(group), position=position)
    db.session.add(form)
    db.session.flush()
    return form


def set_active(form_id: int, active: bool) -> CommunicationForm:
    form = db.session.get(CommunicationForm, form_id)
    if form is None:
        raise refusal("form_not_found", _l("This form does not exist."), 404)
    form.is_active = active
    return form
