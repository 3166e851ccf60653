"""File downloads: one response, with the right headers, for every file the app hands out.

Owns the headers of a download: ``Content-Disposition: attachment`` with the name in UTF-8
(RFC 5987 ``filename*``, so "Giấy chứng nhận Đặng Thị Ánh.pdf" arrives as such) and an ASCII
fallback (``filename=``, for old clients); ``X-Content-Type-Options: nosniff`` (a browser never
runs a spreadsheet as a page); ``Cache-Control: private, no-store`` (lists of people, certificates,
the question bank with its keys: no shared or browser cache keeps them).
Must not: build the file, or decide who may download it (the view's role check and the
capability's service do).
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from flask import Response, send_file

NO_STORE = "private, no-store"
_NOT_SAFE = re.compile(r"[^A-Za-z0-9._ -]")


def ascii_filename(filename: str) -> str:
    """The name with Vietnamese marks dropped (đ → d) and anything else not plain ASCII replaced
    by "_": "Báo cáo quý I.docx" → "Bao cao quy I.docx"."""
    decomposed = unicodedata.normalize("NFD", filename.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    safe = _NOT_SAFE.sub("_", stripped).strip(" .")
    return safe or "download"


def content_disposition(filename: str) -> str:
    """``attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded UTF-8>`` (RFC 6266 / 5987)."""
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download_response(body: bytes | str | Path, filename: str, mimetype: str) -> Response:
    """A file to save: ``body`` as bytes/str, or a ``Path`` sent from disk (ranges and
    conditional requests as Flask's ``send_file``)."""
    if isinstance(body, Path):
        response = send_file(body, mimetype=mimetype, max_age=0)
    else:
        response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = NO_STORE
    return response
