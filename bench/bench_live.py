"""Live contest (hội thi) benchmark: 30 team devices + 1,000 audience phones on Server-Sent Events,
against two app processes that share Redis pub/sub.

    /work/main/.venv/bin/python bench/bench_live.py [--audience 1000] [--teams 30] [--questions 3]
                                                    [--window 8] [--reconnect 0.1] [--database-url URL]

What it does (Redis and PostgreSQL on 127.0.0.1: a throwaway database, dropped after the run; ``--sqlite``
runs it on a temporary SQLite file instead):
1. migrates a fresh database, loads the demo data (units, bank, accounts) and builds a running event
   with ``--teams`` teams, a knowledge part and an audience part (``--questions`` each);
2. starts TWO gunicorn processes with the gevent worker class (``-k gevent -w 1``, the stream's
   deployment in docs/live.md) on two ports, sharing ``LIVE_REDIS_URL`` (Redis db 7, a key prefix of
   its own): every client is sent to one of them alternately, the MC to the first;
3. joins every team device (its code) and every audience phone (the audience page), then opens one SSE
   stream per device (gevent greenlets in this process, ``http.client``);
4. **latency**: the MC opens each knowledge question (``POST /control {"action": "next"}``); the
   time from just before the MC's request is sent to the moment each device's stream delivers the
   snapshot with that question open, for every device (95th percentile and maximum), against the MC's
   own request round trip as the baseline; then the 30 teams answer and the MC reveals;
5. **answers**: the audience question opens and every phone answers once, spread evenly over
   ``--window`` seconds (inside the 10 s asked for); ``--reconnect`` of them (10 %) drop their stream
   half-way, reconnect with ``Last-Event-ID`` and resend their answer with the same client id (a lost
   response); then the MC closes the question and every stream must show ``audience_count`` =
   the number of phones, and the database must hold exactly one answer per phone;
6. prints Markdown, writes JSON to bench/results/, deletes the Redis keys and the temporary files.

Everything runs on one machine: the load generator (one Python process reading 1,030 streams) shares
the cores with the two servers, so the latencies include the generator's own delay in reading them.
"""
from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from gevent.pool import Pool  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ORGANISER = ("0900000002", "toChuc@2026")
META = re.compile(r'name="csrf-token" content="([^"]+)"')
FORM_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

SETUP = r"""
import json, sys
from flask_migrate import upgrade
import sqlalchemy as sa
from quizapp import create_app
from quizapp.core.db import db
from quizapp.demo import services as demo
from quizapp.live import builder, play
from quizapp.units.models import Unit
app = create_app()
teams, questions = int(sys.argv[1]), int(sys.argv[2])
with app.app_context():
    upgrade()
    demo.load_all()
    db.session.commit()
    event = builder.create_event(builder.EventData("Hội thi benchmark", "bench"), None)
    db.session.flush()
    units = list(db.session.scalars(sa.select(Unit).where(Unit.parent_id.is_not(None)).order_by(Unit.id)))[:teams]
    assert len(units) == teams, f"the demo has only {len(units)} units"
    for u in units:
        builder.add_team(event, u.id, ["Thành viên 1", "Thành viên 2", "Thành viên 3"], None)
    k = builder.add_part(event, builder.PartData("knowledge", "Kiến thức", seconds=30, points=10, speed_bonus=5), None)
    builder.draw_questions(k, None, None, questions, False, None)
    a = builder.add_part(event, builder.PartData("audience", "Khán giả", seconds=30), None)
    builder.draw_questions(a, None, None, questions, False, None)
    play.start(event, None)
    db.session.commit()
    print(json.dumps({"event": event.id, "code": event.audience_code,
                      "teams": [t.join_code for t in event.teams]}))
"""

COUNT = r"""
import json, sys
import sqlalchemy as sa
from quizapp import create_app
from quizapp.core.db import db
from quizapp.live.models import LiveAnswer
app = create_app()
with app.app_context():
    item = int(sys.argv[1])
    rows = db.session.execute(sa.select(LiveAnswer.voter, sa.func.count()).where(LiveAnswer.item_id == item)
                              .group_by(LiveAnswer.voter)).all()
    print(json.dumps({"answers": sum(n for _v, n in rows), "voters": len(rows), "max_per_voter": max((n for _v, n in rows), default=0)}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One device: its cookies, its CSRF token, its stream and what the stream delivered."""

    def __init__(self, name: str, port: int):
        self.name = name
        self.port = port
        self.cookies: dict[str, str] = {}
        self.token = ""
        self.seen: list[tuple[float, int, str, int | None, int | None]] = []  # (t, v, phase, item, audience)
        self.last_id: int | None = None
        self.listener = None
        self.conn = None
        self.reconnects = 0
        self.errors: list[str] = []

    def _headers(self, extra=None) -> dict:
        h = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        h.update(extra or {})
        return h

    def request(self, method: str, path: str, body=None, json_body=None, headers=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = self._headers(headers)
        data = None
        if json_body is not None:
            data = json.dumps(json_body)
            h.update({"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": self.token})
        elif body is not None:
            from urllib.parse import urlencode

            data = urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        for raw in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, resp.headers, payload.decode("utf-8", "replace")

    def listen(self, code: str) -> None:
        """Read the stream until killed; reconnect (with Last-Event-ID) when the server ends it."""
        while True:
            try:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                h = self._headers({"Accept": "text/event-stream"})
                if self.last_id is not None:
                    h["Last-Event-ID"] = str(self.last_id)
                self.conn.request("GET", f"/live/stream/{code}", headers=h)
                resp = self.conn.getresponse()
                data, kind = None, "message"
                while True:
                    line = resp.readline()
                    if not line:
                        break
                    line = line.decode("utf-8").rstrip("\n")
                    if line.startswith("id: "):
                        self.last_id = int(line[4:])
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and kind != "state":  # "answered" (who has answered), pings, retry
                        data, kind = None, "message"
                    elif line == "" and data:
                        t = time.perf_counter()
                        state = json.loads(data)["state"]
                        item = state.get("item") or {}
                        self.seen.append((t, state["v"], state["phase"], item.get("id"),
                                          item.get("audience_count")))
                        data, kind = None, "message"
            except gevent.GreenletExit:
                raise
            except Exception as exc:  # noqa: BLE001
                self.errors.append(repr(exc))
                gevent.sleep(0.5)
            finally:
                try:
                    self.conn.close()
                except Exception:  # noqa: BLE001
                    pass

    def start_listening(self, code: str) -> None:
        self.listener = gevent.spawn(self.listen, code)

    def reconnect(self, code: str) -> None:
        gevent.kill(self.listener)
        self.reconnects += 1
        self.start_listening(code)


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


def wait_for(clients, predicate, timeout: float) -> list:
    """Each client's first delivery after which predicate holds (None if it never came within timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(any(predicate(s) for s in c.seen) for c in clients):
            break
        gevent.sleep(0.02)
    return [next((s for s in c.seen if predicate(s)), None) for c in clients]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audience", type=int, default=1000)
    ap.add_argument("--teams", type=int, default=30)
    ap.add_argument("--questions", type=int, default=3)
    ap.add_argument("--window", type=float, default=8.0, help="seconds over which the audience answers (≤ 10)")
    ap.add_argument("--reconnect", type=float, default=0.10, help="share of phones that reconnect mid-question")
    ap.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/7")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="quizapp-bench-live-"))
    drop = lambda: None  # noqa: E731
    if args.sqlite:
        database_url = f"sqlite:///{work / 'live.sqlite3'}"
    else:
        sys.path.insert(0, str(ROOT))
        from bench.throwaway_db import create_database

        database_url, drop = create_database("quizapp_bench_live")
    prefix = f"benchlive{uuid.uuid4().hex[:8]}:"
    env = {**os.environ, "QUIZAPP_CONFIG": "production", "SECRET_KEY": "bench-live-secret-key-0123456789abcdef0",
           "SESSION_COOKIE_SECURE": "0", "DATABASE_URL": database_url, "PUBLIC_BASE_URL": "http://127.0.0.1",
           "LIVE_REDIS_URL": args.redis, "LIVE_REDIS_PREFIX": prefix, "LIVE_DEVICE_RATE_LIMIT": "10000 per minute",
           "LIVE_AUDIENCE_JOIN_RATE_LIMIT": "100000 per minute", "LIVE_JOIN_RATE_LIMIT": "10000 per minute",
           "LOGIN_RATE_LIMIT": "1000 per minute", "LOGIN_IP_RATE_LIMIT": "1000 per minute",
           "RATELIMIT_STORAGE_URI": "memory://", "JOBS_DIR": str(work / "jobs"),
           "JOBS_SQLITE_PATH": str(work / "queue.sqlite3"), "LIVE_STREAM_MAX_SECONDS": "3600"}
    env.pop("REDIS_URL", None)
    print("setting up the database and the event…", flush=True)
    done = subprocess.run([sys.executable, "-c", SETUP, str(args.teams), str(args.questions)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        print(done.stderr[-3000:])
        return 1
    setup = json.loads(done.stdout.strip().splitlines()[-1])
    event_id, code = setup["event"], setup["code"]
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen([str(BIN / "gunicorn"), "-k", "gevent", "-w", "1", "--worker-connections", "3000",
                                 "--graceful-timeout", "3", "--bind", f"127.0.0.1:{p}", "--no-control-socket",
                                 "--timeout", "60", "wsgi:app"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=open(work / f"server-{p}.log", "w"))
               for p in ports]
    results: dict = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "args": vars(args),
                     "load_before": os.getloadavg()[0]}
    try:
        for p in ports:
            for _ in range(200):
                try:
                    Client("probe", p).request("GET", "/healthz", timeout=2)
                    break
                except OSError:
                    time.sleep(0.1)
        # --- devices join -----------------------------------------------------------------------
        mc = Client("mc", ports[0])
        _s, _h, page = mc.request("GET", "/login")
        status, _h, _b = mc.request("POST", "/login", body={"login": ORGANISER[0], "password": ORGANISER[1],
                                                            "csrf_token": FORM_TOKEN.search(page).group(1)})
        assert status == 302, f"MC login: {status}"
        _s, _h, page = mc.request("GET", f"/live/events/{event_id}/mc")
        mc.token = META.search(page).group(1)

        teams = [Client(f"team{n}", ports[n % 2]) for n in range(args.teams)]
        audience = [Client(f"phone{n}", ports[n % 2]) for n in range(args.audience)]

        def join_team(pair):
            client, team_code = pair
            _s, _h, page = client.request("GET", "/live/team")
            status, headers, _b = client.request("POST", "/live/team", body={
                "code": team_code, "csrf_token": FORM_TOKEN.search(page).group(1)})
            assert status == 302, f"team join {status}"
            _s, _h, page = client.request("GET", f"/live/events/{event_id}/device")
            client.token = META.search(page).group(1)

        def join_audience(client):
            _s, _h, page = client.request("GET", f"/live/a/{code}")
            client.token = META.search(page).group(1)

        t0 = time.perf_counter()
        pool = Pool(50)
        pool.map(join_team, list(zip(teams, setup["teams"])))
        pool.map(join_audience, audience)
        results["join_seconds"] = round(time.perf_counter() - t0, 1)
        everyone = teams + audience
        for c in everyone:
            c.start_listening(code)
            gevent.sleep(0.002)
        connected = wait_for(everyone, lambda s: True, 60)
        results["streams"] = sum(1 for s in connected if s)
        print(f"{results['streams']} streams connected (joins took {results['join_seconds']} s)", flush=True)
        gevent.sleep(float(os.environ.get("BENCH_PAUSE", "0")))

        def control(action: str) -> float:
            start = time.perf_counter()
            status, _h, body = mc.request("POST", f"/live/events/{event_id}/control", json_body={"action": action})
            assert status == 200, f"control {action}: {status} {body[:200]}"
            return start

        def current_item() -> tuple[int, list[int]]:
            item = json.loads(mc.request("GET", f"/live/events/{event_id}/state")[2])["item"]
            return item["id"], [o["id"] for o in item["options"]]

        # --- latency: the MC opens each knowledge question -----------------------------------
        control("next")  # lobby → the knowledge part's title
        gevent.sleep(1)
        latency_runs = []
        for q in range(args.questions):
            before = max(s[1] for c in everyone for s in c.seen[-1:])
            start = control("next")  # the question opens
            rtt = time.perf_counter() - start
            firsts = wait_for(everyone, lambda s, b=before: s[1] > b and s[2] == "open", 30)
            lat = [(s[0] - start) * 1000 for s in firsts if s]
            missing = sum(1 for s in firsts if s is None)
            item, choices = current_item()
            latency_runs.append({"question": q + 1, "p50_ms": round(statistics.median(lat), 1),
                                 "p95_ms": round(pct(lat, 0.95), 1), "max_ms": round(max(lat), 1),
                                 "mc_request_ms": round(rtt * 1000, 1), "missing": missing})
            print(f"question {q + 1}: p95 {latency_runs[-1]['p95_ms']} ms, max {latency_runs[-1]['max_ms']} ms, "
                  f"MC request {latency_runs[-1]['mc_request_ms']} ms, missing {missing}", flush=True)

            def team_answer(client, item=item, choices=choices):
                status, _h, body = client.request("POST", f"/live/events/{event_id}/device/answer", json_body={
                    "item_id": item, "option_id": random.choice(choices), "client_id": uuid.uuid4().hex})
                if status != 200:
                    client.errors.append(f"answer {status} {body[:120]}")

            Pool(30).map(team_answer, teams)
            control("reveal")
            gevent.sleep(0.5)
        results["latency"] = latency_runs

        # --- answers: the audience question ----------------------------------------------------
        for _ in range(10):
            state = json.loads(mc.request("GET", f"/live/events/{event_id}/state")[2])
            if state["phase"] == "open" and state["part"]["kind"] == "audience":
                break
            control("next")
            gevent.sleep(0.3)
        item = state["item"]["id"]
        options = [o["id"] for o in state["item"]["options"]]
        reconnecting = set(random.sample(range(len(audience)), int(len(audience) * args.reconnect)))
        outcome = {"ok": 0, "resent_ok": 0, "refused": [], "client_ms": [], "retries": 0, "timeouts": 0}

        def vote(n: int) -> None:
            client = audience[n]
            gevent.sleep(args.window * n / len(audience))
            cid = uuid.uuid4().hex
            body = {"item_id": item, "option_id": random.choice(options), "client_id": cid}
            start = time.perf_counter()

            def send():
                try:
                    return client.request("POST", f"/live/a/{code}/vote", json_body=body)
                except OSError:  # no answer in 30 s: resent with the same id, as live.js does
                    outcome["timeouts"] += 1
                    return 0, None, ""

            status, _h, text = send()
            for _retry in range(6):  # a busy server (503) or a timeout: the same id again
                if status not in (0, 503, 429):
                    break
                outcome["retries"] += 1
                gevent.sleep(0.5)
                status, _h, text = send()
            outcome["client_ms"].append((time.perf_counter() - start) * 1000)
            if status == 200:
                outcome["ok"] += 1  # recorded now, or by a send whose answer timed out (recorded: false)
            else:
                outcome["refused"].append(f"{status} {text[:100]}")
            if n in reconnecting:  # the stream drops, the phone reconnects and resends (a lost response)
                client.reconnect(code)
                status, _h, text = client.request("POST", f"/live/a/{code}/vote", json_body=body)
                if status == 200 and not json.loads(text)["recorded"]:
                    outcome["resent_ok"] += 1
                else:
                    outcome["refused"].append(f"resend {status} {text[:100]}")

        t_open = time.perf_counter()
        gevent.joinall([gevent.spawn(vote, n) for n in range(len(audience))])
        answer_seconds = time.perf_counter() - t_open
        close_start = control("close")
        closed = wait_for(everyone, lambda s: s[2] == "closed" and s[3] == item and s[4] is not None, 30)
        counts = [s[4] for s in closed if s]
        close_lat = [(s[0] - close_start) * 1000 for s in closed if s]
        check = subprocess.run([sys.executable, "-c", COUNT, str(item)], cwd=ROOT, env=env, capture_output=True,
                               text=True)
        stored = json.loads(check.stdout.strip().splitlines()[-1])
        results["answers"] = {
            "phones": len(audience), "sent_in_seconds": round(answer_seconds, 2), "recorded_first_time": outcome["ok"],
            "reconnected": len(reconnecting), "resends_recognised": outcome["resent_ok"],
            "refused": len(outcome["refused"]), "resends_after_timeout_or_503": outcome["retries"],
            "client_timeouts": outcome["timeouts"], "refusals": outcome["refused"][:5],
            "vote_p95_ms": round(pct(outcome["client_ms"], 0.95), 1), "vote_max_ms": round(max(outcome["client_ms"]), 1),
            "db_answers": stored["answers"], "db_voters": stored["voters"], "db_max_per_voter": stored["max_per_voter"],
            "streams_showing_close": len(counts), "audience_count_shown": sorted(set(counts)),
            "close_p95_ms": round(pct(close_lat, 0.95), 1) if close_lat else None,
            "close_max_ms": round(max(close_lat), 1) if close_lat else None,
        }
        results["stream_errors"] = sum(len(c.errors) for c in everyone)
        from collections import Counter
        results["stream_error_kinds"] = Counter(e[:60] for c in everyone for e in c.errors).most_common(4)
        results["load_after"] = os.getloadavg()[0]
        print(json.dumps(results["answers"], ensure_ascii=False), flush=True)
    except BaseException:
        for p in ports:
            print(f"--- server {p} log (tail) ---\n" + (work / f"server-{p}.log").read_text()[-3000:])
        raise
    finally:
        for s in servers:
            s.terminate()
        for s in servers:
            try:
                s.wait(timeout=15)
            except subprocess.TimeoutExpired:
                s.kill()
        try:
            import redis

            r = redis.Redis.from_url(args.redis)
            for key in r.scan_iter(prefix + "*"):
                r.delete(key)
        except Exception:  # noqa: BLE001
            pass
        shutil.rmtree(work, ignore_errors=True)
        drop()
    results["database"] = "SQLite" if args.sqlite else "PostgreSQL"
    _report(results)
    return 0


def _report(r: dict) -> None:
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"live-{int(time.time())}.json").write_text(json.dumps(r, indent=2, ensure_ascii=False))
    print(f"\n### Live contest, {r['when']} (load {r['load_before']:.2f} → {r.get('load_after', 0):.2f})\n")
    print(f"{r.get('streams')} streams ({r['args']['teams']} teams + {r['args']['audience']} phones), two gunicorn "
          f"gevent processes sharing Redis, {r.get('database')}; joins took {r.get('join_seconds')} s.\n")
    print("| question opened by the MC | p50 ms | p95 ms | max ms | MC request ms (baseline) | p95 ÷ baseline | "
          "max ÷ baseline | missed |")
    print("|---|---|---|---|---|---|---|---|")
    for run in r.get("latency", []):
        print(f"| {run['question']} | {run['p50_ms']} | {run['p95_ms']} | {run['max_ms']} | {run['mc_request_ms']} | "
              f"{run['p95_ms'] / run['mc_request_ms']:.1f} | {run['max_ms'] / run['mc_request_ms']:.1f} | "
              f"{run['missing']} |")
    a = r.get("answers")
    if a:
        print(f"\nAudience question: {a['phones']} phones answered over {a['sent_in_seconds']} s; "
              f"{a['recorded_first_time']} acknowledged ({a['client_timeouts']} sends timed out after 30 s and were resent with the same id), {a['reconnected']} reconnected and resent "
              f"({a['resends_recognised']} recognised as already recorded), {a['refused']} refused; the database "
              f"holds {a['db_answers']} answers from {a['db_voters']} phones (at most {a['db_max_per_voter']} each); "
              f"vote request p95 {a['vote_p95_ms']} ms, max {a['vote_max_ms']} ms; after the close "
              f"{a['streams_showing_close']} streams showed audience_count {a['audience_count_shown']} "
              f"(p95 {a['close_p95_ms']} ms, max {a['close_max_ms']} ms after the MC's close).")
    print(f"Stream errors (reconnects by the client's own loop): {r.get('stream_errors')} {r.get('stream_error_kinds')}")


if __name__ == "__main__":
    sys.exit(main())
