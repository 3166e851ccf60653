"""Word (.docx) question files in the layouts Vietnamese organisers circulate, and the Word template.

Read (python-docx), in document order:

- paragraphs ``Câu 1: …``, ``1. …`` (or a numbered list item) start a question; more
  paragraphs before the first option continue its text;
- ``A. …`` / ``a) …`` / ``A- …`` (or a lettered, second-level or bulleted list
  item under a question) are options;
  several may share one line when separated by tabs or wide spaces
  (``A. 2019<tab>B. 2020``);
- ``Đáp án: B`` (``Đáp án đúng: A, C``) names the right options; without it,
  options written in bold, underlined or highlighted (and not all of them)
  are the right ones;
- ``Mức độ:``, ``Giải thích:``, ``Nguồn:``, ``Ngày tham chiếu:``,
  ``Mã câu hỏi:`` lines belong to the question above; ``Lĩnh vực:`` is a
  section heading for the questions that follow (as is ``Mức độ:`` before the
  first question);
- a table whose header row reads Câu hỏi / A / B / C / D / Đáp án (any of the
  spreadsheet template's headings) is read like a sheet.

Row numbers in reports count the body's paragraphs (empty ones too) and
table rows from the top of the document: "dòng 12" is the 12th of them.

Must not: decide the template's headings or read a table's rows itself (that
is :mod:`.tables`, shared with Excel and CSV), validate, or touch the
database.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import HEADINGS, LETTERS, OptionRecord, QuestionRecord
from quizapp.bank.formats.tables import Table, find_header, read_table
from quizapp.core.errors import ServiceError
from quizapp.core.text import fold
from quizapp.core.uploads import check_docx_body, check_zip

# Possessive runs of spaces and one way to match each: every pattern here is linear in the paragraph.
# "Câu 1: …", "Câu hỏi 2 (1 điểm). …", and numbering typed by hand: "1. …", "12) …".
_QUESTION = re.compile(r"^\s*+(?:c[aâ]u(?:\s++h[oỏ]i)?\s*+\d{1,5}\s*+(?:\([^)]{0,40}\)\s*+)?[:.)\-–]|"
                       r"\d{1,4}\s*+[.)](?=\s))\s*(?P<body>.*)$", re.IGNORECASE | re.DOTALL)
# "A. …", "a) …" and "A- …" / "A – …" as people type them.
_OPTION = re.compile(r"^\s*+([A-Ja-j])(?:\s*+[.)]|\s*+[-–](?=\s))\s++", re.DOTALL)
_NEXT_OPTION = re.compile(r"(?<!\s)(?: *+\t\s*+|\s{2,}+)(?=[B-Jb-j](?:\s*+[.)]|\s*+[-–])\s)")
_ANSWER = re.compile(r"^\s*+(?:đáp án(?:\s++đúng)?|dap an(?:\s++dung)?|đa|answer)\s*+(?:là\s*+)?[:.]\s*(.*)$",
                     re.IGNORECASE | re.DOTALL)
_ANSWER_LETTERS = re.compile(r"^([A-Ja-j](?:\s*+(?:[,;&/]\s*+)?[A-Ja-j](?![^\s,;&/]))*+)(?![^\s,;&/.)])")
_FIELD = re.compile(r"^\s*+(mức độ|muc do|giải thích|giai thich|nguồn|nguon|ngày tham chiếu|ngay tham chieu|"
                    r"mã câu hỏi|ma cau hoi|lĩnh vực|linh vuc)\s*+:\s*(.*)$", re.IGNORECASE | re.DOTALL)
_FIELD_KEYS = {"muc do": "difficulty", "giai thich": "explanation", "nguon": "source",
               "ngay tham chieu": "reference_date", "ma cau hoi": "external_id", "linh vuc": "area"}
_LETTER_FORMATS = ("upperLetter", "lowerLetter")
MAX_PARAGRAPHS = 200_000


@dataclass
class _Line:
    number: int
    text: str
    marked: bytearray  # per character: 1 if bold, underlined or highlighted (a byte each, not a list)
    numbering: str | None = None  # "question" / "option" / "bullet" for a list item, else None
    heading: bool = False


@dataclass
class _Open:
    record: QuestionRecord
    marks: list[bool] = field(default_factory=list)
    answer: str | None = None
    answer_line: int = 0


def _w(tag: str) -> str:
    return "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}" + tag


def _on(element, tag: str) -> bool:
    """A run property (w:b, w:u, w:highlight) that is present and not switched off."""
    if element is None:
        return False
    prop = element.find(_w(tag))
    if prop is None:
        return False
    val = prop.get(_w("val"))
    return val not in ("0", "false", "none", "off")


class _Numbering:
    """List numbering formats: (numId, level) → "decimal", "upperLetter", …"""

    def __init__(self, document):
        self.formats: dict[tuple[str, str], str] = {}
        self.styles: dict[str, object] = {}  # style id → its w:numPr (a "List Number" style numbers by itself)
        for style in document.styles.element.findall(_w("style")):
            num_pr = style.find(f"{_w('pPr')}/{_w('numPr')}")
            if num_pr is not None:
                self.styles[style.get(_w("styleId"))] = num_pr
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {}
        for node in root.findall(_w("abstractNum")):
            levels = {lvl.get(_w("ilvl")): (lvl.find(_w("numFmt")).get(_w("val")) if lvl.find(_w("numFmt")) is not None else "")
                      for lvl in node.findall(_w("lvl"))}
            abstract[node.get(_w("abstractNumId"))] = levels
        for num in root.findall(_w("num")):
            ref = num.find(_w("abstractNumId"))
            if ref is not None:
                for level, fmt in abstract.get(ref.get(_w("val")), {}).items():
                    self.formats[(num.get(_w("numId")), level)] = fmt

    def kind(self, paragraph) -> str | None:
        num_pr = paragraph.find(f"{_w('pPr')}/{_w('numPr')}")
        second_level = False
        if num_pr is None:
            style = paragraph.find(f"{_w('pPr')}/{_w('pStyle')}")
            style_id = (style.get(_w("val")) or "") if style is not None else ""
            num_pr = self.styles.get(style_id)
            # "List Number 2", "List Bullet 3": Word's styles for the second level of a list (the options)
            second_level = style_id[-1:] in "23456789" and style_id[-1:] != ""
        if num_pr is None:
            return None
        num_id = num_pr.find(_w("numId"))
        level = num_pr.find(_w("ilvl"))
        num_id = num_id.get(_w("val")) if num_id is not None else None
        level = level.get(_w("val")) if level is not None else "0"
        if num_id in (None, "0"):
            return None
        fmt = self.formats.get((num_id, level), "")
        if second_level:
            return "option"
        if fmt == "bullet":
            return "bullet"  # an option when it follows a question, else ignored
        if fmt in _LETTER_FORMATS or (fmt != "decimal" and level != "0"):
            return "option"
        return "question"


def _paragraph_line(p, number: int, numbering: _Numbering) -> _Line:
    chars: list[str] = []
    marked = bytearray()
    for run in p.iter(_w("r")):
        props = run.find(_w("rPr"))
        mark = _on(props, "b") or _on(props, "u") or _on(props, "highlight")
        for child in run:
            if child.tag == _w("t"):
                piece = child.text or ""
            elif child.tag == _w("tab"):
                piece = "\t"
            elif child.tag in (_w("br"), _w("cr")):
                piece = "\n"
            else:
                continue
            chars.append(piece)
            marked.extend((b"\x01" if mark else b"\x00") * len(piece))
    style = p.find(f"{_w('pPr')}/{_w('pStyle')}")
    style_name = (style.get(_w("val")) or "") if style is not None else ""
    return _Line(number, "".join(chars), marked, numbering.kind(p),
                 heading=style_name.lower().startswith(("heading", "title", "tieude")))


def _table_rows(tbl) -> list[list[str]]:
    rows = []
    for tr in tbl.iter(_w("tr")):
        cells = []
        for tc in tr.findall(_w("tc")):
            paragraphs = ["".join(t.text or "" for t in p.iter(_w("t"))) for p in tc.iter(_w("p"))]
            cells.append("\n".join(paragraphs).strip())
        rows.append(cells)
    return rows


def _mark_of(marks: bytearray, text: str) -> bool:
    """Is every non-space character of ``text`` marked (and is there one)?  C-speed slices, no per-char loop."""
    if not text.strip():
        return False
    return all(text[m.start():m.end()].isspace() for m in _UNMARKED.finditer(marks, 0, len(text)))


_UNMARKED = re.compile(rb"\x00+")


def _split_options(text: str, marks: bytearray) -> list[tuple[str, bool]]:
    """ "A. 2019<tab>B. 2020" → [("2019", marked?), ("2020", marked?)] (letter and dot removed)."""
    cuts = [0] + [m.end() for m in _NEXT_OPTION.finditer(text)] + [len(text)]
    out = []
    for start, end in zip(cuts, cuts[1:]):
        piece, piece_marks = text[start:end], marks[start:end]
        m = _OPTION.match(piece)
        body_start = m.end() if m else 0
        out.append((piece[body_start:].strip(), _mark_of(piece_marks[body_start:], piece[body_start:])))
    return out


def read_docx(content: bytes) -> list[QuestionRecord]:
    import docx

    check_zip(content, "docx")
    check_docx_body(content)
    try:
        document = docx.Document(io.BytesIO(content))
    except Exception:
        raise ServiceError("file_corrupt", str(_l("The file could not be read. Is it a valid Word (.docx) file?")))
    numbering = _Numbering(document)
    records: list[QuestionRecord] = []
    section: dict[str, object] = {}
    current: _Open | None = None
    number = 0

    def close() -> None:
        nonlocal current
        if current is None:
            return
        _finish(current)
        records.append(current.record)
        current = None

    for block in document.element.body.iterchildren():
        if block.tag == _w("tbl"):
            rows = _table_rows(block)
            first = number + 1
            number += len(rows)
            index, found = find_header(iter(rows))
            if index is None:
                continue  # a layout table, not questions
            close()
            for r in read_table(Table(found, rows[index + 1:], first + index + 1)):
                if not r.area and section.get("area"):
                    r.area = str(section["area"])
                if r.difficulty in (None, "") and section.get("difficulty"):
                    r.difficulty = section["difficulty"]
                records.append(r)
            continue
        if block.tag != _w("p"):
            continue
        number += 1
        if number > MAX_PARAGRAPHS:
            raise ServiceError("file_too_many_rows", str(_l("The file has more than %(n)d paragraphs.", n=MAX_PARAGRAPHS)))
        line = _paragraph_line(block, number, numbering)
        text = line.text.strip()
        if not text:
            continue
        field_match = _FIELD.match(text)
        question = _QUESTION.match(text)
        if question or (line.numbering == "question" and not field_match and not _ANSWER.match(text)):
            close()
            body = question.group("body").strip() if question else text
            current = _Open(QuestionRecord(row=number, area=str(section.get("area", "")),
                                           difficulty=section.get("difficulty")))
            current.record.text = body
            continue
        if field_match:
            key = _FIELD_KEYS[fold(field_match.group(1))]
            value = field_match.group(2).strip()
            if key == "area":
                close()  # a section heading: the questions below are in this area
                section[key] = value
                continue
            if current is None:
                if key == "difficulty":
                    section[key] = value
                continue
            setattr(current.record, key, value)
            continue
        answer = _ANSWER.match(text)
        if answer and current is not None:
            current.answer = answer.group(1).strip()
            current.answer_line = number
            continue
        option = _OPTION.match(line.text.lstrip()) or (line.numbering in ("option", "bullet"))
        if option and current is not None and current.answer is None:
            offset = len(line.text) - len(line.text.lstrip())
            stripped, marks = line.text[offset:], line.marked[offset:]
            if _OPTION.match(stripped):
                pieces = _split_options(stripped, marks)
            else:
                pieces = [(stripped.strip(), _mark_of(marks, stripped))]
            for option_text, mark in pieces:
                current.record.options.append(OptionRecord(option_text))
                current.marks.append(mark)
            continue
        if current is None or line.heading or text.isupper():
            continue  # titles, instructions, section headings
        if not current.record.options and current.answer is None:
            current.record.text += "\n" + text
            continue
        close()
        records.append(QuestionRecord(row=number, rejected=True, errors=[("", str(_l(
            "This paragraph is not a question (“Câu 1: …”), an option (“A. …”) or an answer line (“Đáp án: B”).")))]))
    close()
    return records


def _finish(q: _Open) -> None:
    """Decide the right options: the "Đáp án" line, else the marked (bold/underlined) options."""
    record = q.record
    if q.answer is not None:
        m = _ANSWER_LETTERS.match(q.answer)
        letters = [c for c in m.group(1).upper() if c.isalpha()] if m else []
        if not letters:
            record.errors.append((HEADINGS["correct"], str(_l(
                "“%(value)s” does not name a filled option (use letters such as A or A, C).", value=q.answer[:20]))))
        for letter in letters:
            pos = LETTERS.index(letter)
            if pos < len(record.options):
                record.options[pos].correct = True
            else:
                record.errors.append((HEADINGS["correct"], str(_l(
                    "“%(value)s” does not name a filled option (use letters such as A or A, C).", value=letter))))
        if len(set(letters)) > 1:
            record.multiple = True
        elif letters:
            record.multiple = False
        return
    if any(q.marks) and not all(q.marks):
        for option, mark in zip(record.options, q.marks):
            option.correct = mark
    elif len(q.marks) >= 2:
        record.errors.append((HEADINGS["correct"], str(_l(
            "No right answer: add a line “Đáp án: B”, or write the right options in bold or underlined."))))


# --- the template ---------------------------------------------------------------------------------

def template_docx(example: dict) -> bytes:
    """A Word file that imports as it is: instructions, one section, three example questions."""
    import docx
    from docx.shared import Pt

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(13)
    document.add_heading("MẪU NHẬP CÂU HỎI (WORD)", level=1)
    for line in (
        "Mỗi câu hỏi bắt đầu bằng “Câu N:”, mỗi phương án một dòng “A.”, “B.”, … (2 đến 10 phương án).",
        "Dòng “Đáp án: B” (hoặc “Đáp án: A, C” khi có nhiều đáp án đúng) ghi đáp án; "
        "nếu không có dòng này, in đậm hoặc gạch chân (các) phương án đúng.",
        "Các dòng “Mức độ:” (1, 2, 3), “Giải thích:”, “Nguồn:”, “Ngày tham chiếu:” (dd/mm/yyyy) và “Mã câu hỏi:” "
        "là tuỳ chọn và thuộc câu hỏi ở ngay trên. Dòng “Lĩnh vực:” áp dụng cho các câu hỏi phía sau.",
        "Có thể dùng bảng có các cột Câu hỏi | A | B | C | D | Đáp án thay cho cách viết trên.",
        "Tệp được nhập toàn bộ hoặc không nhập gì: mọi lỗi được báo kèm số dòng (đoạn văn, tính cả đoạn trống).",
    ):
        document.add_paragraph(line, style="List Bullet")
    document.add_paragraph(f"Lĩnh vực: {example['area']}")
    correct = [LETTERS[i] for i, o in enumerate(example["options"]) if o["correct"]]
    document.add_paragraph(f"Câu 1: {example['text']}")
    for i, o in enumerate(example["options"]):
        document.add_paragraph(f"{LETTERS[i]}. {o['text']}")
    document.add_paragraph("Đáp án: " + ", ".join(correct))
    document.add_paragraph(f"Mức độ: {example['difficulty']}")
    document.add_paragraph(f"Mã câu hỏi: {example['external_id']}")
    document.add_paragraph(f"Giải thích: {example['explanation']}")
    document.add_paragraph(f"Nguồn: {example['source']}")
    document.add_paragraph(f"Ngày tham chiếu: {example['reference_date']:%d/%m/%Y}")
    document.add_paragraph("Câu 2: Những mức nào là dịch vụ công trực tuyến theo Nghị định 42/2022/NĐ-CP?")
    for letter, text in (("A", "Toàn trình"), ("B", "Một phần"), ("C", "Mức độ 4")):
        document.add_paragraph(f"{letter}. {text}")
    document.add_paragraph("Đáp án: A, B")
    document.add_paragraph("Mức độ: 2")
    document.add_paragraph("Câu 3: Cơ quan nào là cơ quan thường trực công tác cải cách hành chính của tỉnh?")
    for letter, text, bold in (("A", "Sở Nội vụ", True), ("B", "Sở Tư pháp", False), ("C", "Văn phòng UBND tỉnh", False)):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(f"{letter}. {text}")
        run.bold = bold
    document.add_paragraph("Mức độ: 1")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()

