"""Question file formats: parse each into plain records, and write them back.

Every reader turns a file into a list of :class:`QuestionRecord` — plain
values plus where they came from (row or line) and any problem the format
itself found (an unsupported GIFT type, a formula in a spreadsheet cell).
The rules that apply to every format live in one validator
(:func:`quizapp.bank.services.validate`); nothing here touches the database.

Formats: Excel (.xlsx) and CSV in the template's columns, GIFT and Aiken
(Moodle's plain-text formats, read as Moodle's own parser reads them) and the
YAML files of the shipped bank (``question_bank/*.yaml``).
"""
from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
import yaml
from flask_babel import lazy_gettext as _l

from quizapp.core.cellformat import render_cell
from quizapp.core.errors import ServiceError
from quizapp.core.spreadsheet import FORMULA_PREFIXES, UNESCAPE_PATTERN
from quizapp.core.text import fold
from quizapp.core.uploads import check_xlsx

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_QUESTIONS = 20000
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Column headings of the question template (Vietnamese, as exported) and the
# folded aliases accepted on import.  Error reports name columns by heading.
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
    reader = {"xlsx": read_xlsx, "csv": read_csv, "gift": read_gift, "aiken": read_aiken, "yaml": read_yaml,
              "docx": _read_docx, "xml": _read_moodle_xml}[fmt]
    records = reader(content)
    if len(records) > MAX_QUESTIONS:
        raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
    for r in records:
        r.file = filename
    return records


def _read_docx(content: bytes) -> list[QuestionRecord]:
    from quizapp.bank.word import read_docx  # word.py builds on this module's table reader

    return read_docx(content)


def _read_moodle_xml(content: bytes) -> list[QuestionRecord]:
    from quizapp.bank.moodle_xml import read_moodle_xml

    return read_moodle_xml(content)


# --- Excel and CSV -------------------------------------------------------------------

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


def _heading_key(value) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(value or ""))).split())


def _heading_field(key: str) -> tuple[str, int | None] | None:
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
        hit = _heading_field(_heading_key(cell))
        if hit == ("option", 0) or hit == ("option", 1):
            found.add(option_heading(hit[1]))
        elif hit and hit[0] in ("text", "correct"):
            found.add(HEADINGS[hit[0]])
    return len(found), found


_REQUIRED_HEADINGS = (HEADINGS["text"], option_heading(0), option_heading(1), HEADINGS["correct"])


def find_header(row_iter, name: str = "") -> tuple[int, list] | tuple[None, tuple]:
    """The first row among the first rows of a sheet that holds every required heading.

    Returns (index, row) or (None, (score, found, index, row)) for the best near miss.
    """
    best = (0, set(), 0, [])
    for i, row in enumerate(row_iter):
        if i >= HEADER_SCAN_ROWS:
            break
        score, found = _header_score(row)
        if score == len(_REQUIRED_HEADINGS):
            return i, row
        if score > best[0]:
            best = (score, found, i, row)
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
    unknown = [str(c).strip() for c in row if str(c or "").strip() and _heading_field(_heading_key(c)) is None]
    unknown = [u for u in unknown if _heading_key(u) not in _ROW_NUMBER_HEADINGS]
    hints = []
    for heading in missing:
        names = [_heading_key(heading)] + list(_heading_aliases(heading))
        ratio, original = max(((difflib.SequenceMatcher(None, _heading_key(u), n).ratio(), u)
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


def _xlsx_row(cells, date_iso: set[int] | None = None) -> list:
    out = []
    for j, cell in enumerate(cells):
        value = getattr(cell, "value", None)
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
            dates = {j for j, h in enumerate(header) if _heading_field(_heading_key(h)) == ("reference_date", None)}
            rows = []
            for n, r in enumerate(sheet.iter_rows(min_row=index + 2, max_col=max(len(header), 1))):
                if n >= MAX_TABLE_ROWS:
                    raise ServiceError("file_too_many_rows", str(_l(
                        "The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
                rows.append(_xlsx_row(r, dates))
            return read_table(Table(header, rows, index + 2, sheet.title))
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
            return read_table(Table(rows[index], rows[index + 1:], index + 2))
    except csv.Error:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .csv file?")))
    raise missing_columns_error(best)


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
    return read_frame(frame, table.first_row)


def _columns(frame: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Map template fields (and option letters) to the frame's column names."""
    found: dict[str, str] = {}
    options: dict[int, str] = {}
    for col in frame.columns:
        hit = _heading_field(_heading_key(col))
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
    option_cols = [options[i] for i in range(max(options) + 1) if i in options]
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


def read_frame(frame: pd.DataFrame, first_row: int = 2) -> list[QuestionRecord]:
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
            row=i + first_row,
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


# --- GIFT --------------------------------------------------------------------------------

_GIFT_ESCAPES = {":": "\x01", "#": "\x02", "=": "\x03", "{": "\x04", "}": "\x05", "~": "\x06", "n": "\x07"}
_GIFT_UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in _GIFT_ESCAPES.items()}
_BACKSLASH = "\x08"
_WEIGHT = re.compile(r"^%(-?[0-9]{1,3}(?:\.[0-9]*)?)%")
# A tag's value never holds "[", so a search from each "[id:" stops at the next
# bracket: linear even for a line of 80,000 unclosed "[id:".
_ID_TAG = re.compile(r"\[id:((?:\\.|[^\]\[\\])+)\]")
_TAG = re.compile(r"\[tag:((?:\\.|[^\]\[\\])+)\]")
# Our own comments, read back so a GIFT export round-trips the fields GIFT has no place for.
_SOURCE_COMMENT = re.compile(r"^//\s*(?:Nguồn|Nguon|Source)\s*:\s?(.*)$", re.IGNORECASE)
_DATE_COMMENT = re.compile(r"^//\s*(?:Ngày tham chiếu|Ngay tham chieu|Reference date)\s*:\s*(.*)$", re.IGNORECASE)
_GROUP_COMMENT = re.compile(r"^//\s*(?:Nhóm loại trừ|Nhom loai tru|Exclusion group)\s*:\s*(.*)$", re.IGNORECASE)
# An HTML tag starts with a letter (or "/" and a letter) and holds no "<": "3 < 5 and 7 > 6" is text,
# and a run of "<" without ">" is scanned once, not once per "<".
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_DIFFICULTY_TAG = re.compile(r"^(?:muc-do|difficulty)[-:]?([1-3])$", re.IGNORECASE)
_FORMAT_PREFIX = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)


def _gift_pre(text: str) -> str:
    """Escaped characters → placeholders before parsing (as Moodle's escapedchar_pre)."""
    text = text.replace("\\\\", _BACKSLASH)
    for ch, placeholder in _GIFT_ESCAPES.items():
        text = text.replace("\\" + ch, placeholder)
    return text


def _gift_post(text: str, html_format: bool = False) -> str:
    for placeholder, ch in _GIFT_UNESCAPE.items():
        text = text.replace(placeholder, ch)
    text = text.replace(_BACKSLASH, "\\")
    if html_format:
        text = _HTML_BREAK.sub("\n", text)
        text = html.unescape(_HTML_TAG.sub("", text))
    return text.strip()


def _gift_blocks(text: str):
    """(first line number, lines) of each blank-line separated block."""
    block, start = [], 0
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def category_names(category: str) -> list[str]:
    """The names a Moodle category path may be known by: the whole path, then its last part."""
    parts = [p.strip() for p in category.strip().split("/") if p.strip()]
    parts = [p for p in parts if not (p.startswith("$") and p.endswith("$")) and p.lower() != "top"]
    return ["/".join(parts), parts[-1]] if parts else []


def read_gift(content: bytes) -> list[QuestionRecord]:
    text = decode_text(content)
    records: list[QuestionRecord] = []
    area = ""
    for line_no, lines in _gift_blocks(text):
        comments = "\n".join(ln.strip() for ln in lines if ln.strip().startswith("//"))
        body = [ln.strip() for ln in lines if not ln.strip().startswith("//")]
        if not body:
            continue
        line_no = line_no + next(i for i, ln in enumerate(lines) if not ln.strip().startswith("//"))
        if body[0].startswith("$CATEGORY:"):
            area = _gift_post(_gift_pre(body[0][len("$CATEGORY:"):]))
            body = body[1:]
            if not body:
                continue
            line_no += 1
        record = _gift_question(_gift_pre("\n".join(body)), line_no, "")
        record.category = area
        for comment in comments.split("\n"):
            m = _SOURCE_COMMENT.match(comment)
            if m:
                record.source = _comment_unescape(m.group(1).strip())
            m = _DATE_COMMENT.match(comment)
            if m:
                record.reference_date = m.group(1).strip()
            m = _GROUP_COMMENT.match(comment)
            if m:
                record.exclusion_group = m.group(1).strip()
        m = _ID_TAG.search(comments)
        if m:
            record.external_id = m.group(1).replace("\\]", "]").strip()
        for tag in _TAG.findall(comments):
            d = _DIFFICULTY_TAG.match(tag.strip())
            if d:
                record.difficulty = d.group(1)
        records.append(record)
    return records


def _comment_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _comment_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _gift_question(text: str, line_no: int, area: str) -> QuestionRecord:
    record = QuestionRecord(row=line_no, area=area)
    err = record.errors
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            text = text[end + 2:].strip()
    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        record.text = _gift_post(text)
        err.append(("", str(_l("Text without an answer block { } is a description, not a question."))))
        record.rejected = True
        return record
    if start < 0 or finish < start:
        err.append(("", str(_l("The braces { } of the answer block do not match."))))
        record.rejected = True
        return record
    answer = text[start + 1:finish].strip()
    after = text[finish + 1:].strip()
    question = text[:start].strip()
    html_format = False
    m = _FORMAT_PREFIX.match(question)
    if m:
        html_format = m.group(1).lower() == "html"
        question = question[m.end():].strip()
    record.text = _gift_post(question, html_format)
    general = answer.rfind("####")
    if general >= 0:
        record.explanation = _gift_post(answer[general + 4:], html_format)
        answer = answer[:general].strip()
    if not answer:
        kind = _l("Essay questions are not supported.")
    elif answer.startswith("#"):
        kind = _l("Numerical questions are not supported.")
    elif "~" in answer:
        kind = None
    elif "=" in answer and "->" in answer:
        kind = _l("Matching questions are not supported.")
    else:
        tf = answer.split("#", 1)[0].strip() if answer.find("#") > 0 else answer
        if tf in ("T", "TRUE", "F", "FALSE"):
            true = tf.startswith("T")
            record.multiple = False
            record.options = [OptionRecord(TRUE_LABEL, true), OptionRecord(FALSE_LABEL, not true)]
            if after:
                err.append(("", str(_l("Missing-word questions (text after the answer block) are not supported."))))
                record.rejected = True
            return record
        kind = _l("Short-answer questions are not supported.")
    if kind is None and after:
        kind = _l("Missing-word questions (text after the answer block) are not supported.")
    if kind is not None:
        err.append(("", str(kind)))
        record.rejected = True
        return record
    single = "=" in answer
    record.multiple = not single
    parts = answer.replace("=", "~=").split("~")
    if parts and not parts[0].strip():
        parts = parts[1:]
    for part in parts:
        part = part.strip()
        correct = part.startswith("=")
        if correct:
            part = part[1:].strip()
        weight = 1.0 if correct else 0.0
        m = _WEIGHT.match(part)
        if m:
            weight = float(m.group(1)) / 100
            part = part[m.end():].strip()
        if single and not correct and weight > 0:
            err.append((option_heading(min(len(record.options), 25)), str(_l(
                "The option gives partial credit (%(weight)s%%) but the question has one right answer (=): "
                "mark it with = if it is right, or remove the = signs to make a multiple-answer question.",
                weight=f"{weight * 100:g}"))))
        if not single:
            correct = weight > 0
        option_html = html_format
        m = _FORMAT_PREFIX.match(part)  # a format of its own: ~[plain]blue, =[html]<b>x</b>
        if m:
            option_html = m.group(1).lower() == "html"
            part = part[m.end():].strip()
        option_text = part.split("#", 1)[0]  # "#..." is the answer's feedback
        record.options.append(OptionRecord(_gift_post(option_text, option_html), correct, weight))
    return record


def _gift_escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "~=#{}:":
        out = out.replace(ch, "\\" + ch)
    return out.replace("\n", "\\n")


def to_gift(rows: list[dict]) -> str:
    """GIFT text: one $CATEGORY per area, ids and difficulty in comments."""
    out, area = [], None
    for r in rows:
        if r["area"] != area:
            area = r["area"]
            out.append(f"$CATEGORY: $course$/top/{_gift_escape(area)}\n")
        head = f"// [id:{r['external_id']}] " if r["external_id"] else "// "
        out.append(head + f"[tag:muc-do-{r['difficulty']}]")
        if r["source"]:
            out.append("// Nguồn: " + _comment_escape(r["source"]))
        if r["reference_date"]:
            out.append("// Ngày tham chiếu: " + r["reference_date"].isoformat())
        if r.get("exclusion_group"):
            out.append("// Nhóm loại trừ: " + _comment_escape(r["exclusion_group"]))
        lines = [_gift_escape(r["text"]) + " {"]
        correct = [o for o in r["options"] if o["correct"]]
        for o in r["options"]:
            if not r["multiple"]:
                lines.append(("  =" if o["correct"] else "  ~") + _gift_escape(o["text"]))
            else:
                w = 100 / len(correct) if o["correct"] else -100
                lines.append(f"  ~%{w:g}%" + _gift_escape(o["text"]))
        if r["explanation"]:
            lines.append("  ####" + _gift_escape(r["explanation"]))
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out)


# --- Aiken ---------------------------------------------------------------------------------

_AIKEN_OPTION = re.compile(r"^([A-Za-z])[).][ \t]?")
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
    for number, raw in enumerate(text.split("\n"), start=1):
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
        else:
            if current is not None:
                current.errors.append(("", str(_l("The question has no ANSWER line."))))
                current.rejected = True
                records.append(current)
            current = QuestionRecord(row=number, text=line, multiple=False)
    if current is not None:
        current.errors.append(("", str(_l("The question has no ANSWER line."))))
        current.rejected = True
        records.append(current)
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


# --- YAML (the shipped bank) -------------------------------------------------------------------

class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark):
        self.problem_mark = mark


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """safe_load (libyaml's parser when present) that remembers the line of each mapping
    (as ``__line__``) and refuses aliases.

    An alias (``*name``) makes the same node appear again; a "billion laughs"
    file nests them so that walking the data takes forever.  The bank never
    needs them, so the second use of any node is refused at once.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasRefused(node.start_mark)
        return super().construct_object(node, deep)


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _yaml_text(value, column: str, errors: list) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, date)):
        errors.append((column, str(_l("Must be text (put it in quotes)."))))
        return ""
    return str(value).strip()


def read_yaml(content: bytes) -> list[QuestionRecord]:
    text = decode_text(content)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader: no arbitrary objects
    except _AliasRefused as exc:
        raise ServiceError("file_yaml_alias", str(_l(
            "The YAML file uses an alias (*name) near line %(line)d; write the value out in full.",
            line=exc.problem_mark.line + 1)))
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ServiceError("file_corrupt", str(_l("The YAML file is invalid near line %(line)d.", line=line)))
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ServiceError("file_corrupt", str(_l("The YAML file must have an “area” and a list of “questions”.")))
    file_area = _yaml_text(data.get("area"), HEADINGS["area"], [])
    records = []
    for item in data["questions"]:
        if not isinstance(item, dict):
            raise ServiceError("file_corrupt", str(_l("The YAML file must have an “area” and a list of “questions”.")))
        errors: list[tuple[str, str]] = []
        options = []
        raw_options = item.get("options") or []
        if not isinstance(raw_options, list):
            raw_options = []
            errors.append((option_heading(0), str(_l("“options” must be a list."))))
        for i, opt in enumerate(raw_options):
            heading = option_heading(min(i, 25))
            if not isinstance(opt, dict):
                opt = {"text": opt}
            correct = opt.get("correct", False)
            if not isinstance(correct, bool):
                errors.append((heading, str(_l("“correct” must be true or false."))))
                correct = False
            options.append(OptionRecord(_yaml_text(opt.get("text"), heading, errors), correct))
        multiple = item.get("multiple")
        if multiple is not None and not isinstance(multiple, bool):
            errors.append((HEADINGS["multiple"], str(_l("“multiple” must be true or false."))))
            multiple = None
        records.append(QuestionRecord(
            row=item.get("__line__", 0),
            area=_yaml_text(item.get("area", file_area), HEADINGS["area"], errors),
            difficulty=item.get("difficulty"),
            multiple=multiple,
            text=_yaml_text(item.get("text"), HEADINGS["text"], errors),
            options=options,
            explanation=_yaml_text(item.get("explanation"), HEADINGS["explanation"], errors),
            source=_yaml_text(item.get("source"), HEADINGS["source"], errors),
            reference_date=item.get("reference_date"),
            external_id=_yaml_text(item.get("external_id"), HEADINGS["external_id"], errors),
            exclusion_group=_yaml_text(item.get("exclusion_group"), HEADINGS["exclusion_group"], errors),
            errors=errors,
        ))
    return records


# --- values shared by the readers ---------------------------------------------------------------

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
