"""Aiken (Moodle's simplest plain-text format): read it.

Owns: question lines (several lines before the first option are one
question; "Câu 1:" / "1." numbering is dropped), ``A.`` / ``A)`` / ``A-`` options and the ``ANSWER:`` line (also
"Answer:", "Đáp án:"); several letters on it make a multiple-answer question.
Problems are reported per question with their line.

Must not: guess whether a .txt is Aiken or GIFT (the dispatch in
``__init__`` does), validate, or touch the database.  Every pattern here
stays linear in the input (hostile files).
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    LETTERS, OptionRecord, QuestionRecord, decode_text, nonblank_lines,
    strip_question_number,
)

# "A." and "A)" as Moodle reads them, and "A-" / "A:" as people type them ("A- Sở Nội vụ").
_AIKEN_OPTION = re.compile(r"^([A-Za-z])(?:[).:]|[ \t]*+[-–](?=[ \t]))[ \t]*+")
# "ANSWER: A" as Moodle reads it, and as people write it: "Answer: B", "ANSWER : B", "Đáp án: B".
_AIKEN_ANSWER = re.compile(r"^(?:answer|đáp án|dap an)[ \t]*:[ \t]*(.*)$", re.IGNORECASE)
# One way to match each character (spaces, then an optional separator and its spaces): a long
# "A   A   A…!" fails in linear time instead of trying every split of every run of spaces.
_ANSWER_LETTERS = re.compile(r"^[A-Za-z](?:[ \t]*+(?:[,;&/][ \t]*+)?[A-Za-z])*+$")


def read_aiken(content: bytes) -> list[QuestionRecord]:
    """Aiken; several letters on the ANSWER line ("A, C" or "AC") make a multiple-answer question."""
    text = decode_text(content)
    records: list[QuestionRecord] = []
    current: QuestionRecord | None = None
    for number, raw in nonblank_lines(text):
        line = raw.strip()
        if len(line) < 2:
            continue
        answer = _AIKEN_ANSWER.match(line)
        if answer:
            if current is None:
                records.append(QuestionRecord(row=number, rejected=True, errors=[
                    ("", str(_l("An ANSWER line comes before any question.")))]))
                continue
            value = answer.group(1).strip()
            letters = [c for c in value.upper() if c.isalpha()] if _ANSWER_LETTERS.match(value) else []
            for letter in letters or [value[:20]]:
                pos = LETTERS.find(letter) if len(letter) == 1 else -1
                if 0 <= pos < len(current.options):
                    current.options[pos].correct = True
                elif len(current.options) >= 2:
                    current.errors.append(("", str(_l(
                        "The ANSWER letter “%(letter)s” does not name an option.", letter=letter))))
                    current.rejected = True
            current.multiple = len(set(letters)) > 1
            records.append(current)
            current = None
        elif _AIKEN_OPTION.match(line):
            if current is None:
                records.append(QuestionRecord(row=number, rejected=True, errors=[
                    ("", str(_l("An option comes before any question.")))]))
                continue
            current.options.append(OptionRecord(line[_AIKEN_OPTION.match(line).end():].strip()))
        elif current is not None and not current.options:
            current.text += "\n" + line  # a question written over several lines, before its options
        else:
            if current is not None:
                current.errors.append(("", str(_l(
                    "The question has no ANSWER line: add “ANSWER: B” after its last option (line %(line)d is "
                    "read as the next question).", line=number))))
                current.rejected = True
                records.append(current)
            current = QuestionRecord(row=number, text=strip_question_number(line), multiple=False)
    if current is not None:
        current.errors.append(("", str(_l("The question has no ANSWER line: add “ANSWER: B” after its last option."))))
        current.rejected = True
        records.append(current)
    return records
