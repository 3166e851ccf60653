"""Rebuild the shipped fonts: ``python quizapp/campaign/fonts/subset_fonts.py [source dir]``.

The TTFs beside this file are Noto Sans / Noto Serif from Debian's
fonts-noto-core (``/usr/share/fonts/truetype/noto``, SIL Open Font License 1.1,
see OFL.txt; Noto declares no Reserved Font Name, so modified versions keep
the name), subset to what Vietnamese text needs: ASCII, Latin-1, the Vietnamese
letters of Latin Extended-A/B (Ă Đ Ĩ Ũ Ơ Ư), the combining tone marks, Latin
Extended Additional (ạ ả ấ … ỹ) and common punctuation (– “ ” … •).  About 365
glyphs instead of 3,000+: a tenth of the size, and fpdf2 parses and embeds it
in well under half the time, which is most of the cost of one certificate.
A character outside the set is drawn as an empty box (fpdf2 logs it).
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
FACES = ("NotoSans-Regular", "NotoSans-Bold", "NotoSerif-Regular", "NotoSerif-Bold", "NotoSerif-Italic")
VIETNAMESE_EXTENDED = "ĂăĐđĨĩŨũƠơƯư"
UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x100), *map(ord, VIETNAMESE_EXTENDED), *range(0x300, 0x310), 0x323,
            *range(0x1EA0, 0x1F00), *range(0x2010, 0x2027), 0x20AB, 0x2116]


def main(source: str = "/usr/share/fonts/truetype/noto") -> None:
    for name in FACES:
        font = TTFont(Path(source) / f"{name}.ttf")
        options = subset.Options()
        options.layout_features = ["kern", "liga", "mark", "mkmk", "ccmp"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=UNICODES)
        subsetter.subset(font)
        font.save(HERE / f"{name}.ttf")


if __name__ == "__main__":
    main(*sys.argv[1:])
