"""Rebuild the shipped fonts: ``python quizapp/campaign/fonts/subset_fonts.py [source dir]``.

The TTFs beside this file are Noto Sans / Noto Serif from Debian's
fonts-noto-core (``/usr/share/fonts/truetype/noto``, SIL Open Font License 1.1,
see OFL.txt; Noto declares no Reserved Font Name, so modified versions keep
the name), subset to Latin, Vietnamese and common punctuation.  A subset font
is about a fifth of the size and halves the time fpdf2 spends parsing and
embedding it, which is most of the cost of one certificate.
"""
from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
FACES = ("NotoSans-Regular", "NotoSans-Bold", "NotoSerif-Regular", "NotoSerif-Bold", "NotoSerif-Italic")
UNICODES = [*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x300, 0x370), *range(0x1EA0, 0x1F00),
            *range(0x2000, 0x2070), 0x20AB, 0x2116, 0x2190, 0x2192, 0x25CF]


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
