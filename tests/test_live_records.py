"""Live events (hội thi) in the units' records, without anyone typing them (issue 22 item 5, issue 23
item 2): an activity of the contests form per event and unit in the plans' completion, activity list,
.docx report and .xlsx annex; the unit dashboard's history; the campaign's periodic report."""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta, timezone

import openpyxl
import pytest

from quizapp.auth.models import Role
from tests.plans_support import province  # noqa: F401  (fixture)

MAY = datetime(2026, 5, 10, 2, 0, tzinfo=timezone.utc)  # 10/05/2026 09:00 in Vietnam: quarter II


@pytest.fixture()
def hall(province, make, db):
    """The province fixture plus a second commune of the district: the commune and this one are
    the two units whose teams meet in the hall; the district is their common parent."""
    second = make.unit("Xã Tam An", parent=province["district"], code="TA")
    db.session.commit()
    return {**province, "second": second}


def _event(db, organiser, teams, held=MAY, start=True, title="Hội thi tìm hiểu CCHC năm 2026",
           venue="Hội trường UBND huyện"):
    from quizapp.live import builder, play

    event = builder.create_event(builder.EventData(title, venue), organiser.id)
    db.session.flush()
    made = [builder.add_team(event, unit.id, members, organiser.id) for unit, members in teams]
    builder.add_part(event, builder.PartData("knowledge", "Khởi động"), organiser.id)
    event.held_on = held
    if start:
        play.start(event, organiser.id)
    db.session.commit()
    return event, made


def _two_team_event(db, hall, **kw):
    return _event(db, hall["organiser"], [(hall["commune"], ["Nguyễn Văn A", "Trần Thị B", "Lê Văn C"]),
                                          (hall["second"], ["Phạm Thị D", "Võ Văn E"])], **kw)


def _finish_with_scores(db, event, teams, points, publish=True):
    """Points straight into the ledger (the scoring itself is tested in test_live_play), then the
    organiser finishes the event and (or not) publishes its results."""
    from quizapp.live import builder, play
    from quizapp.live.models import LiveScore, ScoreKind

    part = event.parts[0]
    for team, value in zip(teams, points):
        db.session.add(LiveScore(event_id=event.id, team_id=team.id, part_id=part.id, kind=ScoreKind.ANSWER,
                                 points=value))
    play.finish(event, None)
    if publish:
        builder.publish_results(event, True, None)
    db.session.commit()


def _contests_line(comp):
    return next(line for line in comp.forms if line.form.collects_contests)


def _docx_text(data: bytes) -> str:
    import docx

    doc = docx.Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


# --- counting --------------------------------------------------------------------------------------

def test_a_live_event_counts_once_per_unit_and_once_for_their_common_parent(app, db, hall):
    from quizapp.plans import activities, completion

    event, _ = _two_team_event(db, hall)
    per_unit = activities.automatic_activities([hall["commune"].id, hall["second"].id], date(2026, 4, 1),
                                               date(2026, 6, 30), per_unit=True)
    assert [(a.kind, a.key, a.unit_id, a.reached) for a in per_unit] == [
        ("live", event.id, hall["commune"].id, 3), ("live", event.id, hall["second"].id, 2)]
    assert per_unit[0].held_on == date(2026, 5, 10) and per_unit[0].venue == "Hội trường UBND huyện"

    for unit, reached in ((hall["commune"], 3), (hall["second"], 2), (hall["district"], 5)):
        comp = completion.completion(unit, 2026, date(2026, 4, 1), date(2026, 6, 30))
        line = _contests_line(comp)
        assert (line.done, line.reached, comp.automatic_live, comp.automatic_rounds) == (1, reached, 1, 0), unit.name
    district = completion.completion(hall["district"], 2026)
    assert {c.name: c.done for c in district.children} == {"Xã Phước Hưng": 1, "Xã Tam An": 1}
    top = completion.completion(hall["top"], 2026)
    assert _contests_line(top).done == 1
    # The district's line in the province's table: one event, though two of its communes had a team.
    assert {c.name: c.done for c in top.children}["Huyện Long Điền"] == 1
    assert {c.name: c.done for c in top.children}["Huyện Đất Đỏ"] == 0
    # A unit with a team is not among the units that have logged nothing.
    silent = [name for _, name in completion.silent_units(hall["district"], date(2026, 4, 1), date(2026, 6, 30))]
    assert "Xã Phước Hưng" not in silent and "Xã Tam An" not in silent and "Huyện Long Điền" in silent


def test_a_draft_event_and_an_event_outside_the_period_do_not_count(app, db, hall):
    from quizapp.plans import activities, completion

    _two_team_event(db, hall, start=False, title="Hội thi còn nháp")  # dated in the quarter, never started
    _two_team_event(db, hall, held=datetime(2026, 3, 31, 16, 59, tzinfo=timezone.utc),  # 31/03 23:59 in Vietnam
                    title="Hội thi quý I")
    ids = [hall["commune"].id, hall["second"].id]
    assert activities.automatic_activities(ids, date(2026, 4, 1), date(2026, 6, 30)) == []
    comp = completion.completion(hall["district"], 2026, date(2026, 4, 1), date(2026, 6, 30))
    assert (_contests_line(comp).done, comp.automatic_live) == (0, 0)
    q1 = activities.automatic_activities(ids, date(2026, 1, 1), date(2026, 3, 31))
    assert [(a.title, a.held_on) for a in q1] == [("Hội thi quý I", date(2026, 3, 31))]


def test_a_started_event_without_a_date_counts_on_the_day_it_started(app, db, hall):
    from quizapp.live import records
    from quizapp.plans import activities

    from quizapp.live import play

    event, _ = _two_team_event(db, hall, held=None, start=False)
    event.created_at = datetime.now(timezone.utc) - timedelta(days=40)  # built weeks before the day
    play.start(event, hall["organiser"].id)
    db.session.commit()
    today = activities.vn_today()
    entries = records.team_entries([hall["commune"].id], today, today)
    assert [(e.event_id, e.held_on, e.members) for e in entries] == [(event.id, today, 3)]
    assert records.team_entries([hall["commune"].id], today - timedelta(days=60), today - timedelta(days=1)) == []


def test_the_units_history_is_newest_first_and_bounded_by_events(app, db, hall):
    from quizapp.live import records

    _two_team_event(db, hall, title="Hội thi tháng 5")
    _two_team_event(db, hall, held=MAY + timedelta(days=30), title="Hội thi tháng 6")
    _event(db, hall["organiser"], [(hall["other"], ["Đặng Văn F"])], held=MAY + timedelta(days=60),
           title="Hội thi huyện Đất Đỏ")
    history = records.unit_history(hall["district"].id, limit=1)
    assert [(e.event, e.team) for e in history] == [("Hội thi tháng 6", "Xã Phước Hưng"),
                                                    ("Hội thi tháng 6", "Xã Tam An")]
    assert [e.event for e in records.unit_history(hall["commune"].id)] == ["Hội thi tháng 6", "Hội thi tháng 5"]


def test_results_show_a_place_only_when_finished_and_published(app, db, hall):
    from quizapp.live import builder, records

    event, teams = _two_team_event(db, hall)
    ids = [hall["commune"].id, hall["second"].id]
    builder.publish_results(event, True, None)  # published while still running: not final, not shown
    db.session.commit()
    assert [(e.place, records.result_text(e)) for e in records.team_entries(ids)] == [
        (None, "chưa công bố"), (None, "chưa công bố")]
    builder.publish_results(event, False, None)
    _finish_with_scores(db, event, teams, [40, 55], publish=False)
    assert {records.result_text(e) for e in records.team_entries(ids)} == {"chưa công bố"}
    builder.publish_results(event, True, None)
    db.session.commit()
    got = {e.team: (e.place, records.result_text(e)) for e in records.team_entries(ids)}
    assert got == {"Xã Phước Hưng": (2, "hạng 2 (40 điểm)"), "Xã Tam An": (1, "hạng 1 (55 điểm)")}


# --- the unit's report (.docx and .xlsx annex) -------------------------------------------------------

def test_the_unit_report_lists_the_event_with_its_team_and_place(client, auth, db, hall):
    event, teams = _two_team_event(db, hall)
    _finish_with_scores(db, event, teams, [60, 55])
    commune = hall["commune"]
    auth.login(hall["officer"])
    resp = client.get(f"/plans/units/{commune.id}/reports/quarter/2026/2/docx")
    assert resp.status_code == 200
    text = _docx_text(resp.data)
    assert "0 vòng thi trực tuyến về CCHC có người của đơn vị tham gia; 1 hội thi trực tiếp" in text
    assert "đơn vị có đội tham gia 1 hội thi với 3 lượt thành viên dự thi" in text
    row = next(line for line in text.splitlines() if line.startswith("1 | Hội thi tìm hiểu CCHC năm 2026"))
    assert row == ("1 | Hội thi tìm hiểu CCHC năm 2026 | 10/05/2026 | Hội trường UBND huyện | "
                   "Xã Phước Hưng (3 thành viên) | hạng 1 (60 điểm)")
    assert "Xã Tam An" not in text  # the other commune's team is not this unit's
    annex = client.get(f"/plans/units/{commune.id}/reports/quarter/2026/2/xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(annex.data))["Hội thi"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert rows == [[1, "Hội thi tìm hiểu CCHC năm 2026", "10/05/2026", "Hội trường UBND huyện", "Xã Phước Hưng",
                     "Xã Phước Hưng", 3, 1, 60]]
    # The quarter before: nothing.
    text_q1 = _docx_text(client.get(f"/plans/units/{commune.id}/reports/quarter/2026/1/docx").data)
    assert "Trong kỳ không có hội thi trực tiếp nào có đội của đơn vị tham gia." in text_q1


def test_unpublished_results_show_no_place_in_the_district_report(app, db, hall, tmp_path):
    from quizapp.plans import reporting

    event, teams = _two_team_event(db, hall)
    _finish_with_scores(db, event, teams, [60, 55], publish=False)
    fig = reporting.figures(hall["district"], "quarter", 2026, 2)
    docx_path, xlsx_path = reporting.build_files(fig, tmp_path)
    text = _docx_text(docx_path.read_bytes())
    row = next(line for line in text.splitlines() if line.startswith("1 | Hội thi tìm hiểu CCHC năm 2026"))
    assert "Xã Phước Hưng (3 thành viên); Xã Tam An (2 thành viên)" in row
    assert row.endswith("Xã Phước Hưng: chưa công bố; Xã Tam An: chưa công bố") and "hạng" not in row
    assert "1 hội thi với 5 lượt thành viên dự thi" in text  # one event for the district, its five people
    ws = openpyxl.load_workbook(xlsx_path)["Hội thi"]
    assert [[c.value for c in r][4:9] for r in ws.iter_rows(min_row=4)] == [
        ["Xã Phước Hưng", "Xã Phước Hưng", 3, "chưa công bố", None],
        ["Xã Tam An", "Xã Tam An", 2, "chưa công bố", None]]


def test_the_provinces_consolidated_report_counts_the_event_once(app, db, hall, tmp_path):
    from quizapp.plans import reporting

    event, teams = _two_team_event(db, hall)
    _event(db, hall["organiser"], [(hall["other"], ["Đặng Văn F"])], title="Hội thi huyện Đất Đỏ")
    fig = reporting.figures(hall["top"], "year", 2026, 1, consolidated=True)
    docx_path, _ = reporting.build_files(fig, tmp_path)
    text = _docx_text(docx_path.read_bytes())
    assert "các cơ quan, đơn vị, địa phương có đội tham gia 2 hội thi với 6 lượt thành viên dự thi" in text
    assert [a.title for a in fig.automatic] == ["Hội thi tìm hiểu CCHC năm 2026", "Hội thi huyện Đất Đỏ"]


# --- pages ----------------------------------------------------------------------------------------------

def test_activity_list_and_unit_page_show_the_event(client, auth, db, hall):
    event, teams = _two_team_event(db, hall, held=datetime.now(timezone.utc) - timedelta(hours=1))
    commune = hall["commune"]
    auth.login(hall["officer"])
    year = (datetime.now(timezone.utc) + timedelta(hours=7)).year
    html = client.get(f"/plans/units/{commune.id}/activities?year={year}").get_data(as_text=True)
    item = html.split('class="auto-live"')[1].split("</li>")[0]
    assert "Hội thi tìm hiểu CCHC năm 2026" in item and "Hội trường UBND huyện" in item
    assert "đội Xã Phước Hưng" in item and "chưa công bố" in item and "3 lượt người" in item
    assert "Xã Tam An" not in item
    _finish_with_scores(db, event, teams, [60, 55])
    html = client.get(f"/plans/units/{commune.id}/activities?year={year}").get_data(as_text=True)
    assert "hạng 1 (60 điểm)" in html.split('class="auto-live"')[1].split("</li>")[0]
    home = client.get(f"/plans/units/{commune.id}?year={year}").get_data(as_text=True)
    assert "0 vòng thi trực tuyến và 1 hội thi trực tiếp" in home


def test_unit_dashboard_lists_the_live_events_of_its_teams(client, auth, db, hall, make):
    event, teams = _two_team_event(db, hall)
    _event(db, hall["organiser"], [(hall["other"], ["Đặng Văn F"])], title="Hội thi huyện Đất Đỏ")
    _event(db, hall["organiser"], [(hall["commune"], ["Nguyễn Văn A"])], start=False, title="Hội thi còn nháp")
    auth.login(hall["manager"])
    html = client.get(f"/units/{hall['district'].id}/dashboard").get_data(as_text=True)
    table = html.split('id="dash-live"')[1].split("</ul>")[0]
    assert table.count("<li>") == 2  # the district's two teams
    assert "Hội thi tìm hiểu CCHC năm 2026" in table and "10/05/2026" in table
    assert "Xã Phước Hưng" in table and "Xã Tam An" in table and table.count("chưa công bố") == 2
    assert "Đất Đỏ" not in table and "nháp" not in table
    _finish_with_scores(db, event, teams, [50, 55.5])
    table = client.get(f"/units/{hall['district'].id}/dashboard").get_data(as_text=True).split(
        'id="dash-live"')[1].split("</ul>")[0]
    assert "hạng 1 (55,5 điểm)" in table and "hạng 2 (50 điểm)" in table and "chưa công bố" not in table
    # A commune's manager sees his own team only.
    manager = make.user(Role.UNIT_MANAGER, unit=hall["second"], full_name="Quản lý Tam An")
    auth.logout()
    auth.login(manager)
    table = client.get(f"/units/{hall['second'].id}/dashboard").get_data(as_text=True).split(
        'id="dash-live"')[1].split("</ul>")[0]
    assert "Xã Tam An" in table and "Xã Phước Hưng" not in table


# --- the campaign's periodic report ------------------------------------------------------------------------

def test_periodic_report_lists_the_subtrees_teams_in_live_events(app, db, hall, tmp_path):
    from quizapp.campaign import reports

    event, teams = _two_team_event(db, hall)
    _event(db, hall["organiser"], [(hall["other"], ["Đặng Văn F"])], title="Hội thi huyện Đất Đỏ")
    _finish_with_scores(db, event, teams, [60, 55], publish=False)
    params = reports.report_params("quarter", 2026, 2, unit_id=hall["district"].id)
    out = reports.run_periodic_report(params, lambda *a: None, tmp_path)
    with open(out["path"], "rb") as fh:
        text = _docx_text(fh.read())
    assert "VII. HỘI THI TRỰC TIẾP VỀ CẢI CÁCH HÀNH CHÍNH" in text
    assert "đã tham gia 1 hội thi trực tiếp (5 lượt thành viên dự thi)" in text
    assert ("1 | Hội thi tìm hiểu CCHC năm 2026 (Hội trường UBND huyện) | 10/05/2026 | Xã Phước Hưng | chưa công bố"
            in text)
    assert "2 | Hội thi tìm hiểu CCHC năm 2026 (Hội trường UBND huyện) | 10/05/2026 | Xã Tam An | chưa công bố" in text
    assert "Đất Đỏ" not in text
    ws = openpyxl.load_workbook(out["annex"]["path"])["Hội thi"]
    assert [[c.value for c in r] for r in ws.iter_rows(min_row=4)] == [
        ["Hội thi tìm hiểu CCHC năm 2026", "10/05/2026", "Hội trường UBND huyện", "Xã Phước Hưng", 3, "chưa công bố",
         None],
        ["Hội thi tìm hiểu CCHC năm 2026", "10/05/2026", "Hội trường UBND huyện", "Xã Tam An", 2, "chưa công bố", None]]
    from quizapp.live import builder

    builder.publish_results(event, True, None)
    db.session.commit()
    data = reports.compute_report(hall["district"].id, reports.period_of("quarter", 2026, 2))
    assert [(e.team, reports_place(e)) for e in data.live] == [("Xã Phước Hưng", "hạng 1 (60 điểm)"),
                                                               ("Xã Tam An", "hạng 2 (55 điểm)")]
    assert reports.compute_report(hall["district"].id, reports.period_of("quarter", 2026, 1)).live == []


def reports_place(entry) -> str:
    from quizapp.live.records import result_text

    return result_text(entry)
