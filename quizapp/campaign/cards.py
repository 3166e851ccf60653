"""Share cards: the 1200×630 PNG behind a contest's og:image, drawn with Pillow.

Cached on disk under ``instance/campaign/cards``; the file name carries a
fingerprint of everything drawn (title, dates, organiser, the contest's last
change), so editing the contest or a round draws a new card and the old URL
is never served stale.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from quizapp.campaign import render
from quizapp.campaign.print_settings import contest_period
from quizapp.campaign.wording import nfc

WIDTH, HEIGHT = 1200, 630
BACKGROUND = (12, 74, 110)  # deep blue, white text: contrast above 9:1
ACCENT = (250, 204, 21)
WHITE = (255, 255, 255)
PALE = (214, 232, 245)


def card_facts(contest, organiser: str, short_url: str) -> dict:
    opens, closes = contest_period(contest)
    dates = f"{render.date_text(opens)} – {render.date_text(closes)}" if opens else ""
    return {"title": nfc(contest.title), "dates": dates, "organiser": nfc(organiser), "link": short_url}


def fingerprint(facts: dict, changed_at) -> str:
    raw = "\x1f".join([facts["title"], facts["dates"], facts["organiser"], facts["link"], str(changed_at)])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, max_lines: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] = lines[-1].rstrip() + "…"
    return lines


def draw_card(facts: dict) -> bytes:
    """The PNG bytes; the texts are also stored in the PNG's iTXt chunks (Title, Description)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 24, HEIGHT], fill=ACCENT)
    small = _font(render.SANS, 34)
    draw.text((80, 60), facts["organiser"].upper(), font=_font(render.SANS_BOLD, 30), fill=PALE)
    size = 72
    while True:
        title_font = _font(render.SANS_BOLD, size)
        lines = _wrap(draw, facts["title"], title_font, WIDTH - 160, 4)
        if len(lines) <= 3 or size <= 48:
            break
        size -= 6
    y = 140
    for line in lines:
        draw.text((80, y), line, font=title_font, fill=WHITE)
        y += int(size * 1.25)
    if facts["dates"]:
        draw.text((80, HEIGHT - 150), f"Thời gian: {facts['dates']}", font=small, fill=ACCENT)
    draw.text((80, HEIGHT - 90), facts["link"], font=small, fill=PALE)
    info = PngInfo()
    info.add_itxt("Title", facts["title"])
    info.add_itxt("Description", f"{facts['organiser']} · {facts['dates']} · {facts['link']}")
    out = tempfile.SpooledTemporaryFile()
    image.save(out, format="PNG", pnginfo=info, optimize=True)
    out.seek(0)
    return out.read()


def cached_card(contest, organiser: str, short_url: str, cache_dir: Path, changed_at) -> Path:
    """The card's file, drawn once per fingerprint (written atomically: concurrent workers are safe)."""
    facts = card_facts(contest, organiser, short_url)
    path = Path(cache_dir) / f"contest-{contest.id}-{fingerprint(facts, changed_at)}.png"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(f"contest-{contest.id}-*.png"):
        old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(draw_card(facts))
    os.replace(tmp, path)
    return path
