"""fold(): the fast path gives exactly what the general rule gives."""
from __future__ import annotations

import re
import unicodedata

import pytest

from quizapp.core.text import _strip_marks, fold


def reference(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return re.sub(r"\s+", " ", _strip_marks(decomposed)).strip().lower()


@pytest.mark.parametrize("text", [
    "Cải  cách hành chính", "ĐỒNG THUẬN – “một cửa”…", "Nghị định 61/2018/NĐ-CP", "Ưu tiên Ờ ỡ ự",
    unicodedata.normalize("NFD", "Cải cách thủ tục"), "İstanbul ǅ ﬁ Ω ש́ 한국어", "a\u034fb", "", "   ", "abc\tdef\n", "a\x1cb\u2003c\u00a0d",
])
def test_fold_matches_the_general_rule(text):
    assert fold(text) == reference(text)


def test_fold_strips_vietnamese_diacritics():
    assert fold("Cải  cách Hành chính ĐIỆN TỬ") == "cai cach hanh chinh dien tu"
