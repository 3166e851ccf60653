"""Issue 21, items 5 and 6: a certificate, once issued, stays a record (marking again adds or
revokes with a reason, never deletes, and /verify says when one was revoked); winners download
only once the list is published; every prize decision is in the audit log in Vietnamese; the
prize page keeps the tiers, names the contest of its certificates and says when results are final;
the home page tells a winner she won."""
from __future__ import annotations

import re

import sqlalchemy as sa

from quizapp.auth.models import Role
from quizapp.campaign import awards, prizes, verification
from quizapp.campaign.models import Award, AwardKind
from quizapp.core.audit import AuditEntry
from quizapp.core.db import utcnow
from quizapp.core.errors import ServiceError
from tests.conftest import csrf_token
from tests.leaderboards_support import live  # noqa: F401 - autouse: rankings see every submission
from tests.test_campaign import world  # noqa: F401 - the same province, contest and five entrants


def _codes(contest_id):
    return {a.recipient_name: verification.verification_code(a.id) for a in awards.prize_awards(contest_id)}


def test_marking_again_never_invalidates_a_certificate_already_issued(client, world, db):  # noqa: F811
    contest, rnd, organiser = world["contest"], world["round"], world["organiser"]
    prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì: 2", organiser)
    db.session.commit()
    issued = _codes(contest.id)  # downloaded by the winners, printed, framed
    # The same marking again: every certificate stays the same record, with the same code.
    again = prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì: 2", organiser)
    db.session.commit()
    assert (again.added, again.kept, again.revoked) == (0, 3, 0)
    assert _codes(contest.id) == issued
    for code in issued.values():
        page = client.get(f"/verify/{code}")
        assert page.status_code == 200 and "là thật" in page.get_data(as_text=True)
    # A different marking would take certificates back: refused without a reason, nothing changed.
    try:
        prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Ba: 1", organiser)
        raise AssertionError("marking that revokes must ask for a reason")
    except ServiceError as exc:
        assert exc.field == "reason" and "Trần Văn Đức" in exc.message
    db.session.rollback()
    assert _codes(contest.id) == issued
    # With a reason: the Nhì certificates are revoked (kept on record), the new Ba one is added.
    done = prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Ba: 1", organiser,
                                reason="Hội đồng giám khảo điều chỉnh cơ cấu giải")
    db.session.commit()
    assert (done.added, done.kept, done.revoked) == (1, 1, 2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Award)) == 4  # nothing deleted
    assert client.get(f"/verify/{issued['Nguyễn Thị Hương']}").status_code == 200
    revoked = client.get(f"/verify/{issued['Trần Văn Đức']}")
    html = revoked.get_data(as_text=True)
    assert revoked.status_code == 200 and "đã bị thu hồi ngày" in html and "là thật" not in html
    assert re.search(r"thu hồi ngày \d\d/\d\d/\d{4}", html)
    assert [a.prize for a in awards.prize_awards(contest.id)] == ["Giải Nhất", "Giải Ba"]  # the public list


def test_finishers_marked_again_keep_their_certificates(client, world, db):  # noqa: F811
    contest, organiser = world["contest"], world["organiser"]
    assert prizes.mark_finishers(contest, None, organiser.id) == 5
    db.session.commit()
    first = {a.id for a in db.session.scalars(sa.select(Award))}
    assert prizes.mark_finishers(contest, None, organiser.id, "Hoàn thành xuất sắc") == 0
    db.session.commit()
    assert {a.id for a in db.session.scalars(sa.select(Award))} == first
    code = verification.verification_code(min(first))
    assert client.get(f"/verify/{code}").status_code == 200


def test_organiser_revokes_one_certificate_with_a_reason_and_it_leaves_every_list(client, auth, world, db):  # noqa: F811
    contest, rnd = world["contest"], world["round"]
    prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1\nGiải Nhì: 1", world["organiser"])
    prizes.publish_winners(contest.id, world["organiser"].id)
    db.session.commit()
    second = awards.prize_awards(contest.id)[1]
    auth.login(world["organiser"])
    url = f"/admin/contests/{contest.id}/campaign"
    token = csrf_token(client, url)
    refused = client.post(f"{url}/awards/{second.id}/revoke", data={"csrf_token": token, "reason": ""},
                          follow_redirects=True)
    assert "Hãy ghi lý do thu hồi" in refused.get_data(as_text=True)
    assert db.session.get(Award, second.id).revoked_at is None
    ok = client.post(f"{url}/awards/{second.id}/revoke", data={"csrf_token": token, "reason": "Gian lận khi thi"},
                     follow_redirects=True)
    assert "Đã thu hồi giấy chứng nhận" in ok.get_data(as_text=True)
    db.session.expire_all()
    award = db.session.get(Award, second.id)
    assert award.revoked_at is not None and award.revoked_reason == "Gian lận khi thi"
    assert "Lê Thị Ánh" not in client.get(f"/contests/{contest.slug}/winners").get_data(as_text=True)
    assert client.get(f"/admin/awards/{second.id}/certificate.pdf").status_code == 404
    auth.logout()
    auth.login(world["users"]["Lê Thị Ánh"])
    assert client.get(f"/my/certificates/{second.id}.pdf").status_code == 404
    assert "đã bị thu hồi" in client.get(f"/verify/{verification.verification_code(second.id)}").get_data(as_text=True)


def test_winners_download_only_once_the_list_is_published(client, auth, world, db):  # noqa: F811
    contest, rnd = world["contest"], world["round"]
    winner = world["users"]["Nguyễn Thị Hương"]
    prizes.mark_prizes(contest, rnd.id, AwardKind.INDIVIDUAL, "Giải Nhất: 1", world["organiser"])
    db.session.commit()
    prize = awards.prize_awards(contest.id)[0]
    auth.login(winner)
    assert client.get(f"/my/certificates/{prize.id}.pdf").status_code == 404
    assert "Giải Nhất" not in client.get("/my/certificates").get_data(as_text=True)
    assert "Chúc mừng" not in client.get("/").get_data(as_text=True)
    prizes.publish_winners(contest.id, world["organiser"].id)
    db.session.commit()
    assert client.get(f"/my/certificates/{prize.id}.pdf").status_code == 200
    home = client.get("/").get_data(as_text=True)  # the home page tells her she won
    assert "Chúc mừng bạn đã đoạt giải!" in home and "Giải Nhất – Tuần thi thứ nhất" in home
    assert f"/my/certificates/{prize.id}.pdf" in home
    auth.logout()
    auth.login(world["users"]["Lê Thị Ánh"])
    assert "Chúc mừng" not in client.get("/").get_data(as_text=True)


def test_prize_decisions_are_in_the_audit_log_in_vietnamese(client, auth, make, world, db):  # noqa: F811
    contest, rnd = world["contest"], world["round"]
    auth.login(world["organiser"])
    url = f"/admin/contests/{contest.id}/campaign"
    token = csrf_token(client, url)
    assert client.post(f"{url}/prizes", data={"csrf_token": token, "round_id": str(rnd.id), "kind": "individual",
                                              "tiers": "Giải Nhất: 1\nGiải Nhì: 1"}).status_code == 302
    assert client.post(f"{url}/publish", data={"csrf_token": token, "publish": "1"}).status_code == 302
    assert client.post(f"{url}/finishers", data={"csrf_token": token, "round_id": "",
                                                 "prize": "Hoàn thành cuộc thi"}).status_code == 302
    assert client.get(f"/admin/contests/{contest.id}/certificates.zip").mimetype == "application/zip"
    award = awards.prize_awards(contest.id)[1]
    client.post(f"{url}/awards/{award.id}/revoke", data={"csrf_token": token, "reason": "Sai sót"})
    actions = list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("campaign.%"))
                                      .order_by(AuditEntry.id)))
    assert actions == ["campaign.prizes", "campaign.publish_winners", "campaign.finishers",
                       "campaign.certificates_zip", "campaign.revoke"]
    auth.logout()
    auth.login(make.user(role=Role.ADMIN, full_name="Quản trị viên"))
    page = " ".join(client.get("/admin/audit").get_data(as_text=True).split())
    for sentence in ["đã xét giải cá nhân của", "2 giải mới, 0 giữ nguyên, 0 thu hồi",
                     "đã công bố danh sách đoạt giải của cuộc thi",
                     "đã cấp 5 giấy chứng nhận hoàn thành cho toàn cuộc thi",
                     "đã tải 7 giấy chứng nhận của toàn cuộc thi",
                     f"đã thu hồi giấy chứng nhận {verification.verification_code(award.id)} (Giải Nhì)"]:
        assert sentence in page, sentence
    assert "Tuần thi thứ nhất" in page and "Ban Tổ chức" in page


def test_prize_page_keeps_the_tiers_names_its_contest_and_says_when_results_are_final(client, auth, world, db):  # noqa: F811
    contest, rnd = world["contest"], world["round"]
    auth.login(world["organiser"])
    url = f"/admin/contests/{contest.id}/campaign"
    page = client.get(url).get_data(as_text=True)
    assert "Kết quả đã chốt" not in page and "thứ hạng còn có thể thay đổi" in page
    resp = client.post(f"{url}/prizes", data={"csrf_token": csrf_token(client, url), "round_id": str(rnd.id),
                                              "kind": "individual", "tiers": "Giải Đặc biệt: 1\nGiải Nhất: 2"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert re.search(r"<textarea[^>]*>\s*Giải Đặc biệt: 1\nGiải Nhất: 2</textarea>", html)
    assert re.search(rf'<option selected value="{rnd.id}">|<option value="{rnd.id}" selected', html)
    assert f"Giấy chứng nhận của cuộc thi “{contest.title}”" in html
    rnd.closes_at = utcnow()
    rnd.finalized_at = utcnow()
    db.session.commit()
    assert "Kết quả đã chốt" in client.get(url).get_data(as_text=True)
