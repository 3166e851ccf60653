"""Certificates of a live event (issue 22, item 5), verifiable like the online contests' ones: issued
only from the results the organiser published; a code signed with the campaign kit's HMAC (its own
domain) that ``/verify/<code>`` checks; revocation with a reason, on the record; the ZIP's PDFs carry
``PUBLIC_BASE_URL/verify/<code>`` in text and in their QR code.  Abuse cases (docs/security.md, live
and campaign sections): an impostor printing a fake certificate, a prize-hunter guessing codes."""
from __future__ import annotations

import io
import re
import shutil
import zipfile

import pytest
import sqlalchemy as sa

from quizapp.campaign import verification, wording
from quizapp.campaign import links as short_links
from quizapp.campaign import verification
from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.jobs.models import Job
from quizapp.live import builder, certificates, play
from quizapp.live.models import LiveCertificate
from tests.conftest import csrf_token
from tests.live_support import build_event

NOT_FOUND = "Không có giấy chứng nhận nào mang mã xác thực này"
NEEDS_POPPLER = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")


@pytest.fixture()
def world(db, make):
    return build_event(db, make)


def _play_to_the_end(db, event, teams, organiser, points):
    """Open and close one question, give each team its points (the MC's corrections), finish."""
    play.next_step(event, utcnow(), organiser.id)
    play.next_step(event, utcnow(), organiser.id)
    item = play._item(event)
    play.close(event, utcnow(), organiser.id)
    for team, p in zip(teams, points):
        play.correct(event, team.id, item.id, p, "Điểm theo biên bản của Ban Giám khảo", organiser.id)
    play.finish(event, organiser.id)
    db.session.commit()
    return item


def _published(db, w, points=(30, 20, 10)):
    item = _play_to_the_end(db, w.event, w.teams, w.organiser, points)
    builder.publish_results(w.event, True, w.organiser.id)
    db.session.commit()
    return item


def _issue(db, w, reason=""):
    done = certificates.issue(w.event, w.organiser.id, reason)
    db.session.commit()
    return done


def _cert(db, event, team, member_no=0) -> LiveCertificate:
    return db.session.scalar(sa.select(LiveCertificate).where(
        LiveCertificate.event_id == event.id, LiveCertificate.team_id == team.id,
        LiveCertificate.member_no == member_no, LiveCertificate.revoked_at.is_(None)))


def _other_event(db, make, organiser):
    """Event B: two other units' teams, one knowledge question, played and published."""
    province = make.unit("Tỉnh Khác", code="TK")
    units = [make.unit(f"Phòng {n}", parent=province, code=f"P{n}") for n in (1, 2)]
    event = builder.create_event(builder.EventData("Hội thi Rung chuông vàng CCHC", "Nhà văn hóa tỉnh"), organiser.id)
    db.session.flush()
    teams = [builder.add_team(event, u.id, [f"Người dự thi {u.code}"], organiser.id) for u in units]
    part = builder.add_part(event, builder.PartData("knowledge", "Khởi động", seconds=20, points=10), organiser.id)
    builder.draw_questions(part, None, None, 1, False, organiser.id)
    play.start(event, organiser.id)
    db.session.commit()
    _play_to_the_end(db, event, teams, organiser, (5, 15))
    builder.publish_results(event, True, organiser.id)
    db.session.commit()
    return event, teams


def test_certificates_wait_for_the_results_the_organiser_published(app, db, auth, world):
    with pytest.raises(ServiceError) as running:
        certificates.issue(world.event, world.organiser.id)
    assert running.value.code == "not_finished"
    _play_to_the_end(db, world.event, world.teams, world.organiser, (30, 20, 10))
    with pytest.raises(ServiceError) as unpublished:
        certificates.issue(world.event, world.organiser.id)
    assert unpublished.value.code == "not_published"
    # Through the page: refused with the reason, no certificate, no job.
    auth.login(world.organiser)
    token = csrf_token(auth.client, f"/live/events/{world.event.id}/results")
    resp = auth.client.post(f"/live/events/{world.event.id}/certificates", data={"csrf_token": token},
                            follow_redirects=True)
    assert "hãy công bố kết quả chung cuộc trước" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LiveCertificate)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    # Withdrawing the results again closes the door again.
    builder.publish_results(world.event, True, world.organiser.id)
    builder.publish_results(world.event, False, world.organiser.id)
    with pytest.raises(ServiceError):
        certificates.issue(world.event, world.organiser.id)


def test_a_live_code_verifies_and_shows_the_event_team_member_and_place(app, db, client, world):
    _published(db, world)
    done = _issue(db, world)
    assert (done.added, done.kept, done.revoked) == (9, 0, 0)
    second = world.teams[1]  # 20 points: second place
    team_cert = _cert(db, world.event, second)
    code = certificates.code_of(team_cert.id)
    assert re.fullmatch(r"HT-[0-9A-Z]+-[A-Z2-7]{8}", code)
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Giấy chứng nhận này là thật." in html and "thu hồi" not in html
    for expected in ("Hội thi CCHC thử", "Hội trường A", "Sở 2", "giải Nhì Hội thi CCHC thử", "hạng 2", code):
        assert expected in html, expected
    finished = db.session.scalar(sa.select(AuditEntry.created_at).where(AuditEntry.action == "live.finish"))
    assert wording.nfc(finished.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh"))
                        .strftime("%d/%m/%Y")) in html
    assert "Thành viên S1-1" not in html and "Sở 1" not in html  # nobody else's certificate
    member = _cert(db, world.event, world.teams[0], member_no=2)
    html = client.get(f"/verify/{certificates.code_of(member.id).lower()}").get_data(as_text=True)
    for expected in ("Thành viên S1-2", "Sở 1", "giải Nhất Hội thi CCHC thử", "hạng 1"):
        assert expected in html, expected
    assert "Thành viên S1-1" not in html


def test_one_changed_character_is_the_not_found_page(app, db, client, world):
    _published(db, world)
    _issue(db, world)
    cert = _cert(db, world.event, world.teams[0], member_no=1)
    code = certificates.code_of(cert.id)
    assert client.get(f"/verify/{code}").status_code == 200
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    for i, ch in enumerate(code):
        if ch == "-":
            continue
        other = alphabet[(alphabet.index(ch) + 1) % len(alphabet)] if ch in alphabet else "A"
        forged = code[:i] + other + code[i + 1:]
        resp = client.get(f"/verify/{forged}")
        body = resp.get_data(as_text=True)
        assert resp.status_code == 404, forged
        assert NOT_FOUND in body and "Traceback" not in body and "Thành viên S1-1" not in body
    # Today's printed reference numbers, and hand-made shapes, are no codes either.
    for junk in (f"HT{world.event.id}-{world.teams[0].id}-1", "HT-1-", "HT--AAAAAAAA", "HT-ZZZZZZZZZ-AAAAAAAA",
                 "HT-1-AAAAAAAA-X", "XX-1-AAAAAAAA", "-".join(["HT"] * 3)):
        assert client.get(f"/verify/{junk}").status_code == 404, junk


def test_a_code_of_event_a_never_verifies_as_event_b(app, db, client, make, world):
    _published(db, world)
    _issue(db, world)
    event_b, teams_b = _other_event(db, make, world.organiser)
    certificates.issue(event_b, world.organiser.id)
    db.session.commit()
    a = _cert(db, world.event, world.teams[0])
    b = _cert(db, event_b, teams_b[1])
    code_a = certificates.code_of(a.id)
    html = client.get(f"/verify/{code_a}").get_data(as_text=True)
    assert "Hội thi CCHC thử" in html and "Rung chuông vàng" not in html
    html_b = client.get(f"/verify/{certificates.code_of(b.id)}").get_data(as_text=True)
    assert "Rung chuông vàng" in html_b and "Phòng 2" in html_b and "giải Nhất" in html_b
    # A's signature on B's number (and the other way round): 404.
    prefix, _number, sig = code_a.split("-")
    b_number = certificates.code_of(b.id).split("-")[1]
    assert client.get(f"/verify/{prefix}-{b_number}-{sig}").status_code == 404
    # Every certificate has its own code: no two codes alike across both events.
    codes = [certificates.code_of(c.id) for c in db.session.scalars(sa.select(LiveCertificate))]
    assert len(codes) == len(set(codes)) == 9 + 4
    # A live code's signature never passes for an online contest's award of the same number (other domain).
    assert verification.award_by_code(f"{short_links.short_code(a.id).upper()}-{sig}") is None
    assert sig != verification.verification_code(a.id).split("-")[1]


def test_a_revoked_live_certificate_says_revoked_and_leaves_the_zip(app, db, auth, client, world):
    _published(db, world)
    _issue(db, world)
    cert = _cert(db, world.event, world.teams[2], member_no=1)
    code = certificates.code_of(cert.id)
    auth.login(world.organiser)
    url = f"/live/events/{world.event.id}/results"
    page = auth.client.get(url).get_data(as_text=True)
    assert code in page and "Thu hồi" in page
    token = csrf_token(auth.client, url)
    revoke = f"/live/events/{world.event.id}/certificates/revoke"
    # Without a reason: refused, nothing changes.
    resp = auth.client.post(revoke, data={"csrf_token": token, "certificate_id": cert.id, "reason": "  "},
                            follow_redirects=True)
    assert "Hãy ghi lý do thu hồi giấy chứng nhận." in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(LiveCertificate, cert.id).revoked_at is None
    # Another event's id in the form: not found, nothing changes.
    resp = auth.client.post(revoke, data={"csrf_token": token, "certificate_id": 10 ** 6, "reason": "x"})
    assert resp.status_code == 302
    resp = auth.client.post(revoke, data={"csrf_token": token, "certificate_id": cert.id,
                                          "reason": "Thành viên không có mặt, thay người khác"}, follow_redirects=True)
    assert code in resp.get_data(as_text=True)
    db.session.expire_all()
    revoked = db.session.get(LiveCertificate, cert.id)
    assert revoked.revoked_at is not None and revoked.revoked_by_id == world.organiser.id
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "đã bị thu hồi" in html and "Thành viên S3-1" in html
    assert "thay người khác" not in html  # the reason stays on the organiser's page
    page = auth.client.get(url).get_data(as_text=True)
    assert "thay người khác" in page and "đã thu hồi giấy chứng nhận" in page  # the record, in Vietnamese
    # Revoking twice is refused; the ZIP leaves it out.
    with pytest.raises(ServiceError):
        certificates.revoke(world.event, cert.id, "lần nữa", world.organiser.id)
    names = [n for n, _f in certificates.facts(world.event, "https://x.example")]
    assert len(names) == 8 and not any(code in n for n in names)


def test_issuing_again_keeps_the_codes_and_revokes_only_with_a_reason(app, db, world):
    item = _published(db, world)
    _issue(db, world)
    first = _cert(db, world.event, world.teams[0]).id
    third = _cert(db, world.event, world.teams[2]).id
    again = _issue(db, world)
    assert (again.added, again.kept, again.revoked) == (0, 9, 0)
    # A late correction swaps second and third place: their certificates no longer say the truth.
    play.correct(world.event, world.teams[2].id, item.id, 25, "Phúc khảo", world.organiser.id)
    db.session.commit()
    with pytest.raises(ServiceError) as refused:
        certificates.issue(world.event, world.organiser.id)
    assert refused.value.code == "reason_required" and "Sở 2" in refused.value.message
    db.session.rollback()
    done = _issue(db, world, "Phúc khảo đổi hạng Nhì và Ba")
    assert (done.added, done.kept, done.revoked) == (6, 3, 6)
    assert _cert(db, world.event, world.teams[0]).id == first  # unchanged: the same code
    new_third = _cert(db, world.event, world.teams[2])
    assert new_third.id != third and new_third.place == 2 and new_third.prize == "giải Nhì"
    assert db.session.get(LiveCertificate, third).revoked_reason == "Phúc khảo đổi hạng Nhì và Ba"


@NEEDS_POPPLER
def test_the_zip_carries_verify_links_built_from_public_base_url(app, db, world):
    import subprocess

    import zxingcpp
    from PIL import Image

    from quizapp.jobs.services import result_file

    from flask import g

    from tests.factories import DEFAULT_PASSWORD

    app.config["PUBLIC_BASE_URL"] = "https://hoithi.example.gov.vn"
    _published(db, world)
    # The organiser's browser reaches the app under a forged Host (the session cookie is per host).
    evil, forged = app.test_client(), {"base_url": "http://evil.example", "headers": {"X-Forwarded-Host": "evil.example"}}

    def token(path):
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        html = evil.get(path, **forged).get_data(as_text=True)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    evil.post("/login", data={"login": world.organiser.login_name, "password": DEFAULT_PASSWORD,
                              "csrf_token": token("/login")}, **forged)
    resp = evil.post(f"/live/events/{world.event.id}/certificates",
                     data={"csrf_token": token(f"/live/events/{world.event.id}/results")}, **forged)
    assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
    job = db.session.scalar(sa.select(Job).order_by(Job.id.desc()))
    db.session.refresh(job)
    assert job.status.value == "done", job.message
    expected = {certificates.code_of(c.id): c for c in db.session.scalars(sa.select(LiveCertificate))}
    assert len(expected) == 9
    with zipfile.ZipFile(result_file(job)) as zf:
        pdfs = {name: zf.read(name) for name in zf.namelist()}
    seen = set()
    for name, data in pdfs.items():
        text = " ".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
                        .stdout.decode().split())
        code = re.search(r"Mã xác thực: (HT-\S+)", text).group(1)
        cert = expected[code]
        url = f"https://hoithi.example.gov.vn/verify/{code}"
        assert f"Kiểm tra tại: {url}" in text and "evil.example" not in text
        assert cert.recipient in text and f"Đã đạt {cert.prize} Hội thi CCHC thử" in text
        png = subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", "-"], input=data, capture_output=True,
                             check=True).stdout
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))] == [url]
        seen.add(code)
    assert seen == set(expected)


def test_prize_hunter_guessing_codes_meets_404s_then_the_rate_limit(app, db, client, world):
    import secrets

    _published(db, world)
    _issue(db, world)
    app.config["VERIFY_RATE_LIMIT"] = "20 per minute"
    real = {certificates.code_of(c.id) for c in db.session.scalars(sa.select(LiveCertificate))}
    statuses = []
    for n in range(1, 21):  # the next ids, with random signatures
        guess = f"HT-{short_links.short_code(n).upper()}-{''.join(secrets.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(8))}"
        assert guess not in real
        statuses.append(client.get(f"/verify/{guess}").status_code)
    assert statuses == [404] * 20
    assert client.get(f"/verify/{sorted(real)[0]}").status_code == 429  # the 21st request in the minute


def test_impostor_printing_a_fake_certificate_is_caught_by_the_verify_page(app, db, client, world):
    """The impostor copies the layout, a plausible number and a QR code; only a code signed with the
    server's key verifies, and what the page shows is what was issued, not what was printed."""
    _published(db, world)
    _issue(db, world)
    genuine = _cert(db, world.event, world.teams[2])  # third place
    code = certificates.code_of(genuine.id)
    # The third-placed team prints "giải Nhất" with its own genuine code: the page says giải Ba.
    html = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "giải Ba Hội thi CCHC thử" in html and "giải Nhất" not in html
    # A code signed with another key (a guessed SECRET_KEY) is not found.
    app.config["CERTIFICATE_KEY"] = "guessed-key"
    forged = certificates.code_of(genuine.id)
    app.config["CERTIFICATE_KEY"] = None
    assert forged != code and client.get(f"/verify/{forged}").status_code == 404
    # Registering the live kind twice under another domain is refused (no second meaning for "HT").
    with pytest.raises(ValueError):
        verification.register(verification.Kind("HT", "other", lambda n: None, "x.html"))


# --- a part's own prize ("Tiểu phẩm hay nhất") ------------------------------------------------------

def test_a_parts_own_prize_goes_to_its_best_teams_tied_ones_sharing_it_with_their_own_certificates(
        client, db, world):
    from quizapp.live import results

    world.knowledge.prize_title = "Giải Khởi động xuất sắc"  # already says "giải": not "giải Giải …"
    db.session.commit()
    a, b, c = world.teams
    _published(db, world, points=(20, 20, 10))
    rows = results.standings(world.event)
    (prize,) = results.part_prizes(world.event, rows)
    assert prize.title == "Giải Khởi động xuất sắc" and prize.best == 20 and not prize.by_votes
    assert sorted(prize.team_ids) == sorted([a.id, b.id])  # tied: both win it
    done = _issue(db, world)
    assert done.added == 9 + 6 and done.revoked == 0  # 3 teams × (1 + 2 members); the prize: 2 × (1 + 2)
    part_certs = db.session.scalars(sa.select(LiveCertificate).where(
        LiveCertificate.prize == "Giải Khởi động xuất sắc")).all()
    assert {(x.team_id, x.member_no) for x in part_certs} == {(t.id, n) for t in (a, b) for n in (0, 1, 2)}
    assert all(x.place == 0 for x in part_certs)
    ranking = _cert(db, world.event, a)
    assert ranking.prize == "giải Nhất" and ranking.place == 1  # the ranking's own certificate is untouched
    again = _issue(db, world)  # nothing changed: every certificate kept, the same codes
    assert (again.added, again.kept, again.revoked) == (0, 15, 0)
    page = client.get(f"/verify/{certificates.code_of(part_certs[0].id)}").get_data(as_text=True)
    assert "Giải Khởi động xuất sắc" in page and "hạng 0" not in page


def test_a_polls_prize_goes_to_the_team_with_the_most_audience_votes(db, make):
    from quizapp.live import results
    from quizapp.live.models import LiveAnswer

    w = build_event(db, make, start=False)
    poll = builder.add_part(w.event, builder.PartData("audience", "Bình chọn", poll=True,
                                                      prize_title="Đội được yêu thích nhất"), w.organiser.id)
    item = builder.add_poll(poll, w.organiser.id)
    db.session.flush()
    a, b, c = w.teams
    for n, team in enumerate([b, b, a, b, c, a]):  # b: 3 votes, a: 2, c: 1
        db.session.add(LiveAnswer(item_id=item.id, voter=f"d{n}", team_id=None, client_id=f"v{n}", option_id=team.id))
    db.session.add(LiveAnswer(item_id=item.id, voter=f"t{a.id}", team_id=a.id, client_id="team", option_id=a.id))
    db.session.commit()
    prizes = {p.part_id: p for p in results.part_prizes(w.event, results.standings(w.event))}
    assert prizes[poll.id].by_votes and prizes[poll.id].team_ids == [b.id] and prizes[poll.id].best == 3


def test_a_prize_needs_a_part_where_teams_score(db, world):
    with pytest.raises(ServiceError) as err:
        builder._check_part(builder.PartData("tiebreak", "Câu hỏi phụ", prize_title="Giải phụ"))
    assert err.value.field == "prize_title"
    with pytest.raises(ServiceError) as err:
        builder._check_part(builder.PartData("audience", "Khán giả", prize_title="Khán giả may mắn"))
    assert err.value.field == "prize_title"
    assert builder._check_part(builder.PartData("judged", "Tiểu phẩm", rubric="Nội dung: 5",
                                                prize_title="  Tiểu phẩm   hay nhất "))["prize_title"] == \
        "Tiểu phẩm hay nhất"
