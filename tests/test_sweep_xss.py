"""XSS: every text a user can type renders inert on every page, and exports are formula-safe.

The world's question texts, options, explanations, sources, unit names, blocs,
people's names and positions, contest title/description/rules, round titles,
grant reasons and an audit action all carry a payload.  Every GET route is
walked (as each actor, with the payload and absurd numbers in the query string
too) and the raw HTML must never contain it unescaped, nor any page answer 500.
"""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401
from tests.sweep_world import build_world
from tests.test_sweep_access import _variants

PAYLOAD = '"><img src=x onerror=alert(1)><script>alert(1)</script>{{3*12345}}javascript:alert(1)'
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
DANGEROUS = [
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img src=x", re.I),
    re.compile(r"\"><img", re.I),
    re.compile(r"(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I),
    re.compile(r"37035"),  # {{3*12345}} evaluated by a template
]
# Pages that show the tainted texts to the actor given (each must really show them, escaped).
MUST_SHOW = {
    "organiser": ["/admin/bank", "/admin/bank/{question}", "/admin/bank/{question}/preview",
                  "/admin/bank/{question}/edit", "/admin/contests", "/admin/contests/{contest}",
                  "/admin/contests/{contest}/edit", "/admin/contests/{contest}/rounds/{open_round}/grants",
                  "/admin/units", "/admin/units/{unit_a}", "/units/{unit_a}/members",
                  "/units/{unit_a}/rounds/{open_round}/people", "/contests/{slug}",
                  "/rounds/{open_round}/leaderboard", "/contests/{contest}/leaderboard",
                  "/rounds/{closed_round}/units", "/rounds/{closed_round}/stats", "/contests"],
    "admin": ["/admin/users", "/admin/users/{participant}", "/admin/audit"],
    "participant": ["/attempts/{attempt_in_progress}", "/attempts/{attempt_closed}/result",
                    "/attempts/{attempt_submitted}/result", "/my/rounds", "/account", "/"],
    "anonymous": ["/contests/{slug}", "/rounds/{open_round}/leaderboard", "/register"],
}
HUGE = "9" * 25  # no id column holds it: ignored or 404, never a database error
QUERY = {"q": PAYLOAD, "category": PAYLOAD, "bloc": PAYLOAD, "action": PAYLOAD, "source": PAYLOAD,
         "next": "javascript:alert(1)", "page": HUGE, "unit": HUGE, "area_id": HUGE, "difficulty": HUGE,
         "user_id": HUGE, "date_from": "9999-99-99"}


def _dangerous(body: str) -> list[str]:
    return [p.pattern for p in DANGEROUS if p.search(body)]


@pytest.fixture()
def tainted(app, db, make):
    return build_world(make, db, taint=PAYLOAD)


@pytest.mark.parametrize("actor", ["anonymous", "participant", "manager_a", "organiser", "admin"])
def test_every_page_renders_the_payloads_inert(app, tainted, actor):
    w = tainted
    client = app.test_client()
    w.login(client, actor)
    failures, shown = [], set()
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        for url, _key in _variants(rule, w):
            # the search/filter pages reflect their query: sent once per route by the staff walks
            for query in (None, QUERY) if actor in ("anonymous", "organiser", "admin") else (None,):
                resp = client.get(url, query_string=query)
                if resp.status_code >= 500:
                    failures.append(f"{url} {query and 'q'}: {resp.status_code}")
                if resp.mimetype == "application/json":  # data, never rendered as a page
                    if resp.headers.get("X-Content-Type-Options") != "nosniff":
                        failures.append(f"{url}: JSON without nosniff")
                    continue
                if resp.mimetype != "text/html":
                    continue
                body = resp.get_data(as_text=True)
                bad = _dangerous(body)
                if bad:
                    failures.append(f"{url}{' with query' if query else ''}: {bad}")
                if query is None and resp.status_code == 200 and ESCAPED_SCRIPT in body:
                    shown.add(url)
    assert not failures, "\n".join(failures)
    expected = {u.format(slug=w.slug, **w.ids) for u in MUST_SHOW.get(actor, [])}
    assert expected - shown == set(), "these pages no longer show the texts (the walk proves nothing there)"


def test_the_json_api_returns_the_texts_as_data(app, tainted):
    """JSON is never HTML: the payload comes back verbatim inside a JSON string, served as
    application/json with nosniff; the page's scripts only ever write text (below)."""
    w = tainted
    client = app.test_client()
    w.login(client, "participant")
    resp = client.get(f"/api/v1/attempts/{w.ids['attempt_in_progress']}")
    assert resp.mimetype == "application/json" and resp.headers["X-Content-Type-Options"] == "nosniff"
    texts = [q["text"] for q in resp.get_json()["attempt"]["questions"]]
    assert texts and all(t.startswith(PAYLOAD) for t in texts)


def test_scripts_never_write_html():
    """Our JS puts server data into the page with textContent / option.text only."""
    from pathlib import Path

    import quizapp

    static = Path(quizapp.__file__).parent / "static" / "js"
    sinks = re.compile(r"(innerHTML|outerHTML)\s*=(?!\s*\"\")|insertAdjacentHTML|document\.write|\beval\(|new Function")
    for js in static.glob("*.js"):
        assert not sinks.search(js.read_text(encoding="utf-8")), js.name


FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+SUM(1,2)", "-2+3", "@SUM(1)"]


@pytest.fixture()
def formula_world(app, db, make):
    from quizapp.bank.models import Question
    from quizapp.units.models import Unit

    w = build_world(make, db)
    for i, (key, user) in enumerate(sorted(w.users.items())):
        user.full_name = FORMULAS[i % 4] + f" {key}"

    for i, unit_id in enumerate((w.ids["unit_a"], w.ids["unit_a1"], w.ids["unit_b"], w.ids["unit_b1"])):
        db.session.get(Unit, unit_id).name = FORMULAS[i] + " unit"
    q = db.session.get(Question, w.ids["question"])
    q.text, q.source, q.explanation = FORMULAS[0] + " q", FORMULAS[1] + " s", FORMULAS[3] + " e"
    q.options[0].text = FORMULAS[2] + " o"
    db.session.commit()
    return w


def _cells(resp) -> list[str]:
    if resp.mimetype.startswith("text/csv"):
        return [c for row in csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))) for c in row]
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    return [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_every_export_neutralises_formulas(app, formula_world):
    w = formula_world
    client = app.test_client()
    w.login(client, "organiser")
    urls = [f"/admin/bank/export.{{fmt}}", "/admin/units/export.{fmt}",
            f"/rounds/{w.ids['closed_round']}/export.{{fmt}}", f"/rounds/{w.ids['open_round']}/export.{{fmt}}",
            f"/contests/{w.ids['contest']}/export.{{fmt}}", f"/rounds/{w.ids['closed_round']}/units/export.{{fmt}}"]
    token = csrf_token(client)
    for template in urls:
        for fmt in ("csv", "xlsx"):
            url = template.format(fmt=fmt)
            if url.startswith("/admin/"):
                resp = client.get(url)
            else:  # results exports run as jobs: start one, then download its file
                started = client.post(url, data={"csrf_token": token, "personal": "1"})
                assert started.status_code == 303, url
                resp = client.get(started.headers["Location"] + "/download")
            assert resp.status_code == 200, url
            cells = _cells(resp)
            hits = [c for c in cells if any(f.split("(")[0][:3] in c for f in FORMULAS)]
            assert hits, f"{url}: the tainted texts are not in the export"
            unsafe = [c for c in cells if c and c[0] in "=+-@\t\r"]
            assert unsafe == [], f"{url}: {unsafe}"


def test_gift_export_escapes_gift_syntax(app, db, make):
    from quizapp.auth.models import Role
    from quizapp.bank.formats.gift import read_gift
    from tests.sweep_world import login_as

    text = "Khoản 1 {điều 2} = 3 ~ 4 # ghi chú: <script>alert(1)</script>"
    make.bank_question(text=text, options=["A = B", "{C}", "~D", "E#F"], correct=(0,))
    organiser = make.user(Role.ORGANISER)
    client = app.test_client()
    login_as(client, organiser)
    gift = client.get("/admin/bank/export.gift").get_data(as_text=True)
    assert r"Khoản 1 \{điều 2\} \= 3 \~ 4 \# ghi chú\: <script>alert(1)</script>" in gift
    assert r"=A \= B" in gift and r"~\{C\}" in gift and r"~\~D" in gift and r"~E\#F" in gift
    # and it parses back to the same question (the importer reads what the exporter wrote)
    records = read_gift(gift.encode())
    assert records[0].text == text and [o.text for o in records[0].options] == ["A = B", "{C}", "~D", "E#F"]
