"""One term for a round: "vòng thi" everywhere in the Vietnamese UI (docs/glossary.md)."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BANNED = re.compile(r"tuần thi|đợt thi|\bTuần \d|\bđợt\b", re.IGNORECASE)


def _msgstrs(po: Path):
    current = []
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgstr"):
            current = [line]
        elif line.startswith('"') and current:
            current.append(line)
        else:
            if current:
                yield " ".join(current)
            current = []
    if current:
        yield " ".join(current)


def test_vietnamese_ui_calls_a_round_vong_thi_only():
    offenders = [(po.relative_to(ROOT).as_posix(), s) for po in sorted(ROOT.glob("quizapp/*/translations/vi.po"))
                 for s in _msgstrs(po) if BANNED.search(s)]
    offenders += [(t.relative_to(ROOT).as_posix(), "template") for t in ROOT.glob("quizapp/**/templates/**/*.html")
                  if BANNED.search(t.read_text(encoding="utf-8"))]
    assert offenders == []


def test_glossary_names_the_round_term():
    text = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert "**Vòng thi** | round" in text


def test_demo_rounds_are_named_vong_thi(app):
    from quizapp.demo import services as demo

    assert "tuần thi" not in demo.DEMO_RULES.lower()
