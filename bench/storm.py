"""Deadline storm: thousands of entrants whose attempts all end within the same few minutes,
optionally with a fault in the middle, then PROOF that nothing acknowledged was lost.

    /work/main/.venv/bin/python bench/storm.py --fault none
    /work/main/.venv/bin/python bench/storm.py --fault kill-worker
    /work/main/.venv/bin/python bench/storm.py --fault restart-postgres
    /work/main/.venv/bin/python bench/storm.py --two-instances
    /work/main/.venv/bin/python bench/storm.py --proxy nginx --fault slow-clients --entrants 4000 --background-load 2

What one run does (loopback only, bounded in count and time: 7-9.5 minutes on a shared 2-core machine;
clients still running 90 s after the round closes are abandoned and reported):

1. creates its OWN throwaway PostgreSQL 15 cluster (``pg_createcluster 15 storm<pid>`` on a free port
   from 5433, trust auth; the shared server on 5432 is never touched) and drops it at the end;
   migrates it and seeds one published contest, one round of ``--questions`` questions (bank of 10 ×),
   ``--entrants`` entrants plus a leaderboard probe and a throttle probe;
2. starts the app under gunicorn (sync workers) with ``REDIS_URL=redis://127.0.0.1:6379/<--redis-db>``
   (that database is flushed first: it is the storm's own), so rate limits and leaderboard caches
   are shared by every worker and instance; ``--two-instances`` starts two masters on two ports;
3. logs every entrant in through the API (csrf, login, csrf; not part of the storm);
4. the storm: the round closes ``--close-after`` s (210) after the storm starts, time limit
   ``--time-limit`` s (180), so every deadline falls within the same 30 s; entrants start staggered
   over ``--stagger`` s (60), save one answer per question (≈30 % also change one answer) with think
   times spread over their time, then: 75 % submit in the last 40 s, 10 % let the page submit itself
   at the deadline (``auto``), 5 % submit within the grace period after the deadline, 5 % double-click
   submit (two concurrent submits), 5 % never submit (closed by ``flask rounds finalize``);
   the load generator is one asyncio process speaking raw HTTP/1.1 over asyncio streams;
   clients retry transport errors and 5xx/429 (honouring Retry-After) with the same seq: saves
   and submits are idempotent;
5. the fault, at ``--fault-at`` s (150) into the storm: ``kill-worker`` sends SIGKILL to one
   gunicorn worker (the master respawns it); ``restart-postgres`` runs
   ``pg_ctlcluster 15 storm<pid> restart -m fast`` on the throwaway cluster; ``slow-clients`` keeps
   ``--slow-clients`` (64) connections sending half a request (then a byte every 5 s) for
   ``--slow-for`` s (60), re-opening those the server drops;
   ``--proxy nginx`` puts the shipped recipe (deploy/) in front (clients talk to nginx; the app gets
   ``TRUSTED_PROXY_HOPS=--trusted-proxy-hops`` and times answers by nginx's ``X-Request-Start``);
   ``--background-load N`` runs N busy processes during the whole run (a machine doing other work);
   the report counts answers whose first try left the client in time but were refused ``time_up``;
6. after the round closes: ``flask rounds finalize``, then the proof, straight from the database:
   every acknowledged save is stored with its latest acknowledged value (or a newer seq this client
   sent), every acknowledged submission is graded exactly once (one submitted attempt, one standing
   pointing at it, every question marked, score as acknowledged), every attempt is closed;
7. ``--two-instances`` also proves: an attempt started on instance A is saved and submitted on B;
   failed logins for one account alternated across A and B are throttled at the same total as on one
   instance (``LOGIN_RATE_LIMIT``, default 10 per 5 minutes); a submission made on A appears on B's
   leaderboard within 5 s.

Prints Markdown tables; raw JSON goes to bench/results/storm-*.json (not committed).
Exit status 1 if the proof fails or any request ended in a 500.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import tempfile
import sys
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402

from bench_attempts import PASSWORD, migrate_and_seed  # noqa: E402

from quizapp.attempts.option_ids import OptionIds  # noqa: E402

HOST = "127.0.0.1"
PG_VERSION = "15"
PROBE_NAME = "Người dò bảng xếp hạng"
RETRY_STATUSES = {500, 502, 503, 504}  # 429 is an answer (login throttling), not a fault


# --- throwaway PostgreSQL cluster ----------------------------------------------------------

def free_port(start: int) -> int:
    for port in range(start, start + 50):
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port for the throwaway cluster")


class Cluster:
    """``pg_createcluster 15 storm<pid>``: our own server, safe to restart; dropped at the end."""

    def __init__(self, port: int):
        self.name = f"storm{os.getpid()}"
        self.port = port

    def __enter__(self):
        subprocess.run(["pg_createcluster", PG_VERSION, self.name, "-p", str(self.port), "--", "--auth=trust"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["pg_ctlcluster", PG_VERSION, self.name, "start"], check=True)
        return self

    def restart(self) -> float:
        t0 = time.monotonic()
        subprocess.run(["pg_ctlcluster", PG_VERSION, self.name, "restart", "-m", "fast"], check=True)
        return time.monotonic() - t0

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@{HOST}:{self.port}/{database}"

    def __exit__(self, *exc):
        subprocess.run(["pg_dropcluster", "--stop", PG_VERSION, self.name], check=False)


# --- raw HTTP/1.1 over asyncio streams -------------------------------------------------------

class Stats:
    def __init__(self):
        self.lat: dict[str, list[float]] = defaultdict(list)    # successful tries
        self.tries: Counter = Counter()
        self.outcomes: dict[str, Counter] = defaultdict(Counter)  # kind -> "200", "503", "transport", ...
        self.timeline: dict[int, Counter] = defaultdict(Counter)  # second -> ok/fail
        self.failures: list[tuple[float, str, str]] = []          # (t, kind, what)
        self.t0 = time.monotonic()

    def record(self, kind: str, outcome: str, elapsed: float, ok: bool):
        self.tries[kind] += 1
        self.outcomes[kind][outcome] += 1
        t = time.monotonic() - self.t0
        self.timeline[int(t)]["ok" if ok else "fail"] += 1
        if ok:
            self.lat[kind].append(elapsed)
        elif outcome == "transport" or outcome.startswith("5"):
            self.failures.append((t, kind, outcome))


class Http:
    def __init__(self, stats: Stats, max_inflight: int):
        self.stats = stats
        self.sem = asyncio.Semaphore(max_inflight)
        self.answer_timings: list[dict] = []  # every save/submit try: where its time went before nginx

    async def once(self, port, method, path, body=None, cookie="", token="", timeout=60.0, timings=None):
        """One request on a new connection (sync workers close it): (status, headers, body bytes)."""
        data = json.dumps(body).encode() if body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close",
                "Accept: application/json"]
        if cookie:
            head.append(f"Cookie: {cookie}")
        if token:
            head.append(f"X-CSRFToken: {token}")
        if body is not None or method in ("POST", "PUT"):
            head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
        raw_req = ("\r\n".join(head) + "\r\n\r\n").encode() + data
        called = time.time()
        async with self.sem:
            async def go():
                timing["slot"] = time.time() - called
                reader, writer = await asyncio.open_connection(HOST, port)
                timing["connected"] = time.time() - called
                try:
                    writer.write(raw_req)
                    await writer.drain()
                    timing["written"] = time.time() - called
                    return await reader.read()
                finally:
                    writer.close()
            timing: dict = {"called_wall": called, "path": path}
            if timings is not None:
                timings.append(timing)
            if method in ("POST", "PUT") and (path.endswith("/submit") or "/answers/" in path):
                self.answer_timings.append(timing)
            raw = await asyncio.wait_for(go(), timeout)
        header, _, payload = raw.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        if not lines or not lines[0].startswith("HTTP/1."):
            raise ConnectionError("no HTTP response")
        status = int(lines[0].split()[1])
        headers: dict[str, list[str]] = defaultdict(list)
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()].append(v.strip())
        if "content-length" in headers and len(payload) < int(headers["content-length"][0]):
            raise ConnectionError("truncated response")
        return status, headers, payload


class Session:
    """One entrant's browser: cookie + CSRF token, retries with the same body."""

    def __init__(self, http: Http, port: int):
        self.http = http
        self.port = port
        self.cookie = ""
        self.token = ""

    async def call(self, kind, method, path, body=None, *, port=None, retry_until=None, html=False):
        """Retry transport errors and 5xx/429 until ``retry_until`` (monotonic); return (status, json|text)."""
        port = port or self.port
        backoff = 0.2
        self.tries = []  # the status of each try of this call (None: transport error), for the report
        self.timings = []  # per try: when it was called, and seconds to a slot, to connected, to written
        while True:
            t0 = time.monotonic()
            try:
                status, headers, raw = await self.http.once(port, method, path, body, self.cookie, self.token,
                                                            timings=self.timings)
            except (OSError, asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError):
                status, headers, raw = None, {}, b""
            elapsed = time.monotonic() - t0
            self.tries.append(status)
            for v in headers.get("set-cookie", []):
                if v.startswith("session="):
                    self.cookie = v.split(";", 1)[0]
            ok = status is not None and status < 400
            self.http.stats.record(kind, "transport" if status is None else str(status), elapsed, ok)
            if status is not None and status not in RETRY_STATUSES:
                if html:
                    return status, raw.decode("utf-8", "replace")
                try:
                    return status, json.loads(raw) if raw else None
                except ValueError:
                    return status, None
            if retry_until is not None and time.monotonic() > retry_until:
                return status, None
            wait = backoff
            ra = headers.get("retry-after")
            if ra:
                try:
                    wait = max(wait, min(float(ra[0]), 5.0))
                except ValueError:
                    pass
            await asyncio.sleep(wait * random.uniform(0.5, 1.5))
            backoff = min(backoff * 2, 2.0)

    async def login(self, login_name: str, password: str = PASSWORD, port=None):
        status, body = await self.call("csrf", "GET", "/api/v1/csrf", port=port, retry_until=time.monotonic() + 60)
        self.token = body["csrf_token"]
        status, body = await self.call("login", "POST", "/api/v1/login", {"login": login_name, "password": password},
                                       port=port, retry_until=time.monotonic() + 60)
        if status != 200:
            return status
        status, body = await self.call("csrf", "GET", "/api/v1/csrf", port=port, retry_until=time.monotonic() + 60)
        self.token = body["csrf_token"]
        return 200


# --- one entrant -----------------------------------------------------------------------------

class Ledger:
    """What the clients saw acknowledged: the only thing the proof trusts."""

    def __init__(self):
        self.saves: dict[tuple[int, int], tuple[int, list[int]]] = {}  # (attempt, aq) -> latest acked (seq, sel)
        self.sent: dict[tuple[int, int], set[int]] = defaultdict(set)  # every seq sent
        self.submits: dict[int, dict] = {}                               # attempt -> acknowledged result
        self.started: dict[int, int] = {}                                # user index -> attempt id
        self.anomalies: list[str] = []
        self.refused: Counter = Counter()                                # 4xx codes seen on saves/submits
        # time_up refusals of answers whose first try left the client before its deadline (or, for
        # a submit, before deadline + grace): what a deadline peak must bring to 0
        self.in_time_refused: Counter = Counter()
        # each of those: when it left the client against the SERVER's deadline (shared clock: the load
        # generator and the servers run on one machine), how late the client's countdown ended
        # (the start response's trip back), and the status of every try
        self.in_time_details: list[dict] = []
        self.ends: Counter = Counter()


async def entrant(i: int, sess: Session, ports: list[int], args, ledger: Ledger, rid: int,
                  storm_t0: float, close_mono: float, rng: random.Random):
    await asyncio.sleep(rng.uniform(0, args.stagger))
    grace_end = close_mono + args.grace
    two = len(ports) == 2
    start_port = ports[i % len(ports)]
    other_port = ports[(i + 1) % len(ports)]  # == start_port with one instance
    start_sent = time.monotonic()  # the quiz page counts down from when it sent the request (quiz.js)
    status, body = await sess.call("start", "POST", f"/api/v1/rounds/{rid}/attempts", {}, port=start_port,
                                   retry_until=grace_end)
    if status != 201:
        ledger.refused[f"start {status} {(body or {}).get('error', {}).get('code')}"] += 1
        return
    at = body["attempt"]
    aid = at["id"]
    ledger.started[i] = aid
    deadline = start_sent + at["remaining_ms"] / 1000
    server_deadline = datetime.fromisoformat(at["deadline"]).timestamp()
    countdown_lag = time.time() - (time.monotonic() - deadline) - server_deadline

    def note_in_time(kind: str, sent_wall: float) -> None:
        ledger.in_time_refused[kind] += 1
        ledger.in_time_details.append({
            "kind": kind, "sent_after_server_deadline_s": round(sent_wall - server_deadline, 3),
            "countdown_lag_s": round(countdown_lag, 3), "tries": list(sess.tries),
            "timings": [{k: (round(v, 3) if k != "called_wall" else v) for k, v in t.items()}
                        for t in sess.timings], "server_deadline_wall": server_deadline})
    questions = at["questions"]
    plan = [(q, rng.choice(q["options"])["id"]) for q in questions]
    if rng.random() < 0.3:  # change one answer later
        q = rng.choice(questions)
        plan.insert(rng.randrange(len(plan) // 2, len(plan) + 1), (q, rng.choice(q["options"])["id"]))
    r = rng.random()
    if r < 0.75:
        end, finish = "submit", deadline - rng.uniform(2, 40)
    elif r < 0.85:
        end, finish = "auto", deadline + rng.uniform(0, 0.8)
    elif r < 0.90:
        end, finish = "late", deadline + rng.uniform(0.5, args.grace - 1.5)
    elif r < 0.95:
        end, finish = "double", deadline - rng.uniform(2, 40)
    else:
        end, finish = "abandon", deadline - rng.uniform(5, 60)
    ledger.ends[end] += 1
    last_save = min(finish, deadline) - 1
    think = max(0.2, (last_save - time.monotonic()) / max(1, len(plan)))
    seq = 0
    for n, (q, opt) in enumerate(plan):
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        if time.monotonic() > deadline:
            break
        seq = max(seq + 1, int(time.time() * 1_000_000))
        key = (aid, q["id"])
        ledger.sent[key].add(seq)
        port = other_port if two else start_port
        sent_at, sent_wall = time.monotonic(), time.time()
        status, body = await sess.call("save", "PUT", f"/api/v1/attempts/{aid}/answers/{q['id']}",
                                       {"selected": [opt], "seq": seq}, port=port, retry_until=grace_end)
        if status == 200:
            if body["saved"]:
                ledger.saves[key] = (seq, [opt])
            elif body["seq"] == seq and body["selected"] == [opt]:
                ledger.saves[key] = (seq, [opt])  # an earlier try was stored; its response was lost
            else:
                ledger.anomalies.append(f"save {key} seq {seq}: server kept seq {body['seq']} {body['selected']}")
        else:
            code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
            ledger.refused[f"save {status} {code}"] += 1
            if code == "time_up" and sent_at <= deadline:
                note_in_time("save sent before the deadline", sent_wall)
            if status == 409:
                break
    if end == "abandon":
        return
    await asyncio.sleep(max(0.0, finish - time.monotonic()))
    payload = {"prediction": rng.randrange(0, 50)}
    if end == "auto":
        payload = {"auto": True}
    path = f"/api/v1/attempts/{aid}/submit"
    port = other_port if two else start_port
    sent_at, sent_wall = time.monotonic(), time.time()
    calls = [sess.call("submit", "POST", path, payload, port=port, retry_until=grace_end + 30)]
    if end == "double":
        calls.append(sess.call("submit", "POST", path, payload, port=start_port, retry_until=grace_end + 30))
    results = await asyncio.gather(*calls)
    firsts = set()
    for status, body in results:
        if status == 200:
            res = body["result"]
            firsts.add((res["score"], res["submitted_at"], res["finish_reason"]))
            ledger.submits[aid] = res
        else:
            code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
            ledger.refused[f"submit {status} {code} ({end})"] += 1
            if code == "time_up" and sent_at <= deadline:
                note_in_time("submit sent before the deadline", sent_wall)
            elif code == "time_up" and sent_at <= deadline + args.grace:
                note_in_time("submit sent within the grace period", sent_wall)
    if len(firsts) > 1:
        ledger.anomalies.append(f"double submit of {aid} returned different results: {firsts}")


# --- the proof --------------------------------------------------------------------------------

# The servers' secret: the proof turns the option ids entrants were shown back into stored ids.
SECRET_KEY = uuid.uuid4().hex * 2


def prove(db_url: str, rid: int, ledger: Ledger, n_entrants_users: set[int]) -> dict:
    eng = sa.create_engine(db_url)
    problems: list[str] = list(ledger.anomalies)
    out: dict = {}
    with eng.connect() as c:
        rows = c.execute(sa.text(
            "SELECT aq.attempt_id, aq.id, aq.answer_seq, aq.selected, aq.is_correct FROM attempt_questions aq "
            "JOIN attempts a ON a.id = aq.attempt_id WHERE a.round_id = :r"), {"r": rid}).all()
        stored = {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
        newer = 0
        for key, (seq, sel) in ledger.saves.items():
            got = stored.get(key)
            if got is None:
                problems.append(f"acknowledged save {key} has no row")
                continue
            s_seq, s_sel = got[0], got[1] if isinstance(got[1], list) else json.loads(got[1] or "[]")
            sel = [OptionIds(key[0], SECRET_KEY).real(o) for o in sel]  # shown ids → stored ids
            if s_seq == seq:
                if sorted(s_sel or []) != sorted(sel):
                    problems.append(f"save {key} seq {seq}: stored {s_sel}, acknowledged {sel}")
            elif s_seq > seq and s_seq in ledger.sent[key]:
                newer += 1  # a later save this client sent, whose acknowledgement it did not see
            else:
                problems.append(f"acknowledged save {key} seq {seq} {sel} LOST: stored seq {s_seq} {s_sel}")
        ungraded = sum(1 for v in stored.values() if v[2] is None)
        attempts = c.execute(sa.text(
            "SELECT id, user_id, status, finish_reason, score FROM attempts WHERE round_id = :r"), {"r": rid}).all()
        by_id = {a[0]: a for a in attempts}
        per_user = Counter(a[1] for a in attempts)
        standings = c.execute(sa.text(
            "SELECT user_id, attempt_id, score FROM standings WHERE round_id = :r"), {"r": rid}).all()
        st_by_user = defaultdict(list)
        for s in standings:
            st_by_user[s[0]].append(s)
        for aid, res in ledger.submits.items():
            a = by_id.get(aid)
            if a is None:
                problems.append(f"acknowledged submission of attempt {aid}: no attempt")
                continue
            if str(a[2]).lower() != "submitted":
                problems.append(f"acknowledged submission of attempt {aid}: status {a[2]}")
            if per_user[a[1]] != 1:
                problems.append(f"user {a[1]} has {per_user[a[1]]} attempts")
            st = st_by_user.get(a[1], [])
            if len(st) != 1 or st[0][1] != aid or st[0][2] != a[4]:
                problems.append(f"attempt {aid}: standings {st}")
            if a[4] != res["score"]:
                problems.append(f"attempt {aid}: score {a[4]} stored, {res['score']} acknowledged")
        open_left = [a[0] for a in attempts if str(a[2]).lower() != "submitted"]
        if open_left:
            problems.append(f"{len(open_left)} attempts still open after finalize: {open_left[:10]}")
        if ungraded:
            problems.append(f"{ungraded} attempt questions not graded after finalize")
        missing_attempts = [i for i, aid in ledger.started.items() if aid not in by_id]
        if missing_attempts:
            problems.append(f"{len(missing_attempts)} acknowledged starts have no attempt")
        if len(standings) != len(attempts):
            problems.append(f"{len(standings)} standings for {len(attempts)} attempts")
        out = {
            "acknowledged_saves": len(ledger.saves), "stored_newer_than_ack": newer,
            "acknowledged_submissions": len(ledger.submits), "attempts": len(attempts),
            "standings": len(standings),
            "finish_reasons": dict(Counter(str(a[3]).split(".")[-1].lower() for a in attempts)),
            "problems": problems,
        }
    eng.dispose()
    return out


# --- server -----------------------------------------------------------------------------------

def start_gunicorn(port: int, env: dict, workers: int) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).with_name("gunicorn")), "--workers", str(workers), "--no-control-socket",
           "--bind", f"{HOST}:{port}", "--backlog", "4096", "--timeout", "30", "--graceful-timeout", "5",
           "--log-level", "warning", "wsgi:app"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env)


def wait_up(port: int, server: subprocess.Popen, seconds: float = 40):
    end = time.time() + seconds
    while time.time() < end:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            with socket.create_connection((HOST, port), timeout=2) as s:
                s.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def workers_of(master_pid: int) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                pids.append(int(d.name))
    return sorted(pids)


def busy_worker(pids: list[int], port: int) -> tuple[int, bool]:
    """A worker holding an accepted client connection (i.e. in the middle of a request) if one is
    seen within 2 s, so that the kill costs an in-flight request; else any worker."""
    end = time.monotonic() + 2
    while time.monotonic() < end:
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            f = line.split()
            if int(f[1].rsplit(":", 1)[1], 16) == port and f[3] == "01":  # ESTABLISHED on the app's port
                inodes.add(f"socket:[{f[9]}]")
        for pid in pids:
            try:
                fds = [os.readlink(fd) for fd in (Path("/proc") / str(pid) / "fd").iterdir()]
            except OSError:
                continue
            if inodes.intersection(fds):
                return pid, True
        time.sleep(0.002)
    return pids[len(pids) // 2], False


# --- two-instance checks --------------------------------------------------------------------------

async def throttle_check(http: Http, ports: list[int], login_name: str, limit: int) -> dict:
    """Failed logins for one account, alternating instances: where does the 429 start?"""
    statuses = []
    for n in range(limit * 2 + 2):
        s = Session(http, ports[n % 2])
        st = await s.login(login_name, "wrong-password-" + str(n))
        statuses.append(st)
        if st == 429:
            break
    first_429 = statuses.index(429) + 1 if 429 in statuses else None
    return {"statuses": statuses, "first_429_at": first_429, "expected_at": limit + 1,
            "ok": first_429 == limit + 1}


async def leaderboard_probe(http: Http, ports: list[int], login_name: str, rid: int) -> dict:
    """Probe entrant: starts on A, saves on B, submits on A with a perfect score; poll B's leaderboard."""
    a, b = ports
    sess = Session(http, a)
    await sess.login(login_name, port=a)
    board = f"/rounds/{rid}/leaderboard"
    st, html = await sess.call("board", "GET", board, port=b, html=True, retry_until=time.monotonic() + 30)
    before = PROBE_NAME in (html or "")
    st, body = await sess.call("start", "POST", f"/api/v1/rounds/{rid}/attempts", {}, port=a,
                               retry_until=time.monotonic() + 30)
    if st != 201:
        return {"ok": False, "start": st, "body": body}
    aid = body["attempt"]["id"]
    for seq, q in enumerate(body["attempt"]["questions"], start=1):
        right = next(o["id"] for o in q["options"] if o["text"] == "Phương án 0")  # the seeded key
        st, _ = await sess.call("save", "PUT", f"/api/v1/attempts/{aid}/answers/{q['id']}",
                                {"selected": [right], "seq": seq}, port=b, retry_until=time.monotonic() + 30)
    st, res = await sess.call("submit", "POST", f"/api/v1/attempts/{aid}/submit", {"prediction": 1}, port=a,
                              retry_until=time.monotonic() + 30)
    t_submit = time.monotonic()
    seen_after = None
    while time.monotonic() - t_submit < 15:
        st, html = await sess.call("board", "GET", board, port=b, html=True, retry_until=time.monotonic() + 5)
        if st == 200 and PROBE_NAME in html:
            seen_after = time.monotonic() - t_submit
            break
        await asyncio.sleep(0.1)
    return {"on_board_before": before, "score": res["result"]["score"] if res else None,
            "seen_on_other_instance_after_s": seen_after,
            "ok": (not before) and seen_after is not None and seen_after <= 5.0}


# --- main -----------------------------------------------------------------------------------------

# Half-sent requests: headers never finished, or a form body announced and never sent.
HALF_REQUESTS = (
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1",
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100000\r\n\r\nlogin=09",
)


async def slow_clients(port: int, n: int, seconds: float) -> dict:
    """Keep ``n`` connections open that send half a request and then one byte every 5 s (a phone
    on a bad network, or an attacker), re-opening any the server closes, for ``seconds``."""
    end = time.monotonic() + seconds
    opened = closed_by_server = 0

    async def one(i: int):
        nonlocal opened, closed_by_server
        while time.monotonic() < end:
            try:
                reader, writer = await asyncio.open_connection(HOST, port)
            except OSError:
                await asyncio.sleep(1)
                continue
            opened += 1
            try:
                writer.write(HALF_REQUESTS[i % len(HALF_REQUESTS)])
                await writer.drain()
                while time.monotonic() < end:
                    try:
                        data = await asyncio.wait_for(reader.read(1024), 5)
                    except asyncio.TimeoutError:
                        writer.write(b"0")  # a trickle: never completes the request
                        await writer.drain()
                        continue
                    closed_by_server += 1  # the server answered (408/400) or closed: it gave up on us
                    break
            except OSError:
                closed_by_server += 1
            finally:
                writer.close()
    await asyncio.gather(*(one(i) for i in range(n)))
    return {"slow_connections": n, "held_s": seconds, "opened": opened, "closed_by_server": closed_by_server}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


async def storm(args, ports, db_url, rid, logins, probe_login, throttle_login, servers, cluster) -> dict:
    stats = Stats()
    http = Http(stats, args.max_inflight)
    ledger = Ledger()
    rng = random.Random(args.seed)

    # 3. log everybody in (not part of the storm)
    t = time.monotonic()
    sessions = [Session(http, ports[i % len(ports)]) for i in range(len(logins))]
    sem = asyncio.Semaphore(48)

    async def one(s, name):
        async with sem:
            st = await s.login(name)
            if st != 200:
                raise SystemExit(f"login of {name} failed: {st}")
    await asyncio.gather(*(one(s, n) for s, n in zip(sessions, logins)))
    login_s = time.monotonic() - t
    print(f"[storm] {len(logins)} logged in after {login_s:.0f} s; the storm starts", file=sys.stderr, flush=True)
    login_stats = {k: (stats.tries[k], pct(stats.lat[k], .5), pct(stats.lat[k], .99)) for k in ("csrf", "login")}

    # baseline, same run, same server: GET /healthz (one SELECT 1) closed-loop, 16 clients, 5 s
    probe = Session(http, ports[0])
    done = 0
    base_end = time.monotonic() + 5

    async def loop():
        nonlocal done
        while time.monotonic() < base_end:
            await probe.call("baseline", "GET", "/healthz", retry_until=0)
            done += 1
    await asyncio.gather(*(loop() for _ in range(16)))
    baseline = {"rps": done / 5, "p50": pct(stats.lat["baseline"], .5), "p99": pct(stats.lat["baseline"], .99),
                "loadavg_before_storm": os.getloadavg()}

    # 4. the storm: the round closes close_after seconds from now
    stats.__init__()
    storm_wall = datetime.now(timezone.utc)
    storm_t0 = time.monotonic()
    overflows_before = listen_overflows()
    eng = sa.create_engine(db_url)
    with eng.begin() as c:
        c.execute(sa.text("UPDATE rounds SET opens_at = :o, closes_at = :c, time_limit_seconds = :t WHERE id = :r"),
                  {"o": storm_wall - timedelta(hours=1), "c": storm_wall + timedelta(seconds=args.close_after),
                   "t": args.time_limit, "r": rid})
    eng.dispose()
    close_mono = storm_t0 + args.close_after
    tasks = [asyncio.create_task(entrant(i, s, ports, args, ledger, rid, storm_t0, close_mono,
                                         random.Random(rng.random()))) for i, s in enumerate(sessions)]

    fault: dict = {"kind": args.fault}
    extra: dict = {}

    async def inject():
        await asyncio.sleep(args.fault_at)
        fault["at_s"] = time.monotonic() - storm_t0
        if args.fault == "kill-worker":
            master = servers[0]
            before = workers_of(master.pid)
            victim, busy = busy_worker(before, args.app_port)
            os.kill(victim, signal.SIGKILL)
            fault["victim_pid"], fault["victim_mid_request"] = victim, busy
            t_kill = time.monotonic()
            while time.monotonic() - t_kill < 30:
                now = workers_of(master.pid)
                if len(now) == len(before) and victim not in now:
                    fault["respawned_after_s"] = round(time.monotonic() - t_kill, 2)
                    break
                await asyncio.sleep(0.05)
        elif args.fault == "restart-postgres":
            fault["restart_took_s"] = round(await asyncio.to_thread(cluster.restart), 2)
        elif args.fault == "slow-clients":
            fault.update(await slow_clients(ports[0], args.slow_clients, args.slow_for))

    async def two_instance_checks():
        await asyncio.sleep(30)  # while the round is open, under the load of the starts
        extra["throttle"] = await throttle_check(http, ports, throttle_login, args.login_limit)
        extra["leaderboard"] = await leaderboard_probe(http, ports, probe_login, rid)

    side = []
    if args.fault != "none":
        side.append(asyncio.create_task(inject()))
    if len(ports) == 2:
        side.append(asyncio.create_task(two_instance_checks()))
    # hard bound: whatever is still running 90 s after the close is abandoned (and reported)
    done_tasks, pending = await asyncio.wait([*tasks, *side], timeout=args.close_after + 90)
    for t in pending:
        t.cancel()
    ledger.refused["abandoned by the time bound"] = len(pending)
    crashed = [t.exception() for t in done_tasks if not t.cancelled() and t.exception() is not None]
    ledger.anomalies += [f"client task crashed: {e!r}" for e in crashed[:5]]
    storm_s = time.monotonic() - storm_t0
    overflows = listen_overflows() - overflows_before

    # 6. finalize after the round has closed (+ grace), then prove
    await asyncio.sleep(max(0.0, close_mono + args.grace + 1 - time.monotonic()))
    env = {**os.environ, "DATABASE_URL": db_url, "FLASK_APP": "wsgi.py"}
    t = time.monotonic()
    fin = subprocess.run([str(Path(sys.executable).with_name("flask")), "rounds", "finalize"], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    finalize = {"rc": fin.returncode, "out": fin.stdout.strip() or fin.stderr.strip()[-500:],
                "seconds": round(time.monotonic() - t, 2)}
    proof = prove(db_url, rid, ledger, set(range(len(logins))))
    baseline["loadavg_after_storm"] = os.getloadavg()
    return {"login_s": login_s, "login_stats": login_stats, "baseline": baseline, "storm_s": storm_s, "stats": stats, "ledger": ledger,
            "fault": fault, "extra": extra, "finalize": finalize, "proof": proof,
            "answer_timings": http.answer_timings, "listen_overflows": overflows}


def disruption(stats: Stats, fault: dict) -> dict:
    if "at_s" not in fault:
        return {}
    at = fault["at_s"]
    after = [f for f in stats.failures if f[0] >= at - 0.5]
    if not after:
        return {"failed_tries": 0, "seconds": 0.0}
    return {"failed_tries": len(after), "by_kind": dict(Counter(f"{k} {o}" for _, k, o in after)),
            "seconds": round(max(f[0] for f in after) - at, 2)}


def report(args, res: dict) -> int:
    stats: Stats = res["stats"]
    ledger: Ledger = res["ledger"]
    proof = res["proof"]
    mode = "two-instances" if args.two_instances else f"fault={args.fault}"
    mode += f", proxy={args.proxy}" + (f" (TRUSTED_PROXY_HOPS={args.trusted_proxy_hops})" if args.proxy != "none" else "")
    mode += f", background load {args.background_load}" if args.background_load else ""
    mode += ", job consumer (every-minute sweep) running" if args.consumer else ""
    print(f"\n### storm: {mode}, entrants={args.entrants}, questions={args.questions}, workers={args.workers}"
          f"{' ×2 instances' if args.two_instances else ''}, time limit {args.time_limit}s, round closes at "
          f"+{args.close_after}s, stagger {args.stagger}s\n")
    print(f"logins: {args.entrants} in {res['login_s']:.1f} s (login p50 {1000 * res['login_stats']['login'][1]:.0f} ms,"
          f" p99 {1000 * res['login_stats']['login'][2]:.0f} ms)\n")
    b = res["baseline"]
    print(f"baseline (same server, before the storm): GET /healthz closed-loop ×16: {b['rps']:.0f} req/s, "
          f"p50 {1000 * b['p50']:.0f} ms, p99 {1000 * b['p99']:.0f} ms; load average before/after the storm "
          f"{b['loadavg_before_storm'][0]:.1f} / {b['loadavg_after_storm'][0]:.1f} (machine shared)\n")
    print(f"storm: {res['storm_s']:.1f} s from first start to last response; endings planned {dict(ledger.ends)}\n")
    print("| request | tries | ok | req/s (ok) | ÷ baseline req/s | p50 ms | p99 ms | max ms | failed tries (retried) "
          "| refused 4xx |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    any500 = 0
    for kind in ("start", "save", "submit", "board"):
        if not stats.tries[kind]:
            continue
        oc = stats.outcomes[kind]
        ok = sum(v for k, v in oc.items() if k.isdigit() and int(k) < 400)
        failed = {k: v for k, v in oc.items() if k == "transport" or k.startswith("5")}
        refused = {k: v for k, v in oc.items() if k.isdigit() and 400 <= int(k) < 500}
        any500 += oc.get("500", 0)
        lat = stats.lat[kind]
        print(f"| {kind} | {stats.tries[kind]} | {ok} | {ok / res['storm_s']:.1f} | {ok / res['storm_s'] / b['rps']:.3f} | "
              f"{1000 * pct(lat, .5):.0f} | "
              f"{1000 * pct(lat, .99):.0f} | {1000 * max(lat, default=0):.0f} | {failed or 0} | {refused or 0} |")
    print(f"\nrefusals seen by clients: {dict(ledger.refused) or 'none'}")
    arrivals = nginx_arrivals(getattr(args, "access_log", None))
    if arrivals:
        print("\nwhere answers waited before nginx stamped their arrival (s; every save and submit try):")
        print("| request | tries | to a connection slot p99 | TCP connected p50 / p99 / max | written → nginx read "
              "p50 / p99 / max | matched in nginx's log |\n|---|---|---|---|---|---|")
        for kind, test in (("save", lambda p: "/answers/" in p), ("submit", lambda p: p.endswith("/submit"))):
            rows = [t for t in res["answer_timings"] if test(t["path"]) and "written" in t]
            waits = []
            for t in rows:
                seen = [a for a in arrivals.get(t["path"], []) if a >= t["called_wall"] - 0.05]
                if seen:
                    waits.append(min(seen) - (t["called_wall"] + t["written"]))
            if rows:
                q = lambda xs, f: round(sorted(xs)[min(len(xs) - 1, int(f * len(xs)))], 3) if xs else "–"
                slot = [t["slot"] for t in rows]
                conn = [t["connected"] - t["slot"] for t in rows]
                print(f"| {kind} | {len(rows)} | {q(slot, .99)} | {q(conn, .5)} / {q(conn, .99)} / {round(max(conn), 3)} | "
                      f"{q(waits, .5)} / {q(waits, .99)} / {round(max(waits), 3) if waits else '–'} | {len(waits)} |")
    print(f"\nconnections dropped because an accept queue was full during the storm (kernel's ListenOverflows, "
          f"every socket of the machine): {res.get('listen_overflows')}")
    in_time = sum(ledger.in_time_refused.values())
    print(f"\n**answers sent in time but refused `time_up`: {in_time}** {dict(ledger.in_time_refused) or ''}")
    if ledger.in_time_details:
        details = ledger.in_time_details
        by_server = sum(1 for d in details if d["sent_after_server_deadline_s"] <= (
            0 if d["kind"].startswith("save") else args.grace))
        print(f"  of which sent in time by the server's own deadline (shared clock): {by_server}; the rest left "
              f"in time only by the client's countdown (its end minus the server's deadline, s: "
              f"{sorted(d['countdown_lag_s'] for d in details)[len(details) // 2]} median, "
              f"{max(d['countdown_lag_s'] for d in details)} max)")
        for d in details[:20]:
            print(f"  - {d}")
            where = where_it_waited(d, arrivals)
            if where:
                print(f"    where it waited: {where}")
    tl = stats.timeline
    peak = max(((s, sum(tl[t]["ok"] for t in range(s, s + 10)) / 10) for s in list(tl)), key=lambda x: x[1],
               default=(0, 0))
    print(f"busiest 10 s (from second {peak[0]}): {peak[1]:.0f} ok responses/s = {peak[1] / b['rps']:.2f} × baseline")
    d = disruption(stats, res["fault"])
    if res["fault"]["kind"] != "none":
        print(f"\nfault: {res['fault']}\ndisruption: {d}")
    if res["extra"]:
        print(f"\ntwo instances: {json.dumps(res['extra'], ensure_ascii=False)}")
    print(f"\nfinalize: {res['finalize']}")
    print(f"\nproof: acknowledged saves {proof['acknowledged_saves']} (stored newer than acknowledged: "
          f"{proof['stored_newer_than_ack']}), acknowledged submissions {proof['acknowledged_submissions']}, "
          f"attempts {proof['attempts']}, standings {proof['standings']}, finish reasons {proof['finish_reasons']}")
    ok = not proof["problems"] and any500 == 0
    for key in ("throttle", "leaderboard"):
        if key in res["extra"] and not res["extra"][key]["ok"]:
            ok = False
    print("PROOF: " + ("nothing acknowledged was lost, every submission graded once, every attempt closed"
                       if not proof["problems"] else "FAILED"))
    for p in proof["problems"][:30]:
        print("  -", p)
    if any500:
        print(f"  - {any500} responses were 500")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    (out / f"storm-{args.fault}-{args.proxy}-{stamp}.json").write_text(json.dumps({
        "args": vars(args), "storm_s": res["storm_s"], "baseline": res["baseline"], "fault": res["fault"], "disruption": d,
        "extra": res["extra"], "finalize": res["finalize"], "proof": proof,
        "outcomes": {k: dict(v) for k, v in stats.outcomes.items()},
        "latency_ms": {k: {"p50": 1000 * pct(v, .5), "p99": 1000 * pct(v, .99)} for k, v in stats.lat.items()},
        "timeline": {s: dict(c) for s, c in sorted(stats.timeline.items())},
        "refused": dict(ledger.refused), "in_time_refused": dict(ledger.in_time_refused),
        "in_time_details": ledger.in_time_details}, indent=1,
        ensure_ascii=False))
    return 0 if ok else 1


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listening socket's accept queue was full
    (TcpExt ListenOverflows, all sockets of this machine): the client retries its SYN after 1 s, 3 s..."""
    try:
        with open("/proc/net/netstat") as f:
            head, values = f.readline().split(), f.readline().split()
        return int(dict(zip(head, values)).get("ListenOverflows", 0))
    except (OSError, ValueError):
        return -1


def nginx_arrivals(path: str | None) -> dict[str, list[float]]:
    """URI → the times nginx received each request for it ($msec − $request_time of its access log)."""
    out: dict[str, list[float]] = defaultdict(list)
    if not path or not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 5:
                out[parts[4]].append(float(parts[0]) - float(parts[1]))
    return out


def where_it_waited(detail: dict, arrivals: dict[str, list[float]]) -> str:
    """For a refused answer: seconds from the client's call to a connection slot, to TCP connected,
    to the request written, and to nginx reading it; and nginx's arrival against the deadline."""
    parts = []
    deadline = detail.get("server_deadline_wall")
    for t in detail.get("timings", []):
        called = t["called_wall"]
        seen = [a for a in arrivals.get(t.get("path", ""), []) if a >= called - 0.05]
        nginx = min(seen) - called if seen else None
        parts.append(f"slot {t.get('slot')} s, connected {t.get('connected')} s, written {t.get('written')} s, "
                     f"nginx read it at {round(nginx, 3) if nginx is not None else '?'} s after the call"
                     + (f" = deadline + {round(min(seen) - deadline, 3)} s" if seen and deadline else ""))
    return "; ".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fault", choices=("none", "kill-worker", "restart-postgres", "slow-clients"), default="none")
    ap.add_argument("--slow-clients", type=int, default=64, help="--fault slow-clients: connections held")
    ap.add_argument("--slow-for", type=float, default=60, help="--fault slow-clients: for how many seconds")
    ap.add_argument("--proxy", choices=("none", "nginx"), default="none",
                    help="nginx: the shipped recipe (deploy/) in front of gunicorn; clients talk to nginx")
    ap.add_argument("--trusted-proxy-hops", type=int, default=1,
                    help="with --proxy nginx: TRUSTED_PROXY_HOPS for the app (0: ignore X-Request-Start)")
    ap.add_argument("--background-load", type=int, default=0,
                    help="busy processes (a Python busy loop each) running during the whole run")
    ap.add_argument("--two-instances", action="store_true")
    ap.add_argument("--nginx-priority", type=int, default=-5,
                    help="nginx's worker_priority (deploy/nginx.conf: -5; 0 = as busy as the app workers)")
    ap.add_argument("--consumer", action="store_true",
                    help="run the job consumer beside the servers (its every-minute sweep closes expired attempts "
                         "during the storm, as in production)")
    ap.add_argument("--entrants", type=int, default=2000)
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per instance")
    ap.add_argument("--time-limit", type=int, default=180)
    ap.add_argument("--close-after", type=int, default=210)
    ap.add_argument("--stagger", type=float, default=60)
    ap.add_argument("--fault-at", type=float, default=150)
    ap.add_argument("--grace", type=int, default=5)
    ap.add_argument("--max-inflight", type=int, default=512,
                    help="client-side cap on open connections (the rest wait in the client, timed)")
    ap.add_argument("--port", type=int, default=8790)
    ap.add_argument("--pg-port", type=int, default=5433)
    ap.add_argument("--redis-db", type=int, default=12)
    ap.add_argument("--login-limit", type=int, default=10, help="failed logins per account (LOGIN_RATE_LIMIT)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if not 1 <= args.entrants <= 5000 or not 1 <= args.questions <= 30 or args.close_after > 330:
        raise SystemExit("keep it bounded: 1..5000 entrants, 1..30 questions, round closing within 330 s")
    if args.two_instances and args.fault != "none":
        raise SystemExit("--two-instances runs without a fault")
    if args.two_instances and args.proxy != "none":
        raise SystemExit("--two-instances runs without the proxy")
    if not 0 <= args.background_load <= 4 or not 0 <= args.slow_clients <= 512 or args.slow_for > 180:
        raise SystemExit("keep it bounded: at most 4 busy processes, 512 slow connections for 180 s")

    # `timeout` and Ctrl-C: stop through the finally clauses (gunicorn stopped, cluster dropped)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    import redis
    redis_url = f"redis://{HOST}:6379/{args.redis_db}"
    redis.Redis.from_url(redis_url).flushdb()  # the storm's own database: no counters or caches left over

    ports = [args.port, args.port + 1] if args.two_instances else [args.port]
    servers: list[subprocess.Popen] = []
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.background_load)]
    try:
        res = _run(args, ports, servers, redis_url, busy)
    finally:
        for p in busy:
            p.kill()
            p.wait()
    return report(args, res)


def _run(args, ports, servers, redis_url, busy):
    from nginx_proxy import DEFAULT_PROXY_SECRET, NginxProxy

    with Cluster(free_port(args.pg_port)) as cluster:
        admin = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(sa.text("CREATE DATABASE quizapp_storm"))
        admin.dispose()
        db_url = cluster.url("quizapp_storm")
        try:
            print("[storm] seeding", file=sys.stderr, flush=True)
            seed = migrate_and_seed(db_url, args.entrants + 2, args.questions)
            print("[storm] seeded", file=sys.stderr, flush=True)
            logins, probe_login, throttle_login = seed["logins"][:-2], seed["logins"][-2], seed["logins"][-1]
            eng = sa.create_engine(db_url)
            with eng.begin() as c:
                c.execute(sa.text("UPDATE users SET full_name = :n WHERE phone = :p"),
                          {"n": PROBE_NAME, "p": probe_login})
                c.execute(sa.text("DROP TABLE bench_rows"))
            eng.dispose()
            env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "QUIZAPP_CONFIG": "development",
                   "SECRET_KEY": SECRET_KEY, "DB_POOL_SIZE": "3", "DB_MAX_OVERFLOW": "3",
                   "LOGIN_RATE_LIMIT": f"{args.login_limit} per 5 minutes",
                   "ANSWER_GRACE_SECONDS": str(args.grace),
                   "TRUSTED_PROXY_HOPS": str(args.trusted_proxy_hops if args.proxy != "none" else 0),
                   "PROXY_SECRET": DEFAULT_PROXY_SECRET}  # what NginxProxy sends in X-Proxy-Secret
            for port in ports:
                servers.append(start_gunicorn(port, env, args.workers))
            for port, server in zip(ports, servers):
                wait_up(port, server)
            if args.consumer:  # as `make serve` runs it: the every-minute sweep closes expired attempts
                servers.append(subprocess.Popen(
                    [str(Path(sys.executable).with_name("flask")), "jobs", "worker", "--workers", "1"],
                    cwd=ROOT, env={**env, "FLASK_APP": "wsgi.py"},  # the servers' queue (same REDIS_URL and name)
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if args.proxy == "nginx":
                conns = max(4096, 2 * (args.max_inflight + args.slow_clients) + 256)  # client + upstream each
                args.access_log = str(Path(tempfile.mkdtemp(prefix="storm-nginx-")) / "access.log")
                print(f"[storm] nginx access log (arrival times): {args.access_log}", flush=True)
                with NginxProxy(free_port(ports[-1] + 10), ports, worker_connections=conns,
                                access_log=args.access_log, worker_priority=args.nginx_priority) as proxy:
                    args.app_port = ports[0]
                    return asyncio.run(storm(args, [proxy.listen_port], db_url, seed["round_id"], logins,
                                             probe_login, throttle_login, servers, cluster))
            args.app_port = ports[0]
            return asyncio.run(storm(args, ports, db_url, seed["round_id"], logins, probe_login, throttle_login,
                                     servers, cluster))
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                try:
                    server.wait(15)
                except subprocess.TimeoutExpired:
                    server.kill()


if __name__ == "__main__":
    sys.exit(main())
