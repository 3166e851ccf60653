"""Contest engine benchmark: start → save answers → submit, against two baselines in the same run.

    .venv/bin/python bench/bench_attempts.py [--entrants 1000] [--warmup 32] [--questions 20] [--concurrency 16]

What it does (everything on 127.0.0.1, bounded in count and time):
1. creates a throwaway PostgreSQL database (``quizapp_bench_<random>``), migrates it with Alembic,
   seeds a published contest with one open round drawing ``--questions`` questions from a bank of
   10 × that many approved questions, and ``--entrants`` + ``--warmup`` entrants;
2. starts the app under gunicorn (sync workers, ``--workers 2 --no-control-socket``) with
   ``QUIZAPP_BENCH=1``, which registers two baseline endpoints served by the same app:
   ``GET /_bench/bare`` (bare JSON) and ``POST /_bench/insert`` (one INSERT + commit, CSRF-checked
   like every POST);
3. logs every entrant in (not timed); warms up (not timed): 200 bare + 200 insert requests, and the
   ``--warmup`` entrants run start → save → submit, so every worker has its connections, prepared
   statements and question content cache, as a running server has;
   then runs the measured phases with a thread pool and http.client: start attempt, save answers
   (every entrant answers every question) and submit, each bracketed by the two baselines (bare,
   insert) measured just before and just after it; a phase's ratios are to the mean of its own
   brackets.  Response bodies are decoded after each phase's clock stops (the load generator
   shares the server's cores);
4. prints a Markdown table (req/s, p50, p99, errors, ratios) and writes JSON to bench/results/;
5. stops gunicorn and drops the database.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import throwaway_db  # noqa: E402

PASSWORD = "bench-password-1"
HOST = "127.0.0.1"


# --- database ---------------------------------------------------------------------------

def create_database() -> tuple[str, callable]:
    return throwaway_db.create_database("quizapp_bench")


def migrate_and_seed(db_url: str, entrants: int, n_questions: int, history: int = 0) -> dict:
    """The bank, the entrants, a published contest whose round ``history + 1`` is open now and,
    before it, ``history`` closed rounds in which every entrant took and submitted an attempt
    (a contest in its later weeks: tables of realistic size, analysed, as in production)."""
    from flask_migrate import upgrade

    import config
    from quizapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(db_url),
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        upgrade()
        from quizapp.auth.models import User
        from quizapp.auth.accounts import hash_password
        from quizapp.bank.models import Option, Question, QuestionStatus, ReformArea
        from quizapp.contests.models import Contest, ContestStatus, Round, RoundQuota
        from quizapp.core.db import db
        from quizapp.units import services as unit_services
        from quizapp.units.models import UnitKind

        area = db.session.scalar(sa.select(ReformArea).where(ReformArea.code == "TC"))
        for i in range(n_questions * 10):
            q = Question(lineage=str(uuid.uuid4()), area_id=area.id, difficulty=1 + i % 3,
                         status=QuestionStatus.APPROVED, text=f"Câu hỏi thử {i}: cải cách thể chế?",
                         explanation="Giải thích", source="NQ 76/NQ-CP", content_hash=uuid.uuid4().hex)
            for j in range(4):
                q.options.append(Option(position=j, text=f"Phương án {j}", is_correct=j == 0))
            db.session.add(q)
        unit = unit_services.create_unit("BENCH", "Đơn vị thử", None, UnitKind.DEPARTMENT, None, entrants)
        db.session.flush()
        pw = hash_password(PASSWORD)
        users = [User(full_name=f"Thí sinh {i}", phone=f"09{i:08d}", unit_id=unit.id, password_hash=pw)
                 for i in range(entrants)]
        db.session.add_all(users)
        now = datetime.now(timezone.utc)
        contest = Contest(slug="bench", title="Bench", status=ContestStatus.PUBLISHED)
        db.session.add(contest)
        db.session.flush()
        past = [Round(contest_id=contest.id, number=k, title=f"Tuần {k}",
                      opens_at=now - timedelta(days=7 * (history - k + 1)),
                      closes_at=now - timedelta(days=7 * (history - k + 1)) + timedelta(days=6),
                      time_limit_seconds=3600, attempts_allowed=1) for k in range(1, history + 1)]
        rnd = Round(contest_id=contest.id, number=history + 1, title=f"Tuần {history + 1}",
                    opens_at=now - timedelta(hours=1), closes_at=now + timedelta(hours=3), time_limit_seconds=3600,
                    attempts_allowed=1)
        for r in (*past, rnd):
            r.quotas.append(RoundQuota(area_id=area.id, difficulty=0, count=n_questions))
        db.session.add_all([*past, rnd])
        db.session.flush()
        _seed_history(past, users, unit.id, n_questions)
        db.session.execute(sa.text("CREATE TABLE bench_rows (id BIGSERIAL PRIMARY KEY, created_at TIMESTAMPTZ)"))
        db.session.commit()
        # Leave nothing for autovacuum to do during the measured phases (the seed inserted
        # thousands of rows), and start them from a fresh checkpoint.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
            conn.execute(sa.text("CHECKPOINT"))
        return {"round_id": rnd.id, "logins": [u.phone for u in users]}


def _seed_history(rounds, users, unit_id, n_questions) -> None:
    """Every entrant's submitted attempt in each past round, with its questions (Core bulk inserts)."""
    from quizapp.attempts.models import Attempt, AttemptQuestion
    from quizapp.bank.models import Option
    from quizapp.core.db import db

    rng = random.Random(7)
    options: dict[int, list[int]] = {}
    for qid, oid in db.session.execute(sa.select(Option.question_id, Option.id).order_by(Option.id)):
        options.setdefault(qid, []).append(oid)
    qids = list(options)
    for rnd in rounds:
        start = rnd.opens_at + timedelta(hours=1)
        attempt_ids = db.session.execute(sa.insert(Attempt.__table__).returning(
            Attempt.__table__.c.id, sort_by_parameter_order=True), [
            {"round_id": rnd.id, "user_id": u.id, "unit_id": unit_id, "category": "civil_servant", "number": 1,
             "status": "submitted", "started_at": start, "deadline_at": start + timedelta(hours=1),
             "submitted_at": start + timedelta(minutes=10), "finish_reason": "submitted",
             "score": rng.randint(0, n_questions), "max_score": n_questions, "duration_ms": 600_000}
            for u in users]).scalars().all()
        rows = []
        for attempt_id in attempt_ids:
            for position, qid in enumerate(rng.sample(qids, n_questions), start=1):
                rows.append({"attempt_id": attempt_id, "question_id": qid, "position": position,
                             "option_order": options[qid], "selected": [options[qid][0]], "answer_seq": 1,
                             "is_correct": True})
        for i in range(0, len(rows), 5000):
            db.session.execute(sa.insert(AttemptQuestion.__table__), rows[i:i + 5000])


# --- HTTP client --------------------------------------------------------------------------

class Client:
    """One entrant: a cookie and a CSRF token, a new connection per request (sync workers close it)."""

    def __init__(self, port: int):
        self.port = port
        self.cookie = ""
        self.token = ""

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict | None, float]:
        status, raw, elapsed = self.request_raw(method, path, body, headers)
        return status, decode(raw), elapsed

    def request_raw(self, method: str, path: str, body=None, headers=None) -> tuple[int, bytes, float]:
        """The response body undecoded: phases decode after their clock stops, so the load
        generator's JSON parsing does not compete with the server for the same cores."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        h = {"Accept": "application/json"}
        if self.cookie:
            h["Cookie"] = self.cookie
        if self.token:
            h["X-CSRFToken"] = self.token
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        t0 = time.perf_counter()
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        raw = resp.read()
        elapsed = time.perf_counter() - t0
        for k, v in resp.getheaders():
            if k.lower() == "set-cookie" and v.startswith("session="):
                self.cookie = v.split(";", 1)[0]
        conn.close()
        return resp.status, raw, elapsed


def decode(raw: bytes):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def login(port: int, login_name: str) -> Client:
    c = Client(port)
    c.token = c.request("GET", "/api/v1/csrf")[1]["csrf_token"]
    status, body, _ = c.request("POST", "/api/v1/login", {"login": login_name, "password": PASSWORD})
    if status != 200:
        raise SystemExit(f"login failed: {status} {body}")
    c.token = c.request("GET", "/api/v1/csrf")[1]["csrf_token"]
    return c


def run_phase(name: str, jobs: list, concurrency: int, expect=(200, 201)) -> dict:
    """Run callables (each returns (status, raw body, seconds)) with a thread pool; time the
    whole phase; decode the bodies once the clock has stopped."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def one(job):
        nonlocal errors
        status, body, elapsed = job()
        with lock:
            latencies.append(elapsed)
            if status not in expect:
                errors += 1
        return body

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, jobs))
    wall = time.perf_counter() - t0
    results = [decode(raw) for raw in results]
    latencies.sort()
    return {
        "phase": name, "requests": len(jobs), "errors": errors, "seconds": wall,
        "rps": len(jobs) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "_results": results,
    }


def mean_phase(phases: list[dict], name: str) -> dict:
    """Several runs of one baseline as one row: requests and errors summed, rates and
    latencies averaged."""
    k = len(phases)
    return {"phase": name, "requests": sum(p["requests"] for p in phases),
            "errors": sum(p["errors"] for p in phases), "rps": sum(p["rps"] for p in phases) / k,
            "p50_ms": sum(p["p50_ms"] for p in phases) / k, "p99_ms": sum(p["p99_ms"] for p in phases) / k}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entrants", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=32,
                    help="extra entrants who run the whole flow before the measured phases (not counted)")
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--history", type=int, default=2,
                    help="closed rounds before the open one, each with every entrant's submitted attempt")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--baseline-requests", type=int, default=2000)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    if not (1 <= args.entrants <= 5000 and 1 <= args.questions <= 50 and 0 <= args.warmup <= 200
            and 0 <= args.history <= 10):
        raise SystemExit("keep it bounded: 1..5000 entrants, 1..50 questions, 0..200 warm-up entrants, "
                         "0..10 past rounds")

    db_url, drop = create_database()
    server = None
    try:
        seed = migrate_and_seed(db_url, args.entrants + args.warmup, args.questions, args.history)
        env = {**os.environ, "DATABASE_URL": db_url, "QUIZAPP_BENCH": "1", "QUIZAPP_CONFIG": "development",
               "SECRET_KEY": uuid.uuid4().hex * 2, "LOGIN_RATE_LIMIT": "100000 per minute",
               "LOGIN_IP_RATE_LIMIT": "100000 per minute", "DB_POOL_SIZE": "4"}
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(args.workers),
               "--no-control-socket", "--bind", f"{HOST}:{args.port}", "--log-level", "warning", "wsgi:app"]
        server = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.time() + 30
        while True:
            try:
                if Client(args.port).request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("gunicorn did not come up")
            time.sleep(0.2)

        with ThreadPoolExecutor(max_workers=8) as pool:
            clients = list(pool.map(lambda name: login(args.port, name), seed["logins"]))
        rid = seed["round_id"]
        warm, clients = clients[:args.warmup], clients[args.warmup:]
        probe = clients[0]
        n = args.baseline_requests
        c = args.concurrency

        def bare_jobs(count):
            return [lambda: probe.request_raw("GET", "/_bench/bare")] * count

        def insert_jobs(count):
            return [lambda: probe.request_raw("POST", "/_bench/insert", {})] * count

        def start_jobs(entrants):
            return [lambda cl=cl: cl.request_raw("POST", f"/api/v1/rounds/{rid}/attempts") for cl in entrants]

        def save_jobs(entrants, attempts, rng):
            jobs = []
            for cl, at in zip(entrants, attempts):
                for i, q in enumerate(at["questions"]):
                    opt = rng.choice(q["options"])["id"]
                    jobs.append(lambda cl=cl, at=at, q=q, opt=opt, seq=i + 1: cl.request_raw(
                        "PUT", f"/api/v1/attempts/{at['id']}/answers/{q['id']}", {"selected": [opt], "seq": seq}))
            rng.shuffle(jobs)
            return jobs

        def submit_jobs(entrants, attempts):
            return [lambda cl=cl, at=at: cl.request_raw("POST", f"/api/v1/attempts/{at['id']}/submit",
                                                        {"prediction": 42})
                    for cl, at in zip(entrants, attempts)]

        # Warm-up, not counted: every endpoint of the flow runs on every worker first
        # (connection pools, prepared statements, the question content cache).
        if warm:
            run_phase("warm-up", bare_jobs(200) + insert_jobs(200), c)
            warm_attempts = [r["attempt"] for r in run_phase("warm-up", start_jobs(warm), c)["_results"]]
            run_phase("warm-up", save_jobs(warm, warm_attempts, random.Random(2)), c)
            run_phase("warm-up", submit_jobs(warm, warm_attempts), c)

        # Every engine phase is bracketed by the two baselines, measured right before and
        # right after it, so a machine that speeds up or slows down during the run (a
        # shared VM does) moves a phase and its own baselines together.
        def baselines():
            return run_phase("bare", bare_jobs(n), c), run_phase("insert", insert_jobs(n), c)

        brackets = [baselines()]
        start = run_phase("start", start_jobs(clients), c)
        attempts = [r["attempt"] for r in start["_results"]]
        brackets.append(baselines())
        save = run_phase("save", save_jobs(clients, attempts, random.Random(1)), c)
        unsaved = sum(1 for body in save["_results"] if not (body and body.get("saved")))
        brackets.append(baselines())
        submit = run_phase("submit", submit_jobs(clients, attempts), c)
        brackets.append(baselines())
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        drop()

    engine = [(start, 0), (save, 1), (submit, 2)]  # (phase, index of the bracket before it)
    bare = mean_phase([b for b, _ in brackets], "bare JSON (baseline, mean of 4)")
    insert = mean_phase([i for _, i in brackets], "one INSERT + commit (baseline, mean of 4)")
    rows = [dict(bare, ratio_bare=1.0, ratio_insert=bare["rps"] / insert["rps"],
                 ratio_p99=bare["p99_ms"] / insert["p99_ms"]),
            dict(insert, ratio_bare=insert["rps"] / bare["rps"], ratio_insert=1.0, ratio_p99=1.0)]
    for phase, k in engine:
        ref_bare = mean_phase([brackets[k][0], brackets[k + 1][0]], "")
        ref_insert = mean_phase([brackets[k][1], brackets[k + 1][1]], "")
        rows.append(dict(phase, ratio_bare=phase["rps"] / ref_bare["rps"],
                         ratio_insert=phase["rps"] / ref_insert["rps"],
                         ratio_p99=phase["p99_ms"] / ref_insert["p99_ms"],
                         ref_insert_rps=ref_insert["rps"], ref_insert_p99_ms=ref_insert["p99_ms"]))
    print(f"\nentrants={args.entrants} (+{args.warmup} warm-up) questions={args.questions} "
          f"concurrency={args.concurrency} workers={args.workers} (sync)  unsaved answers: {unsaved}\n")
    print("Engine phases are divided by the baselines measured just before and just after them.\n")
    print("| phase | requests | errors | req/s | p50 ms | p99 ms | req/s ÷ bare | req/s ÷ insert | p99 ÷ insert p99 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['phase']} | {r['requests']} | {r['errors']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {r['ratio_bare']:.2f} | {r['ratio_insert']:.2f} | {r['ratio_p99']:.2f} |")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"attempts-{stamp}.json").write_text(json.dumps(
        {"args": vars(args), "unsaved": unsaved,
         "rows": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
