"""Vietnamese text helpers shared by search in units, the bank and reports."""
from __future__ import annotations

import re
import unicodedata

# After NFD, Vietnamese text is ASCII letters plus marks from U+0300–U+036F
# (all combining except U+034F).  Anything else takes the general path.
_NOT_ASCII_OR_MARK = re.compile("[^\x00-\x7f\u0300-\u034e\u0350-\u036f]")


def _strip_marks(decomposed: str) -> str:
    """The general rule: drop every combining mark of an NFD string."""
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold(text: str | None) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: 'Cải  cách' → 'cai cach'."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    if _NOT_ASCII_OR_MARK.search(decomposed) is None:
        stripped = decomposed.encode("ascii", "ignore").decode("ascii")  # fast path, same result
    else:
        stripped = _strip_marks(decomposed)
    return " ".join(stripped.split()).lower()  # split() and \s agree on what is a space
