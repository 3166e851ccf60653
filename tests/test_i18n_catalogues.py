"""One word per (msgctxt, msgid): every capability's catalogue merges into one .mo, so two catalogues
translating the same English differently would make one capability's page show the other's word.
Where two pages mean different things by the same English, one side carries a context (``pgettext``)
or a distinct msgid; then each page shows the Vietnamese its author meant (checked on the pages)."""
from __future__ import annotations

import gettext
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo

from quizapp.auth.models import Role
from quizapp.contests.models import PredictionMode
from quizapp.core import i18n_build
from tests.conftest import csrf_token


# --- the catalogues themselves ---------------------------------------------------------

@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_msgid_is_translated_differently_in_two_catalogues(lang):
    found = i18n_build.conflicts(lang)
    assert not found, "\n".join(map(str, found))
    if lang == "vi":
        assert len(i18n_build.fragments("vi")) >= 10  # the check read the real catalogues


def test_every_message_the_code_uses_has_a_vietnamese_translation():
    missing = i18n_build.untranslated("vi")
    assert not missing, "\n".join(f"{where[0]}: {msgid!r}" + (f" (msgctxt {ctx!r})" if ctx else "")
                                  for (ctx, msgid), where in sorted(missing.items(), key=lambda kv: kv[1][0]))


def _po(root: Path, capability: str, body: str) -> None:
    path = root / capability / "translations" / "vi.po"
    path.parent.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
    path.write_text(header + body, encoding="utf-8")


def _compiled(root: Path) -> gettext.GNUTranslations:
    buf = io.BytesIO()
    write_mo(buf, i18n_build.merged_catalog("vi", root))
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def test_conflicts_name_the_msgid_the_catalogues_and_their_words_but_contexts_keep_meanings_apart(tmp_path):
    _po(tmp_path, "attempts", 'msgctxt "question"\nmsgid "Next"\nmsgstr "Câu sau"\n\nmsgid "Save"\nmsgstr "Lưu"\n')
    _po(tmp_path, "bank", 'msgid "Next"\nmsgstr "Trang sau"\n\nmsgid "Save"\nmsgstr "Ghi"\n')
    _po(tmp_path, "units", 'msgid "Save"\nmsgstr "Lưu"\n\n#, fuzzy\nmsgid "Next"\nmsgstr "Tiếp"\n')
    found = i18n_build.conflicts("vi", tmp_path)
    assert [(c.context, c.msgid, c.translations) for c in found] == [
        (None, "Save", {"attempts": "Lưu", "bank": "Ghi", "units": "Lưu"})]
    assert "'Save'" in str(found[0]) and "bank: 'Ghi'" in str(found[0])
    mo = _compiled(tmp_path)
    assert mo.pgettext("question", "Next") == "Câu sau" and mo.gettext("Next") == "Trang sau"


@pytest.mark.parametrize("order", ["real first", "real last"])
def test_an_empty_or_fuzzy_translation_never_hides_a_real_one(tmp_path, order):
    real = ('msgid "Save"\nmsgstr "Lưu"\n\nmsgid "%(n)d file"\nmsgid_plural "%(n)d files"\nmsgstr[0] "%(n)d tệp"\n\n'
            'msgctxt "count"\nmsgid "Rounds"\nmsgstr "Số vòng thi"\n')
    unfinished = ('#, fuzzy\nmsgid "Save"\nmsgstr "Cứu"\n\nmsgid "%(n)d file"\nmsgid_plural "%(n)d files"\n'
                  'msgstr[0] ""\n\n#, fuzzy\nmsgctxt "count"\nmsgid "Rounds"\nmsgstr "Vòng"\n\nmsgid "Draft"\nmsgstr ""\n')
    first, last = (real, unfinished) if order == "real first" else (unfinished, real)
    _po(tmp_path, "aaa", first)
    _po(tmp_path, "zzz", last)
    assert i18n_build.conflicts("vi", tmp_path) == []  # unfinished translations are no rival
    mo = _compiled(tmp_path)
    assert mo.gettext("Save") == "Lưu"
    assert mo.ngettext("%(n)d file", "%(n)d files", 3) == "%(n)d tệp"
    assert mo.pgettext("count", "Rounds") == "Số vòng thi"
    assert mo.gettext("Draft") == "Draft"  # nobody translated it: English, never an empty string


# --- the pages show their own capability's word ----------------------------------------

def test_the_quiz_pager_moves_between_questions(client, auth, make, db):
    for _ in range(3):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 3)], one_page=False)
    auth.login(make.user())
    resp = client.post(f"/rounds/{rnd.id}/start", data={"csrf_token": csrf_token(client, f"/rounds/{rnd.id}/start")})
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    pager = re.search(r'<nav class="quiz-pager".*?</nav>', html, re.S).group(0)
    assert ">Câu trước</button>" in pager and ">Câu sau</button>" in pager


def test_organiser_pages_each_show_their_own_word(client, auth, make, db):
    auth.login(make.user(role=Role.ORGANISER))
    for i in range(51):
        make.bank_question(f"Câu hỏi phân trang {i:02d}?")
    bank = client.get("/admin/bank").get_data(as_text=True)
    pager = re.search(r'<nav class="pagination".*?</nav>', bank, re.S).group(0)
    assert ">Trang sau</a>" in pager and "Trang 1 / 2" in pager and "Câu" not in pager

    unit = make.unit("Sở Nội vụ")
    assert "<h2>Thông tin</h2>" in client.get(f"/admin/units/{unit.id}").get_data(as_text=True)

    contest = make.contest("Cuộc thi tìm hiểu CCHC")
    make.built_round(contest)
    manage = client.get(f"/admin/contests/{contest.id}").get_data(as_text=True)
    assert "<h2>Các vòng thi</h2>" in manage and re.search(r"<dd[^>]*>\s*Nháp\s*</dd>", manage)
    index = client.get("/admin/contests").get_data(as_text=True)
    assert '<th scope="col" class="num">Số vòng thi</th>' in index
    grid = client.get(f"/admin/contests/{contest.id}/rounds/{contest.rounds[0].id}/edit").get_data(as_text=True)
    assert '<th scope="col">Lĩnh vực cải cách</th>' in grid


def test_the_contest_ranking_counts_rounds(client, make, db):
    for _ in range(2):
        make.question()
    rnd = make.round(quotas=[("TC", 0, 2)], prediction_mode=PredictionMode.OFF)  # no embargo on the board
    make.submission(rnd, make.user(), 2, start=rnd.opens_at + timedelta(minutes=5))
    html = client.get(f"/contests/{rnd.contest_id}/leaderboard").get_data(as_text=True)
    assert '<th scope="col" class="num">Số vòng thi</th>' in html and 'data-label="Số vòng thi"' in html


def test_the_mc_moves_the_hall_to_the_next_step(auth, db, make):
    from tests.live_support import build_event

    world = build_event(db, make)
    auth.login(world.organiser)
    html = auth.client.get(f"/live/events/{world.event.id}/mc").get_data(as_text=True)
    assert 'data-action="next">Tiếp theo</button>' in html
