"""Opening untrusted uploaded containers (xlsx, docx) without letting them inflate.

An .xlsx or .docx is a zip.  A hostile one declares parts that inflate to
gigabytes ("zip bomb"); openpyxl and python-docx would read them whole.  The
zip's central directory states every entry's uncompressed size, and Python's
zipfile refuses to inflate an entry past its stated size (it fails the CRC),
so checking the stated sizes before any parser runs bounds the work.
"""
from __future__ import annotations

import io
import re
import zipfile

from flask_babel import lazy_gettext as _l

from quizapp.core.errors import ServiceError

MAX_ZIP_ENTRIES = 500
MAX_ZIP_UNCOMPRESSED = 48 * 1024 * 1024  # all entries together
MAX_ZIP_ENTRY = 32 * 1024 * 1024  # one entry (a sheet, the shared strings, a document body)


MAX_STYLE_PART = 2 * 1024 * 1024  # a docx's styles, numbering, settings...: tens of KB in real files
_STYLE_PARTS = ("word/styles.xml", "word/stylesWithEffects.xml", "word/numbering.xml", "word/settings.xml",
                "word/fontTable.xml", "word/webSettings.xml", "xl/styles.xml")
MAX_SHARED_STRINGS = 300_000  # never more distinct texts than a sheet may have cells


def _too_big() -> ServiceError:
    return ServiceError("file_too_complex", str(_l(
        "Unpacked, the file would take more than %(mb)d MB: save it again with less content "
        "(or split it into several files).", mb=MAX_ZIP_UNCOMPRESSED // 2**20)), 413)


def read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int = MAX_ZIP_ENTRY) -> bytes:
    """One entry, inflated a megabyte at a time and never past ``cap``, whatever its header says.

    ``ZipFile.read`` asks zlib for the whole entry at once and truncates it to
    the stated size afterwards: a header that understates a part lets it inflate
    hundreds of megabytes first.  A part whose real bytes disagree with its
    header fails the CRC check here (BadZipFile → ServiceError "file_corrupt").
    """
    chunks, size = [], 0
    try:
        with archive.open(info) as part:
            while True:
                chunk = part.read(2**20)
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise _too_big()
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError,
            RuntimeError):
        raise ServiceError("file_corrupt", str(_l(
            "A part of the file (%(part)s) is damaged: open the file and save it again.",
            part=info.filename[:60])))
    return b"".join(chunks)


def check_zip(content: bytes, kind: str = "xlsx") -> None:
    """Refuse a zip that is not one, has too many entries or inflates too far (ServiceError).

    Every entry is inflated (in bounded steps, :func:`read_part`) and checked
    against its CRC, so a parser opened afterwards meets only entries whose
    real size is the size checked here.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, NotImplementedError):
        raise ServiceError("file_corrupt", str(_l("The file is not a valid %(kind)s file.", kind="." + kind)))
    with archive:
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ServiceError("file_too_complex", str(_l(
                "The file has %(n)d internal parts (at most %(max)d): it is not an ordinary %(kind)s file.",
                n=len(infos), max=MAX_ZIP_ENTRIES, kind="." + kind)), 413)
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > MAX_ZIP_ENTRY or total > MAX_ZIP_UNCOMPRESSED:
                raise _too_big()
        total = 0
        for info in infos:
            cap = min(MAX_ZIP_ENTRY, MAX_ZIP_UNCOMPRESSED - total)
            if info.filename in _STYLE_PARTS:
                cap = min(cap, MAX_STYLE_PART)
            data = read_part(archive, info, cap + 1)
            if len(data) > cap and info.filename in _STYLE_PARTS:
                raise ServiceError("file_too_complex", str(_l(
                    "The file's formatting part %(part)s is larger than %(mb)d MB (a Word or Excel file has a few "
                    "dozen KB): copy the content into a new file and import that.",
                    part=info.filename, mb=MAX_STYLE_PART // 2**20)), 413)
            if len(data) > cap:
                raise _too_big()
            total += len(data)
            if info.filename == "xl/sharedStrings.xml" and data.count(b"<si") > MAX_SHARED_STRINGS:
                raise ServiceError("file_too_complex", str(_l(
                    "The file holds more than %(n)d different texts, more than a question file can have; "
                    "copy the questions into a new workbook and import that.", n=MAX_SHARED_STRINGS)), 413)


def check_xlsx(content: bytes, max_rows: int) -> None:
    """Everything an uploaded .xlsx must pass before a parser opens it: a zip at all, no zip bomb,
    no sheet with more rows or cells than ``max_rows`` allows (ServiceError)."""
    if not content.startswith(b"PK"):
        raise ServiceError("file_corrupt", str(_l("The file is not a valid Excel (.xlsx) file.")))
    check_zip(content, "xlsx")
    check_xlsx_sheets(content, max_rows)


MAX_SHEET_ROWS = 25000
MAX_SHEET_CELLS = 300_000
MAX_ROW_CELLS = 16384  # Excel's own column limit
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")


def check_xlsx_sheets(content: bytes, max_rows: int = MAX_SHEET_ROWS) -> None:
    """Refuse sheets with more rows or cells than a question file can have, before openpyxl parses them.

    openpyxl builds every cell of a row as an object even when only the first
    columns are read, so a sheet of one row with a million cells (30 MB
    unpacked, 100 KB packed) costs a gigabyte.  Counting tags is a C-speed scan.
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            xml = read_part(archive, info)
            rows, cells, start = 0, 0, 0
            for match in _ROW_TAG.finditer(xml):  # no copies: counts between row tags, stopping early
                cells += _count_cells(xml, start, match.start())
                rows += 1
                start = match.start()
                if rows > max_rows or cells > MAX_SHEET_CELLS:
                    break
            else:
                cells += _count_cells(xml, start, len(xml))
            if rows > max_rows or cells > MAX_SHEET_CELLS:
                raise ServiceError("file_too_many_rows", str(_l(
                    "The sheet has more than %(max_rows)d rows or %(max_cells)d cells; split it into several "
                    "files.", max_rows=max_rows, max_cells=MAX_SHEET_CELLS)), 413)


def _count_cells(xml: bytes, start: int, end: int) -> int:
    n = sum(xml.count(tag, start, end) for tag in _CELL_TAGS)
    if n > MAX_ROW_CELLS:
        raise ServiceError("file_too_complex", str(_l(
            "A row of the sheet has more than %(n)d cells.", n=MAX_ROW_CELLS)), 413)
    return n


MAX_DOCUMENT_TAGS = 250_000  # about 2,500 questions as Word writes them
# The longest text (or tag) between two "<" of a Word body: a question is at most 1,000 characters, an
# explanation 4,000; 60 KB leaves room for any real paragraph in UTF-8 and refuses megabytes of spaces.
MAX_DOCUMENT_PIECE = 60_000


def check_docx_body(content: bytes) -> None:
    """Refuse a Word body with more elements than a question file needs, before python-docx builds them all.

    python-docx parses the whole body into a tree: 30 MB of empty paragraphs
    (80 KB packed) would take 800 MB.  Every element starts with "<".
    """
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError:
            return
        xml = read_part(archive, info)
    tags = xml.count(b"<")
    if tags > MAX_DOCUMENT_TAGS:
        raise ServiceError("file_too_complex", str(_l(
            "The file has more than %(n)d tags; split it into several files.", n=MAX_DOCUMENT_TAGS)), 413)
    pieces = xml.split(b"<")  # at most MAX_DOCUMENT_TAGS pieces
    longest = max(range(len(pieces)), key=lambda i: len(pieces[i]))
    if len(pieces[longest]) > MAX_DOCUMENT_PIECE:
        text = pieces[longest].partition(b">")[2][:200].decode("utf-8", "replace")
        start = " ".join(text.split())[:60] or "…"
        raise ServiceError("file_long_paragraph", str(_l(
            "A paragraph of the Word file (starting “%(start)s”) is longer than %(n)d characters — a question "
            "has at most 1,000 and an explanation 4,000: shorten it or split it into several paragraphs.",
            start=start, n=MAX_DOCUMENT_PIECE // 3)), 413)
