"""Campaign kit benchmark: one certificate, a ZIP of 1,000, a periodic report at 200 units / 200,000 entrants.

    .venv/bin/python bench/bench_campaign.py [--entrants 200000] [--units 200] [--certificates 1000]

What it does (PostgreSQL on 127.0.0.1, a throwaway database, dropped at the end):
1. one certificate (``certificates.certificate_pdf``), 100 times: median and p95, against a baseline
   measured in the same run: the fpdf2 floor (a one-line A4 page with the same three fonts embedded);
2. creates ``quizapp_bench_campaign_<random>``, migrates it and bulk-loads it server-side
   (INSERT ... SELECT generate_series): ``--units`` units (a province, 14 departments/districts, the rest
   communes), ``--entrants`` entrants, two rounds opening in the current quarter (everyone in the first,
   half in the second), one submitted attempt each with 10 answered questions (attempt_questions), the
   standings; then VACUUM ANALYZE;
3. ``run_certificates_zip`` for ``--certificates`` certificates of completion (``mark_finishers`` on the
   first round limited to that many), wall time, against ``--certificates`` × the single-certificate median;
4. ``run_periodic_report`` for the quarter and the whole province (.docx + .xlsx), cold (no cached unit
   ranking), against a baseline of one pass over the same standings (count and sums, one query);
5. prints Markdown and the machine's load average (``uptime``), writes JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import throwaway_db  # noqa: E402


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ms_summary(values: list[float]) -> dict:
    values = sorted(values)
    return {"median_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1), "n": len(values)}


# --- 1. one certificate ---------------------------------------------------------------------------

def bench_one_certificate(n: int = 100) -> dict:
    from quizapp.campaign import render
    from quizapp.campaign.certificates import CertificateFacts, certificate_pdf

    facts = CertificateFacts(
        "Ủy ban nhân dân tỉnh Bà Rịa – Vũng Tàu", "Ban Tổ chức cuộc thi", "Nguyễn Thị Hương Giang", "Sở Nội vụ",
        "Giải Nhất – Tuần thi thứ 1, Cuộc thi tìm hiểu cải cách hành chính năm 2026", "Bà Rịa – Vũng Tàu",
        datetime(2026, 12, 4, 3, tzinfo=timezone.utc), "Trưởng Ban Tổ chức", "Trần Văn Bình", "1A-ABCDEFGH",
        "https://cchc.example.vn/verify/1A-ABCDEFGH")

    def floor_pdf():
        pdf = render.new_pdf("L", "A4", serif=True)
        pdf.add_page()
        for style in ("", "B", "I"):
            pdf.set_font("body", style, 14)
            pdf.cell(100, 8, "Giấy chứng nhận")
        return bytes(pdf.output())

    certificate_pdf(facts), floor_pdf()  # warm imports
    cert, base = [], []
    for _ in range(n):
        t = time.perf_counter()
        certificate_pdf(facts)
        cert.append(1000 * (time.perf_counter() - t))
        t = time.perf_counter()
        floor_pdf()
        base.append(1000 * (time.perf_counter() - t))
    out = {"certificate": ms_summary(cert), "baseline_fpdf_floor": ms_summary(base)}
    out["ratio"] = round(out["certificate"]["median_ms"] / out["baseline_fpdf_floor"]["median_ms"], 2)
    return out


# --- 2. the database --------------------------------------------------------------------------------

def make_app(db_url: str):
    import config
    from quizapp import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": db_url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(db_url),
        "REDIS_URL": None, "RATELIMIT_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://",
        "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789", "LEADERBOARD_FRESH_SECONDS": 600,
        "LEADERBOARD_MAX_STALE_SECONDS": 1200,
    })


def seed(db, entrants: int, units: int, opens: datetime) -> dict:
    x = db.session.execute
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 VALUES (1, 'BRVT', 'Tỉnh Bà Rịa – Vũng Tàu', 'province', NULL, 0, NULL, '/1/', true, :n, :n)"""),
      {"n": now})
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT g, 'S' || g, 'Sở/Huyện số ' || g, 'department', 'Sở', 60, 1, '/1/' || g || '/', true, :n, :n
                 FROM generate_series(2, 15) g"""), {"n": now})
    x(sa.text("""INSERT INTO units (id, code, name, kind, bloc, headcount, parent_id, path, is_active, created_at, updated_at)
                 SELECT g, 'X' || g, 'Phường/Xã số ' || g, 'commune', 'Huyện', 0, 2 + (g % 14),
                        '/1/' || (2 + (g % 14)) || '/' || g || '/', true, :n, :n FROM generate_series(16, :u) g"""),
      {"n": now, "u": units})
    x(sa.text("SELECT setval(pg_get_serial_sequence('units', 'id'), :u)"), {"u": units})
    x(sa.text("""INSERT INTO users (full_name, phone, unit_id, category, role, password_hash, is_active_account,
                                    date_of_birth, created_at, updated_at)
                 SELECT 'Thí sinh số ' || g, '09' || lpad(g::text, 8, '0'),
                        1 + floor(power(((g::bigint * 7919) % 10007) / 10007.0, 1.5) * :u)::int,
                        'civil_servant', 'participant', 'x', true, DATE '1990-01-01', :n, :n
                 FROM generate_series(1, :e) g"""), {"n": now, "e": entrants, "u": units - 1})
    x(sa.text("""UPDATE units SET headcount = c.n * (110 + (units.id * 37) % 80) / 100
                 FROM (SELECT unit_id, count(*) n FROM users GROUP BY unit_id) c WHERE c.unit_id = units.id"""))
    x(sa.text("""INSERT INTO contests (slug, title, description, rules, status, open_to_all, eligible_categories, blocs,
                                       ranking_order, aggregate, unit_ranking_order, min_participation_rate,
                                       results_visibility, created_at, updated_at)
                 VALUES ('bench', 'Cuộc thi tìm hiểu cải cách hành chính (benchmark)', '', '', 'published', true, '',
                         '', 'score,duration,submitted_at', 'sum', 'participation,average', 0, 'public', :n, :n)"""),
      {"n": now})
    contest_id = x(sa.text("SELECT id FROM contests")).scalar()
    areas = [r[0] for r in x(sa.text("SELECT id FROM reform_areas ORDER BY id"))]
    # 10 questions per reform area (texts do not matter here; the report reads areas and is_correct).
    x(sa.text("""INSERT INTO questions (lineage, version, area_id, difficulty, multiple, status, text, search_text,
                                        content_hash, needs_review, times_drawn, created_at, updated_at)
                 SELECT md5(a::text || '-' || k), 1, a, 1, false, 'approved', 'Câu hỏi ' || k, '', md5(a || 'q' || k),
                        false, 0, :n, :n
                 FROM unnest(CAST(:areas AS int[])) a, generate_series(1, 10) k"""), {"n": now, "areas": areas})
    q_ids = [r[0] for r in x(sa.text("SELECT id FROM questions ORDER BY id"))]
    rounds = []
    for number, share in ((1, 1), (2, 2)):
        rid = x(sa.text("""INSERT INTO rounds (contest_id, number, title, opens_at, closes_at, time_limit_seconds,
                               attempts_allowed, counted_attempt, shuffle_questions, shuffle_options, one_page,
                               prediction_mode, review_policy, created_at, updated_at)
                           VALUES (:c, :num, :t, :o, :cl, 1200, 1, 'best', true, true, true, 'off', 'after_close', :n, :n)
                           RETURNING id"""),
                {"c": contest_id, "num": number, "t": f"Tuần thi thứ {number}", "o": opens + timedelta(days=7 * number),
                 "cl": opens + timedelta(days=7 * number + 7), "n": now}).scalar()
        x(sa.text("""INSERT INTO attempts (round_id, user_id, unit_id, category, number, status, started_at, deadline_at,
                                           submitted_at, finish_reason, score, max_score, duration_ms)
                     SELECT :r, u.id, u.unit_id, u.category, 1, 'submitted', :o, :o + interval '20 minutes',
                            :o + interval '10 minutes', 'submitted', greatest(0, 10 - floor(power(random(), 2) * 11))::int,
                            10, (30000 + floor(random() * 1170000))::bigint
                     FROM users u WHERE u.id % :share = 0"""),
          {"r": rid, "o": opens + timedelta(days=7 * number, hours=2), "share": share})
        # 10 answers per attempt: question k of the attempt is right iff k <= score.
        x(sa.text("""INSERT INTO attempt_questions (attempt_id, question_id, position, option_order, selected,
                                                    answer_seq, is_correct)
                     SELECT a.id, (CAST(:q AS int[]))[1 + ((a.id * 7 + k * 13) % :nq)], k, '[]', '[]', 1, k <= a.score
                     FROM attempts a, generate_series(1, 10) k WHERE a.round_id = :r"""),
          {"r": rid, "q": q_ids, "nq": len(q_ids)})
        x(sa.text("""INSERT INTO standings (round_id, user_id, unit_id, category, attempt_id, attempts_count, score,
                                            max_score, duration_ms, submitted_at)
                     SELECT round_id, user_id, unit_id, category, id, 1, score, max_score, duration_ms, submitted_at
                     FROM attempts WHERE round_id = :r"""), {"r": rid})
        db.session.commit()
        rounds.append(rid)
        log(f"round {number} loaded ({time.perf_counter() - started:.0f} s so far)")
    return {"contest_id": contest_id, "rounds": rounds, "seconds": round(time.perf_counter() - started, 1)}


def vacuum(db_url):
    eng = sa.create_engine(db_url, isolation_level="AUTOCOMMIT")
    with eng.connect() as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    eng.dispose()


# --- 3. and 4. -------------------------------------------------------------------------------------------

def bench_zip(db, contest, round_id: int, n: int) -> dict:
    from quizapp.campaign import certificates, prizes
    from quizapp.campaign.models import Award

    t = time.perf_counter()
    marked = prizes.mark_finishers(contest, round_id, None)  # every entrant of the round: one INSERT ... SELECT
    db.session.commit()
    mark_seconds = time.perf_counter() - t
    first = db.session.scalar(sa.select(sa.func.min(Award.id)))
    db.session.execute(sa.delete(Award).where(Award.id >= first + n))
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Award))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = certificates.run_certificates_zip({"contest_id": contest.id, "base_url": "https://cchc.example.vn"},
                                                   lambda done, total: None, tmp)
        seconds = time.perf_counter() - t
        size = os.path.getsize(result["path"])
    return {"certificates": count, "seconds": round(seconds, 1), "zip_mb": round(size / 1e6, 1),
            "mark_finishers": marked, "mark_finishers_seconds": round(mark_seconds, 2)}


def bench_report(db, opens: datetime) -> dict:
    from quizapp.campaign import reports
    from quizapp.campaign.render import local_date
    from quizapp.leaderboards.cache import cache_for
    from quizapp.leaderboards.models import Standing
    from flask import current_app

    day = local_date(opens + timedelta(days=8))
    params = reports.report_params("quarter", day.year, (day.month - 1) // 3 + 1, unit_id=1, threshold=80)
    cache_for(current_app).clear()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        result = reports.run_periodic_report(params, lambda done, total: None, tmp)
        cold = time.perf_counter() - t
        t = time.perf_counter()
        reports.run_periodic_report(params, lambda done, total: None, tmp)
        warm = time.perf_counter() - t
        from docx import Document

        doc = Document(result["path"])
        unit_rows = len(doc.tables[1].rows) - 1
    t = time.perf_counter()
    db.session.execute(sa.select(sa.func.count(), sa.func.sum(Standing.score), sa.func.count(sa.distinct(Standing.user_id)),
                                 sa.func.sum(Standing.attempts_count))).one()
    baseline = time.perf_counter() - t
    return {"period": params["label"], "cold_seconds": round(cold, 2), "warm_seconds": round(warm, 2),
            "baseline_one_pass_seconds": round(baseline, 2), "ratio_cold": round(cold / baseline, 1) if baseline else None,
            "unit_rows_in_docx": unit_rows}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entrants", type=int, default=200_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--certificates", type=int, default=1000)
    args = parser.parse_args()
    res = {"load_before": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
    log("one certificate")
    res["one_certificate"] = bench_one_certificate()
    log(json.dumps(res["one_certificate"]))
    url, drop = throwaway_db.create_database("quizapp_bench_campaign")
    try:
        app = make_app(url)
        with app.app_context():
            from flask_migrate import upgrade

            from quizapp.contests.models import Contest
            from quizapp.core.db import db
            from quizapp.campaign.render import local_date

            upgrade()
            today = local_date(datetime.now(timezone.utc))
            quarter_start = datetime(today.year, 3 * ((today.month - 1) // 3) + 1, 1, tzinfo=timezone.utc)
            log(f"seeding {args.entrants:,} entrants in {args.units} units")
            res["seed"] = seed(db, args.entrants, args.units, quarter_start)
            vacuum(url)
            log("certificates ZIP")
            contest = db.session.get(Contest, res["seed"]["contest_id"])
            res["zip"] = bench_zip(db, contest, res["seed"]["rounds"][0], args.certificates)
            res["zip"]["single_median_x_n_seconds"] = round(
                res["one_certificate"]["certificate"]["median_ms"] * res["zip"]["certificates"] / 1000, 1)
            log(json.dumps(res["zip"]))
            log("periodic report")
            res["report"] = bench_report(db, quarter_start)
            log(json.dumps(res["report"]))
            db.session.remove()
    finally:
        drop()
    res["load_after"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"campaign-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False))
    c, z, r = res["one_certificate"], res["zip"], res["report"]
    print(f"""
| measure | result | baseline (same run) | ratio |
|---|---|---|---|
| one certificate (median / p95) | {c['certificate']['median_ms']} / {c['certificate']['p95_ms']} ms | fpdf2 floor {c['baseline_fpdf_floor']['median_ms']} ms | {c['ratio']} |
| ZIP of {z['certificates']:,} certificates | {z['seconds']} s ({z['zip_mb']} MB) | {z['certificates']:,} × single median = {z['single_median_x_n_seconds']} s | {round(z['seconds'] / z['single_median_x_n_seconds'], 2) if z['single_median_x_n_seconds'] else '-'} |
| report {r['period']}, {args.units} units, {args.entrants:,} entrants (cold / warm) | {r['cold_seconds']} / {r['warm_seconds']} s | one pass over the standings {r['baseline_one_pass_seconds']} s | {r['ratio_cold']} |

load: {res['load_before']} → {res['load_after']}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
