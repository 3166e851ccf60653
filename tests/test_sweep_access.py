"""Every route × every actor on a real world: role rules, object-level rules, personal data.

Seven actors walk every rule of ``app.url_map`` (every method) with REAL ids:
anonymous, participant A (owner of the attempts), participant B (another
unit), unit B's manager, unit A's manager, an organiser, an admin.  What each
may do is the role declared on the view (docs/routes.md) narrowed by the
object-level rules in ``OBJECT_RULES`` (documented in docs/security.md, which
this test keeps current).  A refused request changes no row, and no page shows
a fixture user's phone, e-mail, CCCD or date of birth to someone not entitled
to it.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from quizapp.auth.access import allowed, endpoint_access
from quizapp.auth.models import Role
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401  (fresh standings in every test)
from tests.sweep_world import ACTORS, build_world, table_fingerprint
from tests.test_sweep_headers import _header_problems

ROOT = Path(__file__).resolve().parent.parent
ROLE_OF = {"anonymous": "anonymous", "participant": Role.PARTICIPANT, "participant_b": Role.PARTICIPANT,
           "manager_a": Role.UNIT_MANAGER, "manager_b": Role.UNIT_MANAGER, "organiser": Role.ORGANISER,
           "admin": Role.ADMIN}
ATTEMPT_ENDPOINTS = ("attempts.quiz", "attempts.result", "attempts.submit", "api_v1.show", "api_v1.save",
                     "api_v1.submit", "api_v1.result")
UNIT_ENDPOINTS = ("units.members", "leaderboards.unit_people", "leaderboards.unit_dashboard",
                  "leaderboards.unit_missing_export", "units.report_settings")
DRAFT_ENDPOINTS = ("contests.public_detail", "leaderboards.contest_leaderboard")
PRACTICE_ENDPOINTS = ("practice.resume", "practice.question", "practice.answer", "practice.result")
JOB_ENDPOINTS = ("jobs.show", "jobs.status", "jobs.download")
AWARD_ENDPOINTS = ("campaign.my_certificate",)
PLAN_READ_ENDPOINTS = ("plans.unit_home", "plans.unit_plan", "plans.activity_list", "plans.activity_edit",
                       "plans.evidence_file", "plans.report", "plans.report_download", "plans.evidence_pack")
PLAN_WRITE_ENDPOINTS = ("plans.unit_plan_save", "plans.activity_new", "plans.activity_update",
                        "plans.activity_delete", "plans.evidence_delete", "plans.report_save", "plans.report_submit")
LIVE_DEVICE_ENDPOINTS = ("live.device_answer", "live.device_buzz")

# Object-level rules: (endpoints, the object, who may use it).  Everyone else
# with the declared role gets 403 or 404; anonymous users are sent to log in.
OBJECT_RULES = [
    (ATTEMPT_ENDPOINTS, "attempt", "participant A's attempt (in progress, submitted, in a closed round)",
     {"participant"}),
    (UNIT_ENDPOINTS, "unit_a", "unit A or its sub-unit A1", {"manager_a", "organiser", "admin"}),
    (UNIT_ENDPOINTS, "unit_b", "unit B or its sub-unit B1", {"manager_b", "organiser", "admin"}),
    (DRAFT_ENDPOINTS, "draft", "a draft (unpublished) contest", {"organiser", "admin"}),
    (("auth.issue_reset_code",), "account_a", "participant A's account (one-time password reset code)",
     {"manager_a", "organiser", "admin"}),
    (PRACTICE_ENDPOINTS, "practice", "participant A's practice set", {"participant"}),
    (JOB_ENDPOINTS, "job", "the organiser's job (an export) and its file", {"organiser", "admin"}),
    (("ops.prometheus",), "", "Prometheus metrics: a METRICS_TOKEN or an address in METRICS_ALLOW_FROM, no login",
     set()),
    (AWARD_ENDPOINTS, "award", "participant A's certificate", {"participant", "organiser", "admin"}),
    (PLAN_READ_ENDPOINTS, "plan_a", "unit A's communication plan, activities, evidence and reports (read)",
     {"manager_a", "organiser", "admin"}),
    (PLAN_WRITE_ENDPOINTS, "plan_a", "unit A's communication plan, activities, evidence and reports (change)",
     {"manager_a"}),
    (("live.judge",), "live_judge", "a live event's judges' console (participant A is its judge)", {"participant"}),
    (LIVE_DEVICE_ENDPOINTS, "live_team", "a team device's answer or buzzer: a device joined with the team's code "
     "(a signed cookie), no account", set()),
]

# Who may see a fixture user's phone, e-mail, CCCD, date of birth (beyond themselves).
PII_VIEWERS = {
    "organiser": set(ACTORS) - {"anonymous"},
    "admin": set(ACTORS) - {"anonymous"},
    "manager_a": {"participant", "manager_a"},  # unit A's subtree
    "manager_b": {"participant_b", "manager_b", "organiser", "admin"},  # unit B's subtree
}


def object_rules_markdown() -> str:
    """The table docs/security.md carries (kept current by a test below)."""
    names = {"participant": "participant A (owner)", "participant_b": "participant B", "manager_a": "manager of A",
             "manager_b": "manager of B", "organiser": "organiser", "admin": "admin"}
    head = "| endpoints | object | " + " | ".join(names.values()) + " |"
    lines = [head, "|---|---|" + "---|" * len(names)]
    for endpoints, _key, label, who in OBJECT_RULES:
        cells = " | ".join("✓" if a in who else "·" for a in names)
        lines.append(f"| {', '.join(f'`{e}`' for e in endpoints)} | {label} | {cells} |")
    return "\n".join(lines)


def test_security_doc_carries_the_object_rules():
    doc = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    assert object_rules_markdown() in doc


def _variants(rule, w) -> list[tuple[str, str]]:
    """(url, object key) for a rule: one URL per object the object-level rules distinguish."""
    ids = w.ids
    base = {"unit_id": ids["unit_a"], "round_id": ids["open_round"], "contest_id": ids["contest"],
            "attempt_id": ids["attempt_in_progress"], "aq_id": ids["aq"], "question_id": ids["question"],
            "user_id": ids["participant"], "session_id": ids["practice"], "position": 1, "job_id": ids["job"],
            "slug": w.slug, "fmt": "xlsx", "code": "vi", "filename": "css/app.css", "token": "not-a-token",
            "award_id": ids["award"], "vcode": ids["award_code"], "short": ids["short"],
            "plan_id": ids["plan"], "task_id": ids["task"], "form_id": ids["form"], "activity_id": ids["activity"],
            "evidence_id": ids["evidence"], "report_id": ids["report"], "kind": "quarter", "year": ids["year"],
            "number": ids["quarter"],
            "event_id": ids["live_event"], "team_id": ids["live_team"], "part_id": ids["live_part"],
            "item_id": ids["live_item"], "judge_id": ids["live_judge"]}
    if rule.endpoint.startswith("live."):
        base["code"] = ids["live_code"]
    values = {k: v for k, v in base.items() if k in rule.arguments}
    variants = [(values, "")]
    if rule.endpoint == "api_v1.save":  # the answer slot belongs to the attempt in progress
        variants = [(values, "attempt")]
    elif rule.endpoint in ATTEMPT_ENDPOINTS:
        variants = [({**values, "attempt_id": ids[k]}, "attempt")
                    for k in ("attempt_in_progress", "attempt_submitted", "attempt_closed")]
    elif rule.endpoint in UNIT_ENDPOINTS:
        variants = [({**values, "unit_id": ids[k]}, "unit_a" if k.startswith("unit_a") else "unit_b")
                    for k in ("unit_a", "unit_a1", "unit_b", "unit_b1")]
        if "round_id" in rule.arguments:
            variants.append(({**values, "round_id": ids["closed_round"]}, "unit_a"))
    elif rule.endpoint == "auth.issue_reset_code":
        variants = [(values, "account_a")]
    elif rule.endpoint in PRACTICE_ENDPOINTS:
        variants = [(values, "practice")]
    elif rule.endpoint in JOB_ENDPOINTS:
        variants = [(values, "job")]
    elif rule.endpoint in AWARD_ENDPOINTS:
        variants = [(values, "award")]
    elif rule.endpoint in PLAN_READ_ENDPOINTS + PLAN_WRITE_ENDPOINTS:
        variants = [(values, "plan_a")]
    elif rule.endpoint == "live.judge":
        variants = [(values, "live_judge")]
    elif rule.endpoint in LIVE_DEVICE_ENDPOINTS:
        variants = [(values, "live_team")]
    elif rule.endpoint == "contests.public_detail":
        variants.append(({**values, "slug": w.draft_slug}, "draft"))
    elif rule.endpoint == "leaderboards.contest_leaderboard":
        variants.append(({**values, "contest_id": ids["draft"]}, "draft"))
    elif "round_id" in rule.arguments:
        variants.append(({**values, "round_id": ids["closed_round"]}, ""))
    return [(rule.build(v, append_unknown=False)[1], key) for v, key in variants]


def expected_allowed(endpoint: str, key: str, actor: str) -> bool:
    if not allowed(endpoint_access(endpoint), ROLE_OF[actor]):
        return False
    for endpoints, obj, _label, who in OBJECT_RULES:
        if endpoint in endpoints and obj == key:
            return actor in who
    return True


def _requests(app, w):
    """Every (method, url, endpoint, key): reads first, then writes, log-out last."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for url, key in _variants(rule, w):
                out.append((method, url, rule.endpoint, key))
    # Organisers' writes (archive, delete...) last, so the entrant's writes still meet an open round.
    return sorted(out, key=lambda r: (r[2] == "auth.logout", r[0] != "GET", r[1].startswith("/admin/"), r[1], r[0]))


def _send(client, method, url, token):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        body = {"selected": [], "seq": 1} if "/answers/" in url else {}
        return client.open(url, method=method, json=body, headers={"X-CSRFToken": token})
    return client.open(url, method=method, data={"csrf_token": token})


def _refused(resp, actor) -> bool:
    if actor == "anonymous" and resp.status_code == 302:
        return "/login" in resp.headers["Location"]
    return resp.status_code in (401, 403, 404)


def _leaks(body: str, actor: str, w) -> list[str]:
    found = []
    for subject, values in w.pii.items():
        if subject == actor or subject in PII_VIEWERS.get(actor, set()):
            continue
        found += [f"{subject}:{v}" for v in values if v and v in body]
    return found


@pytest.mark.parametrize("actor", ACTORS)
def test_every_route_for_every_actor_on_real_objects(app, db, make, actor):
    """...and every response (pages, JSON, redirects, errors) carries the security headers."""
    w = build_world(make, db)
    client = app.test_client()
    w.login(client, actor)
    token = csrf_token(client)
    failures, checked, known = [], 0, None
    for method, url, endpoint, key in _requests(app, w):
        may = expected_allowed(endpoint, key, actor)
        # A read refused for the role never reaches the view (access.enforce runs first):
        # the database is compared around every other refused request.
        watch = not may and (method != "GET" or allowed(endpoint_access(endpoint), ROLE_OF[actor]))
        before = (known or table_fingerprint(db)) if watch else None
        known = None
        resp = _send(client, method, url, token)
        checked += 1
        status = resp.status_code
        if status >= 500:
            failures.append(f"{method} {url}: {status}")
        elif may and _refused(resp, actor) and endpoint not in ("auth.login", "api_v1.login"):
            failures.append(f"{method} {url}: refused ({status}) but {actor} may use it")
        elif not may:
            if not _refused(resp, actor):
                failures.append(f"{method} {url}: NOT refused ({status}) for {actor}")
            if watch:
                db.session.expire_all()
                known = table_fingerprint(db)
            if watch and known != before:
                failures.append(f"{method} {url}: refused but changed the database")
        problems = _header_problems(resp)
        if problems:
            failures.append(f"{method} {url} ({status}): {problems}")
        if status == 200 and resp.mimetype in ("text/html", "application/json"):
            leaks = _leaks(resp.get_data(as_text=True), actor, w)
            if leaks:
                failures.append(f"{method} {url}: shows {leaks} to {actor}")
        if endpoint == "auth.logout":
            break
        if endpoint == "auth.logout_everywhere":
            w.login(client, actor)
    assert not failures, "\n".join(failures)
    assert checked > 80


def test_other_peoples_attempts_are_not_found_for_anyone_but_the_owner(app, db, make):
    """IDOR, spelled out: every attempt route refuses every other account with 404, and changes nothing."""
    w = build_world(make, db)
    attempt, aq = w.ids["attempt_in_progress"], w.ids["aq"]
    calls = [("GET", f"/attempts/{attempt}"), ("GET", f"/attempts/{attempt}/result"),
             ("POST", f"/attempts/{attempt}/submit"), ("GET", f"/api/v1/attempts/{attempt}"),
             ("PUT", f"/api/v1/attempts/{attempt}/answers/{aq}"), ("POST", f"/api/v1/attempts/{attempt}/submit"),
             ("GET", f"/api/v1/attempts/{w.ids['attempt_submitted']}/result")]
    for actor in ("participant_b", "manager_a", "organiser", "admin"):
        client = app.test_client()
        w.login(client, actor)
        token = csrf_token(client)
        before = table_fingerprint(db)
        for method, url in calls:
            resp = _send(client, method, url, token)
            assert resp.status_code == 404, f"{actor} {method} {url}: {resp.status_code}"
            assert "Câu hỏi" not in resp.get_data(as_text=True)
        db.session.expire_all()
        assert table_fingerprint(db) == before
    owner = app.test_client()
    w.login(owner, "participant")
    assert owner.get(f"/api/v1/attempts/{attempt}").status_code == 200


def test_a_unit_manager_cannot_read_another_units_people(app, db, make):
    w = build_world(make, db)
    client = app.test_client()
    w.login(client, "manager_b")
    for unit in ("unit_a", "unit_a1"):
        for url in (f"/units/{w.ids[unit]}/members", f"/units/{w.ids[unit]}/rounds/{w.ids['open_round']}/people"):
            resp = client.get(url)
            assert resp.status_code == 403, url
            assert w.users["participant"].full_name not in resp.get_data(as_text=True)
    # ...while their own unit's people (and phone numbers) are theirs to see.
    own = client.get(f"/units/{w.ids['unit_b']}/members").get_data(as_text=True)
    assert w.users["participant_b"].phone in own
