"""Issue 21, item 9, what the server sends (the phone itself: tests/browser/test_organiser_phone.py):
entrant groups by their names, a decimal comma typed and shown in the contest form, a page-styled
confirmation before publishing, /ops in organisers' words with decimal commas."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from quizapp.auth.models import EntrantCategory, Role
from quizapp.contests.models import Contest, RoundQuota
from tests.test_contests_views import organiser, post_form  # noqa: F401 - the logged-in organiser

STATIC = Path(__file__).resolve().parents[1] / "quizapp" / "static" / "js"


def test_the_contest_page_names_entrant_groups_and_asks_before_publishing(client, db, make, organiser):  # noqa: F811
    contest = make.contest("Cuộc thi nháp", open_to_all=False, categories=["student", "civil_servant"])
    rnd = make.round(quotas=(("TC", 0, 3),), contest=contest)
    rnd.quotas.append(RoundQuota(area_id=make.area("TTHC").id, difficulty=0, count=2,
                                 entrant_group=EntrantCategory.STUDENT.value))
    db.session.commit()
    html = client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "[student]" not in html and "Riêng Học sinh, sinh viên:" in html
    assert "student, civil_servant" not in html and "Học sinh, sinh viên" in html
    publish = re.search(r'<form[^>]*action="/admin/contests/\d+/publish"[^>]*>', html, re.S).group(0)
    assert 'data-confirm="Công bố “Cuộc thi nháp”?' in publish and 'data-confirm-yes="Công bố"' in publish
    assert "window.confirm" not in (STATIC / "contests.js").read_text()  # the page's own dialog (app.js)
    assert "showModal" in (STATIC / "app.js").read_text()


def test_the_contest_form_takes_and_shows_a_decimal_comma(client, db, make, organiser):  # noqa: F811
    contest = make.contest("Cuộc thi")
    path = f"/admin/contests/{contest.id}/edit"
    resp = post_form(client, path, {
        "title": "Cuộc thi", "open_to_all": "y", "ranking_order": "score,duration,submitted_at", "aggregate": "sum",
        "unit_ranking_order": "participation,average", "min_participation_rate": "12,5",
        "results_visibility": "public"})
    assert resp.status_code == 302
    assert db.session.scalar(sa.select(Contest.min_participation_rate).where(Contest.id == contest.id)) == Decimal("12.5")
    html = client.get(path).get_data(as_text=True)
    field = re.search(r'<input[^>]*id="min_participation_rate"[^>]*>', html).group(0)
    assert 'value="12,5"' in field and 'type="text"' in field and 'inputmode="decimal"' in field
    assert 'class="hint-touch"' in html  # no Ctrl/Cmd advice on a phone


def test_ops_speaks_to_organisers_with_decimal_commas(client, app, make, auth):
    from quizapp.ops.views import ops_num

    auth.login(make.user(role=Role.ORGANISER))
    html = client.get("/ops").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    for developer_word in ("4xx", "5xx", "503", "p95", "PROMETHEUS_MULTIPROC_DIR"):
        assert developer_word not in text, developer_word
    assert "Lỗi máy chủ" in text and "Quá tải, phải thử lại" in text and "/metrics" in text
    with app.test_request_context(headers={"Accept-Language": "vi"}):
        assert (ops_num(1.5), ops_num(0.0), ops_num(1234.5), ops_num(0.25, 2)) == ("1,5", "0", "1.234,5", "0,25")
