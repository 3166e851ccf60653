"""The one validator of the question bank: every rule a question must meet, for every file format and the editor.

Owns: the field limits, :class:`RowError` (a row's or field's problem, named
by its column heading), the reform-area lookup (codes, names, Moodle
categories), difficulty and date parsing, duplicate rows within an import,
and :func:`content_hash` (what makes two versions the same question).

Must not: read files (:mod:`quizapp.bank.formats` does), write to the
database, or know the editor's or the import's flow.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import (
    HEADINGS, LETTERS, OptionRecord, QuestionRecord, category_names, echo, option_heading, parse_date,
)
from quizapp.bank.models import ReformArea
from quizapp.core.db import db
from quizapp.core.text import fold

TEXT_MAX = 1000
OPTION_MAX = 500
EXPLANATION_MAX = 4000
SOURCE_MAX = 500
EXTERNAL_ID_MAX = 64
# Exclusion groups travel in the start's one-SELECT pool string ("id:area:…:group,…"): no ":" or ",".
EXCLUSION_GROUP_MAX = 32
EXCLUSION_GROUP_RE = re.compile(r"[A-Za-z0-9._-]{1,%d}" % EXCLUSION_GROUP_MAX)
NOTE_MAX = 500
MIN_OPTIONS = 2
MAX_OPTIONS = 10
_DIFFICULTY_NAMES = {"de": 1, "trung binh": 2, "kho": 3}
MAX_REPORTED_ERRORS = 1000  # a file with more stops being checked there: the report stays readable and quick


@dataclass
class RowError:
    row: int  # spreadsheet row (heading = row 1) or line number of a text file
    column: str
    message: str
    file: str = ""


# An area written as the Government's programme (NQ 76/NQ-CP) words it, or with its usual abbreviations,
# is the same area: "Cải cách TTHC", "Xây dựng và phát triển Chính phủ điện tử, Chính phủ số",
# "Lĩnh vực cải cách tổ chức bộ máy HCNN".  The key keeps the words that tell the areas apart.
_AREA_ABBREVIATIONS = {"tthc": "thu tuc hanh chinh", "hcnn": "hanh chinh nha nuoc", "cpdt": "chinh phu dien tu",
                       "cp": "chinh phu", "cps": "chinh phu so", "cchc": "cai cach hanh chinh", "bmhc": "bo may hanh chinh"}
_AREA_FILLER = re.compile(r"\b(?:linh vuc|noi dung|cai cach|xay dung|phat trien|va)\b")


def area_key(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", fold(text)).split()
    expanded = " ".join(_AREA_ABBREVIATIONS.get(w, w) for w in words)
    return " ".join(_AREA_FILLER.sub(" ", expanded).split())


def area_index() -> dict[str, ReformArea]:
    """Areas by folded code, folded name and the name's key (:func:`area_key`)."""
    out = {}
    areas = list(db.session.scalars(sa.select(ReformArea).order_by(ReformArea.position, ReformArea.code)))
    for area in areas:
        name = fold(area.name)
        out.setdefault(name.removeprefix("cai cach "), area)  # "Thủ tục hành chính" (a GIFT category)
        out.setdefault("\x00" + area_key(area.name), area)
        out[name] = area
    for area in areas:
        out[fold(area.code)] = area
    return out


def find_area(areas: dict[str, ReformArea], text: str) -> ReformArea | None:
    return areas.get(fold(text)) or areas.get("\x00" + area_key(text))


def _unknown_area(areas: dict[str, ReformArea], text: str) -> str:
    listed = {a.id: a for a in areas.values()}.values()
    names = "; ".join(f"{a.code} ({a.name})" for a in sorted(listed, key=lambda a: (a.position or 0, a.code)))
    return str(_l("Unknown reform area “%(area)s”: write one of the codes or names %(names)s.",
                  area=echo(text), names=names))


def _difficulty(raw, default: int) -> int | None:
    if raw is None:
        return default
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        value = raw
    else:
        text = fold(str(raw))
        if text in _DIFFICULTY_NAMES:
            return _DIFFICULTY_NAMES[text]
        try:
            value = float(text)
        except ValueError:
            return None
    return int(value) if value in (1, 2, 3) else None


def content_hash(row: dict) -> str:
    """What makes two versions the same question (status, review flag and weights aside)."""
    parts = [
        row["area_code"], str(row["difficulty"]), "1" if row["multiple"] else "0", row["text"],
        "\x1f".join(("1" if o.correct else "0") + o.text for o in row["options"]),
        row["explanation"] or "", row["source"] or "",
        row["reference_date"].isoformat() if row["reference_date"] else "",
        row["external_id"] or "",
    ]
    if row.get("exclusion_group"):  # only when set: questions without a group keep their hash
        parts.append("group:" + row["exclusion_group"])
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()


_EMPTY_MESSAGES = {
    "text": lambda: _l("The question text is empty."),
    "option": lambda: _l("The option is empty."),
}


def _length_error(value: str, limit: int, column: str, errs: list, empty: str | None = None) -> None:
    if not value:
        if empty is not None:
            errs.append((column, str(_EMPTY_MESSAGES[empty]())))
    elif len(value) > limit:
        errs.append((column, str(_l("The text is longer than %(n)d characters (%(len)d).", n=limit, len=len(value)))))


def validate(
    records: list[QuestionRecord],
    default_area_id: int | None = None,
    default_difficulty: int = 1,
    areas: dict[str, ReformArea] | None = None,
    category_map: dict[str, str] | None = None,
) -> tuple[list[dict], list[RowError]]:
    """Every rule a question must meet, for every format: (clean rows, errors).

    ``category_map`` maps Moodle category names (a path or its last part) to
    area codes or names, for GIFT and Moodle XML files whose categories are
    not named after the areas.
    """
    areas = area_index() if areas is None else areas
    categories = {fold(k): v for k, v in (category_map or {}).items()}
    by_id = {a.id: a for a in areas.values()}
    default_area = by_id.get(default_area_id) if default_area_id else None
    errors: list[RowError] = []
    clean: list[dict] = []
    seen_ext: dict[str, QuestionRecord] = {}
    seen_text: dict[tuple, QuestionRecord] = {}

    for r in records:
        if len(errors) >= MAX_REPORTED_ERRORS:
            errors.append(RowError(r.row, "", str(_l(
                "More than %(n)d errors: the rows from here on were not checked. Correct the errors above and "
                "import again.", n=MAX_REPORTED_ERRORS)), r.file))
            break
        errs: list[tuple[str, str]] = list(r.errors)
        if r.rejected:
            errors.extend(RowError(r.row, column, message, r.file) for column, message in errs)
            continue
        _normalise_newlines(r)
        _control_characters(r, errs)

        text = (r.text or "").strip()
        _length_error(text, TEXT_MAX, HEADINGS["text"], errs, "text")
        _length_error(r.explanation, EXPLANATION_MAX, HEADINGS["explanation"], errs)
        _length_error(r.source, SOURCE_MAX, HEADINGS["source"], errs)
        _length_error(r.external_id, EXTERNAL_ID_MAX, HEADINGS["external_id"], errs)
        exclusion_group = (r.exclusion_group or "").strip() or None
        if exclusion_group and not EXCLUSION_GROUP_RE.fullmatch(exclusion_group):
            errs.append((HEADINGS["exclusion_group"], str(_l(
                "Write the exclusion group as up to %(n)d letters, digits, dots, dashes or underscores "
                "(e.g. TCBM-037), without spaces.", n=EXCLUSION_GROUP_MAX))))

        area = None
        if r.area:
            area = find_area(areas, r.area)
            if area is None:
                errs.append((HEADINGS["area"], _unknown_area(areas, r.area)))
        elif r.category:
            names = category_names(r.category)
            mapped = next((categories[fold(n)] for n in names if fold(n) in categories), None)
            if mapped is not None:
                area = find_area(areas, mapped)
                if area is None:
                    errs.append((HEADINGS["area"], _unknown_area(areas, mapped)))
            else:
                area = next((find_area(areas, n) for n in names if find_area(areas, n)), None) or default_area
            if area is None and mapped is None:
                errs.append((HEADINGS["area"], str(_l(
                    "The Moodle category “%(category)s” names no reform area: map it to an area "
                    "(“%(category)s = area code”) or choose a default area.",
                    category=echo(names[-1] if names else r.category)))))
        elif default_area is not None:
            area = default_area
        else:
            errs.append((HEADINGS["area"], str(_l(
                "The reform area is missing: fill the column “Lĩnh vực” (a code such as TTHC, or a name), write a "
                "line “Lĩnh vực: TTHC” above the questions in Word, or choose a default area on the import form."))))

        difficulty = _difficulty(r.difficulty, default_difficulty)
        if difficulty is None:
            errs.append((HEADINGS["difficulty"], str(_l("The difficulty must be 1, 2 or 3."))))

        try:
            reference_date = parse_date(r.reference_date)
        except ValueError:
            reference_date = None
            errs.append((HEADINGS["reference_date"], str(_l(
                "“%(value)s” is not a date (use YYYY-MM-DD or DD/MM/YYYY).", value=echo(r.reference_date)))))

        options: list[OptionRecord] = []
        seen_options: dict[str, int] = {}
        for i, o in enumerate(r.options[:MAX_OPTIONS + 1]):  # past the limit one error says it all
            column = option_heading(min(i, 25))
            o_text = (o.text or "").strip()
            _length_error(o_text, OPTION_MAX, column, errs, "option")
            # Case and spacing do not make options different; diacritics do ("Sở" ≠ "Số").
            key = " ".join(o_text.split()).casefold()
            if key and key in seen_options:
                errs.append((column, str(_l("The option repeats option %(letter)s.",
                                             letter=LETTERS[seen_options[key]]))))
            seen_options.setdefault(key, i)
            options.append(OptionRecord(o_text, bool(o.correct), o.weight))
        if len(options) < MIN_OPTIONS:
            errs.append((option_heading(len(options)), str(_l("A question needs at least %(n)d options.", n=MIN_OPTIONS))))
        elif len(r.options) > MAX_OPTIONS:
            errs.append((option_heading(MAX_OPTIONS), str(_l("A question has at most %(n)d options.", n=MAX_OPTIONS))))
        n_correct = sum(o.correct for o in options)
        multiple = r.multiple if r.multiple is not None else n_correct > 1
        if options and n_correct == 0:
            errs.append((HEADINGS["correct"], str(_l("No option is marked correct."))))
        elif n_correct > 1 and not multiple:
            errs.append((HEADINGS["correct"], str(_l(
                "%(n)d options are marked correct but the question takes a single answer.", n=n_correct))))

        external_id = (r.external_id or "").strip() or None
        search_text = fold(text)
        if external_id:
            first = seen_ext.setdefault(external_id, r)
            if first is not r:
                errs.append((HEADINGS["external_id"], str(_l(
                    "The question id %(id)s is already used at %(where)s.", id=external_id, where=_where(first, r)))))
        if area is not None and search_text:
            first = seen_text.setdefault((area.id, search_text), r)
            if first is not r:
                errs.append((HEADINGS["text"], str(_l(
                    "The same question is already at %(where)s.", where=_where(first, r)))))

        if errs:
            errors.extend(RowError(r.row, column, message, r.file) for column, message in errs)
            continue
        row = {
            "row": r.row, "file": r.file, "area_id": area.id, "area_code": area.code,
            "difficulty": difficulty, "multiple": multiple, "text": text, "search_text": search_text,
            "options": options, "explanation": (r.explanation or "").strip() or None,
            "source": (r.source or "").strip() or None, "reference_date": reference_date,
            "external_id": external_id, "exclusion_group": exclusion_group,
        }
        row["content_hash"] = content_hash(row)
        clean.append(row)
    return clean, errors


# Characters no question holds: NUL (PostgreSQL refuses it in text), BEL, VT, FF and the other C0/C1
# controls (an Excel export and XML 1.0 cannot carry them).  Tab and newline are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_FIELDS = ("text", "explanation", "source", "external_id", "exclusion_group", "area")


def _normalise_newlines(r: QuestionRecord) -> None:
    """CRLF and CR (the web editor's textarea, old Mac files) are one newline: re-saving changes nothing."""
    for name in _FIELDS:
        value = getattr(r, name)
        if isinstance(value, str) and "\r" in value:
            setattr(r, name, value.replace("\r\n", "\n").replace("\r", "\n"))
    for o in r.options:
        if isinstance(o.text, str) and "\r" in o.text:
            o.text = o.text.replace("\r\n", "\n").replace("\r", "\n")


def _control_characters(r: QuestionRecord, errs: list) -> None:
    """A control character is refused where it is, named by its code (they are invisible)."""
    columns = [(HEADINGS[name], getattr(r, name)) for name in _FIELDS]
    columns += [(option_heading(min(i, 25)), o.text) for i, o in enumerate(r.options[:26])]
    for column, value in columns:
        m = _CONTROL.search(value) if isinstance(value, str) else None
        if m:
            errs.append((column, str(_l(
                "The text holds an invisible control character (U+%(code)04X) at position %(pos)d; delete it "
                "(it usually comes from copying out of another program).", code=ord(m.group()), pos=m.start() + 1))))


def _where(first: QuestionRecord, current: QuestionRecord) -> str:
    if first.file and first.file != current.file:
        return f"{first.row} ({first.file})"
    return str(first.row)

