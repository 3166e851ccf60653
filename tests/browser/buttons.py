"""Which state-changing buttons the browser suite must press, and which it pressed.

DEVELOPERS.md: "Press every button in a real browser at least once"; issue 20 item 18: every
state-changing button of the admin, organiser and manager pages is pressed in a real browser at
least once in the suite.  ``tests/browser/conftest.py`` records every POST/PUT/PATCH/DELETE a
browser context sends to the live server; at the end of a run of the whole browser suite
``test_zz_buttons_pressed.py`` maps them to Flask endpoints (``app.url_map``) with the functions
below and fails naming each required endpoint no browser pressed.

The required set is read from the access rules the route sweep uses (tests/test_sweep_access.py:
the role each view declares, narrowed by its OBJECT_RULES): every endpoint accepting a
state-changing method that the sweep's actors may use only as a unit manager, organiser or
admin.  A plans endpoint declared for reform officers counts (the sweep's object rules leave it
to unit A's manager); a live-event judge's or a team device's endpoint does not.
"""
from __future__ import annotations

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STAFF_ACTORS = frozenset({"manager_a", "manager_b", "organiser", "admin"})

# Endpoints a staff member may call that no page button posts to, each with its reason.
# Never add one here to make the check pass: a button the suite does not press yet is *missing*.
EXCLUDED: dict[str, str] = {}


def staff_actors(endpoint: str) -> set[str]:
    """The sweep's actors who may call ``endpoint`` (role, then the object-level rules)."""
    from quizapp.auth.access import allowed, endpoint_access
    from tests.test_sweep_access import ACTORS, OBJECT_RULES, ROLE_OF

    access = endpoint_access(endpoint)
    who = set()
    for actor in ACTORS:
        if not allowed(access, ROLE_OF[actor]):
            continue
        rules = [w for endpoints, _key, _label, w in OBJECT_RULES if endpoint in endpoints]
        if rules and not any(actor in w for w in rules):
            continue
        who.add(actor)
    return who


def required_endpoints(app) -> list[str]:
    """Every endpoint with a state-changing method that only managers, organisers or admins may use."""
    out = set()
    for rule in app.url_map.iter_rules():
        if not (rule.methods or set()) & STATE_CHANGING:
            continue
        who = staff_actors(rule.endpoint)
        if who and who <= STAFF_ACTORS:
            out.add(rule.endpoint)
    return sorted(out - set(EXCLUDED))


def endpoint_of(adapter, method: str, path: str) -> str | None:
    """The endpoint ``method path`` reaches, or None (404/405/redirect)."""
    from werkzeug.exceptions import HTTPException
    from werkzeug.routing import RequestRedirect

    try:
        return adapter.match(path, method=method)[0]
    except (HTTPException, RequestRedirect):
        return None


def report(app, presses: list[dict]) -> dict:
    """{required, pressed: {endpoint: [tests]}, missing, excluded, refused, other}.

    A press counts when the server did not refuse it (no response — a download — or a status
    below 400): a POST that met a CSRF error or a 403 pressed nothing."""
    from urllib.parse import urlsplit

    adapter = app.url_map.bind("127.0.0.1")
    required = required_endpoints(app)
    pressed: dict[str, list[str]] = {}
    refused: dict[str, list[str]] = {}
    for p in presses:
        endpoint = endpoint_of(adapter, p["method"], urlsplit(p["url"]).path)
        if endpoint is None:
            continue
        target = refused if p["status"] is not None and p["status"] >= 400 else pressed
        tests = target.setdefault(endpoint, [])
        if p["test"] not in tests:
            tests.append(p["test"])
    return {
        "required": required,
        "pressed": {e: pressed[e] for e in sorted(pressed) if e in required},
        "missing": [e for e in required if e not in pressed],
        "excluded": EXCLUDED,
        "refused_only": {e: refused[e] for e in sorted(refused) if e in required and e not in pressed},
        "other": sorted(e for e in pressed if e not in required),
    }
