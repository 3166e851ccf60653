"""A simulated round on the shipped bank, to see whether the item-statistics flags find
what a known difficulty model put there.

    .venv/bin/python bench/sim_item_statistics.py                  # 2,000 entrants, seed 2026
    .venv/bin/python bench/sim_item_statistics.py --entrants 5000 --seed 7 --json out.json
    .venv/bin/python bench/sim_item_statistics.py --postgres       # a throwaway PostgreSQL database

What it does, on a throwaway SQLite database (or DATABASE_URL):
1. migrates, imports question_bank/ (the shipped 320 questions) through the bank's importer;
2. builds one round of 20 questions spread over the seven areas (the contest form's default
   quota) and draws each entrant's 20 with the contest engine's own draw (least-used first);
3. answers with a known model: ability θ ~ N(0, 1); an entrant *knows* question i with
   probability σ(a_i (θ − b_i)) (a 2PL model; a_i = 1 for ordinary questions, i.e. Rasch),
   and otherwise guesses uniformly (one option, or a random non-empty set for several-answer
   questions).  b_i comes from the bank's difficulty level (1 → −1.5, 2 → −0.5, 3 → +0.5)
   plus N(0, 0.3) noise.  Planted: 2 miskeyed questions (those who know choose a distractor the
   bank does not mark right), 2 non-discriminating (a = 0), 1 far too easy (b = −4),
   1 far too hard (b = +4);
4. stores graded attempts and runs ``quizapp.itemstats.services.run_item_statistics`` (the job);
5. compares the flags with the model: planted defects found, expected flags (facility from
   the model integrated over θ), and flags on ordinary questions (false alarms).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

B_OF_LEVEL = {1: -1.5, 2: -0.5, 3: 0.5}


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def expected_facility(a: float, b: float, guess: float, miskeyed: bool) -> float:
    """P(right) integrated over θ ~ N(0, 1) (a 201-point grid)."""
    total = weight = 0.0
    for k in range(201):
        theta = -5 + k * 0.05
        w = math.exp(-theta * theta / 2)
        know = sigmoid(a * (theta - b))
        p = (1 - know) * guess if miskeyed else know + (1 - know) * guess
        total += w * p
        weight += w
    return 100 * total / weight


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entrants", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", help="write the full result here")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL database (BENCH_PG_URL)")
    args = parser.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="sim_itemstats_")
    drop = None
    if args.postgres:
        from bench.throwaway_db import create_database

        url, drop = create_database("quizapp_sim")
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp}/sim.sqlite3")
    os.environ.setdefault("QUIZAPP_CONFIG", "development")
    try:
        return _run(args, tmp)
    finally:
        if drop is not None:
            drop()  # terminates the app's connections, then drops the database


def _run(args, tmp) -> dict:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from quizapp import create_app
    from quizapp.attempts import draws
    from quizapp.attempts.models import Attempt, AttemptQuestion
    from quizapp.auth.models import User
    from quizapp.bank import importing
    from quizapp.bank.models import Option, Question
    from quizapp.contests import quotas
    from quizapp.contests.models import Contest, ContestStatus, Round, RoundQuota
    from quizapp.core.db import db, utcnow
    from quizapp.itemstats import engine, services as itemstats
    from quizapp.itemstats.models import StatsScope
    from quizapp.units.models import Unit

    rng = random.Random(args.seed)
    app = create_app()
    started = time.perf_counter()
    with app.app_context():
        upgrade()
        report = importing.import_path(ROOT / "question_bank")
        assert report.ok, report.errors[:3]
        db.session.commit()
        questions = db.session.scalars(sa.select(Question).order_by(Question.id)).all()
        options = {q.id: [(o.id, o.is_correct) for o in q.options] for q in questions}

        # The model: parameters per question, and the planted defects.
        singles = [q for q in questions if not q.multiple and len(q.options) >= 3]
        planted_ids = rng.sample([q.id for q in singles], 6)
        plant = dict(zip(planted_ids, ["miskeyed", "miskeyed", "flat", "flat", "very_easy", "very_hard"]))
        model = {}
        for q in questions:
            a, b = 1.0, B_OF_LEVEL[q.difficulty] + rng.gauss(0, 0.3)
            kind = plant.get(q.id, "ordinary")
            if kind == "flat":
                a = 0.0
            elif kind == "very_easy":
                b = -4.0
            elif kind == "very_hard":
                b = 4.0
            k = len(options[q.id])
            guess = 1 / (2 ** k - 1) if q.multiple else 1 / k
            truth = None
            if kind == "miskeyed":  # what those who know choose: a distractor of the bank's key
                truth = rng.choice([o for o, right in options[q.id] if not right])
            model[q.id] = {"a": a, "b": b, "kind": kind, "guess": guess, "truth": truth}

        # A unit, the entrants, a closed round with the default quota.
        unit = Unit(code="SIM", name="Đơn vị mô phỏng", path="/")
        db.session.add(unit)
        db.session.flush()
        unit.path = f"/{unit.id}/"
        db.session.execute(sa.insert(User), [
            {"full_name": f"Thí sinh {i}", "phone": f"0977{i:06d}", "role": "participant", "unit_id": unit.id,
             "category": "civil_servant", "password_hash": "x", "is_active": True}
            for i in range(args.entrants)])
        user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        now = utcnow()
        contest = Contest(slug="mo-phong", title="Mô phỏng", status=ContestStatus.PUBLISHED)
        rnd = Round(contest=contest, number=1, title="Tuần mô phỏng", opens_at=now - timedelta(days=7),
                    closes_at=now - timedelta(hours=1))
        rnd.quotas = [RoundQuota(area_id=q.area_id, difficulty=q.difficulty, count=q.count)
                      for q in quotas.default_quotas(20)]
        db.session.add(contest)
        db.session.commit()

        # Draws (the engine's least-used draw) and answers by the model.
        counts = Counter()
        pool0 = [(q.id, q.area_id, q.difficulty) for q in questions]
        attempts, rows = [], []
        for n, uid in enumerate(user_ids, start=1):
            theta = rng.gauss(0, 1)
            pool = [draws.PoolEntry(i, area, d, counts[i]) for i, area, d in pool0]
            drawn = draws.draw_questions(rnd.quotas, rng, pool)
            counts.update(drawn)
            right = 0
            for pos, qid in enumerate(drawn, start=1):
                m = model[qid]
                opts = options[qid]
                key = sorted(o for o, r in opts if r)
                knows = rng.random() < sigmoid(m["a"] * (theta - m["b"]))
                if knows:
                    chosen = [m["truth"]] if m["truth"] else key
                elif len(key) > 1 or next(q for q in questions if q.id == qid).multiple:
                    chosen = []
                    while not chosen:
                        chosen = sorted(o for o, _r in opts if rng.random() < 0.5)
                else:
                    chosen = [rng.choice(opts)[0]]
                ok = sorted(chosen) == key
                right += ok
                rows.append({"attempt_id": n, "question_id": qid, "position": pos,
                             "option_order": [o for o, _r in opts], "selected": chosen, "answer_seq": 1,
                             "is_correct": ok})
            attempts.append({"id": n, "round_id": rnd.id, "user_id": uid, "unit_id": unit.id,
                             "category": "civil_servant", "number": 1, "status": "submitted",
                             "started_at": now - timedelta(days=1), "deadline_at": now - timedelta(days=1, minutes=-20),
                             "submitted_at": now - timedelta(days=1, minutes=-10), "finish_reason": "submitted",
                             "score": right, "max_score": len(drawn)})
        db.session.execute(sa.insert(Attempt), attempts)
        db.session.execute(sa.insert(AttemptQuestion), rows)
        db.session.commit()
        simulated = time.perf_counter() - started

        t0 = time.perf_counter()
        result = itemstats.run_item_statistics({"round_id": rnd.id}, None, tmp)
        computed = time.perf_counter() - t0

        stats = {r.question.id: r for r in itemstats.item_rows(StatsScope.ROUND, rnd.id)}
        sample = itemstats.sample(StatsScope.ROUND, rnd.id)
        per_question = []
        for q in questions:
            m = model[q.id]
            row = stats.get(q.id)
            exp_f = expected_facility(m["a"], m["b"], m["guess"], m["kind"] == "miskeyed")
            per_question.append({
                "id": q.id, "external_id": q.external_id, "difficulty": q.difficulty, "multiple": q.multiple,
                "kind": m["kind"], "a": m["a"], "b": round(m["b"], 3), "expected_facility": round(exp_f, 1),
                "n": row.stat.n if row else 0, "facility": row.stat.facility if row else None,
                "discrimination": row.stat.discrimination if row else None,
                "flags": row.stat.flag_list if row else [],
            })
    return summarise(args, per_question, sample, result, simulated, computed, engine)


def summarise(args, per_question, sample, result, simulated, computed, engine) -> dict:
    planted = [q for q in per_question if q["kind"] != "ordinary"]
    ordinary = [q for q in per_question if q["kind"] == "ordinary"]
    wanted = {"miskeyed": engine.FLAG_WRONG_KEY, "flat": engine.FLAG_NOT_DISCRIMINATING,
              "very_easy": engine.FLAG_TOO_EASY, "very_hard": engine.FLAG_TOO_HARD}
    found = [q for q in planted if wanted[q["kind"]] in q["flags"]]

    def expected_flags(q):
        out = set()
        if q["expected_facility"] > engine.TOO_EASY_ABOVE:
            out.add(engine.FLAG_TOO_EASY)
        if q["expected_facility"] < engine.TOO_HARD_BELOW:
            out.add(engine.FLAG_TOO_HARD)
        return out

    flag_counts = Counter(f for q in per_question for f in q["flags"])
    false_alarms = Counter(f for q in ordinary for f in q["flags"] if f not in expected_flags(q))
    facility_agree = [q for q in per_question if q["n"] >= engine.MIN_N and
                      ({engine.FLAG_TOO_EASY, engine.FLAG_TOO_HARD} & set(q["flags"])) == expected_flags(q)]
    shown = [q for q in per_question if q["n"] >= engine.MIN_N]
    n_seen = [q["n"] for q in per_question]
    err = [abs(q["facility"] - q["expected_facility"]) for q in shown if q["facility"] is not None]
    out = {
        "entrants": args.entrants, "seed": args.seed, "questions": len(per_question),
        "attempts_per_question": {"min": min(n_seen), "max": max(n_seen), "mean": round(sum(n_seen) / len(n_seen), 1)},
        "test": {k: getattr(sample, k) for k in ("n_attempts", "n_questions", "mean", "median", "sd", "skewness",
                                                 "kurtosis", "cic", "error_ratio", "standard_error")},
        "planted_found": f"{len(found)}/{len(planted)}",
        "planted": [{k: q[k] for k in ("external_id", "kind", "expected_facility", "facility", "discrimination", "flags")}
                    for q in planted],
        "flag_counts": dict(flag_counts),
        "ordinary_flagged": sum(1 for q in ordinary if set(q["flags"]) - expected_flags(q)),
        "ordinary": len(ordinary),
        "false_alarms_by_flag": dict(false_alarms),
        "easy_hard_flags_match_model": f"{len(facility_agree)}/{len(shown)}",
        "facility_abs_error_mean": round(sum(err) / len(err), 2) if err else None,
        "seconds_simulate": round(simulated, 1), "seconds_compute": round(computed, 1),
        "flagged_total": result["flagged"],
        "per_question": per_question,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    brief = {k: v for k, v in out.items() if k != "per_question"}
    print(json.dumps(brief, ensure_ascii=False, indent=1))
    return out


if __name__ == "__main__":
    main()
