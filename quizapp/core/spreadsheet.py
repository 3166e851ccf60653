"""Writing spreadsheets that are safe to open: no cell is ever run as a formula."""
from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED = FORMULA_PREFIXES + ("'",)


def safe_cell(value):
    """Prefix text that a spreadsheet would run as a formula with an apostrophe (OWASP).

    Text that already starts with an apostrophe followed by such a character
    (or by another apostrophe) is prefixed too, so :func:`unescape_cell`
    gives back exactly the original text: export → import round-trips.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or (value.startswith("'") and value[1:2].startswith(_ESCAPED) and value[1:2])
    ):
        return "'" + value
    return value


# unescape_cell as a regular expression, for pandas' vectorised str.replace.
UNESCAPE_PATTERN = r"^'(?=[=+\-@\t\r'])"


def unescape_cell(text: str) -> str:
    """Undo :func:`safe_cell` on text read back from a spreadsheet we wrote."""
    if text.startswith("'") and text[1:2] and text[1:2].startswith(_ESCAPED):
        return text[1:]
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe_cell)
    return out


def frame_to_xlsx(frame: pd.DataFrame, sheet_name: str = "Sheet1", title: str | None = None,
                  filter_header: bool = False) -> bytes:
    """An .xlsx with an optional title row above the headings, column widths set; with
    ``filter_header`` the headings stay in view when scrolling and carry Excel's filter buttons."""
    buf = io.BytesIO()
    start = 2 if title else 0
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        safe_frame(frame).to_excel(writer, sheet_name=sheet_name, index=False, startrow=start)
        ws = writer.sheets[sheet_name]
        if title:
            ws.cell(row=1, column=1, value=safe_cell(title))
        for idx, col in enumerate(frame.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in frame[col].head(200)]) + 2
            ws.column_dimensions[ws.cell(row=start + 1, column=idx).column_letter].width = min(width, 60)
        if filter_header and len(frame.columns):
            ws.freeze_panes = ws.cell(row=start + 2, column=1)
            last = ws.cell(row=start + 1 + max(len(frame), 1), column=len(frame.columns))
            ws.auto_filter.ref = f"A{start + 1}:{last.coordinate}"
    return buf.getvalue()


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so Excel opens Vietnamese text correctly."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")
