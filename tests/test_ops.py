"""The live operations view and /metrics: what organisers see of a running round, who may read it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from quizapp.auth.models import Role
from quizapp.core.db import utcnow
from quizapp.ops import metrics, services
from tests.test_attempts_api import Api, contest_round, key_of, start  # noqa: F401 - fixture


def _count(group, status):
    return sum(s.value for f in metrics.registry().collect() for s in f.samples
               if s.name == "quizapp_requests_total" and s.labels == {"group": group, "status": status})


def _observations(group):
    return sum(s.value for f in metrics.registry().collect() for s in f.samples
               if s.name == "quizapp_request_duration_seconds_count" and s.labels == {"group": group})


def test_engine_requests_are_counted_with_their_status_and_time(client, make, db, contest_round):
    api = Api(client)
    api.login(make.user())
    saves, seconds, refused = _count("save", "2xx"), _observations("save"), _count("save", "4xx")
    attempt = start(api, contest_round)
    q = attempt["questions"][0]
    assert api.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}", {"selected": [], "seq": 5}).status_code == 200
    assert api.put(f"/api/v1/attempts/{attempt['id']}/answers/999999", {"selected": [], "seq": 6}).status_code == 404
    assert _count("save", "2xx") == saves + 1 and _count("save", "4xx") == refused + 1
    assert _observations("save") == seconds + 2


def test_the_p95_is_the_bucket_that_holds_the_95th_percentile():
    then = {"0.01": 0, "0.05": 0, "0.1": 0, "+Inf": 0}
    now = {"0.01": 50, "0.05": 94, "0.1": 99, "+Inf": 100}
    assert services._p95_ms(now, then) == 100  # 95 of 100 took ≤ 100 ms
    assert services._p95_ms(then, then) is None


def test_the_live_view_shows_each_running_round_for_organisers_only(client, auth, make, db, contest_round):
    from quizapp.attempts.start import start_attempt

    now = utcnow()
    start_attempt(contest_round.id, make.user())  # in progress
    start_attempt(contest_round.id, make.user(), now=now - timedelta(hours=2))  # overdue: 20 min limit
    db.session.commit()
    auth.login(make.user())
    assert client.get("/ops").status_code == 403 and client.get("/ops/figures").status_code == 403
    auth.logout()
    auth.login(make.user(role=Role.ORGANISER))
    html = client.get("/ops").get_data(as_text=True)
    assert contest_round.title in html and "js/ops.js" in html and "<script>" not in html
    figures = client.get("/ops/figures").get_json()
    [r] = figures["rounds"]
    assert r["id"] == contest_round.id and r["in_progress"] == 1 and r["overdue"] == 1
    assert 100 * 60 - 30 < r["finalize_lag_seconds"] < 100 * 60 + 30  # overdue since its deadline 100 min ago
    assert set(figures["requests"]["groups"]) >= {"start", "save", "submit"} and figures["queue_depth"] == 0
    assert set(figures["requests"]["groups"]["save"]) >= {"per_minute", "p95_ms"}


@pytest.mark.parametrize("setting, header, expected", [
    ({}, None, 404),
    ({"METRICS_TOKEN": "s3cret-token"}, None, 404),
    ({"METRICS_TOKEN": "s3cret-token"}, "Bearer wrong", 404),
    ({"METRICS_TOKEN": "s3cret-token"}, "Bearer s3cret-token", 200),
    ({"METRICS_ALLOW_FROM": "10.0.0.0/8"}, None, 404),
    ({"METRICS_ALLOW_FROM": "10.0.0.0/8, 127.0.0.1"}, None, 200),
])
def test_metrics_are_protected_and_in_prometheus_text_format(app, client, monkeypatch, setting, header, expected):
    for key in ("METRICS_TOKEN", "METRICS_ALLOW_FROM"):
        monkeypatch.setitem(app.config, key, setting.get(key, ""))
    client.get("/")  # at least one request counted
    resp = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert resp.status_code == expected
    if expected == 200:
        text = resp.get_data(as_text=True)
        assert resp.mimetype == "text/plain"
        assert 'quizapp_requests_total{group="page",status="2xx"}' in text
        assert "quizapp_request_duration_seconds_bucket" in text or "# TYPE quizapp_request_duration_seconds" in text
        assert "quizapp_job_queue_depth 0.0" in text


def test_metrics_add_up_every_gunicorn_worker(app, database_url, tmp_path):
    """Multiprocess mode: requests answered by two gunicorn workers are all in one /metrics."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, QUIZAPP_CONFIG="development", DATABASE_URL=database_url, METRICS_TOKEN="t0k3n",
               PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"), GUNICORN_BIND=f"127.0.0.1:{port}",
               GUNICORN_WORKERS="2", JOBS_DIR=str(tmp_path / "jobs"))
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "--no-control-socket",
                               "wsgi:app"], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/login", timeout=2).read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        from concurrent.futures import ThreadPoolExecutor

        def fetch(_):
            urllib.request.urlopen(base + "/login", timeout=10).read()

        sent = 1
        with ThreadPoolExecutor(8) as pool:  # concurrent, until both workers have answered some
            for _ in range(20):
                list(pool.map(fetch, range(40)))
                sent += 40
                pids = {p.name for p in (tmp_path / "metrics").iterdir() if p.name.startswith("counter_")}
                if len(pids) >= 2:
                    break
        req = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer t0k3n"})
        text = urllib.request.urlopen(req, timeout=5).read().decode()
        line = next(ln for ln in text.splitlines() if ln.startswith('quizapp_requests_total{group="page",status="2xx"}'))
        assert float(line.split()[-1]) >= sent
        assert len({p.split("_")[-1] for p in pids}) >= 2, pids  # files of two workers were added up
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_grafana_dashboard_reads_only_metrics_the_app_exports():
    import json
    import re
    from pathlib import Path

    dash = json.loads((Path(__file__).resolve().parents[1] / "deploy" / "grafana-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    names = set(re.findall(r"quizapp_[a-z_]+", " ".join(exprs)))
    assert names == {"quizapp_requests_total", "quizapp_request_duration_seconds_bucket",
                     "quizapp_round_attempts_in_progress", "quizapp_round_finalize_lag_seconds",
                     "quizapp_job_queue_depth"}


def test_the_organiser_pages_listing_rounds_read_them_with_their_contests_at_once(client, auth, make, db):
    """The live view and the statistics index show each round's contest: the number of statements does
    not grow with the number of rounds (no query per row)."""
    import sqlalchemy as sa

    for _ in range(5):
        make.question()
    closed = utcnow() - timedelta(days=2)

    def statements(path, add):
        add()
        db.session.commit()
        db.session.expire_all()  # nothing already loaded helps the page
        seen = []
        listener = lambda *a: seen.append(a[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    auth.login(make.user(role=Role.ORGANISER))
    for path, add in (("/ops", lambda: make.round(quotas=(("TC", 0, 1),))),
                      ("/admin/stats", lambda: make.round(quotas=(("TC", 0, 1),), opens_at=closed - timedelta(days=1),
                                                          closes_at=closed))):
        one = statements(path, add)
        for _ in range(3):
            add()
        assert statements(path, add) == one, path
