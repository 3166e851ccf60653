"""Plans benchmark (issue 23 #6): a province of 3,500 units logging 50 activities each (175,000).

    .venv/bin/python bench/bench_plans.py [--units 3500] [--per-unit 50] [--evidence-per-activity 3]

What it does (PostgreSQL on 127.0.0.1, a throwaway database ``quizapp_bench_plans_<random>``, dropped
at the end):
1. a 10 MB camera photo (random pixels, EXIF with GPS) uploaded through the phone form
   (``POST /plans/units/<id>/activities/new``, Flask test client: server time only), 5 times: median,
   against a baseline measured in the same run: Pillow decoding the same JPEG at full size (the floor
   of reading it at all); peak memory: the process's peak RSS growth over the uploads (measured first,
   in a fresh process, so nothing earlier set the peak) and tracemalloc's peak of Python allocations;
2. bulk-loads (INSERT ... SELECT generate_series): ``--units`` units (a province, 35 districts /
   departments, the rest communes), each unit's plan for the year with a planned count for every form,
   ``--per-unit`` activities per unit over the year and ``--evidence-per-activity`` evidence rows per
   activity. **Evidence files are placeholders: the rows point to names that are not written to disk**
   (the list, the chart and the report read the rows, never the files); then VACUUM ANALYZE;
3. a commune's activity list with its completion chart (``GET /plans/units/<id>/activities``) and the
   commune's and the province's home page (completion table and bars, rolled up the tree, the reminder),
   30 times each: median, against an in-memory render of the same template with the same context
   (``render_template`` on objects already loaded, no database): target ≤ 3×;
4. the province's consolidated report for the year (``reporting.run_report_job``: .docx + .xlsx annex of
   every activity + the units that have not reported, zipped) timed as the job runs it: target ≤ 60 s;
5. prints Markdown and the machine's load average (``uptime``), writes JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import throwaway_db  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def med(values):
    return round(statistics.median(values) * 1000, 1)


def make_app(db_url: str, jobs_dir: str):
    import config
    from quizapp import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": db_url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(db_url),
        "REDIS_URL": None, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://", "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789", "JOBS_DIR": jobs_dir, "JOBS_IMMEDIATE": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    })


def ten_mb_photo() -> bytes:
    """A camera-sized JPEG of about 10 MB: random pixels compress badly, like a noisy night photo."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (10.0, 20.0, 30.0), 3: "E", 4: (107.0, 5.0, 0.0)}
    side = 2200
    while True:
        img = Image.frombytes("RGB", (side * 4 // 3, side), os.urandom(side * 4 // 3 * side * 3))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=92, exif=exif.tobytes())
        data = out.getvalue()
        if len(data) >= 9_500_000 or side > 4000:
            return data[:10_000_000] if len(data) <= 10_000_000 else _shrink(img, exif)
        side = int(side * (10_000_000 / len(data)) ** 0.5) + 20


def _shrink(img, exif) -> bytes:
    for q in (90, 88, 85, 80, 75):
        out = io.BytesIO()
        img.save(out, "JPEG", quality=q, exif=exif.tobytes())
        if len(out.getvalue()) <= 10_000_000:
            return out.getvalue()
    raise RuntimeError("could not make a 10 MB photo")


def bench_upload(app, db, runs: int = 5) -> dict:
    from PIL import Image

    from quizapp.auth.models import Role, User
    from quizapp.auth.accounts import hash_password
    from quizapp.plans import catalogue
    from quizapp.units import services as units

    unit = units.create_unit("UPL", "Phường thử tải ảnh")
    officer = User(full_name="Cán bộ đầu mối", phone="0988000001", role=Role.REFORM_OFFICER, unit_id=unit.id,
                   date_of_birth=date(1990, 1, 1), password_hash=hash_password("matKhau@2026"))
    db.session.add(officer)
    form_id = catalogue.all_forms()[0].id
    db.session.commit()
    # Made in a child process, so making it does not set this process's peak RSS before the uploads.
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, %r); from bench.bench_plans import "
                           "ten_mb_photo; sys.stdout.buffer.write(ten_mb_photo())" % str(ROOT)],
                          capture_output=True, check=True)
    photo = done.stdout
    log(f"photo: {len(photo):,} bytes")
    client = app.test_client()
    client.post("/login", data={"login": officer.phone, "password": "matKhau@2026"})
    floor, times = [], []
    client.get("/account")  # warm
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    for i in range(runs):
        t = time.perf_counter()
        with Image.open(io.BytesIO(photo)) as im:
            im.load()
        floor.append(time.perf_counter() - t)
        t = time.perf_counter()
        resp = client.post(f"/plans/units/{unit.id}/activities/new", data={
            "held_on": date.today().isoformat(), "form_id": str(form_id), "title": f"Ảnh 10 MB số {i}",
            "audience": "citizens", "reached": "1", "files": [(io.BytesIO(photo), "IMG_0001.JPG")]},
            content_type="multipart/form-data")
        times.append(time.perf_counter() - t)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    _, py_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"photo_bytes": len(photo), "upload_median_ms": med(times), "upload_max_ms": round(max(times) * 1000, 1),
            "decode_floor_median_ms": med(floor), "ratio": round(statistics.median(times) / statistics.median(floor), 2),
            "peak_rss_growth_mb": round((rss_after - rss_before) / 1024, 1),
            "python_alloc_peak_mb": round(py_peak / 2**20, 1)}


def seed(db, units: int, per_unit: int, evidence_per: int, year: int) -> float:
    from quizapp.plans import catalogue

    x = db.session.execute
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    catalogue.ensure_seeded()
    base = x(sa.text("SELECT coalesce(max(id), 0) FROM units")).scalar() + 1
    x(sa.text("""INSERT INTO units (id, code, name, kind, headcount, parent_id, path, is_active, created_at, updated_at)
                 VALUES (:b, 'BRVT', 'Tỉnh Bà Rịa – Vũng Tàu', 'province', 0, NULL, '/' || :b || '/', true, :n, :n)"""),
      {"n": now, "b": base})
    x(sa.text("""INSERT INTO units (id, code, name, kind, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT :b + g, 'H' || g, 'Huyện/Sở số ' || g, 'district', 60, :b, '/' || :b || '/' || (:b + g) || '/',
                        true, :n, :n FROM generate_series(1, 35) g"""), {"n": now, "b": base})
    x(sa.text("""INSERT INTO units (id, code, name, kind, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT :b + g, 'X' || g, 'Phường/Xã số ' || g, 'commune', 25, :b + 1 + (g % 35),
                        '/' || :b || '/' || (:b + 1 + (g % 35)) || '/' || (:b + g) || '/', true, :n, :n
                 FROM generate_series(36, :u - 1) g"""), {"n": now, "b": base, "u": units})
    x(sa.text("SELECT setval(pg_get_serial_sequence('units', 'id'), (SELECT max(id) FROM units))"))
    forms = [r[0] for r in x(sa.text("SELECT id FROM plan_forms ORDER BY id"))]
    x(sa.text("""INSERT INTO plan_province_plans (year, title, number, created_at, updated_at)
                 VALUES (:y, 'Kế hoạch tuyên truyền CCHC (benchmark)', '46/KH-UBND', :n, :n)"""), {"y": year, "n": now})
    plan_id = x(sa.text("SELECT id FROM plan_province_plans WHERE year = :y"), {"y": year}).scalar()
    x(sa.text("""INSERT INTO plan_tasks (plan_id, position, name, lead_unit, coordinating_units, timeline, due_on,
                                         expected_output)
                 SELECT :p, g, 'Nhiệm vụ số ' || g, 'Sở Nội vụ', '', 'Quý ' || (1 + g % 4), NULL, ''
                 FROM generate_series(1, 20) g"""), {"p": plan_id})
    x(sa.text("""INSERT INTO plan_unit_plans (unit_id, year, note, created_at, updated_at)
                 SELECT id, :y, '', :n, :n FROM units WHERE id >= :b"""), {"y": year, "n": now, "b": base})
    x(sa.text("""INSERT INTO plan_targets (unit_plan_id, form_id, planned)
                 SELECT up.id, f, 1 + ((up.id * 7 + f) % 6) FROM plan_unit_plans up, unnest(CAST(:f AS int[])) f"""),
      {"f": forms})
    x(sa.text("""INSERT INTO plan_unit_plan_tasks (unit_plan_id, task_id)
                 SELECT up.id, t.id FROM plan_unit_plans up JOIN plan_tasks t ON t.position <= 5"""))
    days = (date.today() - date(year, 1, 1)).days or 1
    x(sa.text("""INSERT INTO plan_activities (unit_id, held_on, form_id, title, audience, reached, task_id, link,
                                              created_by_id, created_at, updated_at)
                 SELECT u.id, CAST(:d AS date) + ((u.id * 13 + k * 7) % :days),
                        (CAST(:f AS int[]))[1 + ((u.id + k) % :nf)],
                        'Hoạt động tuyên truyền CCHC số ' || k || ' của đơn vị ' || u.code,
                        (ARRAY['civil_servants','citizens','businesses'])[1 + (k % 3)], 10 + (u.id * k) % 400,
                        NULL, CASE WHEN k % 5 = 0 THEN 'https://example.org/bai-viet/' || k END, NULL, :n, :n
                 FROM units u, generate_series(1, :k) k WHERE u.id >= :b"""),
      {"d": date(year, 1, 1).isoformat(), "days": days, "f": forms, "nf": len(forms), "n": now, "k": per_unit,
       "b": base})
    x(sa.text("""INSERT INTO plan_evidence (activity_id, kind, filename, stored, size, created_at)
                 SELECT a.id, 'photo', 'anh-' || e || '.jpg', a.unit_id || '/placeholder-' || a.id || '-' || e || '.jpg',
                        180000, :n FROM plan_activities a, generate_series(1, :e) e"""), {"n": now, "e": evidence_per})
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    return time.perf_counter() - t0, base


def bench_pages(app, db, base: int, year: int, runs: int = 30) -> dict:
    from flask import render_template
    from flask_login import login_user

    from quizapp.auth.models import Role, User
    from quizapp.auth.accounts import hash_password
    from quizapp.plans import activities, completion
    from quizapp.units.models import Unit

    commune_id = base + 100
    officer = User(full_name="Cán bộ xã", phone="0988000002", role=Role.REFORM_OFFICER, unit_id=commune_id,
                   date_of_birth=date(1990, 1, 1), password_hash=hash_password("matKhau@2026"))
    organiser = User(full_name="Sở Nội vụ", phone="0988000003", role=Role.ORGANISER, unit_id=base,
                     date_of_birth=date(1990, 1, 1), password_hash=hash_password("matKhau@2026"))
    db.session.add_all([officer, organiser])
    db.session.commit()
    out = {}

    from flask import g

    def timed(client, url):
        # The requests share this app context: forget the previous client's cached user (Flask-Login keeps it in g).
        g.pop("_login_user", None)
        client.get(url)  # warm
        values = []
        for _ in range(runs):
            g.pop("_login_user", None)
            t = time.perf_counter()
            resp = client.get(url)
            values.append(time.perf_counter() - t)
            assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[-1500:])
        return values

    def render_floor(user, template, ctx):
        values = []
        with app.test_request_context("/"):
            login_user(user)
            render_template(template, **ctx)
            for _ in range(runs):
                t = time.perf_counter()
                render_template(template, **ctx)
                values.append(time.perf_counter() - t)
        return values

    officer_client = app.test_client()
    g.pop("_login_user", None)
    officer_client.post("/login", data={"login": officer.phone, "password": "matKhau@2026"})
    organiser_client = app.test_client()
    g.pop("_login_user", None)
    organiser_client.post("/login", data={"login": organiser.phone, "password": "matKhau@2026"})

    # the commune's activity list with its completion chart
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        g.pop("_login_user", None)
        officer_client.get(f"/plans/units/{commune_id}/activities?year={year}")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(10):
            g.pop("_login_user", None)
            officer_client.get(f"/plans/units/{commune_id}/activities?year={year}")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    page = timed(officer_client, f"/plans/units/{commune_id}/activities?year={year}")
    with app.test_request_context("/"):
        unit = db.session.get(Unit, commune_id)
        start, end = date(year, 1, 1), date(year, 12, 31)
        rows, total = activities.activity_page([commune_id], start, end, 50, 1)
        ctx = {"unit": unit, "year": year, "rows": rows, "total": total, "page": 1, "pages": 1,
               "comp": completion.completion(unit, year), "auto": [], "may_write": True}
        for r in rows:
            _ = r.activity.form.name
    floor = render_floor(officer, "plans/activity_list.html", ctx)
    out["activity_list"] = {"page_ms": med(page), "render_ms": med(floor),
                            "ratio": round(statistics.median(page) / statistics.median(floor), 2), "rows": len(rows)}

    def home_ctx(user, unit_id):
        unit = db.session.get(Unit, unit_id)
        kind, dyear, number, due = completion.next_deadline(activities.vn_today())
        period = completion.period(kind, dyear, number)
        silent = completion.silent_units(unit, period.start, period.end)
        comp = completion.completion(unit, year)
        for c in comp.forms:
            _ = c.form.name
        for t in comp.tasks:
            _ = t.task.name
        return {"unit": unit, "year": year, "comp": comp, "may_write": True, "period": period, "due": due, "kind": kind,
                "dyear": dyear, "number": number, "silent": silent,
                "reminder": completion.reminder_text([n for _, n in silent], period.label, due, "https://x/plans"),
                "periods": completion.PERIODS}

    for name, client, user, uid in (("commune_home", officer_client, officer, commune_id),
                                    ("province_home", organiser_client, organiser, base)):
        page = timed(client, f"/plans/units/{uid}?year={year}")
        with app.test_request_context("/"):
            ctx = home_ctx(user, uid)
        floor = render_floor(user, "plans/unit_home.html", ctx)
        out[name] = {"page_ms": med(page), "render_ms": med(floor),
                     "ratio": round(statistics.median(page) / statistics.median(floor), 2)}
    plain = timed(officer_client, "/account")  # any logged-in page: session check, user, layout
    out["plain_page_ms"] = med(plain)
    out["organiser_id"] = organiser.id
    return out


def bench_report(app, db, base: int, year: int, organiser_id: int) -> dict:
    from quizapp.plans import reporting

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = reporting.run_report_job({"unit_id": base, "kind": "year", "year": year, "number": 1,
                                           "consolidated": True, "requester_id": organiser_id},
                                          lambda done, total: None, tmp)
        seconds = time.perf_counter() - t
        size = Path(result["path"]).stat().st_size
    db.session.rollback()
    return {"seconds": round(seconds, 2), "zip_bytes": size, "message": result["message"]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=3500)
    parser.add_argument("--per-unit", type=int, default=50)
    parser.add_argument("--evidence-per-activity", type=int, default=3)
    args = parser.parse_args()
    load_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    url, drop = throwaway_db.create_database("quizapp_bench_plans")
    jobs_dir = tempfile.mkdtemp(prefix="bench-plans-jobs-")
    results = {"args": vars(args), "load_before": load_before}
    try:
        app = make_app(url, jobs_dir)
        with app.app_context():
            from flask_migrate import upgrade

            from quizapp.core.db import db

            upgrade()
            log("1. 10 MB photo uploads")
            results["upload"] = bench_upload(app, db)
            log(json.dumps(results["upload"]))
            year = date.today().year
            log("2. seeding")
            seconds, base = seed(db, args.units, args.per_unit, args.evidence_per_activity, year)
            results["seed_seconds"] = round(seconds, 1)
            results["activities"] = db.session.execute(sa.text("SELECT count(*) FROM plan_activities")).scalar()
            results["evidence_rows"] = db.session.execute(sa.text("SELECT count(*) FROM plan_evidence")).scalar()
            log(f"seeded in {seconds:.1f} s: {results['activities']:,} activities, {results['evidence_rows']:,} evidence rows")
            log("3. pages")
            results["pages"] = bench_pages(app, db, base, year)
            log(json.dumps(results["pages"]))
            log("4. consolidated yearly report")
            results["report"] = bench_report(app, db, base, year, results["pages"]["organiser_id"])
            log(json.dumps(results["report"]))
    finally:
        drop()
    results["load_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out_dir / f"plans-{stamp}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    u, p, r = results["upload"], results["pages"], results["report"]
    print(f"""
| measure | result | baseline (same run) | ratio | target |
|---|---|---|---|---|
| 10 MB photo upload ({u['photo_bytes']:,} B), server time, median of 5 | **{u['upload_median_ms']} ms** (max {u['upload_max_ms']}) | Pillow full decode {u['decode_floor_median_ms']} ms | {u['ratio']} | ≤ 2 s |
| peak memory over the uploads | RSS +{u['peak_rss_growth_mb']} MB; Python allocations peak {u['python_alloc_peak_mb']} MB | | | bounded |
| commune's activity list + chart | **{p['activity_list']['page_ms']} ms** | in-memory render {p['activity_list']['render_ms']} ms | **{p['activity_list']['ratio']}** | ≤ 3× |
| commune's home (completion table, bars, reminder) | {p['commune_home']['page_ms']} ms | in-memory render {p['commune_home']['render_ms']} ms | {p['commune_home']['ratio']} | ≤ 3× |
| a plain logged-in page (`/account`), for scale | {p['plain_page_ms']} ms | | | |
| province's home (rolled up over {args.units:,} units) | {p['province_home']['page_ms']} ms | in-memory render {p['province_home']['render_ms']} ms | {p['province_home']['ratio']} | |
| consolidated yearly report job ({results['activities']:,} activities) | **{r['seconds']} s** ({r['zip_bytes']:,} B ZIP) | | | ≤ 60 s |

load: {load_before} → {results['load_after']}
""")


if __name__ == "__main__":
    main()
