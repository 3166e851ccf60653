"""The unit tree: import/export all-or-nothing, merge, move, archive, search."""
from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa

from quizapp.auth.models import Role, User
from quizapp.core.errors import ServiceError
from quizapp.units import import_export, reorg, services
from quizapp.units.models import Unit, UnitKind
from tests.conftest import csrf_token

HEAD = "Mã đơn vị,Tên đơn vị,Mã đơn vị cấp trên,Loại,Khối,Biên chế\n"


def _csv(body: str) -> bytes:
    return (HEAD + body).encode("utf-8")


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Unit))


def _unit(db, code) -> Unit:
    return db.session.scalar(sa.select(Unit).where(Unit.code == code))


def test_import_builds_the_tree_with_paths(db):
    report = import_export.import_units(_csv(
        "T,Tỉnh,,province,,0\nS,Sở Nội vụ,T,department,Sở ban ngành,80\n"
        "H,Huyện A,T,district,Huyện,200\nX,Xã A1,H,commune,Huyện,20\n"), "u.csv")
    assert report.ok and report.created == 4
    x = _unit(db, "X")
    assert x.parent.code == "H" and x.kind == UnitKind.COMMUNE and x.headcount == 20
    assert x.path == f"/{_unit(db, 'T').id}/{_unit(db, 'H').id}/{x.id}/"
    assert set(services.subtree_ids(_unit(db, "H").id)) == {_unit(db, "H").id, x.id}


def test_children_may_come_before_their_parent_in_the_file(db):
    report = import_export.import_units(_csv("X,Xã,H,commune,,1\nH,Huyện,,district,,2\n"), "u.csv")
    assert report.ok and _unit(db, "X").parent.code == "H"


@pytest.mark.parametrize("body, row, column, text", [
    ("A,Đơn vị A,ZZZ,department,,5\n", 2, "Mã đơn vị cấp trên", "ZZZ không tồn tại"),
    ("A,Đơn vị A,,department,,5\nA,Trùng,,department,,5\n", 3, "Mã đơn vị", "bị trùng"),
    ("A,Đơn vị A,B,department,,5\nB,Đơn vị B,A,department,,5\n", 2, "Mã đơn vị cấp trên", "vòng lặp"),
    ("A,Đơn vị A,A,department,,5\n", 2, "Mã đơn vị cấp trên", "chính nó"),
    ("A,Đơn vị A,,department,,-3\n", 2, "Biên chế", "không được là số âm"),
    ("A,Đơn vị A,,department,,ba mươi\n", 2, "Biên chế", "số nguyên"),
    ("A,,,department,,5\n", 2, "Tên đơn vị", "Thiếu tên đơn vị"),
    (",Không mã,,department,,5\n", 2, "Mã đơn vị", "Thiếu mã đơn vị"),
    ("A,=HYPERLINK(\"x\"),,department,,5\n", 2, "Tên đơn vị", "công thức"),
    ("A,Đơn vị A,,planet,,5\n", 2, "Loại", "không hợp lệ"),
])
def test_bad_rows_are_reported_and_nothing_is_imported(db, body, row, column, text):
    good = "OK1,Đơn vị tốt,,department,,5\n"
    report = import_export.import_units(_csv(good + body), "u.csv")  # the good row is row 2
    assert not report.ok
    assert any(e.row == row + 1 and e.column == column and text in e.message for e in report.errors), report.errors
    assert _count(db) == 0


def test_import_updates_existing_units_by_code_and_moves_subtrees(db):
    import_export.import_units(_csv("T,Tỉnh,,province,,0\nH1,Huyện 1,T,district,,1\nH2,Huyện 2,T,district,,1\nX,Xã,H1,commune,,1\nXX,Thôn,X,other,,1\n"), "u.csv")
    report = import_export.import_units(_csv("X,Xã mới,H2,commune,,7\n"), "u.csv")
    assert report.ok and report.updated == 1 and report.created == 0
    x, xx, h2 = _unit(db, "X"), _unit(db, "XX"), _unit(db, "H2")
    assert x.name == "Xã mới" and x.headcount == 7 and x.parent_id == h2.id
    assert xx.path.startswith(h2.path)


def test_reimporting_the_same_file_changes_nothing(db):
    data = _csv("T,Tỉnh,,province,,0\nH,Huyện,T,district,,3\n")
    import_export.import_units(data, "u.csv")
    again = import_export.import_units(data, "u.csv")
    assert again.ok and (again.created, again.updated) == (0, 0)


@pytest.mark.parametrize("content, name, code", [
    (b"\xff\xfeM\x00", "u.csv", "file_encoding"),
    (b"not a zip", "u.xlsx", "file_corrupt"),
    (b"PK\x03\x04garbage", "u.xlsx", "file_corrupt"),
    (b"a,b", "u.pdf", "file_type"),
    (b"x" * (6 * 1024 * 1024), "u.csv", "file_too_large"),
    ("Tên,Khác\nA,B\n".encode(), "u.csv", "columns_missing"),
])
def test_unreadable_files_are_refused_clearly(db, content, name, code):
    with pytest.raises(ServiceError) as exc:
        import_export.import_units(content, name)
    assert exc.value.code == code and exc.value.message


def test_xlsx_export_import_round_trip(db):
    import_export.import_units(_csv("T,Tỉnh,,province,,0\nH,Huyện Đất Đỏ,T,district,Huyện,180\nX,Xã Long Tân,H,commune,Huyện,20\n"), "u.csv")
    data = import_export.export_units("xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]][:6] == ["Mã đơn vị", "Tên đơn vị", "Mã đơn vị cấp trên", "Loại", "Khối", "Biên chế"]
    before = import_export.export_frame()
    report = import_export.import_units(data, "don-vi.xlsx")
    assert report.ok and (report.created, report.updated) == (0, 0)
    pd.testing.assert_frame_equal(before, import_export.export_frame())


def test_export_is_safe_against_formula_injection(db, make):
    make.unit("=cmd|' /C calc'!A0", code="EVIL")
    frame = pd.read_csv(io.BytesIO(import_export.export_units("csv")), dtype=str)
    assert frame.loc[0, "Tên đơn vị"].startswith("'=")


def test_move_refuses_cycles_and_rewrites_paths(db, make):
    a = make.unit("A")
    b = make.unit("B", parent=a)
    c = make.unit("C", parent=b)
    other = make.unit("D")
    with pytest.raises(ServiceError):
        services.move(a, c)
    services.move(b, other)
    db.session.commit()
    db.session.refresh(c)
    assert c.path == f"/{other.id}/{b.id}/{c.id}/"
    assert not services.is_within(c.id, a.id) and services.is_within(c.id, other.id)


def test_merge_moves_people_and_children_but_keeps_past_results(db, make):
    from quizapp.attempts.models import Attempt

    district = make.unit("Huyện", code="H")
    a = make.unit("Xã A", parent=district, headcount=20)
    b = make.unit("Xã B", parent=district, headcount=15)
    hamlet = make.unit("Ấp 1", parent=a)
    person = make.user(unit=a)
    attempt = _past_attempt(db, person, a)

    services.merge(a, b)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, person.id).unit_id == b.id
    assert db.session.get(Unit, hamlet.id).parent_id == b.id
    assert db.session.get(Unit, a.id).is_active is False and db.session.get(Unit, a.id).merged_into_id == b.id
    assert db.session.get(Unit, b.id).headcount == 35
    assert db.session.get(Attempt, attempt.id).unit_id == a.id  # history unchanged


def test_archive_refuses_a_unit_with_active_children(db, make):
    parent = make.unit("Cha")
    child = make.unit("Con", parent=parent)
    with pytest.raises(ServiceError):
        services.archive(parent)
    services.archive(child)
    services.archive(parent)
    assert not parent.is_active


def test_search_ignores_diacritics(db, make):
    make.unit("Phường Phước Trung")
    make.unit("Xã Hòa Long")
    assert [u.name for u in services.search("phuoc trung")] == ["Phường Phước Trung"]
    assert [u.name for u in services.search("HOA LONG")] == ["Xã Hòa Long"]


def test_organiser_imports_through_the_ui_and_sees_row_errors(client, auth, db, make):
    auth.login(make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/units")
    bad = client.post("/admin/units/import", data={
        "file": (io.BytesIO(_csv("A,Đơn vị A,ZZZ,department,,5\n")), "don-vi.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "ZZZ không tồn tại" in html and "<td>2</td>" in html
    ok = client.post("/admin/units/import", data={
        "file": (io.BytesIO(_csv("A,Đơn vị A,,department,,5\n")), "don-vi.csv"), "csrf_token": token},
        content_type="multipart/form-data")
    assert ok.status_code == 200 and "thêm mới 1" in ok.get_data(as_text=True)
    assert _unit(db, "A") is not None
    wrong_type = client.post("/admin/units/import", data={
        "file": (io.BytesIO(b"x"), "don-vi.exe"), "csrf_token": token}, content_type="multipart/form-data")
    assert wrong_type.status_code == 422 and "Chỉ chấp nhận" in wrong_type.get_data(as_text=True)


def test_organiser_merges_moves_and_archives_in_the_ui(client, auth, db, make):
    auth.login(make.user(Role.ORGANISER))
    a, b, c = make.unit("A"), make.unit("B"), make.unit("C")
    token = csrf_token(client, f"/admin/units/{a.id}")
    assert client.post(f"/admin/units/{a.id}/move", data={"move-parent_id": str(b.id), "csrf_token": token}).status_code == 302
    preview = client.post(f"/admin/units/{a.id}/merge", data={"merge-target_id": str(c.id), "csrf_token": token})
    assert preview.status_code == 200 and "Xác nhận thay đổi" in preview.get_data(as_text=True)
    assert db.session.get(Unit, a.id).merged_into_id is None  # one click merges nothing: confirm first
    assert client.post(f"/admin/units/{a.id}/merge", data={"merge-target_id": str(c.id), "csrf_token": token,
                                                          "confirm": "1"}).status_code == 302
    assert client.post(f"/admin/units/{b.id}/archive", data={"csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, a.id).merged_into_id == c.id
    assert db.session.get(Unit, b.id).is_active is False


def test_unit_names_are_escaped(client, auth, make):
    make.unit("<script>alert(1)</script>")
    auth.login(make.user(Role.ORGANISER))
    html = client.get("/admin/units").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_cli_import_and_export(runner, db, tmp_path):
    good = tmp_path / "u.csv"
    good.write_bytes(_csv("T,Tỉnh,,province,,0\n"))
    result = runner.invoke(args=["units", "import", str(good)])
    assert result.exit_code == 0 and "1 created" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("X,Xã,NOPE,commune,,1\n"))
    result = runner.invoke(args=["units", "import", str(bad)])
    assert result.exit_code != 0 and "row 2" in result.output
    assert _count(db) == 1
    out = tmp_path / "out.xlsx"
    assert runner.invoke(args=["units", "export", str(out)]).exit_code == 0 and out.stat().st_size > 0


def test_demo_unit_file_is_valid(db):
    from quizapp.demo import services as demo

    assert demo.load_units() > 40
    assert _unit(db, "BRVT").parent_id is None
    assert _unit(db, "VT-P1").parent.code == "VT"


def _past_attempt(db, person, unit):
    from datetime import timedelta

    from quizapp.attempts.models import Attempt
    from quizapp.contests.models import Contest, Round
    from quizapp.core.db import utcnow

    contest = Contest(slug=f"c-{unit.id}", title="C")
    rnd = Round(contest=contest, number=1, title="V1", opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1))
    db.session.add_all([contest, rnd])
    db.session.flush()
    attempt = Attempt(round_id=rnd.id, user_id=person.id, unit_id=unit.id, category="civil_servant", number=1,
                      started_at=utcnow(), deadline_at=utcnow() + timedelta(minutes=20))
    db.session.add(attempt)
    db.session.commit()
    return attempt


def test_merge_several_units_into_a_new_one_with_a_preview_keeps_past_results(db, make):
    """2025: three communes become one new commune; the preview says what moves."""
    from quizapp.attempts.models import Attempt

    district = make.unit("Huyện", code="H", kind=UnitKind.DISTRICT, headcount=5)
    a = make.unit("Xã A", parent=district, headcount=20, kind=UnitKind.COMMUNE)
    b = make.unit("Xã B", parent=district, headcount=15, kind=UnitKind.COMMUNE)
    c = make.unit("Xã C", parent=district, headcount=7, kind=UnitKind.COMMUNE)
    hamlet = make.unit("Ấp 1", parent=a)
    person_a, person_b = make.user(unit=a), make.user(unit=b)
    past = _past_attempt(db, person_a, a)

    plan = reorg.plan_merge_into_new([a.id, b.id, c.id], "XABC", "Xã ABC mới", district.id, UnitKind.COMMUNE)
    assert plan.ok and plan.members == 2 and plan.headcount == 42 and plan.sub_units == 1
    assert [m.unit.name for m in plan.moves] == ["Xã A", "Xã B", "Xã C"]
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "XABC")) is None  # a preview writes nothing
    bad = reorg.plan_merge_into_new([a.id], "H", "", hamlet.id, UnitKind.COMMUNE)
    assert not bad.ok and len(bad.errors) == 4  # one unit, code used, no name, parent inside a source
    with pytest.raises(ServiceError):
        reorg.merge_into_new([a.id], "H", "", None, UnitKind.COMMUNE)

    new = reorg.merge_into_new([a.id, b.id, c.id], "XABC", "Xã ABC mới", district.id, UnitKind.COMMUNE)
    db.session.commit()
    db.session.expire_all()
    new = db.session.get(Unit, new.id)
    assert new.parent_id == district.id and new.headcount == 42 and new.path == f"/{district.id}/{new.id}/"
    assert {db.session.get(User, p.id).unit_id for p in (person_a, person_b)} == {new.id}
    assert db.session.get(Unit, hamlet.id).parent_id == new.id
    for old in (a, b, c):
        old = db.session.get(Unit, old.id)
        assert old.is_active is False and old.merged_into_id == new.id
    assert db.session.get(Attempt, past.id).unit_id == a.id  # past results unchanged


def test_dissolve_the_district_level_moves_communes_and_people_up(db, make):
    from quizapp.attempts.models import Attempt

    province = make.unit("Tỉnh", kind=UnitKind.PROVINCE, headcount=100)
    d1 = make.unit("Huyện 1", parent=province, kind=UnitKind.DISTRICT, headcount=30)
    d2 = make.unit("Huyện 2", parent=province, kind=UnitKind.DISTRICT, headcount=20)
    x1 = make.unit("Xã 1", parent=d1, kind=UnitKind.COMMUNE)
    x2 = make.unit("Xã 2", parent=d2, kind=UnitKind.COMMUNE)
    official = make.user(unit=d1)
    past = _past_attempt(db, official, d1)

    plan = reorg.plan_dissolve_level(UnitKind.DISTRICT)
    assert plan.ok and [(m.unit.name, m.target, m.members, m.sub_units, m.headcount) for m in plan.moves] == [
        ("Huyện 1", "Tỉnh", 1, ["Xã 1"], 30), ("Huyện 2", "Tỉnh", 0, ["Xã 2"], 20)]
    assert reorg.dissolve_level(UnitKind.DISTRICT) == 2
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Unit, x1.id).path == f"/{province.id}/{x1.id}/"
    assert db.session.get(Unit, x2.id).parent_id == province.id
    assert db.session.get(User, official.id).unit_id == province.id
    assert db.session.get(Unit, province.id).headcount == 150
    assert not db.session.get(Unit, d1.id).is_active and not db.session.get(Unit, d2.id).is_active
    assert db.session.get(Attempt, past.id).unit_id == d1.id  # past results unchanged
    assert not reorg.plan_dissolve_level(UnitKind.DISTRICT).ok  # nothing left to dissolve


def test_organiser_previews_then_confirms_a_merge_into_a_new_unit_and_a_level_dissolution(client, auth, db, make):
    auth.login(make.user(Role.ORGANISER))
    province = make.unit("Tỉnh", kind=UnitKind.PROVINCE)
    district = make.unit("Huyện Cũ", parent=province, kind=UnitKind.DISTRICT, headcount=9)
    a = make.unit("Xã Một", parent=district, kind=UnitKind.COMMUNE, headcount=4)
    b = make.unit("Xã Hai", parent=district, kind=UnitKind.COMMUNE, headcount=6)
    make.user(unit=a)
    token = csrf_token(client, "/admin/units/reorganise")
    form = {"csrf_token": token, "sources": [str(a.id), str(b.id)], "code": "XM", "name": "Xã Mới",
            "parent_id": str(district.id), "kind": "commune"}
    preview = client.post("/admin/units/reorganise/merge", data=form)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Tổng cộng chuyển 1 thành viên, 0 đơn vị trực thuộc và biên chế 10" in html
    assert "Xã Một" in html and "Xã Hai" in html and 'name="confirm" value="1"' in html
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "XM")) is None
    bad = client.post("/admin/units/reorganise/merge", data={**form, "sources": [str(a.id)], "name": ""})
    assert bad.status_code == 422 and "Chọn ít nhất hai đơn vị" in bad.get_data(as_text=True)
    done = client.post("/admin/units/reorganise/merge", data={**form, "confirm": "1"})
    assert done.status_code == 302
    new = db.session.scalar(sa.select(Unit).where(Unit.code == "XM"))
    assert new.headcount == 10 and new.parent_id == district.id

    preview = client.post("/admin/units/reorganise/dissolve", data={"csrf_token": token, "kind": "district"})
    assert preview.status_code == 200 and "Huyện Cũ" in preview.get_data(as_text=True)
    assert db.session.get(Unit, district.id).is_active
    assert client.post("/admin/units/reorganise/dissolve",
                       data={"csrf_token": token, "kind": "district", "confirm": "1"}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(Unit, district.id).is_active
    assert db.session.get(Unit, new.id).parent_id == province.id
