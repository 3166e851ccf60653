"""GIFT (Moodle's plain-text format): read it as Moodle's own parser does, and write the bank as GIFT.

Owns: escapes, blocks, ``$CATEGORY``, ``[id:]`` / ``[tag:]`` comments,
HTML-format text, multiple-choice and true/false answer blocks with weights,
the comments that carry our fields GIFT has no place for (source, reference
date, exclusion group), and :func:`to_gift`.  Other GIFT question types are
reported per block as unsupported.

Must not: guess whether a .txt is GIFT or Aiken (the dispatch in
``__init__`` does), map categories to areas, validate, or touch the database.
Every pattern here stays linear in the input (hostile files).
"""
from __future__ import annotations

import html
import re

from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    FALSE_LABEL, TRUE_LABEL, OptionRecord, QuestionRecord, decode_text, nonblank_lines, option_heading,
    strip_html_comments,
)

_GIFT_ESCAPES = {":": "\x01", "#": "\x02", "=": "\x03", "{": "\x04", "}": "\x05", "~": "\x06", "n": "\x07"}
_GIFT_UNESCAPE = {v: ("\n" if k == "n" else k) for k, v in _GIFT_ESCAPES.items()}
_BACKSLASH = "\x08"
_WEIGHT = re.compile(r"^%(-?[0-9]{1,3}(?:\.[0-9]*)?)%")
# A tag's value never holds "[", so a search from each "[id:" stops at the next
# bracket: linear even for a line of 80,000 unclosed "[id:".
_ID_TAG = re.compile(r"\[id:((?:\\.|[^\]\[\\\n])+)\]")
_TAG = re.compile(r"\[tag:((?:\\.|[^\]\[\\\n])+)\]")
_OPEN_ID = re.compile(r"\[id:(?:\\.|[^\]\[\\\n])*$", re.MULTILINE)
# Our own comments, read back so a GIFT export round-trips the fields GIFT has no place for.
_SOURCE_COMMENT = re.compile(r"^//\s*(?:Nguồn|Nguon|Source)\s*:\s?(.*)$", re.IGNORECASE)
_DATE_COMMENT = re.compile(r"^//\s*(?:Ngày tham chiếu|Ngay tham chieu|Reference date)\s*:\s*(.*)$", re.IGNORECASE)
_GROUP_COMMENT = re.compile(r"^//\s*(?:Nhóm loại trừ|Nhom loai tru|Exclusion group)\s*:\s*(.*)$", re.IGNORECASE)
# An HTML tag starts with a letter (or "/" and a letter) and holds no "<": "3 < 5 and 7 > 6" is text,
# and a run of "<" without ">" is scanned once, not once per "<".
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_DIFFICULTY_TAG = re.compile(r"^(?:muc-do|difficulty)[-:]?([1-3])$", re.IGNORECASE)
MAX_GIFT_OPTIONS = 26  # past the validator's 10: one error says it, without building millions of options
_FORMAT_PREFIX = re.compile(r"^\[(html|moodle|plain|markdown)\]", re.IGNORECASE)


def _gift_pre(text: str) -> str:
    """Escaped characters → placeholders before parsing (as Moodle's escapedchar_pre)."""
    text = text.replace("\\\\", _BACKSLASH)
    for ch, placeholder in _GIFT_ESCAPES.items():
        text = text.replace("\\" + ch, placeholder)
    return text


def _gift_post(text: str, html_format: bool = False) -> str:
    if "<!--" in text:
        text = strip_html_comments(text)
    for placeholder, ch in _GIFT_UNESCAPE.items():
        text = text.replace(placeholder, ch)
    text = text.replace(_BACKSLASH, "\\")
    if html_format:
        text = _HTML_BREAK.sub("\n", text)
        text = html.unescape(_HTML_TAG.sub("", text))
    return text.strip()


def _gift_blocks(text: str):
    """(first line number, lines) of each blank-line separated block."""
    block, start, last = [], 0, 0
    for number, line in nonblank_lines(text):
        if block and number > last + 1:
            yield start, block
            block = []
        if not block:
            start = number
        block.append(line)
        last = number
    if block:
        yield start, block


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
        elif _OPEN_ID.search(comments):
            record.errors.append(("", str(_l(
                "The question id “[id:…]” is not closed on its comment line: write “// [id:CODE]” whole on one "
                "line."))))
            record.rejected = True
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
    # True/false first: its feedback ("{T#about ~5}") may hold a "~" that is not an option.
    tf = answer.split("#", 1)[0].strip() if answer.find("#") > 0 else answer
    if tf in ("T", "TRUE", "F", "FALSE"):
        true = tf.startswith("T")
        record.multiple = False
        record.options = [OptionRecord(TRUE_LABEL, true), OptionRecord(FALSE_LABEL, not true)]
        if after:
            err.append(("", str(_l("Missing-word questions (text after the answer block) are not supported."))))
            record.rejected = True
        return record
    if not answer:
        kind = _l("Essay questions are not supported.")
    elif answer.startswith("#"):
        kind = _l("Numerical questions are not supported.")
    elif "~" in answer:
        kind = None
    elif "=" in answer and "->" in answer:
        kind = _l("Matching questions are not supported.")
    else:
        kind = _l("Short-answer questions are not supported.")
    if kind is None and after:
        kind = _l("Missing-word questions (text after the answer block) are not supported.")
    if kind is not None:
        err.append(("", str(kind)))
        record.rejected = True
        return record
    parts_count = answer.count("~") + answer.count("=")
    if parts_count > MAX_GIFT_OPTIONS:  # counted at C speed before any option is built
        err.append((option_heading(10), str(_l(
            "The answer block has %(n)d options (~ or =); a question has at most 10: split it or remove options.",
            n=parts_count))))
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


def _gift_escape(text: str, prefixable: bool = False) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = text.replace("\\", "\\\\")
    if prefixable and _FORMAT_PREFIX.match(out):  # "[html]…" is text here, not a format: say the format first
        out = "[moodle]" + out
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
        lines = [_gift_escape(r["text"], prefixable=True) + " {"]
        correct = [o for o in r["options"] if o["correct"]]
        for o in r["options"]:
            if not r["multiple"]:
                lines.append(("  =" if o["correct"] else "  ~") + _gift_escape(o["text"], prefixable=True))
            else:
                w = 100 / len(correct) if o["correct"] else -100
                lines.append(f"  ~%{w:g}%" + _gift_escape(o["text"], prefixable=True))
        if r["explanation"]:
            lines.append("  ####" + _gift_escape(r["explanation"]))
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out)
