"""Question file formats: which reader for which file, and the package's public names.

Every reader turns a file into a list of :class:`QuestionRecord` — plain
values plus where they came from (row or line) and any problem the format
itself found (an unsupported GIFT type, a formula in a spreadsheet cell).
The rules that apply to every format live in one validator
(:func:`quizapp.bank.validation.validate`); nothing in this package touches
the database.

Modules, bottom to top (each imports only those above it in this list):

- :mod:`.records` — the record types, limits, headings, shared values;
- :mod:`.tables` — headings and rows of a table → records (Excel, CSV, Word);
- :mod:`.xlsx_csv`, :mod:`.word` (read + Word template), :mod:`.gift`
  (read + write), :mod:`.aiken`, :mod:`.yaml_io`, :mod:`.moodle_xml`
  (read + write) — one format each, none importing another;
- this module — the dispatch: the file's format from its name (or, for a
  .txt, its content), the size and count limits, the reader.

Owns: :func:`detect_format`, :func:`sniff_text_format`, :func:`parse`.
Must not: parse any format itself, or be imported by the modules below it.
"""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.aiken import read_aiken
from quizapp.bank.formats.gift import read_gift, to_gift
from quizapp.bank.formats.moodle_xml import read_moodle_xml, to_moodle_xml
from quizapp.bank.formats.records import (
    FALSE_LABEL, HEADINGS, LETTERS, MAX_FILE_BYTES, MAX_QUESTIONS, TEMPLATE_EXAMPLE, TRUE_LABEL, OptionRecord,
    QuestionRecord, category_names, decode_text, option_heading, parse_date,
)
from quizapp.bank.formats.word import read_docx, template_docx
from quizapp.bank.formats.xlsx_csv import read_csv, read_xlsx, to_frame
from quizapp.bank.formats.yaml_io import read_yaml
from quizapp.core.errors import ServiceError

# Re-exported: the names other packages and open branches import from ``quizapp.bank.formats``.
__all__ = [
    "FALSE_LABEL", "HEADINGS", "LETTERS", "MAX_FILE_BYTES", "MAX_QUESTIONS", "TEMPLATE_EXAMPLE", "TRUE_LABEL",
    "OptionRecord", "QuestionRecord", "category_names", "decode_text", "option_heading", "parse_date",
    "READERS", "detect_format", "parse", "sniff_text_format",
    "read_aiken", "read_csv", "read_docx", "read_gift", "read_moodle_xml", "read_xlsx", "read_yaml",
    "template_docx", "to_frame", "to_gift", "to_moodle_xml",
]

READERS = {"xlsx": read_xlsx, "csv": read_csv, "gift": read_gift, "aiken": read_aiken, "yaml": read_yaml,
           "docx": read_docx, "xml": read_moodle_xml}


def detect_format(filename: str, content: bytes) -> str:
    name = (filename or "").lower()
    for ext, fmt in ((".xlsx", "xlsx"), (".csv", "csv"), (".gift", "gift"), (".aiken", "aiken"),
                     (".yaml", "yaml"), (".yml", "yaml"), (".docx", "docx"), (".xml", "xml")):
        if name.endswith(ext):
            return fmt
    if name.endswith(".txt"):
        return sniff_text_format(decode_text(content))
    raise ServiceError(
        "file_type",
        str(_l("Only .xlsx, .csv, .docx (Word), .xml (Moodle), .gift, .txt (GIFT or Aiken) and .yaml files are accepted.")),
        415,
    )


def parse(content: bytes, filename: str, fmt: str | None = None) -> list[QuestionRecord]:
    """Any supported file → question records (or a file-level ServiceError)."""
    if len(content) > MAX_FILE_BYTES:
        raise ServiceError("file_too_large", str(_l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 2**20)), 413)
    fmt = fmt or detect_format(filename, content)
    records = READERS[fmt](content)
    if len(records) > MAX_QUESTIONS:
        raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
    for r in records:
        r.file = filename
    return records


_GIFT_ANSWER_BLOCK = re.compile(r"\{[^{}~=]*+[~=][^{}]*+\}|\{\s*+(?:T|F|TRUE|FALSE)\s*+\}")
_AIKEN_ANSWER_LINE = re.compile(r"^[ \t]*(?:answer|đáp án|dap an)[ \t]*:", re.IGNORECASE | re.MULTILINE)


def sniff_text_format(text: str) -> str:
    """GIFT or Aiken, by content: whichever has more answer blocks / ANSWER lines (GIFT on a tie).

    A "{" in an Aiken question does not make it GIFT; every pattern here is
    linear in the text (no "\\s*" that can run over many blank lines).
    """
    gift = len(_GIFT_ANSWER_BLOCK.findall(text))
    aiken = len(_AIKEN_ANSWER_LINE.findall(text))
    return "aiken" if aiken > gift else "gift"
