"""Excel cells shown as the organiser saw them in (Vietnamese) Excel.

openpyxl gives a typed value (a datetime, a float) and the cell's number
format string; Excel shows the value through that format: 15/08/2022, 50%,
1.500.000.  :func:`render_cell` applies the common parts of Excel's number
format language (date parts, digits, grouping, decimals, percent, literal
text and currency symbols) with the Vietnamese separators ("." for thousands,
"," for decimals).  Anything it does not know (fractions, exponents) falls
back to the plain number.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

_SECTION_SPLIT = re.compile(r'("[^"]*"|\\.|;)')
_DATE_TOKENS = re.compile(
    r'"[^"]*"|\\.|\[[^\]]*\]|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|.', re.IGNORECASE)
_NUMBER_TOKENS = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|.')
_CURRENCY = re.compile(r"^\[\$([^-\]]*)(?:-[^\]]*)?\]$")
_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
THOUSANDS, DECIMAL = ".", ","


def _sections(fmt: str) -> list[str]:
    parts, current = [], ""
    for piece in _SECTION_SPLIT.split(fmt or ""):
        if piece == ";":
            parts.append(current)
            current = ""
        else:
            current += piece
    parts.append(current)
    return parts


def render_cell(value, number_format: str | None) -> str:
    """A cell's value as Excel displays it ('' for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    fmt = number_format or "General"
    if isinstance(value, (datetime, date, time)):
        return render_date(value, fmt)
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return render_number(value, fmt)
    return str(value)


def render_date(value, fmt: str) -> str:
    section = _sections(fmt)[0]
    if section.strip().lower() in ("general", "", "@"):
        section = "dd/mm/yyyy" if not isinstance(value, time) else "hh:mm"
        if isinstance(value, datetime) and value.time() != time(0):
            section += " hh:mm"
    if isinstance(value, time):
        value = datetime.combine(date(1900, 1, 1), value)
    elif not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    tokens = _DATE_TOKENS.findall(section)
    ampm = any(t.lower() in ("am/pm", "a/p") for t in tokens)
    out = []
    for i, token in enumerate(tokens):
        low = token.lower()
        if low.startswith("m") and low in ("m", "mm"):
            before = [t.lower() for t in tokens[:i] if t.strip(" :.,/-")]
            after = [t.lower() for t in tokens[i + 1:] if t.strip(" :.,/-")]
            minute = (before and before[-1] in ("h", "hh")) or (after and after[0] in ("s", "ss"))
            n = value.minute if minute else value.month
            out.append(f"{n:02d}" if low == "mm" else str(n))
        elif low == "yyyy":
            out.append(f"{value.year:04d}")
        elif low == "yy":
            out.append(f"{value.year % 100:02d}")
        elif low in ("mmm", "mmmm", "mmmmm"):
            out.append(f"tháng {value.month}" if low == "mmmm" else f"Thg {value.month}")
        elif low == "dd":
            out.append(f"{value.day:02d}")
        elif low == "d":
            out.append(str(value.day))
        elif low in ("ddd", "dddd"):
            out.append(_WEEKDAYS[value.weekday()])
        elif low in ("hh", "h"):
            hour = value.hour % 12 or 12 if ampm else value.hour
            out.append(f"{hour:02d}" if low == "hh" else str(hour))
        elif low in ("ss", "s"):
            out.append(f"{value.second:02d}" if low == "ss" else str(value.second))
        elif low in ("am/pm", "a/p"):
            out.append("SA" if value.hour < 12 else "CH")
        elif token.startswith('"'):
            out.append(token[1:-1])
        elif token.startswith("\\"):
            out.append(token[1:])
        elif token.startswith("["):
            continue
        else:
            out.append(token)
    return "".join(out)


def _plain_number(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.10g}".replace(".", DECIMAL)


def render_number(value: float, fmt: str) -> str:
    sections = _sections(fmt)
    section = sections[0]
    negative_section = value < 0 and len(sections) > 1 and sections[1].strip()
    if negative_section:
        section, value = sections[1], -value
    if section.strip().lower() in ("general", "", "@"):
        return _plain_number(value)
    before, core, after, percent = [], [], [], 0
    for token in _NUMBER_TOKENS.findall(section):
        if token in ("0", "#", "?") or (core and token in (",", ".") and not after):
            core.append(token)
            continue
        if token.startswith('"'):
            literal = token[1:-1]
        elif token.startswith("\\"):
            literal = token[1:]
        elif token.startswith("_"):
            literal = " "
        elif token.startswith("*"):
            literal = ""
        elif token.startswith("["):
            m = _CURRENCY.match(token)
            literal = m.group(1) if m else ""
        elif token == "%":
            percent += 1
            literal = "%"
        elif token.lower() in ("e", "/") or token == "@":
            return _plain_number(value)
        else:
            literal = token
        (after if core else before).append(literal)
    if not core:
        return "".join(before) if before else _plain_number(value)
    pattern = "".join(core)
    integer, _, fraction = pattern.partition(".")
    grouping = "," in integer
    min_decimals = fraction.count("0")
    max_decimals = len(fraction.replace(",", ""))
    scaled = value * (100 ** percent)
    text = f"{abs(scaled):,.{max_decimals}f}"
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0").ljust(min_decimals, "0") if max_decimals > min_decimals else decimals
    whole = whole.replace(",", THOUSANDS) if grouping else whole.replace(",", "")
    if integer.replace(",", "").count("0") == 0 and whole == "0" and decimals:
        whole = ""
    sign = "-" if scaled < 0 and not negative_section and text.strip("0.,") else ""
    number = whole + (DECIMAL + decimals if decimals else "")
    return sign + "".join(before) + number + "".join(after)
