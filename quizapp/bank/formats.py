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

from quizapp.core.errors import ServiceError
from quizapp.core.spreadsheet import FORMULA_PREFIXES, UNESCAPE_PATTERN
from quizapp.core.text import fold

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
    "text": ("cau hoi", "noi dung cau hoi", "question", "text"),
    "correct": ("dap an dung", "dap an", "correct", "answer"),
    "explanation": ("giai thich", "explanation"),
    "source": ("nguon", "van ban nguon", "source"),
    "reference_date": ("ngay tham chieu", "reference date", "reference_date"),
    "exclusion_group": ("nhom loai tru", "exclusion group", "exclusion_group"),
}
_OPTION_HEADING = re.compile(r"^(?:phuong an|lua chon|option)\s*([a-z])$")
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
                     (".yaml", "yaml"), (".yml", "yaml")):
        if name.endswith(ext):
            return fmt
    if name.endswith(".txt"):
        text = decode_text(content)
        if "{" not in text and re.search(r"^\s*ANSWER:", text, re.MULTILINE):
            return "aiken"
        return "gift"
    raise ServiceError(
        "file_type",
        str(_l("Only .xlsx, .csv, .gift, .txt (GIFT or Aiken) and .yaml files are accepted.")),
        415,
    )


def parse(content: bytes, filename: str, fmt: str | None = None) -> list[QuestionRecord]:
    """Any supported file → question records (or a file-level ServiceError)."""
    if len(content) > MAX_FILE_BYTES:
        raise ServiceError("file_too_large", str(_l("The file is larger than %(mb)d MB.", mb=MAX_FILE_BYTES // 2**20)), 413)
    fmt = fmt or detect_format(filename, content)
    reader = {"xlsx": read_xlsx, "csv": read_csv, "gift": read_gift, "aiken": read_aiken, "yaml": read_yaml}[fmt]
    records = reader(content)
    if len(records) > MAX_QUESTIONS:
        raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
    for r in records:
        r.file = filename
    return records


# --- Excel and CSV -------------------------------------------------------------------

def read_xlsx(content: bytes) -> list[QuestionRecord]:
    if not content.startswith(b"PK"):
        raise ServiceError("file_corrupt", str(_l("The file is not a valid Excel (.xlsx) file.")))
    try:
        frame = pd.read_excel(io.BytesIO(content), dtype=str, engine="openpyxl", keep_default_na=False)
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .xlsx file?")))
    return read_frame(frame)


def read_csv(content: bytes) -> list[QuestionRecord]:
    text = decode_text(content)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid .csv file?")))
    return read_frame(frame)


def _columns(frame: pd.DataFrame) -> tuple[dict[str, str], list[str]]:
    """Map template fields (and option letters) to the frame's column names."""
    found: dict[str, str] = {}
    options: dict[int, str] = {}
    for col in frame.columns:
        key = fold(str(col))
        m = _OPTION_HEADING.match(key)
        if m:
            options.setdefault(LETTERS.index(m.group(1).upper()), col)
            continue
        for name, aliases in _ALIASES.items():
            if key in aliases and name not in found:
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


def read_frame(frame: pd.DataFrame) -> list[QuestionRecord]:
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
                int(token) - 1 if token.isdigit() else -1)
            if 0 <= pos < len(options) and options[pos].text:
                options[pos].correct = True
            else:
                errors.append((HEADINGS["correct"], str(_l(
                    "“%(value)s” does not name a filled option (use letters such as A or A, C).", value=token))))
        multiple = None
        raw_multiple = fold(values["multiple"][i]) if values["multiple"] else ""
        if raw_multiple in _YES:
            multiple = True
        elif raw_multiple in _NO:
            multiple = False
        elif raw_multiple:
            errors.append((HEADINGS["multiple"], str(_l("Write “Có” or “Không”."))))
        records.append(QuestionRecord(
            row=i + 2,
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
_ID_TAG = re.compile(r"\[id:((?:\\]|[^\]])+)\]")
_TAG = re.compile(r"\[tag:((?:\\]|[^\]])+)\]")
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
        text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
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


def _category_area(category: str) -> str:
    parts = [p.strip() for p in category.strip().split("/") if p.strip()]
    parts = [p for p in parts if not (p.startswith("$") and p.endswith("$")) and p.lower() != "top"]
    return parts[-1] if parts else ""


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
            area = _category_area(area)
            body = body[1:]
            if not body:
                continue
            line_no += 1
        record = _gift_question(_gift_pre("\n".join(body)), line_no, area)
        m = _ID_TAG.search(comments)
        if m:
            record.external_id = m.group(1).replace("\\]", "]").strip()
        for tag in _TAG.findall(comments):
            d = _DIFFICULTY_TAG.match(tag.strip())
            if d:
                record.difficulty = d.group(1)
        records.append(record)
    return records


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
        if not single:
            correct = weight > 0
        option_text = part.split("#", 1)[0]  # "#..." is the answer's feedback
        record.options.append(OptionRecord(_gift_post(option_text, html_format), correct, weight))
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
            out.append("// " + r["source"].replace("\n", " "))
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

_AIKEN_OPTION = re.compile(r"^([A-Z])[).][ \t]?")


def read_aiken(content: bytes) -> list[QuestionRecord]:
    text = decode_text(content)
    records: list[QuestionRecord] = []
    current: QuestionRecord | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if len(line) < 2:
            continue
        if line.startswith("ANSWER:"):
            if current is None:
                records.append(QuestionRecord(row=number, rejected=True, errors=[
                    ("", str(_l("An ANSWER line comes before any question.")))]))
                continue
            letter = line.split(":", 1)[1].strip()[:1]
            pos = LETTERS.find(letter) if letter else -1
            if 0 <= pos < len(current.options):
                current.options[pos].correct = True
            elif len(current.options) >= 2:
                current.errors.append(("", str(_l("The ANSWER letter “%(letter)s” does not name an option.", letter=letter))))
                current.rejected = True
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


# --- YAML (the shipped bank) -------------------------------------------------------------------

class _LineLoader(yaml.SafeLoader):
    """safe_load that remembers the line of each mapping (as ``__line__``)."""


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
    except yaml.YAMLError as exc:
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
