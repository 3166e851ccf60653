"""A live event (hội thi) in the units' records, seen on a 360×740 phone: the unit manager's dashboard
lists it with the team and its place, the reform officer's activity list counts it by itself
(issue 22 item 5, issue 23 item 2)."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import app_script, axe_violations, layout_problems, login
from tests.browser.test_accounts_phone import MANAGER, shot, small_phone  # noqa: F401  (the 360×740 phone)

OFFICER = ("0900000005", "dauMoi@2026")
TITLE = "Hội thi Cải cách hành chính – đội phường tranh tài"


def _finished_event(live_server) -> dict:
    """A finished live event an hour ago with a team of VT-P1 (first) and one of SNV, results published."""
    return app_script(live_server, f"""
import sqlalchemy as sa
from datetime import timedelta
from quizapp.core.db import utcnow
from quizapp.live import builder, play
from quizapp.live.models import LiveScore, ScoreKind
from quizapp.units.models import Unit
units = {{u.code: u for u in db.session.scalars(sa.select(Unit).where(Unit.code.in_(["VT", "VT-P1", "SNV"])))}}
event = builder.create_event(builder.EventData({TITLE!r}, "Hội trường Trung tâm Hội nghị tỉnh"), None)
db.session.flush()
ours = builder.add_team(event, units["VT-P1"].id, ["Nguyễn Văn Một", "Trần Thị Hai", "Lê Văn Ba"], None)
theirs = builder.add_team(event, units["SNV"].id, ["Phạm Văn Bốn"], None)
part = builder.add_part(event, builder.PartData("knowledge", "Khởi động"), None)
event.held_on = utcnow() - timedelta(hours=1)
play.start(event, None)
db.session.add_all([LiveScore(event_id=event.id, team_id=ours.id, part_id=part.id, kind=ScoreKind.ANSWER, points=82.5),
                    LiveScore(event_id=event.id, team_id=theirs.id, part_id=part.id, kind=ScoreKind.ANSWER, points=70)])
play.finish(event, None)
builder.publish_results(event, True, None)
result = {{"vt": units["VT"].id, "p1": units["VT-P1"].id}}
""")


def test_the_event_in_the_dashboard_and_the_activity_list_on_a_360_phone(live_server, small_phone):
    base = live_server["url"]
    ids = _finished_event(live_server)
    page = small_phone
    login(page, base, *MANAGER)
    page.goto(f"{base}/units/{ids['vt']}/dashboard")
    row = page.locator("#dash-live li", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("hạng 1 (82,5 điểm)")
    expect(page.locator("#dash-live")).not_to_contain_text("Phạm Văn Bốn")
    row.scroll_into_view_if_needed()
    shot(page, "phone360-unit-dashboard-live-event")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
    page.context.clear_cookies()
    login(page, base, *OFFICER)
    page.goto(f"{base}/plans/units/{ids['p1']}/activities")
    item = page.locator("#automatic-activities .auto-live", has_text=TITLE)
    expect(item).to_contain_text("hạng 1 (82,5 điểm)")
    expect(item).to_contain_text("3 lượt người")
    item.scroll_into_view_if_needed()
    shot(page, "phone360-activity-list-live-event")
    assert axe_violations(page) == []
    assert layout_problems(page) == []
