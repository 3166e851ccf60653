"""Item statistics from stored attempts: samples, storage, the job, the CLI, the pages,
and the bank editor showing a flagged question the organiser then corrects."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from quizapp.attempts.models import Attempt, AttemptQuestion, AttemptStatus
from quizapp.auth.models import EntrantCategory, Role, User
from quizapp.core.db import utcnow
from quizapp.itemstats import engine, services
from quizapp.itemstats.models import ItemStatistic, SampleStatistic, StatsScope
from tests.conftest import csrf_token


def _entrants(db, make, n):
    unit = make.unit()
    users = [User(full_name=f"Thí sinh {i}", phone=f"0988{i:06d}", role=Role.PARTICIPANT, unit_id=unit.id,
                  category=EntrantCategory.CIVIL_SERVANT, date_of_birth=date(1990, 1, 1), password_hash="x")
             for i in range(n)]
    db.session.add_all(users)
    db.session.commit()
    return users


def sit(db, rnd, user, choices, number=1, status=AttemptStatus.SUBMITTED):
    """A graded attempt: ``choices`` maps each question to the option position chosen."""
    now = utcnow()
    attempt = Attempt(round_id=rnd.id, user_id=user.id, unit_id=user.unit_id, category="civil_servant",
                      number=number, started_at=now - timedelta(minutes=5), deadline_at=now + timedelta(minutes=15),
                      submitted_at=now if status == AttemptStatus.SUBMITTED else None, status=status,
                      max_score=len(choices))
    right = 0
    for pos, (question, chosen) in enumerate(choices.items(), start=1):
        option = question.options[chosen]
        ok = option.is_correct
        right += ok
        attempt.questions.append(AttemptQuestion(question_id=question.id, position=pos,
                                                 option_order=[o.id for o in question.options],
                                                 selected=[option.id], is_correct=ok))
    attempt.score = right
    db.session.add(attempt)
    return attempt


@pytest.fixture()
def closed_round(db, make):
    """40 entrants, 5 questions (key = position 0).  Ability = entrant index: the stronger
    entrant answers more questions right.  Question 4's stored key is wrong: the strong
    entrants choose position 1, which the bank marks as a distractor."""
    questions = [make.question("TC", n_options=4, correct=(0,), text=f"Câu {i}?") for i in range(5)]
    now = utcnow()
    rnd = make.round(quotas=(("TC", 0, 5),), opens_at=now - timedelta(days=7), closes_at=now - timedelta(hours=1))
    users = _entrants(db, make, 40)
    for i, user in enumerate(users):
        strength = i / 39  # 0 .. 1
        choices = {}
        for k, q in enumerate(questions[:4]):
            threshold = (k + 1) / 5  # question k needs strength above this
            choices[q] = 0 if strength > threshold else 1 + (i + k) % 3
        choices[questions[4]] = 1 if strength > 0.5 else (0 if i % 2 else 2)
        sit(db, rnd, user, choices)
    db.session.commit()
    return rnd, questions, users


def test_a_round_sample_flags_the_miskeyed_question(app, db, closed_round):
    rnd, questions, _users = closed_round
    assert services.compute_sample(StatsScope.ROUND, rnd.id) == 5
    rows = {r.question.id: r.stat for r in services.item_rows(StatsScope.ROUND, rnd.id)}
    miskeyed = rows[questions[4].id]
    assert miskeyed.n == 40
    assert engine.FLAG_WRONG_KEY in miskeyed.flag_list
    assert miskeyed.discrimination < 0
    for q in questions[:4]:
        assert engine.FLAG_WRONG_KEY not in rows[q.id].flag_list
        assert rows[q.id].discrimination > 30
    # Question 3 is answered right only by the strongest fifth: too hard.
    assert engine.FLAG_TOO_HARD in rows[questions[3].id].flag_list
    test = services.sample(StatsScope.ROUND, rnd.id)
    assert test.n_attempts == 40 and test.n_questions == 5 and test.cic is not None


def test_first_attempts_only_by_default_with_a_switch_for_all(app, db, make, closed_round):
    rnd, questions, users = closed_round
    # A second attempt by the first entrant (everything right) and an unfinished one.
    sit(db, rnd, users[0], {q: 0 for q in questions}, number=2)
    sit(db, rnd, users[1], {q: 0 for q in questions}, number=2, status=AttemptStatus.IN_PROGRESS)
    db.session.commit()
    services.compute_sample(StatsScope.ROUND, rnd.id, all_attempts=False)
    services.compute_sample(StatsScope.ROUND, rnd.id, all_attempts=True)
    assert services.sample(StatsScope.ROUND, rnd.id, False).n_attempts == 40
    assert services.sample(StatsScope.ROUND, rnd.id, True).n_attempts == 41
    first = {r.question.id: r.stat.n for r in services.item_rows(StatsScope.ROUND, rnd.id, False)}
    every = {r.question.id: r.stat.n for r in services.item_rows(StatsScope.ROUND, rnd.id, True)}
    assert set(first.values()) == {40} and set(every.values()) == {41}


def test_the_job_computes_round_contest_and_bank_and_replaces_old_rows(app, db, closed_round, tmp_path):
    rnd, questions, _users = closed_round
    seen = []
    result = services.run_item_statistics({"round_id": rnd.id}, lambda d, t: seen.append((d, t)), tmp_path)
    assert seen[-1] == (6, 6)
    assert result["questions"] == 5 and result["flagged"] >= 1
    text = (tmp_path / result["filename"]).read_text(encoding="utf-8-sig")
    assert "possibly_wrong_key" in text
    services.run_item_statistics({"round_id": rnd.id}, None, tmp_path)  # again: replaced, not duplicated
    count = db.session.scalar(sa.select(sa.func.count(ItemStatistic.id)))
    assert count == 5 * 3 * 2  # 5 questions × (round, contest, bank) × (first, all)
    assert db.session.scalar(sa.select(sa.func.count(SampleStatistic.id))) == 6
    bank = {r.question.id: r.stat for r in services.item_rows(StatsScope.BANK)}
    assert engine.FLAG_WRONG_KEY in bank[questions[4].id].flag_list


def test_cli_computes_a_round_and_names_an_unknown_one(app, db, runner, closed_round, tmp_path):
    rnd, _questions, _users = closed_round
    out = runner.invoke(args=["stats", "compute", "--round", str(rnd.id), "--output-dir", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert "5 câu hỏi" in out.output
    assert services.sample(StatsScope.ROUND, rnd.id) is not None
    bad = runner.invoke(args=["stats", "compute", "--round", "999999", "--output-dir", str(tmp_path)])
    assert bad.exit_code == 1 and "This round does not exist." in bad.output


def test_cli_pending_computes_closed_rounds_without_statistics_once(app, db, runner, make, closed_round, tmp_path):
    rnd, _questions, _users = closed_round
    make.round(quotas=(("TC", 0, 1),))  # open: not yet
    assert [r.id for r in services.closed_rounds_without_statistics()] == [rnd.id]
    out = runner.invoke(args=["stats", "compute", "--pending", "--output-dir", str(tmp_path)])
    assert out.exit_code == 0 and "5 câu hỏi" in out.output
    assert services.closed_rounds_without_statistics() == []
    again = runner.invoke(args=["stats", "compute", "--pending", "--output-dir", str(tmp_path)])
    assert "Không có vòng thi nào" in again.output


def test_organiser_pages_compute_now_and_show_flags(app, db, client, auth, make, closed_round):
    rnd, questions, _users = closed_round
    organiser = make.user(Role.ORGANISER)
    auth.login(organiser)
    index = client.get("/admin/stats").get_data(as_text=True)
    assert "Các vòng thi đã đóng chưa có thống kê" in index
    assert client.post("/admin/stats/compute", data={"round_id": rnd.id}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/admin/stats")
    resp = client.post("/admin/stats/compute", data={"round_id": rnd.id, "csrf_token": token})
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]  # a job (immediate in tests)
    job_page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã tính xong thống kê: 5 câu hỏi," in job_page
    assert f'href="/admin/stats/rounds/{rnd.id}"' in job_page and "/download" in job_page  # the CSV
    page = client.get(f"/admin/stats/rounds/{rnd.id}").get_data(as_text=True)
    assert "Có thể sai đáp án" in page and "Hệ số nhất quán nội tại" in page
    assert client.get(f"/admin/stats/rounds/{rnd.id}?all=1").status_code == 200
    assert client.get(f"/admin/stats/contests/{rnd.contest_id}").status_code == 200
    flagged = client.get("/admin/stats/bank?flagged=1").get_data(as_text=True)
    assert f"/admin/bank/{questions[4].id}" in flagged and f"/admin/bank/{questions[0].id}\"" not in flagged
    assert client.post("/admin/stats/compute", data={"round_id": 999999, "csrf_token": token}).status_code == 404


def test_participants_cannot_see_item_statistics(app, client, auth, make, closed_round):
    rnd, _q, _u = closed_round
    auth.login(make.user())
    assert client.get(f"/admin/stats/rounds/{rnd.id}").status_code == 403


def test_bank_editor_shows_figures_and_the_organiser_corrects_as_a_new_version(app, db, client, auth, make,
                                                                                 closed_round):
    rnd, questions, _users = closed_round
    services.run_item_statistics({"round_id": rnd.id}, None, __import__("tempfile").mkdtemp())
    miskeyed = questions[4]
    organiser = make.user(Role.ORGANISER)
    auth.login(organiser)
    html = client.get(f"/admin/bank/{miskeyed.id}").get_data(as_text=True)
    assert "Có thể sai đáp án" in html and "Phân tích phương án" in html and "Độ phân biệt" in html
    form = client.get(f"/admin/bank/{miskeyed.id}/edit").get_data(as_text=True)
    data = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}
    data.update({k: v for k, v in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', form)})
    data.update({"area_id": str(miskeyed.area_id), "difficulty": "1", "options-1-correct": "y"})
    data.pop("options-0-correct", None)
    data = {k: v for k, v in data.items() if not k.endswith("-correct") or k == "options-1-correct"}
    resp = client.post(f"/admin/bank/{miskeyed.id}/edit", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    new_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    from quizapp.bank.models import Question, QuestionStatus
    corrected = db.session.get(Question, new_id)
    assert corrected.version == 2
    assert [o.text for o in corrected.options if o.is_correct] == [miskeyed.options[1].text]
    assert db.session.get(Question, miskeyed.id).status == QuestionStatus.SUPERSEDED
    # The new version starts without figures; the old one keeps its own.
    assert "Phiên bản này chưa có số liệu thống kê" in client.get(f"/admin/bank/{new_id}").get_data(as_text=True)
    assert "Có thể sai đáp án" in client.get(f"/admin/bank/{miskeyed.id}").get_data(as_text=True)


def test_bank_list_marks_questions_the_statistics_flag(app, db, client, auth, make, closed_round, tmp_path):
    rnd, questions, _users = closed_round
    services.run_item_statistics({"round_id": rnd.id}, None, tmp_path)
    auth.login(make.user(Role.ORGANISER))
    html = client.get("/admin/bank?status=all").get_data(as_text=True)
    row = re.search(rf'href="/admin/bank/{questions[4].id}".*?</tr>', html, re.S).group(0)
    assert "Có thể sai đáp án" in row
    honest = re.search(rf'href="/admin/bank/{questions[0].id}".*?</tr>', html, re.S).group(0)
    assert "Có thể sai đáp án" not in honest


def test_the_csv_has_both_samples_and_the_option_analysis_with_formulas_escaped(app, db, make, closed_round,
                                                                              tmp_path):
    """Issue 21 item 4: the CSV lacked the option analysis and the all-attempts sample."""
    import csv as csv_module

    rnd, questions, users = closed_round
    questions[4].external_id = "=HYPERLINK(\"http://evil.example\")"
    sit(db, rnd, users[0], {q: 0 for q in questions}, number=2)  # a second attempt: all-attempts sample only
    db.session.commit()
    result = services.run_item_statistics({"round_id": rnd.id}, None, tmp_path)
    with open(result["path"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv_module.DictReader(fh))
    assert list(rows[0]) == services.CSV_HEADER
    by = {(r["sample"], int(r["question_id"]), r["option"]): r for r in rows}
    assert {r["sample"] for r in rows} == {"first_attempts", "all_attempts"}
    assert by[("first_attempts", questions[0].id, "A")]["n"] == "40"
    assert by[("all_attempts", questions[0].id, "A")]["n"] == "41"
    for all_attempts, label in ((False, "first_attempts"), (True, "all_attempts")):
        for row in services.item_rows(StatsScope.ROUND, rnd.id, all_attempts):
            for o in row.stat.options:
                line = by[(label, row.question.id, "ABCD"[o["position"]])]
                assert line["key"] == ("yes" if o["correct"] else "no")
                assert float(line["chosen"]) == pytest.approx(o["share"])
                assert float(line["upper_27"]) == pytest.approx(o["upper"])
                assert float(line["lower_27"]) == pytest.approx(o["lower"])
                pb = o["point_biserial"]  # None when nobody (or everybody) chose the option
                assert (line["point_biserial"] == "") if pb is None else float(line["point_biserial"]) == pytest.approx(pb)
    # The miskeyed question: its distractor B is chosen by the whole upper group.
    assert float(by[("first_attempts", questions[4].id, "B")]["upper_27"]) == 100.0
    assert by[("first_attempts", questions[4].id, "A")]["external_id"].startswith("'=")


def test_the_page_says_why_the_consistency_coefficient_is_missing(app, db, client, auth, make):
    """A one-question round: no CIC, and the page says it needs two questions (not a bare dash)."""
    question = make.question("TC", n_options=4, correct=(0,), text="Câu duy nhất?")
    now = utcnow()
    rnd = make.round(quotas=(("TC", 0, 1),), opens_at=now - timedelta(days=7), closes_at=now - timedelta(hours=1))
    for i, user in enumerate(_entrants(db, make, 4)):
        sit(db, rnd, user, {question: 0 if i % 2 else 1})
    db.session.commit()
    services.compute_sample(StatsScope.ROUND, rnd.id)
    db.session.commit()
    assert services.sample(StatsScope.ROUND, rnd.id).cic_note == engine.CIC_ONE_QUESTION
    auth.login(make.user(Role.ORGANISER))
    page = client.get(f"/admin/stats/rounds/{rnd.id}").get_data(as_text=True)
    assert "Không tính được: mỗi bài chỉ có một câu hỏi" in page


def test_compute_now_goes_through_dispatch_so_a_queue_can_take_it(app, db, client, auth, make, closed_round,
                                                                   monkeypatch):
    rnd, _q, _u = closed_round
    queued = []
    monkeypatch.setattr(services, "dispatch", lambda params, **_kw: queued.append(params))
    auth.login(make.user(Role.ORGANISER))
    token = csrf_token(client, "/admin/stats")
    resp = client.post("/admin/stats/compute", data={"round_id": rnd.id, "csrf_token": token}, follow_redirects=True)
    assert queued == [{"round_id": rnd.id}]
    assert "Thống kê đang được tính" in resp.get_data(as_text=True)
    assert services.sample(StatsScope.ROUND, rnd.id) is None  # nothing computed in the request


def test_compute_now_only_queues_the_job_and_its_page_follows_it(app, db, client, auth, make, closed_round,
                                                                  monkeypatch, tmp_path):
    from tests.jobs_support import held_queue, only_queued_job, run_and_download

    rnd, _q, _u = closed_round
    organiser = make.user(Role.ORGANISER)
    auth.login(organiser)
    with held_queue(app, tmp_path, monkeypatch):
        resp = client.post("/admin/stats/compute", data={"round_id": rnd.id,
                                                         "csrf_token": csrf_token(client, "/admin/stats")})
        assert resp.status_code == 303
        job = only_queued_job(db)
        assert resp.headers["Location"].endswith(f"/jobs/{job.id}")
        assert job.kind == "itemstats.compute" and job.requester_id == organiser.id
        assert "Thống kê đang được tính" in client.get(resp.headers["Location"]).get_data(as_text=True)
        assert services.sample(StatsScope.ROUND, rnd.id) is None  # nothing computed in the request
        csv_file, _page = run_and_download(client, db, job)
    # Header + 2 samples (first attempts, all attempts) × 5 questions × 4 options.
    assert csv_file.mimetype == "text/csv" and len(csv_file.get_data(as_text=True).splitlines()) == 1 + 2 * 5 * 4
    assert services.sample(StatsScope.ROUND, rnd.id) is not None


def test_the_consumer_computes_closed_rounds_every_ten_minutes_without_cron(app, db, make, closed_round):
    """"Computed by a job after each round closes": the periodic task picks up a round once it has
    closed and been finalised (its late attempts closed), with its contest and the bank, once."""
    from quizapp.attempts import tasks as attempt_tasks
    from quizapp.contests.models import Round
    from quizapp.itemstats import tasks as stats_tasks
    from quizapp.jobs import queue

    rnd, _q, _u = closed_round
    periodic = {t.__name__: t for t in queue.huey._registry._periodic_tasks}  # noqa: SLF001
    assert "compute_pending_statistics" in periodic
    open_round = make.round(quotas=(("TC", 0, 1),))  # still open: not yet
    stats_tasks.compute_pending_statistics()  # immediate mode: runs now, in its own app context
    db.session.rollback()
    assert services.sample(StatsScope.ROUND, rnd.id) is None  # closed but not finalised yet
    attempt_tasks.finalize_rounds()
    stats_tasks.compute_pending_statistics()
    db.session.rollback()
    assert db.session.get(Round, rnd.id).finalized_at is not None
    for scope, scope_id in ((StatsScope.ROUND, rnd.id), (StatsScope.CONTEST, rnd.contest_id), (StatsScope.BANK, 0)):
        assert services.sample(scope, scope_id) is not None and services.sample(scope, scope_id, True) is not None
    assert services.sample(StatsScope.ROUND, open_round.id) is None
    computed_at = services.sample(StatsScope.BANK, 0).computed_at
    stats_tasks.compute_pending_statistics()  # nothing new: nothing recomputed
    db.session.rollback()
    assert services.sample(StatsScope.BANK, 0).computed_at == computed_at
    assert services.closed_rounds_without_statistics() == []


def test_a_round_without_attempts_stores_an_empty_sample(app, db, make):
    rnd = make.round()
    assert services.compute_sample(StatsScope.ROUND, rnd.id) == 0
    sample = services.sample(StatsScope.ROUND, rnd.id)
    assert sample.n_attempts == 0 and sample.mean is None and services.item_rows(StatsScope.ROUND, rnd.id) == []
