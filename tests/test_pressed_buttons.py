"""The browser suite's button check (tests/browser/buttons.py, issue 20 item 18) reads the right
endpoints and counts only presses the server accepted.  Runs without a browser."""
from __future__ import annotations

from tests.browser.buttons import EXCLUDED, STATE_CHANGING, STAFF_ACTORS, report, required_endpoints, staff_actors


def test_required_are_the_staff_only_state_changing_endpoints(app):
    with app.app_context():
        required = set(required_endpoints(app))
        methods = {r.endpoint: set(r.methods or ()) for r in app.url_map.iter_rules()}
    # admin, organiser, unit manager; the plans' writes (reform officer by role, unit A's manager by the
    # sweep's object rules); the MC console's JSON-less correction form
    assert {"auth.duplicates", "auth.admin_user_edit", "bank.retire", "units.report_settings", "auth.issue_reset_code",
            "plans.activity_delete", "plans.report_submit", "live.correct", "leaderboards.export_units"} <= required
    # everyone's, the entrant's, a judge's, a team device's: not the staff's buttons
    assert not {"auth.login", "auth.logout", "attempts.submit", "api_v1.save", "practice.answer", "live.judge",
                "live.device_answer", "main.set_language", "auth.account"} & required
    assert all(methods[e] & STATE_CHANGING for e in required)
    assert len(required) > 70


def test_every_exclusion_names_a_staff_endpoint_and_says_why(app):
    with app.app_context():
        for endpoint, reason in EXCLUDED.items():
            who = staff_actors(endpoint)
            assert who and who <= STAFF_ACTORS, f"{endpoint} is no staff endpoint: drop its exclusion"
            assert len(reason) > 20


def test_only_accepted_presses_count(app):
    base = "http://127.0.0.1:5000"
    presses = [
        {"method": "POST", "url": base + "/admin/bank/3/approve", "status": 400, "test": "t1"},  # CSRF refused
        {"method": "POST", "url": base + "/admin/bank/3/retire", "status": 302, "test": "t2"},
        {"method": "POST", "url": base + "/admin/contests/4/certificates/job", "status": None, "test": "t3"},
        {"method": "POST", "url": "http://127.0.0.1:6000/admin/units/import?x=1", "status": 200, "test": "t4"},
        {"method": "POST", "url": base + "/admin/bank", "status": 405, "test": "t5"},  # no such POST route
        {"method": "POST", "url": base + "/login", "status": 302, "test": "t6"},
    ]
    with app.app_context():
        found = report(app, presses)
    assert found["pressed"] == {"bank.retire": ["t2"], "campaign.certificates_job": ["t3"], "units.import_file": ["t4"]}
    assert found["refused_only"] == {"bank.approve": ["t1"]}
    assert "bank.approve" in found["missing"] and "bank.retire" not in found["missing"]
    assert found["other"] == ["auth.login"]
    assert set(found["missing"]) | set(found["pressed"]) == set(found["required"])


def test_browser_tests_post_nothing_by_script():
    """The recorder sees what a browser sends, which includes a script a test evaluates in the page: a
    test must click, never post through the page by hand (``page.request`` is not recorded at all)."""
    import re
    from pathlib import Path

    by_hand = re.compile(r"(?<!route\.)fetch\(|XMLHttpRequest|requestSubmit|\.submit\(\)|sendBeacon")
    found = [f"{p.name}:{n}" for p in sorted((Path(__file__).parent / "browser").glob("*.py"))
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if by_hand.search(line)]
    assert found == []
