"""Issue 20 items 9, 10 and 15: short codes beyond 32 bits, one tagged arrival per person, and a
share card that neither follows nor is redrawn by the request's Host."""
from __future__ import annotations

import re

import sqlalchemy as sa

from quizapp.campaign import links
from quizapp.campaign.models import Arrival, ArrivalKind
from tests.conftest import csrf_token
from tests.test_campaign import world  # noqa: F401 (the fixture)
from tests.leaderboards_support import live  # noqa: F401 - autouse


# --- item 9 -----------------------------------------------------------------------------------------

def test_a_short_code_worth_2_31_or_more_is_a_404(client, world):  # noqa: F811
    big = links.short_code(2**31)
    assert links.contest_id_from_code(big) is None
    assert links.contest_id_from_code(links.short_code(2**31 - 1)) == 2**31 - 1
    assert links.contest_id_from_code("zzzzzzzz") is None
    for code in (big, "zzzzzzzz", "0"):
        assert client.get(f"/c/{code}").status_code == 404


# --- item 10 ----------------------------------------------------------------------------------------

def test_starting_attempts_again_records_one_arrival_per_person_tag_and_kind(client, auth, world, make, db):  # noqa: F811
    contest = world["contest"]
    rnd = make.round(quotas=(("TC", 0, 2),), contest=contest, title="Tuần thi thứ hai", number=2,
                     attempts_allowed=5)
    auth.login(make.user(unit=world["snv"]))
    client.get(f"/contests/{contest.slug}?u=SNV")
    for _ in range(3):
        start = client.post(f"/rounds/{rnd.id}/start",
                            data={"csrf_token": csrf_token(client, f"/rounds/{rnd.id}/start")})
        assert start.status_code == 303
        attempt_id = int(start.headers["Location"].rstrip("/").split("/")[-1])
        client.post(f"/attempts/{attempt_id}/submit", data={"csrf_token": csrf_token(client, "/"), "prediction": "1"})
    arrivals = db.session.scalar(sa.select(sa.func.count()).select_from(Arrival).where(
        Arrival.contest_id == contest.id, Arrival.kind == ArrivalKind.ATTEMPT))
    assert arrivals == 1
    assert {r.tag: r.attempts for r in links.channel_report(contest.id)}["SNV"] == 1


def test_the_database_holds_one_arrival_per_person_tag_and_kind(world, db):  # noqa: F811
    user = next(iter(world["users"].values()))
    assert links.record_arrival(world["contest"].id, "zalo", ArrivalKind.ATTEMPT, user.id, world["round"].id)
    assert not links.record_arrival(world["contest"].id, "zalo", ArrivalKind.ATTEMPT, user.id, world["round"].id)
    db.session.add(Arrival(contest_id=world["contest"].id, tag="zalo", kind=ArrivalKind.ATTEMPT, user_id=user.id))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
    else:  # pragma: no cover
        raise AssertionError("a second arrival row was accepted")


# --- item 15 ----------------------------------------------------------------------------------------

def test_a_new_host_header_neither_redraws_the_share_card_nor_reaches_its_links(app, world, monkeypatch):  # noqa: F811
    from quizapp.campaign import cards

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://thi.example.gov.vn")
    drawn = []
    real = cards.draw_card
    monkeypatch.setattr(cards, "draw_card", lambda facts: drawn.append(facts) or real(facts))
    slug = world["contest"].slug
    images = set()
    for host in ("thi.example.gov.vn", "evil.example", "a.evil.example", "b.evil.example"):
        c = app.test_client()
        html = c.get(f"/contests/{slug}", base_url=f"http://{host}").get_data(as_text=True)
        assert "evil.example" not in html  # canonical, og:image, short link, share links
        image = re.search(r'<meta property="og:image" content="([^"]*)"', html).group(1)
        assert image.startswith(f"https://thi.example.gov.vn/contests/{slug}/card.png?v=")
        images.add(image)
        resp = c.get(image.replace("https://thi.example.gov.vn", ""), base_url=f"http://{host}")
        assert resp.status_code == 200 and resp.mimetype == "image/png"
    assert len(images) == 1 and len(drawn) == 1  # one card, drawn once, whatever the Host
    assert drawn[0]["link"].startswith("https://thi.example.gov.vn/c/")
