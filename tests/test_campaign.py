"""Campaign kit (issue 14): share cards, short links, QR posters with unit tags, prizes and
certificates that can be verified, periodic reports.  Every generated file is read back
(pdftotext, python-docx, openpyxl, the PNG's text chunks) and compared with the expected
Vietnamese text, diacritics included; QR codes are decoded with zxing-cpp."""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.auth.models import Role
from quizapp.campaign import awards, certificates, links, print_settings, prizes, reports, verification
from quizapp.campaign.models import Arrival, Award, AwardKind
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from quizapp.units.models import UnitKind
from tests.conftest import csrf_token
from tests.jobs_support import held_queue, only_queued_job, run_and_download
from tests.leaderboards_support import live  # noqa: F401 - autouse: rankings see every submission

TITLE = "Cuộc thi tìm hiểu cải cách hành chính tỉnh Bà Rịa – Vũng Tàu năm 2026"
NEEDS_POPPLER = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode()


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_page_png(data: bytes, dpi: int = 150):
    from PIL import Image

    out = subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "-"], input=data,
                         capture_output=True, check=True)
    return Image.open(io.BytesIO(out.stdout))


def decode_qr(image) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(image)]


@pytest.fixture()
def world(make, db):
    """A province with two departments, a published contest with one open round, five entrants."""
    province = make.unit("Tỉnh Bà Rịa – Vũng Tàu", code="BRVT", kind=UnitKind.PROVINCE, headcount=0)
    snv = make.unit("Sở Nội vụ", parent=province, code="SNV", headcount=4)
    stp = make.unit("Sở Tư pháp", parent=province, code="STP", headcount=10)
    for _ in range(4):
        make.question()
    contest = make.contest(TITLE, published=True, description="Tìm hiểu Nghị quyết 76/NQ-CP về cải cách hành chính.")
    rnd = make.round(quotas=(("TC", 0, 4),), contest=contest, title="Tuần thi thứ nhất", number=1)
    people = {
        "Nguyễn Thị Hương": (snv, 4, 50), "Trần Văn Đức": (snv, 3, 40), "Lê Thị Ánh": (stp, 4, 70),
        "Phạm Quốc Việt": (stp, 1, 30), "Đặng Thùy Dương": (snv, 0, 20),
    }
    users = {}
    for name, (unit, correct, seconds) in people.items():
        users[name] = make.user(full_name=name, unit=unit)
        make.submission(rnd, users[name], correct, "2", start=utcnow() - timedelta(hours=2), seconds=seconds)
    organiser = make.user(role=Role.ORGANISER, unit=province, full_name="Ban Tổ chức")
    return {"province": province, "snv": snv, "stp": stp, "contest": contest, "round": rnd, "users": users,
            "organiser": organiser}


# --- 0. the shipped fonts ---------------------------------------------------------------------------

def test_every_shipped_font_draws_every_vietnamese_letter_and_the_punctuation_we_print():
    import unicodedata

    from fontTools.ttLib import TTFont

    from quizapp.campaign import render

    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]  # huyền sắc ngã hỏi nặng
    letters = {unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in tones} | set("đbcdghklmnpqrstvx")
    text = "".join(letters) + "".join(letters).upper() + "0123456789 –“”…•№.,:;!?()/%"
    assert len(letters) == 72 + 17
    for path in (render.SANS, render.SANS_BOLD, render.SERIF, render.SERIF_BOLD, render.SERIF_ITALIC):
        cmap = TTFont(path).getBestCmap()
        assert [c for c in text if ord(c) not in cmap] == [], path.name
    assert (render.FONT_DIR / "OFL.txt").read_text().count("SIL OPEN FONT LICENSE") == 1


# --- 1. share cards, meta tags, short links ------------------------------------------------------

def _meta(html: str, prop: str) -> str:
    m = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    assert m, f"no {prop}"
    return m.group(1)


def test_public_contest_page_carries_open_graph_tags_and_the_share_block(client, world):
    html = client.get(f"/contests/{world['contest'].slug}").get_data(as_text=True)
    assert _meta(html, "og:title") == TITLE
    assert _meta(html, "og:description").startswith("Tìm hiểu Nghị quyết 76/NQ-CP")
    assert _meta(html, "twitter:card") == "summary_large_image"
    assert '<link rel="canonical" href="http://localhost/contests/' in html
    image = _meta(html, "og:image")
    assert image.startswith(f"http://localhost/contests/{world['contest'].slug}/card.png?v=")
    code = links.short_code(world["contest"].id)
    assert f'value="http://localhost/c/{code}"' in html
    assert "https://zalo.me/share?url=http%3A%2F%2Flocalhost%2Fcontests%2F" in html
    assert "https://www.facebook.com/sharer/sharer.php?u=" in html and "%3Fu%3Dfacebook" in html


def test_round_pages_carry_the_tags_of_their_round(client, world):
    html = client.get(f"/rounds/{world['round'].id}/leaderboard").get_data(as_text=True)
    assert _meta(html, "og:title") == f"Tuần thi thứ nhất · {TITLE}"
    assert "/card.png?v=" in _meta(html, "og:image")
    for path in (f"/rounds/{world['round'].id}/units", f"/rounds/{world['round'].id}/stats"):
        assert "og:image" in client.get(path).get_data(as_text=True)


def test_share_card_is_a_1200x630_png_with_the_vietnamese_text_and_follows_changes(client, world, db):
    from fontTools.ttLib import TTFont
    from PIL import Image

    from quizapp.campaign import render
    from quizapp.contests.contests import contest_data_of, update_contest

    html = client.get(f"/contests/{world['contest'].slug}").get_data(as_text=True)
    url = _meta(html, "og:image").replace("http://localhost", "")
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "image/png"
    img = Image.open(io.BytesIO(resp.data))
    assert img.size == (1200, 630)
    assert img.text["Title"] == TITLE
    assert "Ủy ban nhân dân tỉnh Bà Rịa – Vũng Tàu" in img.text["Description"]
    # The shipped font draws every character (no missing-glyph boxes).
    cmap = TTFont(render.SANS_BOLD).getBestCmap()
    assert all(ord(ch) in cmap for ch in img.text["Title"] + img.text["Description"])
    # Editing the contest draws a new card under a new URL.
    data = contest_data_of(world["contest"])
    data.title = "Hội thi Cải cách hành chính – Tuần lễ Đổi mới"
    update_contest(world["contest"], data, None)
    db.session.commit()
    html2 = client.get(f"/contests/{world['contest'].slug}").get_data(as_text=True)
    url2 = _meta(html2, "og:image").replace("http://localhost", "")
    assert url2 != url
    assert Image.open(io.BytesIO(client.get(url2).data)).text["Title"] == "Hội thi Cải cách hành chính – Tuần lễ Đổi mới"


def test_short_link_leads_to_the_contest_keeping_the_tag(client, world, make):
    code = links.short_code(world["contest"].id)
    resp = client.get(f"/c/{code}?u=zalo")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/contests/{world['contest'].slug}?u=zalo")
    assert client.get("/c/zzzzz").status_code == 404
    draft = make.contest("Bản nháp")
    assert client.get(f"/c/{links.short_code(draft.id)}").status_code == 404


# --- 2. posters, tags per channel/unit ---------------------------------------------------------------

@NEEDS_POPPLER
@pytest.mark.parametrize("size,points", [("A4", "595.28 x 841.89"), ("A3", "841.89 x 1190.55")])
def test_unit_poster_prints_the_steps_and_its_qr_decodes_to_the_unit_tagged_url(client, auth, world, size, points):
    auth.login(world["organiser"])
    resp = client.get(f"/admin/contests/{world['contest'].id}/poster.pdf?size={size}&unit={world['snv'].id}")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = flat(pdf_text(resp.data))
    assert "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU" in text
    assert flat(TITLE) in text
    assert "Dành cho: Sở Nội vụ" in text
    assert "THAM GIA TRONG 3 BƯỚC" in text
    assert "Đăng nhập hoặc đăng ký tài khoản bằng số điện thoại của bạn" in text
    info = subprocess.run(["pdfinfo", "-"], input=resp.data, capture_output=True, check=True).stdout.decode()
    assert points in info
    expected = f"http://localhost/contests/{world['contest'].slug}?u=SNV"
    assert decode_qr(pdf_page_png(resp.data, 100 if size == "A4" else 72)) == [expected]


@NEEDS_POPPLER
def test_unit_manager_prints_posters_of_his_units_only(client, auth, world, make):
    manager = make.user(role=Role.UNIT_MANAGER, unit=world["snv"])
    auth.login(manager)
    base = f"/admin/contests/{world['contest'].id}/poster.pdf"
    page = client.get(f"/contests/{world['contest'].slug}").get_data(as_text=True)
    assert f"{base}?unit={world['snv'].id}&amp;size=A4" in page
    assert client.get(f"{base}?unit={world['snv'].id}").status_code == 200
    assert client.get(f"{base}?unit={world['stp'].id}").status_code == 403
    own = client.get(base)  # without a unit: his own unit's poster (the contest-wide one is the organisers')
    assert own.status_code == 200 and "Dành cho: Sở Nội vụ" in flat(pdf_text(own.data))


def test_registrations_and_attempts_through_tagged_links_are_counted_per_tag(client, auth, world, make, db):
    from tests.test_auth import _register_data

    contest, rnd = world["contest"], world["round"]
    client.get(f"/contests/{contest.slug}?u=SNV")
    resp = client.post("/register", data=_register_data(client, world["snv"]))
    assert resp.status_code == 302
    auth.login("0912345678", "mat-khau-moi-1")  # registering does not log in (issue 11 item 8)
    resp = client.post(f"/rounds/{rnd.id}/start", data={"csrf_token": csrf_token(client, f"/rounds/{rnd.id}/start")})
    assert resp.status_code == 303
    auth.logout()
    other = make.user(unit=world["stp"])
    client.get(f"/c/{links.short_code(contest.id)}?u=zalo", follow_redirects=True)
    auth.login(other)
    client.post(f"/rounds/{rnd.id}/start", data={"csrf_token": csrf_token(client, f"/rounds/{rnd.id}/start")})
    rows = {r.tag: r for r in links.channel_report(contest.id)}
    assert (rows["SNV"].label, rows["SNV"].registrations, rows["SNV"].attempts) == ("Sở Nội vụ", 1, 1)
    assert (rows["zalo"].label, rows["zalo"].registrations, rows["zalo"].attempts) == ("Zalo", 0, 1)
    auth.logout()
    auth.login(world["organiser"])
    page = client.get(f"/admin/contests/{contest.id}/campaign").get_data(as_text=True)
    assert "Sở Nội vụ" in page and "<code>zalo</code>" in page


# --- 3. prizes and certificates ----------------------------------------------------------------------

def test_prizes_follow_the_ranking_and_a_bad_line_is_named(world, db):
    contest, rnd, organiser = world["contest"], world["round"], world["organiser"]
    n = prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì: 2", organiser)
    db.session.commit()
    assert n.total == 3
    got = [(a.prize, a.recipient_name, a.unit_name, a.rank) for a in awards.prize_awards(contest.id)]
    # 4/4 in 50 s beats 4/4 in 70 s; then 3/4.
    assert got == [("Giải Nhất", "Nguyễn Thị Hương", "Sở Nội vụ", 1), ("Giải Nhì", "Lê Thị Ánh", "Sở Tư pháp", 2),
                   ("Giải Nhì", "Trần Văn Đức", "Sở Nội vụ", 3)]
    with pytest.raises(ServiceError) as exc:
        prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì hai", organiser)
    assert "Line 2" in exc.value.message
    units = prizes.mark_prizes(contest, rnd.id, AwardKind.UNIT, "Giải Nhất tập thể: 1", organiser)
    db.session.commit()
    assert units.total == 1
    unit_award = db.session.scalar(sa.select(Award).where(Award.kind == AwardKind.UNIT))
    assert unit_award.recipient_name == "Sở Nội vụ"  # 3 of 4 took part, against 2 of 10
    # Marking again with other prizes revokes the earlier ones (with a reason: tests/test_certificates_kept.py).
    prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Đặc biệt: 1", organiser, reason="Sai cơ cấu giải")
    db.session.commit()
    assert [a.prize for a in awards.prize_awards(contest.id) if a.kind == AwardKind.INDIVIDUAL] == ["Giải Đặc biệt"]


def test_organiser_marks_prizes_in_the_page_and_errors_are_shown_in_vietnamese(client, auth, world, db):
    auth.login(world["organiser"])
    url = f"/admin/contests/{world['contest'].id}/campaign"
    token = csrf_token(client, url)
    bad = client.post(f"{url}/prizes", data={"csrf_token": token, "round_id": str(world["round"].id),
                                            "kind": "individual", "tiers": "Giải Nhất 1"})
    assert bad.status_code == 422
    assert "Dòng 1" in bad.get_data(as_text=True)
    ok = client.post(f"{url}/prizes", data={"csrf_token": token, "round_id": "", "kind": "individual",
                                           "tiers": "Giải Nhất: 1"})
    assert ok.status_code == 302
    assert db.session.scalar(sa.select(Award.recipient_name)) == "Nguyễn Thị Hương"


@NEEDS_POPPLER
def test_certificate_reads_as_an_official_certificate_and_its_qr_leads_to_the_verify_page(app, world, db):
    print_settings.save_settings(world["contest"].id, {
        "organiser": "Ủy ban nhân dân tỉnh Bà Rịa – Vũng Tàu", "issuer": "Ban Tổ chức cuộc thi",
        "place": "Bà Rịa – Vũng Tàu", "signer_title": "Trưởng Ban Tổ chức", "signer_name": "Nguyễn Văn Thành"})
    prizes.mark_prizes(world["contest"], world["round"].id, AwardKind.INDIVIDUAL, "Giải Nhất: 1", world["organiser"])
    db.session.commit()
    award = awards.prize_awards(world["contest"].id)[0]
    pdf = certificates.certificate_for(award, "https://cchc.example.vn")
    text = flat(pdf_text(pdf))
    code = verification.verification_code(award.id)
    for expected in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU", "BAN TỔ CHỨC CUỘC THI", "GIẤY CHỨNG NHẬN",
                     "Nguyễn Thị Hương", "Đơn vị: Sở Nội vụ", f"Đã đạt Giải Nhất – Tuần thi thứ nhất, {flat(TITLE)}",
                     "TRƯỞNG BAN TỔ CHỨC", "Nguyễn Văn Thành", f"Mã xác thực: {code}"]:
        assert expected in text, expected
    assert re.search(r"Bà Rịa – Vũng Tàu, ngày \d\d tháng \d\d? năm 20\d\d", text)
    assert decode_qr(pdf_page_png(pdf, 150)) == [f"https://cchc.example.vn/verify/{code}"]


def test_verify_page_shows_name_unit_achievement_and_nothing_else(client, world, db):
    prizes.mark_prizes(world["contest"], world["round"].id, AwardKind.INDIVIDUAL, "Giải Nhất: 1", world["organiser"])
    db.session.commit()
    award = awards.prize_awards(world["contest"].id)[0]
    user = world["users"]["Nguyễn Thị Hương"]
    html = client.get(f"/verify/{verification.verification_code(award.id)}").get_data(as_text=True)
    assert "Nguyễn Thị Hương" in html and "Sở Nội vụ" in html and "Giải Nhất – Tuần thi thứ nhất" in html
    for private in (user.phone, str(user.date_of_birth), "4/4", user.date_of_birth.strftime("%d/%m/%Y")):
        assert private not in html
    forged = verification.verification_code(award.id)[:-1] + ("A" if not verification.verification_code(award.id).endswith("A") else "B")
    assert client.get(f"/verify/{forged}").status_code == 404
    assert client.get("/verify/nonsense").status_code == 404


def test_entrant_downloads_his_own_certificate_from_the_result_page_and_no_one_elses(client, auth, world, db):
    from quizapp.attempts.models import Attempt

    prizes.mark_prizes(world["contest"], world["round"].id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì: 1",
                         world["organiser"])
    db.session.commit()
    first, second = awards.prize_awards(world["contest"].id)
    winner = world["users"]["Nguyễn Thị Hương"]
    auth.login(winner)
    attempt_id = db.session.scalar(sa.select(Attempt.id).where(Attempt.user_id == winner.id))
    # Not before the winners list is published (the organiser may still mark again).
    assert f"/my/certificates/{first.id}.pdf" not in client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert client.get(f"/my/certificates/{first.id}.pdf").status_code == 404
    prizes.publish_winners(world["contest"].id, world["organiser"].id)
    db.session.commit()
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f"/my/certificates/{first.id}.pdf" in page
    resp = client.get(f"/my/certificates/{first.id}.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert client.get(f"/my/certificates/{second.id}.pdf").status_code == 404
    assert "Giải Nhất" in client.get("/my/certificates").get_data(as_text=True)
    assert f"/my/certificates/{first.id}.pdf" in client.get("/my/attempts").get_data(as_text=True)  # his history


def test_every_finisher_gets_a_certificate_in_one_statement(world, db):
    n = prizes.mark_finishers(world["contest"], None, world["organiser"].id)
    db.session.commit()
    assert n == 5
    names = set(db.session.scalars(sa.select(Award.recipient_name).where(Award.kind == AwardKind.FINISHER)))
    assert names == set(world["users"])
    award = db.session.scalar(sa.select(Award).where(Award.recipient_name == "Đặng Thùy Dương"))
    assert verification.award_by_code(verification.verification_code(award.id)).id == award.id


@NEEDS_POPPLER
def test_jury_zip_holds_every_certificate_and_reports_progress(app, world, db, tmp_path, monkeypatch):
    prizes.mark_prizes(world["contest"], world["round"].id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Ba: 1",
                         world["organiser"])
    prizes.mark_finishers(world["contest"], world["round"].id, world["organiser"].id)
    db.session.commit()
    seen = []
    monkeypatch.setattr(certificates, "PARALLEL_FROM", 0)  # the worker processes of large batches
    monkeypatch.setattr(certificates, "BATCH", 4)
    result = certificates.run_certificates_zip({"contest_id": world["contest"].id, "base_url": "https://x.vn",
                                                "workers": 2}, lambda done, total: seen.append((done, total)), tmp_path)
    assert result["count"] == 7 and seen == [(0, 7), (4, 7), (7, 7)]
    with zipfile.ZipFile(result["path"]) as zf:
        names = zf.namelist()
        assert len(names) == 7 and all(n.endswith(".pdf") for n in names)
        texts = [flat(pdf_text(zf.read(n))) for n in names]
    assert sum("Hoàn thành cuộc thi" in t for t in texts) == 5
    assert any("Lê Thị Ánh" in t and "Giải Ba" in t for t in texts)


def test_large_batches_never_build_in_the_request(client, auth, world, db, app, monkeypatch, tmp_path):
    """Above the inline limit the page offers a job; the request only queues it, the job writes the ZIP."""
    prizes.mark_finishers(world["contest"], None, world["organiser"].id)
    db.session.commit()
    monkeypatch.setitem(app.config, "CAMPAIGN_INLINE_CERTIFICATES", 3)
    auth.login(world["organiser"])
    contest_id = world["contest"].id
    page = client.get(f"/admin/contests/{contest_id}/campaign").get_data(as_text=True)
    assert f'action="/admin/contests/{contest_id}/certificates/job"' in page and "flask campaign" not in page
    refused = client.get(f"/admin/contests/{contest_id}/certificates.zip", follow_redirects=True)
    assert refused.mimetype == "text/html" and "tác vụ nền" in refused.get_data(as_text=True)
    assert client.post(f"/admin/contests/{contest_id}/certificates/job").status_code == 400  # no CSRF token
    with held_queue(app, tmp_path, monkeypatch) as queue:
        resp = client.post(f"/admin/contests/{contest_id}/certificates/job",
                           data={"csrf_token": csrf_token(client, f"/admin/contests/{contest_id}/campaign")})
        assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
        job = only_queued_job(db)  # nothing drawn in the request
        assert job.kind == "campaign.certificates" and queue.queue_depth() == 1
        download, page = run_and_download(client, db, job)
    assert download.mimetype == "application/zip" and "5 giấy chứng nhận trong tệp ZIP" in page
    assert len(zipfile.ZipFile(io.BytesIO(download.data)).namelist()) == 5
    monkeypatch.setitem(app.config, "CAMPAIGN_INLINE_CERTIFICATES", 300)
    resp = client.get(f"/admin/contests/{contest_id}/certificates.zip")
    assert resp.mimetype == "application/zip" and len(zipfile.ZipFile(io.BytesIO(resp.data)).namelist()) == 5


def test_finishers_beyond_the_inline_limit_are_certified_by_a_job(client, auth, runner, world, db, app,
                                                                    monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "CAMPAIGN_INLINE_FINISHERS", 4)
    auth.login(world["organiser"])
    url = f"/admin/contests/{world['contest'].id}/campaign"
    with held_queue(app, tmp_path, monkeypatch):
        resp = client.post(f"{url}/finishers", data={"csrf_token": csrf_token(client, url), "round_id": "",
                                                    "prize": "Hoàn thành cuộc thi"})
        assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
        job = only_queued_job(db)
        assert job.kind == "campaign.finishers" and job.params["actor_id"] == world["organiser"].id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 0  # none in the request
        from quizapp.jobs import services as job_services

        job_services.execute(job.id)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đã cấp 5 giấy chứng nhận hoàn thành." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award).where(
        Award.kind == AwardKind.FINISHER)) == 5
    result = runner.invoke(args=["campaign", "finishers", str(world["contest"].id)])  # the command stays
    assert result.exit_code == 0 and "0 new certificates of completion" in result.output  # each holds one already


def test_cli_writes_the_certificates_zip(runner, world, db, tmp_path):
    prizes.mark_finishers(world["contest"], None, world["organiser"].id)
    db.session.commit()
    result = runner.invoke(args=["campaign", "certificates", str(world["contest"].id), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "5 certificates" in result.output and list(tmp_path.glob("*.zip"))


def test_winners_list_is_public_once_published(client, auth, world, db):
    prizes.mark_prizes(world["contest"], world["round"].id, AwardKind.INDIVIDUAL, "Giải Nhất: 1", world["organiser"])
    db.session.commit()
    url = f"/contests/{world['contest'].slug}/winners"
    assert "Nguyễn Thị Hương" not in client.get(url).get_data(as_text=True)  # not published yet
    auth.login(world["organiser"])
    token = csrf_token(client, f"/admin/contests/{world['contest'].id}/campaign")
    client.post(f"/admin/contests/{world['contest'].id}/campaign/publish", data={"csrf_token": token, "publish": "1"})
    auth.logout()
    html = client.get(url).get_data(as_text=True)
    assert "Giải Nhất" in html and "Nguyễn Thị Hương" in html and "Sở Nội vụ" in html


# --- 4. periodic reports ---------------------------------------------------------------------------------

def _quarter_now():
    from quizapp.campaign.render import local_date

    today = local_date(utcnow())
    return today.year, (today.month - 1) // 3 + 1


def test_periods_are_the_calendar_ones_and_refusals_name_the_field():
    from datetime import date

    q = reports.period_of("quarter", 2026, 4)
    assert (q.start, q.end, q.label) == (date(2026, 10, 1), date(2026, 12, 31), "quý IV năm 2026")
    assert reports.period_of("half", 2026, 1).label == "6 tháng đầu năm 2026"
    assert reports.period_of("year", 2026).end == date(2026, 12, 31)
    assert reports.period_of("custom", start=date(2026, 3, 5), end=date(2026, 4, 1)).label == \
        "từ ngày 05/03/2026 đến ngày 01/04/2026"
    with pytest.raises(ServiceError) as exc:
        reports.period_of("custom", start=date(2026, 4, 5), end=date(2026, 4, 1))
    assert exc.value.field == "end"
    with pytest.raises(ServiceError) as exc:
        reports.period_of("quarter", 2026, 5)
    assert exc.value.field == "number"


def test_quarterly_report_docx_and_xlsx_hold_the_figures_in_vietnamese(app, world, db, tmp_path):
    import openpyxl
    from docx import Document

    year, quarter = _quarter_now()
    params = reports.report_params("quarter", year, quarter, unit_id=world["province"].id, threshold=50,
                                   doc_number="12/BC-BTC")
    result = reports.run_periodic_report(params, lambda d, t: None, tmp_path)
    doc = Document(result["path"])
    body = "\n".join(p.text for p in doc.paragraphs)
    header = [c.text for c in doc.tables[0].rows[0].cells]
    assert "ỦY BAN NHÂN DÂN TỈNH BÀ RỊA – VŨNG TÀU" in header[0] and "Số: 12/BC-BTC" in header[0]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in header[1] and "Độc lập - Tự do - Hạnh phúc" in header[1]
    assert re.search(r"Bà Rịa – Vũng Tàu, ngày \d\d tháng \d\d? năm", header[1])
    assert "BÁO CÁO" in body and f"quý {reports.ROMAN[quarter]} năm {year}" in body
    assert doc.styles["Normal"].font.name == "Times New Roman" and doc.styles["Normal"].font.size.pt == 14
    units = doc.tables[1]
    rows = {r.cells[1].text.strip(): [c.text for c in r.cells] for r in units.rows[1:]}
    # Sở Nội vụ: 3 entrants of 4 (75 %); Sở Tư pháp: 2 of 10 (20 %) → below the 50 % threshold.
    assert rows["Sở Nội vụ"][2:5] == ["4", "3", "75,0"]
    assert rows["Sở Tư pháp"][2:5] == ["10", "2", "20,0"]
    assert rows["Tỉnh Bà Rịa – Vũng Tàu"][2:4] == ["14", "5"]
    below = [t for t in doc.tables if t.rows[0].cells[-1].text == "Tỷ lệ tham gia bình quân (%)" and len(t.columns) == 4]
    assert [r.cells[1].text for r in below[0].rows[1:]] == ["Tỉnh Bà Rịa – Vũng Tàu", "Sở Tư pháp"]
    assert "Nguyễn Thị Hương" in "\n".join(c.text for t in doc.tables for r in t.rows for c in r.cells)
    assert "Nơi nhận:" in doc.tables[-1].rows[0].cells[0].text
    assert "TRƯỞNG BAN TỔ CHỨC" in doc.tables[-1].rows[0].cells[1].text
    book = openpyxl.load_workbook(result["annex"]["path"])
    assert book.sheetnames == ["Đơn vị", "Vòng thi", "Phân bố điểm", "Dưới ngưỡng", "Dẫn đầu", "Lĩnh vực"]
    sheet = book["Đơn vị"]
    found = {row[1]: row for row in sheet.iter_rows(min_row=4, values_only=True)}
    assert found["Sở Nội vụ"][3:5] == (4, 3) and found["Sở Nội vụ"][5] == pytest.approx(75.0)
    areas = list(book["Lĩnh vực"].iter_rows(min_row=4, values_only=True))
    assert areas and areas[0][1] == 20 and areas[0][2] == 12  # 20 answers, 12 right (4+3+4+1+0)


def test_unit_manager_gets_his_units_report_only(client, auth, world, make):
    manager = make.user(role=Role.UNIT_MANAGER, unit=world["snv"])
    auth.login(manager)
    year, quarter = _quarter_now()
    page = client.get("/reports").get_data(as_text=True)
    assert "Sở Nội vụ" in page and "Sở Tư pháp" not in page
    resp = client.get(f"/reports?kind=quarter&year={year}&number={quarter}&unit_id={world['snv'].id}&fmt=docx")
    assert resp.status_code == 200 and resp.mimetype.endswith("wordprocessingml.document")
    from docx import Document

    doc = Document(io.BytesIO(resp.data))
    assert "Phạm vi: Sở Nội vụ và các đơn vị trực thuộc" in "\n".join(p.text for p in doc.paragraphs)
    assert client.get(f"/reports?kind=quarter&year={year}&number={quarter}&unit_id={world['stp'].id}").status_code == 403
    assert client.post("/reports/job", data={"csrf_token": csrf_token(client, "/reports"), "kind": "quarter",
                                             "year": year, "number": quarter,
                                             "unit_id": world["stp"].id}).status_code == 403  # nor as a job
    bad = client.get(f"/reports?kind=quarter&year={year}&number=7&unit_id={world['snv'].id}")
    assert bad.status_code == 422 and "quý từ 1 đến 4" in bad.get_data(as_text=True).lower()


def test_organiser_downloads_the_province_report_and_annex_and_large_ones_go_to_a_job(
        client, auth, world, app, db, monkeypatch, tmp_path):
    auth.login(world["organiser"])
    year, quarter = _quarter_now()
    base = f"/reports?kind=quarter&year={year}&number={quarter}&unit_id={world['province'].id}"
    assert client.get(base + "&fmt=docx").status_code == 200
    xlsx = client.get(base + "&fmt=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    monkeypatch.setitem(app.config, "CAMPAIGN_INLINE_REPORT_ENTRANTS", 4)  # the world has 5 results
    big = client.get(base + "&fmt=docx&doc_number=12/BC-BTC")
    html = big.get_data(as_text=True)
    assert big.status_code == 200 and big.mimetype == "text/html" and "flask campaign" not in html
    assert 'action="/reports/job"' in html and "5 kết quả" in html
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                           html.split('id="report-job"')[1].split("</form>")[0]))
    assert form["doc_number"] == "12/BC-BTC" and "csrf_token" in form
    with held_queue(app, tmp_path, monkeypatch):
        resp = client.post("/reports/job", data=form)
        assert resp.status_code == 303 and "/jobs/" in resp.headers["Location"]
        job = only_queued_job(db)  # the request read no result and wrote no file
        assert job.kind == "campaign.report" and job.params["unit_id"] == world["province"].id
        download, _page = run_and_download(client, db, job)
    with zipfile.ZipFile(io.BytesIO(download.data)) as zf:
        names = sorted(zf.namelist(), key=lambda n: n.rsplit(".", 1)[1])
        assert [n.rsplit(".", 1)[1] for n in names] == ["docx", "xlsx"] and names[1].endswith("-phu-luc.xlsx")
        from docx import Document

        doc = Document(io.BytesIO(zf.read(names[0])))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "Số: 12/BC-BTC" in "\n".join(cells) and "Phạm vi: Tỉnh Bà Rịa – Vũng Tàu" in "\n".join(p.text for p in doc.paragraphs)


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")),
                    reason="!!! LibreOffice is not installed: the .docx report was NOT converted to PDF "
                           "(run `make campaign-render-deps` to install it) !!!")
def test_report_converts_to_pdf_with_libreoffice_and_reads_back(app, world, tmp_path):
    year, quarter = _quarter_now()
    result = reports.run_periodic_report(reports.report_params("quarter", year, quarter), lambda d, t: None, tmp_path)
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), result["path"]],
                   check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / result["filename"]).with_suffix(".pdf").read_bytes()
    text = flat(subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Sở Nội vụ" in text
