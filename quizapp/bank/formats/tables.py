"""Questions laid out as a table under a row of headings: shared by Excel, CSV and Word tables.

Owns: recognising the template's headings (and their folded aliases) in the
first rows of a sheet, the "missing columns" error that names what to add or
rename, and turning the rows under the headings into question records
(:func:`read_table`, :func:`read_frame`, vectorised with pandas).

Must not: open a file format (xlsx, CSV and docx readers hand it a
:class:`Table`), write files, or touch the database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import zip_longest

import pandas as pd
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    HEADINGS, LETTERS, MAX_QUESTIONS, OptionRecord, QuestionRecord, option_heading,
)
from quizapp.core.errors import ServiceError
from quizapp.core.spreadsheet import FORMULA_PREFIXES, UNESCAPE_PATTERN
from quizapp.core.text import fold

# The folded headings accepted on import for each template column.
_ALIASES = {
    "external_id": ("ma cau hoi", "external id", "external_id", "id"),
    "area": ("linh vuc", "area"),
    "difficulty": ("muc do", "do kho", "difficulty"),
    "multiple": ("nhieu dap an dung", "nhieu dap an", "multiple"),
    "text": ("cau hoi", "noi dung cau hoi", "noi dung", "question", "text"),
    "correct": ("dap an dung", "dap an", "dap an chinh xac", "cau tra loi dung", "correct", "answer"),
    "explanation": ("giai thich", "explanation"),
    "source": ("nguon", "van ban nguon", "source"),
    "reference_date": ("ngay tham chieu", "reference date", "reference_date"),
    "exclusion_group": ("nhom loai tru", "exclusion group", "exclusion_group"),
}
_OPTION_HEADING = re.compile(r"^(?:(?:phuong an|lua chon|option|dap an|pa)\s*)?([a-j])$")

HEADER_SCAN_ROWS = 30  # title rows an organiser may put above the headings
MAX_COLUMNS = 60
MAX_TABLE_ROWS = MAX_QUESTIONS + 1000  # rows read from a sheet (blank rows included)


@dataclass
class Table:
    """A sheet (or CSV, or Word table) found to hold questions: headings, data rows, where."""

    header: list[str]
    rows: list[list]
    first_row: int  # sheet row number of rows[0] (1-based)
    name: str = ""
    cell_errors: dict = None  # {(index in rows, column index): message} found while reading the cells
    numbers: list = None  # the sheet row number of each of rows when blank rows were left out


def heading_key(value) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(value or ""))).split())


def heading_field(key: str) -> tuple[str, int | None] | None:
    """("option", index) or (field, None) for a heading, or None if it is not one of ours."""
    m = _OPTION_HEADING.match(key)
    if m:
        return "option", LETTERS.index(m.group(1).upper())
    for name, aliases in _ALIASES.items():
        if key in aliases:
            return name, None
    return None


def _header_score(row: list) -> tuple[int, set]:
    """How many of the required headings (text, correct, options A and B) a row holds."""
    found = set()
    for cell in row:
        hit = heading_field(heading_key(cell))
        if hit == ("option", 0) or hit == ("option", 1):
            found.add(option_heading(hit[1]))
        elif hit and hit[0] in ("text", "correct"):
            found.add(HEADINGS[hit[0]])
    return len(found), found


_REQUIRED_HEADINGS = (HEADINGS["text"], option_heading(0), option_heading(1), HEADINGS["correct"])


def find_header(row_iter, name: str = "") -> tuple[int, list] | tuple[None, tuple]:
    """The first row among the first rows of a sheet that holds every required heading (alone, or
    together with the row above it: a two-level heading).

    Returns (index, row) or (None, (score, found, index, row)) for the best near miss.
    """
    best = (0, set(), 0, [])
    previous: list | None = None
    for i, row in enumerate(row_iter):
        if i >= HEADER_SCAN_ROWS:
            break
        row = list(row[:MAX_COLUMNS])
        score, found = _header_score(row)
        if score == len(_REQUIRED_HEADINGS):
            return i, row
        if previous is not None and score:
            # A two-level heading: "Phương án" merged over a row of A | B | C | D, "Câu hỏi" and "Đáp án"
            # in the row above.  The lower row's heading counts where it has one, else the upper row's.
            merged = [cell if heading_field(heading_key(cell)) else upper
                      for cell, upper in zip_longest(row, previous, fillvalue="")]
            merged_score, merged_found = _header_score(merged)
            if merged_score == len(_REQUIRED_HEADINGS):
                return i, merged
        if score > best[0]:
            best = (score, found, i, row)
        previous = row
    return None, best


_ROW_NUMBER_HEADINGS = ("stt", "tt", "so tt", "so thu tu", "no")


def _heading_aliases(heading: str) -> tuple[str, ...]:
    for name, title in HEADINGS.items():
        if title == heading:
            return _ALIASES[name]
    letter = heading[-1].lower()
    return (f"phuong an {letter}", f"dap an {letter}", f"lua chon {letter}")


def missing_columns_error(best: tuple, first_row: int = 1, sheet: str = "") -> ServiceError:
    """'Missing columns' naming each heading to add, or which heading to rename to it."""
    import difflib

    score, found, index, row = best
    missing = [h for h in _REQUIRED_HEADINGS if h not in found]
    unknown = [str(c).strip() for c in row if str(c or "").strip() and heading_field(heading_key(c)) is None]
    unknown = [u for u in unknown if heading_key(u) not in _ROW_NUMBER_HEADINGS]
    hints = []
    for heading in missing:
        names = [heading_key(heading)] + list(_heading_aliases(heading))
        ratio, original = max(((difflib.SequenceMatcher(None, heading_key(u), n).ratio(), u)
                               for u in unknown for n in names), default=(0.0, ""))
        if score and ratio >= 0.6:
            unknown.remove(original)
            hints.append(str(_l("rename “%(old)s” to “%(new)s”", old=original, new=heading)))
        else:
            hints.append(str(_l("add a column “%(new)s”", new=heading)))
    if score:
        where = str(_l("the headings found in row %(row)d", row=first_row + index))
        if sheet:
            where += " " + str(_l("of sheet “%(sheet)s”", sheet=sheet))
    else:
        where = str(_l("no row of headings was found in the first %(n)d rows", n=HEADER_SCAN_ROWS))
    return ServiceError("columns_missing", str(_l(
        "Missing columns: %(cols)s (%(where)s): %(hints)s.", cols=", ".join(missing), where=where,
        hints="; ".join(hints))))



def read_table(table: Table) -> list[QuestionRecord]:
    """Rows under a row of headings (any reader) → records, numbered by their row in the file."""
    header, seen = [], set()
    for j in range(min(len(table.header), MAX_COLUMNS)):
        h = str(table.header[j] if table.header[j] is not None else "").strip() or f"\x00{j}"
        while h in seen:
            h += "\x00"  # a repeated heading: the first one counts
        seen.add(h)
        header.append(h)
    data = [[(str(c) if c is not None else "") for c in r[:len(header)]] + [""] * (len(header) - len(r))
            for r in table.rows]
    frame = pd.DataFrame(data, columns=header, dtype=object) if data else pd.DataFrame(columns=header)
    records = read_frame(frame, table.first_row, table.numbers)
    if table.cell_errors:
        by_row = {r.row: r for r in records}
        for (i, j), message in sorted(table.cell_errors.items()):
            record = by_row.get(table.numbers[i] if table.numbers else i + table.first_row)
            if record is not None and j < len(table.header):
                record.errors.append((str(table.header[j] or "").strip(), message))
    return records


def _columns(frame: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Map template fields (and option letters) to the frame's column names."""
    found: dict[str, str] = {}
    options: dict[int, str] = {}
    for col in frame.columns:
        hit = heading_field(heading_key(col))
        if hit is None:
            continue
        name, index = hit
        if name == "option":
            options.setdefault(index, col)
        elif name not in found:
            found[name] = col
    missing = [HEADINGS[k] for k in ("text", "correct") if k not in found]
    missing += [option_heading(i) for i in (0, 1) if i not in options]
    if missing:
        raise ServiceError("columns_missing", str(_l("Missing columns: %(cols)s", cols=", ".join(missing))))
    gaps = [i for i in range(max(options)) if i not in options]
    if gaps:  # never shift a later column into the gap: D's text would become option C
        later = next(i for i in sorted(options) if i > gaps[0])
        raise ServiceError("columns_missing", str(_l(
            "There is a column “%(later)s” but no column “%(gap)s”: add the column “%(gap)s” (it may stay empty "
            "in rows with fewer options) or rename the columns so the letters follow each other.",
            later=option_heading(later), gap=option_heading(gaps[0]))))
    option_cols = [options[i] for i in range(max(options) + 1)]
    return found, option_cols


_FORMULA_MESSAGE = _l(
    "The cell starts with = + - or @ and would run as a spreadsheet formula; "
    "put an apostrophe (') in front if it is text.")


def _column(series: pd.Series) -> tuple[list[str], list[bool] | None]:
    """A column as trimmed text with our formula escape undone, and which cells are formulas.

    Vectorised (one pass per column, not per cell): a 10,000-question file
    must import in about the time pandas takes to read it.
    """
    text = series.fillna("").astype(str).str.replace("\r\n", "\n", regex=False).str.strip()
    formula = text.str.startswith(FORMULA_PREFIXES)
    values = text.str.replace(UNESCAPE_PATTERN, "", regex=True).tolist()
    return values, (formula.tolist() if formula.any() else None)


def read_frame(frame: pd.DataFrame, first_row: int = 2, numbers: list | None = None) -> list[QuestionRecord]:
    cols, option_cols = _columns(frame)
    fields = {key: _column(frame[col]) for key, col in cols.items()}
    options_data = [_column(frame[col]) for col in option_cols]
    filled = frame.fillna("").astype(str).apply(lambda c: c.str.strip() != "").any(axis=1).tolist()
    formula_columns = [(HEADINGS[key], flags) for key, (_v, flags) in fields.items() if flags]
    formula_columns += [(option_heading(j), flags) for j, (_v, flags) in enumerate(options_data) if flags]
    empty = [""] * len(frame)
    absent = [None] * len(frame)
    values = {key: fields[key][0] if key in fields else None for key in HEADINGS}
    records = []
    for i in range(len(frame)):
        if not filled[i]:
            continue  # a blank row
        errors: list[tuple[str, str]] = [(heading, str(_FORMULA_MESSAGE)) for heading, flags in formula_columns if flags[i]]
        texts = [data[0][i] for data in options_data]
        while texts and not texts[-1]:
            texts.pop()
        options = [OptionRecord(t) for t in texts]
        for j, t in enumerate(texts):
            if not t:
                errors.append((option_heading(j), str(_l("The option is empty but a later option is filled."))))
        for token in _CORRECT_SPLIT.split(values["correct"][i].upper()):
            if not token:
                continue
            pos = LETTERS.index(token) if len(token) == 1 and token in LETTERS else (
                int(token) - 1 if token.isascii() and token.isdigit() and len(token) <= 3 else -1)
            if 0 <= pos < len(options) and options[pos].text:
                options[pos].correct = True
            else:
                errors.append((HEADINGS["correct"], str(_l(
                    "“%(value)s” does not name a filled option (use letters such as A or A, C).",
                    value=token if len(token) <= 20 else token[:20] + "…"))))
        multiple = None
        raw_multiple = fold(values["multiple"][i]) if values["multiple"] else ""
        if raw_multiple in _YES:
            multiple = True
        elif raw_multiple in _NO:
            multiple = False
        elif raw_multiple:
            errors.append((HEADINGS["multiple"], str(_l("Write “Có” or “Không”."))))
        records.append(QuestionRecord(
            row=numbers[i] if numbers else i + first_row,
            area=(values["area"] or empty)[i],
            difficulty=(values["difficulty"] or absent)[i],
            multiple=multiple,
            text=values["text"][i],
            options=options,
            explanation=(values["explanation"] or empty)[i],
            source=(values["source"] or empty)[i],
            reference_date=(values["reference_date"] or absent)[i] or None,
            external_id=(values["external_id"] or empty)[i],
            exclusion_group=(values["exclusion_group"] or empty)[i],
            errors=errors,
        ))
    return records


_CORRECT_SPLIT = re.compile(r"[,;\s]+")
_YES = ("co", "x", "1", "yes", "true", "nhieu")
_NO = ("khong", "0", "no", "false", "mot")
