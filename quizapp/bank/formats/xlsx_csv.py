"""Excel (.xlsx) and CSV question files in the template's columns: read them, and write the template's frame.

Owns: opening an .xlsx (openpyxl, read-only, after the zip-bomb checks of
:mod:`quizapp.core.uploads`) or a CSV (UTF-8/UTF-16, comma, semicolon or
tab), finding the sheet and row of headings, rendering typed cells as Excel
shows them, and :func:`to_frame` (questions in the template's columns, for
the export and the downloadable template).

Must not: decide the template's headings or turn rows into records (that is
:mod:`.tables`, shared with Word tables), validate questions, or touch the
database.
"""
from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    HEADINGS, LETTERS, MAX_QUESTIONS, QuestionRecord, decode_text, option_heading,
)
from quizapp.bank.formats.tables import (
    HEADER_SCAN_ROWS, MAX_COLUMNS, MAX_TABLE_ROWS, Table, find_header, heading_field, heading_key,
    missing_columns_error, read_table,
)
from quizapp.core.cellformat import render_cell
from quizapp.core.errors import ServiceError
from quizapp.core.uploads import MAX_ROW_CELLS, check_xlsx


# Excel keeps 15 significant digits: a longer number typed into a Number cell is already rounded
# (12345678901234567890 is stored as 12345678901234567000 and read back as 12345678901234569216).
MAX_EXACT_NUMBER = 10**15


def _xlsx_row(cells, date_iso: set[int] | None = None, problems: dict | None = None, index: int = 0) -> list:
    out = []
    for j, cell in enumerate(cells):
        value = getattr(cell, "value", None)
        if (problems is not None and isinstance(value, (int, float)) and not isinstance(value, bool)
                and abs(value) >= MAX_EXACT_NUMBER):
            problems[(index, j)] = str(_l(
                "The cell holds a number of more than 15 digits, which Excel has already rounded (%(value)s): "
                "format the column as Text and type the digits again (or write them with an apostrophe: '123…).",
                value=f"{value:.6g}"))
        if date_iso is not None and j in date_iso and isinstance(value, (datetime, date)):
            out.append(value.date().isoformat() if isinstance(value, datetime) else value.isoformat())
        else:
            out.append(render_cell(value, getattr(cell, "number_format", None)))
    return out


def read_xlsx(content: bytes) -> list[QuestionRecord]:
    """The first sheet with a row of headings; typed cells rendered as Excel shows them."""
    import openpyxl

    check_xlsx(content, MAX_TABLE_ROWS + HEADER_SCAN_ROWS)
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .xlsx file?")))
    try:
        best, best_sheet = (0, set(), 0, []), ""
        for sheet in book.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            sheet.reset_dimensions()  # a stated size (<dimension>) may be wrong: read the rows there are
            head = (_xlsx_row(r) for r in sheet.iter_rows(max_row=HEADER_SCAN_ROWS, max_col=MAX_COLUMNS))
            index, found = find_header(head)
            if index is None:
                if found[0] > best[0]:
                    best, best_sheet = found, sheet.title
                continue
            header = list(found)
            while header and not str(header[-1] or "").strip():
                header.pop()
            dates = {j for j, h in enumerate(header) if heading_field(heading_key(h)) == ("reference_date", None)}
            # Blank rows are skipped (openpyxl makes up every row above a stray cell at row 1,048,576);
            # only rows with something in them count towards the limit, and keep their sheet row number.
            rows, numbers, problems = [], [], {}
            for n, r in enumerate(sheet.iter_rows(min_row=index + 2, max_col=max(len(header), 1))):
                if all(getattr(c, "value", None) is None for c in r):
                    continue
                if len(rows) >= MAX_TABLE_ROWS:
                    raise ServiceError("file_too_many_rows", str(_l(
                        "The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
                rows.append(_xlsx_row(r, dates, problems, len(rows)))
                numbers.append(index + 2 + n)
            return read_table(Table(header, rows, index + 2, sheet.title, problems, numbers))
        raise missing_columns_error(best, 1, best_sheet if len(book.worksheets) > 1 else "")
    except ServiceError:
        raise
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .xlsx file?")))
    finally:
        book.close()


def decode_table_text(content: bytes) -> str:
    """CSV text: UTF-8, or UTF-16 as Excel saves "Unicode text"."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = content.decode("utf-16")
        except UnicodeDecodeError:
            raise ServiceError("file_encoding", str(_l("The file must be saved as UTF-8 text.")))
        return text.replace("\r\n", "\n").replace("\r", "\n")
    return decode_text(content)


def read_csv(content: bytes) -> list[QuestionRecord]:
    """CSV separated by commas, semicolons (Excel in Vietnamese) or tabs (Excel's Unicode text)."""
    import csv

    text = decode_table_text(content)
    lines = text.split("\n")
    if lines and len(max(lines, key=len)) > MAX_ROW_CELLS:  # csv.reader would build every field of a row
        for number, line in enumerate(lines, start=1):
            if len(line) > MAX_ROW_CELLS and max(line.count(d) for d in ",;\t") >= MAX_ROW_CELLS:
                raise ServiceError("file_too_complex", str(_l(
                    "Line %(line)d of the file has more than %(n)d cells; a question has at most %(cols)d columns: "
                    "remove the extra separators.", line=number, n=MAX_ROW_CELLS, cols=MAX_COLUMNS)), 413)
    best = (0, set(), 0, [])
    try:
        for delimiter in (",", ";", "\t"):
            head = csv.reader(lines[:HEADER_SCAN_ROWS * 2], delimiter=delimiter)
            index, found = find_header(head)
            if index is None:
                best = max(best, found, key=lambda b: b[0])
                continue
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
            if len(rows) > MAX_TABLE_ROWS:
                raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
            return read_table(Table(found, rows[index + 1:], index + 2))
    except csv.Error:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .csv file?")))
    raise missing_columns_error(best)



def to_frame(rows: list[dict]) -> pd.DataFrame:
    """Questions (as dicts from services.export_rows) in the template's columns."""
    n_options = max([4] + [len(r["options"]) for r in rows])
    columns = [HEADINGS[k] for k in ("external_id", "area", "difficulty", "multiple", "text")]
    columns += [option_heading(i) for i in range(n_options)]
    columns += [HEADINGS[k] for k in ("correct", "explanation", "source", "reference_date", "exclusion_group")]
    out = []
    for r in rows:
        opts = r["options"]
        row = {
            HEADINGS["external_id"]: r["external_id"] or "",
            HEADINGS["area"]: r["area"],
            HEADINGS["difficulty"]: r["difficulty"],
            HEADINGS["multiple"]: "Có" if r["multiple"] else "Không",
            HEADINGS["text"]: r["text"],
            HEADINGS["correct"]: ", ".join(LETTERS[i] for i, o in enumerate(opts) if o["correct"]),
            HEADINGS["explanation"]: r["explanation"] or "",
            HEADINGS["source"]: r["source"] or "",
            HEADINGS["reference_date"]: r["reference_date"].isoformat() if r["reference_date"] else "",
            HEADINGS["exclusion_group"]: r.get("exclusion_group") or "",
        }
        for i in range(n_options):
            row[option_heading(i)] = opts[i]["text"] if i < len(opts) else ""
        out.append(row)
    return pd.DataFrame(out, columns=columns)
