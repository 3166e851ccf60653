"""Moodle XML: import multiple-choice (and true/false) questions, export the bank.

Read with expat (streaming, so every question keeps the line it starts on);
a DOCTYPE or entity declaration is refused outright, so no entity can expand
("billion laughs") or reach outside the file.  ``<question type="category">``
switches the category (mapped to an area like GIFT's ``$CATEGORY``); types
other than multichoice and truefalse are reported, with their line, as
unsupported.  The export adds two elements Moodle ignores,
``<quizapp_source>`` and ``<quizapp_reference_date>``, so export → import
round-trips every field; the texts are exported as ``plain_text`` (the bank
holds plain text), so spaces, line ends and non-breaking spaces come back as they were.

Must not: map categories to areas (the validator does, with
:func:`.records.category_names`), validate, or touch the database.
"""
from __future__ import annotations

import html
import re
from xml.parsers import expat
from xml.sax.saxutils import escape

from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    FALSE_LABEL, TRUE_LABEL, OptionRecord, QuestionRecord, echo, option_heading, strip_html_comments,
)
from quizapp.core.errors import ServiceError

MAX_DEPTH = 64
MAX_TAGS = 200_000  # "<" in the file: about 2,800 questions as Moodle writes them
_DIFFICULTY_TAG = re.compile(r"^(?:muc-do|difficulty)[-:]?([1-3])$", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


class _Refused(Exception):
    pass


class _Node:
    __slots__ = ("tag", "attrs", "children", "text", "line")

    def __init__(self, tag: str, attrs: dict, line: int):
        self.tag, self.attrs, self.line = tag, attrs, line
        self.children: list[_Node] = []
        self.text: list[str] = []

    def find(self, *path: str) -> "_Node | None":
        node = self
        for tag in path:
            node = next((c for c in node.children if c.tag == tag), None)
            if node is None:
                return None
        return node

    def all(self, tag: str) -> list["_Node"]:
        return [c for c in self.children if c.tag == tag]

    def value(self, *path: str) -> str:
        node = self.find(*path)
        return "".join(node.text).strip() if node is not None else ""


def _tree(content: bytes) -> _Node:
    if content.count(b"<") > MAX_TAGS:  # counted at C speed before any element is built
        raise ServiceError("file_too_complex", str(_l(
            "The file has more than %(n)d tags; split it into several files.", n=MAX_TAGS)), 413)
    parser = expat.ParserCreate()
    root = _Node("", {}, 0)
    stack = [root]

    def refuse(*_args):
        raise _Refused()

    def start(tag, attrs):
        if len(stack) > MAX_DEPTH:
            raise _Refused()
        node = _Node(tag, attrs, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def end(_tag):
        stack.pop()

    def data(text):
        if len(stack) > 1:
            stack[-1].text.append(text)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.buffer_text = True
    try:
        parser.Parse(content, True)
    except _Refused:
        raise ServiceError("file_corrupt", str(_l(
            "The XML file declares a DOCTYPE or entities, or nests too deeply; export it again from Moodle.")))
    except expat.ExpatError as exc:
        raise ServiceError("file_corrupt", str(_l("The XML file is invalid near line %(line)d.", line=exc.lineno)))
    return root


def _plain(node: _Node | None, path=("text",)) -> str:
    """A Moodle text element as plain text (HTML tags removed, entities decoded)."""
    if node is None:
        return ""
    text = node.value(*path)
    if node.attrs.get("format", "html") in ("html", "moodle_auto_format", "markdown"):
        text = strip_html_comments(text) if "<!--" in text else text
        pieces = []
        for piece, pre in _pre_blocks(text):
            if pre:  # preformatted: line ends and indentation are the text
                piece = html.unescape(_TAG.sub("", _BREAK.sub("\n", piece)))
                pieces.append(piece[1:] if pieces and pieces[-1].endswith("\n") else piece)
                continue
            piece = _BREAK.sub("\n", re.sub(r"[\r\n]+", " ", piece))  # source line ends are spaces in HTML
            piece = html.unescape(_TAG.sub("", piece)).replace("\xa0", " ")  # an HTML editor's &nbsp;
            pieces.append("\n".join(line.strip(" \t") for line in piece.split("\n")))
        text = "".join(pieces)
    return text.strip()


def _pre_blocks(text: str):
    """(piece, inside <pre>?) in order; found with str.find (linear, even for unclosed tags)."""
    low, pos = text.lower(), 0
    while True:
        start = low.find("<pre", pos)
        end = low.find("</pre>", start) if start >= 0 else -1
        if start < 0 or end < 0:
            yield text[pos:], False
            return
        yield text[pos:start], False
        open_end = low.find(">", start)
        yield "\n" + text[open_end + 1:end].strip("\r\n") + "\n", True
        pos = end + len("</pre>")


def read_moodle_xml(content: bytes) -> list[QuestionRecord]:
    root = _tree(content)
    quiz = root.find("quiz")
    if quiz is None:
        raise ServiceError("file_corrupt", str(_l("The XML file is not a Moodle question export (<quiz>).")))
    records: list[QuestionRecord] = []
    category = ""
    for q in quiz.all("question"):
        kind = q.attrs.get("type", "")
        if kind == "category":
            category = _plain(q.find("category")) or category
            continue
        record = QuestionRecord(row=q.line, category=category)
        records.append(record)
        if kind not in ("multichoice", "truefalse"):
            record.rejected = True
            record.errors.append(("", str(_l(
                "Moodle question type “%(type)s” is not supported (only multichoice and truefalse).", type=echo(kind)))))
            continue
        record.text = _plain(q.find("questiontext"))
        record.explanation = _plain(q.find("generalfeedback"))
        record.external_id = q.value("idnumber")
        record.source = q.value("quizapp_source")
        record.reference_date = q.value("quizapp_reference_date") or None
        record.exclusion_group = q.value("quizapp_exclusion_group") or ""
        for tag in (q.find("tags").all("tag") if q.find("tags") else []):
            d = _DIFFICULTY_TAG.match(tag.value("text"))
            if d:
                record.difficulty = d.group(1)
        answers = q.all("answer")
        if kind == "truefalse":
            truth = next((_plain(a).lower() == "true" for a in answers if _fraction(a) == 1.0), True)
            record.multiple = False
            record.options = [OptionRecord(TRUE_LABEL, truth), OptionRecord(FALSE_LABEL, not truth)]
            continue
        single = q.value("single").lower() not in ("false", "0")
        record.multiple = not single
        for i, a in enumerate(answers):
            fraction = _fraction(a)
            if fraction is None:
                record.errors.append((option_heading(min(i, 25)), str(_l(
                    "The answer's fraction “%(value)s” is not a number.", value=a.attrs.get("fraction", "")[:20]))))
                fraction = 0.0
            correct = fraction >= 0.999 if single else fraction > 0
            if single and 0 < fraction < 0.999:
                record.errors.append((option_heading(min(i, 25)), str(_l(
                    "The option gives partial credit (%(weight)s%%) but the question has one right answer (=): "
                    "mark it with = if it is right, or remove the = signs to make a multiple-answer question.",
                    weight=f"{fraction * 100:g}"))))
            record.options.append(OptionRecord(_plain(a), correct, fraction))
    return records


def _fraction(answer: _Node) -> float | None:
    raw = answer.attrs.get("fraction", "0")
    if len(raw) > 20:
        return None
    try:
        value = float(raw) / 100
    except ValueError:
        return None
    return value if -1.0 <= value <= 1.0 else None


def _cdata_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "<text><![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]></text>"


def to_moodle_xml(rows: list[dict]) -> str:
    """Moodle XML: a category per area, multichoice questions with ids, tags and our two extra fields."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    area = None
    for r in rows:
        if r["area"] != area:
            area = r["area"]
            out.append('  <question type="category"><category>'
                       f"<text>{escape('$course$/top/' + area)}</text></category></question>")
        correct = [o for o in r["options"] if o["correct"]]
        name = r["external_id"] or r["text"][:60]
        out.append('  <question type="multichoice">')
        out.append(f"    <name><text>{escape(name)}</text></name>")
        out.append(f'    <questiontext format="plain_text">{_cdata_text(r["text"])}</questiontext>')
        out.append(f'    <generalfeedback format="plain_text">{_cdata_text(r["explanation"] or "")}</generalfeedback>')
        out.append("    <defaultgrade>1</defaultgrade><penalty>0</penalty><hidden>0</hidden>")
        if r["external_id"]:
            out.append(f"    <idnumber>{escape(r['external_id'])}</idnumber>")
        out.append(f"    <single>{'false' if r['multiple'] else 'true'}</single>")
        out.append("    <shuffleanswers>true</shuffleanswers><answernumbering>ABCD</answernumbering>")
        for o in r["options"]:
            if r["multiple"]:
                fraction = f"{100 / len(correct):.5f}".rstrip("0").rstrip(".") if o["correct"] else "-100"
            else:
                fraction = "100" if o["correct"] else "0"
            out.append(f'    <answer fraction="{fraction}" format="plain_text">{_cdata_text(o["text"])}'
                       "<feedback format=\"html\"><text></text></feedback></answer>")
        if r["source"]:
            out.append(f"    <quizapp_source>{escape(r['source'])}</quizapp_source>")
        if r["reference_date"]:
            out.append(f"    <quizapp_reference_date>{r['reference_date'].isoformat()}</quizapp_reference_date>")
        if r.get("exclusion_group"):
            out.append(f"    <quizapp_exclusion_group>{escape(r['exclusion_group'])}</quizapp_exclusion_group>")
        out.append(f"    <tags><tag><text>muc-do-{r['difficulty']}</text></tag></tags>")
        out.append("  </question>")
    out.append("</quiz>")
    return "\n".join(out) + "\n"

