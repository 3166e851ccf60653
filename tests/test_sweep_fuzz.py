"""Malformed input never breaks the app: property-based tests with Hypothesis.

Random JSON bodies (wrong types, huge and non-finite numbers, deep nesting,
odd unicode, NUL characters, missing fields) and bogus ids go to every JSON API
endpoint; random values go to every field of the main forms (register, login,
contest builder, round builder, bank editor, unit import).  The app must never
answer 500, and a refused request (4xx) must leave every table as it was.
Examples are bounded so the whole file stays within a few seconds per test.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sweep_world import build_world, table_fingerprint

FUZZ = settings(max_examples=50, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from(["", " ", "\x00", "a\x00b", "NaN", "Infinity", "-1", "1e309", "0x10", "٣", "𝟘", "\u202e",
                     "Nguyễn Văn A", "' OR 1=1 --", "%s%s%n", "../../etc/passwd", "<script>", "9" * 400]),
)
numbers = st.one_of(st.integers(min_value=-(2**80), max_value=2**80), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30]))
leaves = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                      max_leaves=12)
API_FIELDS = ("selected", "seq", "prediction", "auto", "login", "password")
bodies = st.one_of(
    st.fixed_dictionaries({}, optional={k: values for k in API_FIELDS}),
    values,
    st.builds(lambda ids, seq: {"selected": ids, "seq": seq}, st.lists(numbers, max_size=6), numbers),
)
raw_bodies = st.one_of(st.binary(max_size=300), st.sampled_from([b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000,
                                                                  b"\xff\xfe", b"{\"seq\": NaN}", b"{\"seq\": 1e999}"]))
bogus_ids = st.one_of(st.integers(min_value=0, max_value=2**31), st.sampled_from([2**31, 2**63, 10**25]))


@pytest.fixture()
def fuzz_world(app, db, make):
    from quizapp.extensions import limiter

    w = build_world(make, db)
    limiter.enabled = False  # throttling would turn the later examples into 429s
    yield w
    limiter.enabled = True


class Checker:
    """Sends one request and checks: no 500, and a refused request changed nothing."""

    def __init__(self, db):
        self.db, self.known = db, None

    def __call__(self, client, method, url, **kwargs):
        before = self.known or table_fingerprint(self.db)
        resp = client.open(url, method=method, **kwargs)
        assert resp.status_code < 500, f"{method} {url} {kwargs}: {resp.status_code}"
        self.db.session.expire_all()
        after = table_fingerprint(self.db)
        if resp.status_code >= 400:
            assert after == before, f"{method} {url} {kwargs}: refused ({resp.status_code}) but changed rows"
        self.known = after
        return resp


def _api_client(app, w, actor="participant"):
    client = app.test_client()
    w.login(client, actor)
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    return client, {"X-CSRFToken": token}


def _api_urls(w, attempt_id, aq_id, round_id):
    return [("POST", "/api/v1/login"), ("POST", f"/api/v1/rounds/{round_id}/attempts"),
            ("GET", f"/api/v1/attempts/{attempt_id}"), ("PUT", f"/api/v1/attempts/{attempt_id}/answers/{aq_id}"),
            ("POST", f"/api/v1/attempts/{attempt_id}/submit"), ("GET", f"/api/v1/attempts/{attempt_id}/result"),
            ("GET", "/api/v1/rounds")]


def test_json_api_survives_random_bodies(app, db, fuzz_world):
    w = fuzz_world
    client, headers = _api_client(app, w)
    check = Checker(db)
    real = st.sampled_from([w.ids["attempt_in_progress"], w.ids["attempt_submitted"]])

    @FUZZ
    @given(endpoint=st.integers(0, 6), attempt_id=real, body=bodies)
    def run(endpoint, attempt_id, body):
        method, url = _api_urls(w, attempt_id, w.ids["aq"], w.ids["open_round"])[endpoint]
        resp = check(client, method, url, data=json.dumps(body, allow_nan=True), headers=headers,
                     content_type="application/json")
        if resp.status_code >= 400:
            assert set(resp.get_json()["error"]) >= {"code", "message"}

    run()


def test_json_api_survives_raw_bytes_and_bogus_ids(app, db, fuzz_world):
    w = fuzz_world
    client, headers = _api_client(app, w)
    check = Checker(db)

    @FUZZ
    @given(endpoint=st.integers(0, 6), attempt_id=bogus_ids, aq_id=bogus_ids, round_id=bogus_ids, raw=raw_bodies,
           content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]))
    def run(endpoint, attempt_id, aq_id, round_id, raw, content_type):
        method, url = _api_urls(w, attempt_id, aq_id, round_id)[endpoint]
        check(client, method, url, data=raw, headers=headers, content_type=content_type)

    run()


def test_the_answer_slot_refuses_every_malformed_selection(app, db, fuzz_world):
    """The hot path: only a list of the question's own option ids is ever stored."""
    from quizapp.attempts.models import AttemptQuestion

    w = fuzz_world
    client, headers = _api_client(app, w)
    url = f"/api/v1/attempts/{w.ids['attempt_in_progress']}/answers/{w.ids['aq']}"
    from quizapp.attempts.option_ids import OptionIds

    aq = db.session.get(AttemptQuestion, w.ids["aq"])
    stored_ids = set(aq.option_order)
    ids = OptionIds(aq.attempt_id)
    shown = {ids.shown(oid) for oid in stored_ids}  # the ids the entrant sees
    check = Checker(db)

    @FUZZ
    @given(selected=st.one_of(values, st.lists(st.sampled_from(sorted(shown)) | numbers, max_size=5)),
           seq=st.one_of(numbers, texts, st.integers(1, 10**6)))
    def run(selected, seq):
        resp = check(client, "PUT", url, data=json.dumps({"selected": selected, "seq": seq}, allow_nan=True),
                     headers=headers, content_type="application/json")
        db.session.expire_all()
        stored = db.session.get(AttemptQuestion, w.ids["aq"]).selected or []
        assert set(stored) <= stored_ids
        if resp.status_code == 200:
            assert sorted(resp.get_json()["selected"]) == sorted(ids.shown(oid) for oid in stored)

    run()


# --- forms ----------------------------------------------------------------------------------------

_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


def _form_fields(client, url) -> list[str]:
    html = client.get(url).get_data(as_text=True)
    return sorted(set(_FIELD.findall(html)) - {"csrf_token", "next"})


FORMS = [
    ("anonymous", "/register", "/register"),
    ("anonymous", "/login", "/login"),
    ("organiser", "/admin/contests/new", "/admin/contests/new"),
    ("organiser", "/admin/contests/{contest}/rounds/new", "/admin/contests/{contest}/rounds/new"),
    ("organiser", "/admin/contests/{contest}/edit", "/admin/contests/{contest}/edit"),
    ("organiser", "/admin/bank/new", "/admin/bank/new"),
    ("organiser", "/admin/bank/{question}/edit", "/admin/bank/{question}/edit"),
    ("organiser", "/admin/units/new", "/admin/units/new"),
    ("participant", "/account", "/account"),
    ("admin", "/admin/users/{participant_b}", "/admin/users/{participant_b}"),
]
form_values = st.one_of(texts, numbers.map(str), st.sampled_from(["0", "1", "y", "on", "2025-02-30", "31/12/1899",
                                                                   "9999-12-31", "-5", "1.5", "1e9"]))


@pytest.mark.parametrize("actor,page,target", FORMS, ids=[f[1] for f in FORMS])
def test_main_forms_survive_random_values(app, db, fuzz_world, actor, page, target):
    w = fuzz_world
    client = app.test_client()
    w.login(client, actor)
    page, target = page.format(**w.ids), target.format(**w.ids)
    fields = _form_fields(client, page)
    assert fields, page
    from tests.conftest import csrf_token

    token = csrf_token(client, page)
    check = Checker(db)

    @settings(FUZZ, max_examples=15)
    @given(data=st.dictionaries(st.sampled_from(fields), st.one_of(form_values, st.lists(form_values, max_size=3)),
                                max_size=len(fields)))
    def run(data):
        check(client, "POST", target, data={**data, "csrf_token": token})

    run()


def test_unit_and_bank_imports_survive_random_files(app, db, fuzz_world):
    w = fuzz_world
    client = app.test_client()
    w.login(client, "organiser")
    from tests.conftest import csrf_token

    token = csrf_token(client, "/admin/bank/import")
    check = Checker(db)
    csv_rows = st.lists(st.lists(texts, min_size=1, max_size=8), min_size=1, max_size=6).map(
        lambda rows: "\n".join(",".join(json.dumps(c, ensure_ascii=False) for c in r) for r in rows).encode())
    contents = st.one_of(st.binary(max_size=2000), csv_rows,
                         csv_rows.map(lambda b: "ma,ten,cap_tren\n".encode() + b),
                         csv_rows.map(lambda b: "Lĩnh vực,Câu hỏi,Phương án A,Phương án B,Đáp án\n".encode() + b))

    @settings(FUZZ, max_examples=40)
    @given(url=st.sampled_from(["/admin/units/import", "/admin/bank/import"]), content=contents,
           name=st.sampled_from(["a.csv", "a.xlsx", "a.gift", "a.txt", "a.yaml", "a.yml", "a", "a.CSV", ".csv"]),
           area=st.sampled_from(["0", "1", "999999", "x", ""]), status=st.sampled_from(["draft", "approved", "x"]))
    def run(url, content, name, area, status):
        check(client, "POST", url, content_type="multipart/form-data",
              data={"csrf_token": token, "file": (io.BytesIO(content), name), "default_area_id": area,
                    "status": status})

    run()


@pytest.mark.parametrize("method,url,kwargs", [
    ("GET", "/admin/users", {"query_string": {"q": "a\x00b"}}),
    ("GET", "/admin/bank", {"query_string": {"source": "\x00"}}),
    ("GET", "/units/search.json", {"query_string": {"q": "\x00"}}),
    ("POST", "/api/v1/login", {"json": {"login": "\x00", "password": "x"}}),
    ("POST", "/register", {"data": {"full_name": "Nguyễn\x00", "phone": "0912000000"}}),
    ("POST", "/login", {"data": {"login": "0912\x00", "password": "x"}}),
])
def test_nul_characters_are_refused_with_a_clear_message(app, db, fuzz_world, method, url, kwargs):
    """PostgreSQL text cannot hold NUL: a 400 with a message, on both backends, before any query."""
    w = fuzz_world
    client = app.test_client()
    w.login(client, "admin" if url.startswith("/admin") else "anonymous")
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]
    if "data" in kwargs:
        kwargs = {"data": {**kwargs["data"], "csrf_token": token}}
    resp = Checker(db)(client, method, url, headers={"X-CSRFToken": token}, **kwargs)
    assert resp.status_code == 400
    body = resp.get_data(as_text=True)
    assert "ký tự không được phép" in (resp.get_json()["error"]["message"] if resp.is_json else body)
