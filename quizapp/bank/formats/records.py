"""The record types every question file is read into, and the values all formats share.

Owns: :class:`QuestionRecord` / :class:`OptionRecord` (plain values plus the
row or line they came from and any problem the reader found), the file limits
(:data:`MAX_FILE_BYTES`, :data:`MAX_QUESTIONS`), option letters, the template's
column headings, text decoding, Moodle category names, date parsing and the
template's example question.

Must not: import any other module of this package (every reader and writer
builds on this one), parse a whole file, or touch the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from quizapp.core.errors import ServiceError

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_QUESTIONS = 20000
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Column headings of the question template (Vietnamese, as exported); error
# reports name columns by heading (the aliases accepted on import: tables.py).
HEADINGS = {
    "external_id": "Mã câu hỏi",
    "area": "Lĩnh vực",
    "difficulty": "Mức độ",
    "multiple": "Nhiều đáp án đúng",
    "text": "Câu hỏi",
    "correct": "Đáp án đúng",
    "explanation": "Giải thích",
    "source": "Nguồn",
    "reference_date": "Ngày tham chiếu",
    "exclusion_group": "Nhóm loại trừ",
}
TRUE_LABEL, FALSE_LABEL = "Đúng", "Sai"


def option_heading(index: int) -> str:
    return f"Phương án {LETTERS[index]}"


@dataclass
class OptionRecord:
    text: str
    correct: bool = False
    weight: float | None = None


@dataclass
class QuestionRecord:
    """One question as read from a file, before validation."""

    row: int  # spreadsheet row (heading = row 1) or line number in a text file
    file: str = ""
    area: str = ""  # code or name as written; "" = the import's default area
    difficulty: object = None  # raw; None = the import's default difficulty
    multiple: bool | None = None  # None = decided by the number of correct options
    text: str = ""
    options: list[OptionRecord] = field(default_factory=list)
    explanation: str = ""
    source: str = ""
    reference_date: object = None  # a date, a raw string, or None
    external_id: str = ""
    exclusion_group: str = ""  # questions that reveal each other share one; never two in an attempt
    category: str = ""  # a Moodle category path (GIFT, Moodle XML): mapped to an area on validation
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message) found by the reader
    rejected: bool = False  # the reader could not make a question of it: report only its own errors


# --- reading the bytes -----------------------------------------------------------

def decode_text(content: bytes) -> str:
    """UTF-8 (with or without BOM) or a clear error; newlines normalised."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ServiceError("file_encoding", str(_l("The file must be saved as UTF-8 text.")))
    return text.replace("\r\n", "\n").replace("\r", "\n")


_NONBLANK_LINE = re.compile(r"^[^\S\n]*+\S[^\n]*", re.MULTILINE)


def nonblank_lines(text: str):
    """(line number from 1, line) for each line of ``text`` that is not blank, one at a time.

    Blank lines are skipped by the regex engine, not one by one in Python, and no list of
    every line is built (``text.split("\n")`` of a 10 MB file of blank lines is ten million
    entries, 80 MB of pointers, before the first is read).
    """
    number, pos = 1, 0
    for m in _NONBLANK_LINE.finditer(text):
        number += text.count("\n", pos, m.start())
        pos = m.start()
        yield number, m.group()


def strip_html_comments(text: str) -> str:
    """HTML comments ("<!-- note to the author -->") never reach entrants; linear for unclosed "<!--"."""
    out, pos = [], 0
    while True:
        start = text.find("<!--", pos)
        if start < 0:
            break
        end = text.find("-->", start + 4)
        out.append(text[pos:start])
        if end < 0:
            pos = len(text)
            break
        pos = end + 3
    out.append(text[pos:])
    return "".join(out)


def echo(value, limit: int = 60) -> str:
    """A value quoted back in an error message, cut short: a 9 MB cell is not repeated whole."""
    text = " ".join(str(value).split()) if len(str(value)) <= 10 * limit else " ".join(str(value)[:10 * limit].split())
    return text if len(text) <= limit else text[:limit] + "…"


# "Câu 1:", "Câu hỏi 12.", "1." or "1)" in front of a question: numbering, never the question's text.
QUESTION_NUMBER = re.compile(r"^\s*+(?:c[aâ]u(?:\s++h[oỏ]i)?\s*+\d{1,5}\s*+[:.)\-–]|\d{1,4}\s*+[.)](?=\s))\s*+",
                             re.IGNORECASE)


def strip_question_number(text: str) -> str:
    return text[QUESTION_NUMBER.match(text).end():] if QUESTION_NUMBER.match(text) else text


def category_names(category: str) -> list[str]:
    """The names a Moodle category path may be known by: the whole path, then its last part."""
    parts = [p.strip() for p in category.strip().split("/") if p.strip()]
    parts = [p for p in parts if not (p.startswith("$") and p.endswith("$")) and p.lower() != "top"]
    return ["/".join(parts), parts[-1]] if parts else []


_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y")


def parse_date(value) -> date | None:
    """A date from a YAML date, an Excel date cell read as text, or typed text; ValueError if invalid."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


# The example question of the downloadable templates (Excel and Word).
TEMPLATE_EXAMPLE = {
    "external_id": "TTHC-001",
    "area": "TTHC",
    "difficulty": 1,
    "multiple": False,
    "text": "Nghị định nào quy định việc thực hiện thủ tục hành chính trên môi trường điện tử?",
    "options": [
        {"text": "Nghị định 45/2020/NĐ-CP", "correct": True},
        {"text": "Nghị định 61/2018/NĐ-CP", "correct": False},
        {"text": "Nghị định 42/2022/NĐ-CP", "correct": False},
        {"text": "Nghị định 107/2021/NĐ-CP", "correct": False},
    ],
    "explanation": "Nghị định 45/2020/NĐ-CP ngày 08/4/2020 về thực hiện thủ tục hành chính trên môi trường điện tử.",
    "source": "Nghị định 45/2020/NĐ-CP ngày 08/4/2020 của Chính phủ",
    "reference_date": date(2020, 5, 22),
}

